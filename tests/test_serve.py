"""``citebot serve`` and ``citebot invite-url``: token handling, exit codes, invite URL."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import discord
import pytest
from click.testing import CliRunner

from bot.discord.serve import _RedactToken, invite_url, invite_url_command, serve_command

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "MTIz.fake-token.value"


@pytest.fixture
def args(tmp_path: Path) -> list[str]:
    config = tmp_path / "citebot.toml"
    config.write_text(f'[discord]\napplication_id = 1234\nfeedback_file = "{tmp_path / "state" / "fb.jsonl"}"\n')
    return ["--config", str(config), "--corpus", str(ROOT / "seeds"), "--index", str(tmp_path / "index")]


def run(command, args: list[str], env: dict[str, str | None] | None = None):
    env = {"DISCORD_TOKEN": None, "BOT_TOKEN": None, **(env or {})}
    return CliRunner().invoke(command, args, env=env)


def test_missing_token_exits_2_with_one_line_on_how_to_get_one(args: list[str], tmp_path: Path) -> None:
    result = run(serve_command, args)
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert "DISCORD_TOKEN" in line and "https://discord.com/developers/applications" in line
    assert not (tmp_path / "index").exists()  # fails before doing any work


def test_token_variable_name_comes_from_config(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[discord]\ntoken_env = "BOT_TOKEN"\n')
    result = run(serve_command, ["--config", str(config)], {"DISCORD_TOKEN": TOKEN})
    assert result.exit_code == 2 and "BOT_TOKEN" in result.output


def test_rejected_token_exits_2_one_line_after_loading_the_index(args, tmp_path, monkeypatch) -> None:
    seen = {}

    async def refuse(self, token: str):
        seen["index_built"] = (tmp_path / "index" / "CURRENT").exists()
        seen["token"] = token
        raise discord.LoginFailure("Improper token has been passed.")

    monkeypatch.setattr(discord.http.HTTPClient, "static_login", refuse)
    result = run(serve_command, args, {"DISCORD_TOKEN": TOKEN})
    assert result.exit_code == 2, result.output
    line = result.output.strip().splitlines()[-1]  # after the INFO log lines on stderr
    assert line.startswith("Error: Discord rejected the token in DISCORD_TOKEN")
    assert "Traceback" not in result.output and "voice" not in result.output
    assert TOKEN not in result.output
    assert seen == {"index_built": True, "token": TOKEN}


def test_missing_privileged_intent_is_explained(args, tmp_path, monkeypatch) -> None:
    async def refuse(self, token: str):
        raise discord.PrivilegedIntentsRequired(None)

    monkeypatch.setattr(discord.http.HTTPClient, "static_login", refuse)
    result = run(serve_command, args, {"DISCORD_TOKEN": TOKEN})
    assert result.exit_code == 2 and "Message Content Intent" in result.output


def test_invite_url_has_scopes_and_only_needed_permissions(args: list[str]) -> None:
    result = run(invite_url_command, args)
    assert result.exit_code == 0
    query = parse_qs(urlsplit(result.output.strip()).query)
    assert query["client_id"] == ["1234"]
    assert query["scope"] == ["bot applications.commands"]
    needed = discord.Permissions(view_channel=True, send_messages=True, send_messages_in_threads=True,
                                 create_public_threads=True, embed_links=True, read_message_history=True)
    assert int(query["permissions"][0]) == needed.value == 309237730304


def test_invite_url_needs_an_application_id(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("")
    result = run(invite_url_command, ["--config", str(config)])
    assert result.exit_code == 2 and "application_id" in result.output
    assert run(invite_url_command, ["--config", str(config), "--application-id", "99"]).output.startswith(
        invite_url(99))


def test_commands_are_wired_into_the_citebot_cli(args: list[str], capsys) -> None:
    from bot.cli import main

    assert main(["invite-url", *args]) == 0
    assert "client_id=1234" in capsys.readouterr().out
    assert main(["serve", *args]) == 2
    assert "DISCORD_TOKEN" in capsys.readouterr().err


def test_token_never_reaches_a_log_line() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "connecting with %s", (TOKEN,), None)
    assert _RedactToken(TOKEN).filter(record)
    assert TOKEN not in record.getMessage() and "[token]" in record.getMessage()


async def test_build_client_wires_feedback_salted_hashes_and_reindex(tmp_path: Path, seeds_engine) -> None:
    from bot.config import config_from_dict
    from bot.engine_holder import EngineHolder
    from bot.discord.serve import build_client

    state = tmp_path / "state"
    config = config_from_dict({"corpus": {"path": str(ROOT / "seeds")}, "index": {"path": str(tmp_path / "idx")},
                               "discord": {"state_dir": str(state)}})
    client = build_client(EngineHolder(seeds_engine), config)
    assert client.feedback is True and client.state_dir == state
    assert client.state.path == state / "citebot.sqlite3" and client.state.schema_version >= 1
    assert (state / "user_salt").exists() and len(client.hash_user(42)) == 16
    assert client.allowed_mentions.to_dict() == discord.AllowedMentions.none().to_dict()
    assert client.reindex().stats.documents == 2  # rebuilds the configured corpus
