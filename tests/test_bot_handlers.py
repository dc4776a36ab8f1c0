"""The Discord handlers, driven directly with specced fake messages and interactions.

A real engine is built once from the repo's seeds; a few tests swap in a stub
engine to control what the "corpus" says.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.config import config_from_dict
from bot.discord.client import CitebotClient, EngineHolder, build_intents
from bot.discord.policies import UserHasher
from retrieval import Engine, IndexStats
from retrieval.models import Answer, Citation
from tests.fakes import (
    BOT_ID, CHANNEL_ID, FakeClock, click, make_bot_user, make_channel, make_guild, make_interaction, make_message,
    make_user, sent_kwargs,
)

TOMAHAWK = "what did the US say about Tomahawk missiles?"
TOMAHAWK_SOURCE = "000\\_73428c9fd92591ec.txt"  # as escaped in the embed
HASH = UserHasher("test-salt")


@pytest.fixture
def engine(seeds_engine: Engine) -> Engine:
    """The session's engine over the bundled seeds (tests/conftest.py); engines are immutable."""
    return seeds_engine


def make_client(engine: Any, *, clock: FakeClock | None = None, feedback: bool | None = None,
                reindex: Any = None, **discord_cfg: Any) -> CitebotClient:
    config = config_from_dict({"discord": discord_cfg})
    client = CitebotClient(EngineHolder(engine), config, clock=clock or FakeClock(), feedback=feedback,
                           hash_user=HASH, reindex=reindex)
    client._connection.user = make_bot_user()
    return client


def mention(text: str, **kw: Any) -> Any:
    return make_message(f"<@{BOT_ID}> {text}", **kw)


def embed_of(kwargs: dict) -> dict:
    return kwargs["embed"].to_dict()


def assert_no_pings(kwargs: dict) -> None:
    allowed = kwargs["allowed_mentions"]
    assert allowed.to_dict() == discord.AllowedMentions.none().to_dict()
    assert allowed.replied_user is False


def all_text(embed: dict) -> str:
    parts = [embed.get("title", ""), embed.get("description", ""), embed.get("footer", {}).get("text", "")]
    parts += [f["name"] + "\n" + f["value"] for f in embed.get("fields", [])]
    return "\n".join(parts)


class StubEngine:
    """An engine whose answers the test decides (``answer_for(question) -> Answer``)."""

    def __init__(self, answer_for: Any):
        self.answer_for = answer_for
        self.questions: list[str] = []
        self.documents: list = []

    def ask(self, question: str, top_k: int | None = None, more: int = 0) -> Answer:
        self.questions.append(question)
        return self.answer_for(question)


def cited(text: str, question: str = "q") -> Answer:
    c = Citation(n=1, source="evil.txt", paragraph=1, title=text[:80], date=None, text=text, excerpt=text,
                 highlights=(), score=3.0)
    return Answer(question=question, answered=True, text=text, citations=(c,))


# ------------------------------------------------------------------- asking
async def test_mention_gets_a_reply_citing_the_tomahawk_paragraph(engine: Engine) -> None:
    client = make_client(engine)
    message = mention(TOMAHAWK)
    await client.on_message(message)

    kwargs = sent_kwargs(message.channel.send)
    assert kwargs["reference"] is message.to_reference.return_value
    message.to_reference.assert_called_once_with(fail_if_not_exists=False)
    message.channel.typing.assert_called_once()
    assert_no_pings(kwargs)
    embed = embed_of(kwargs)
    assert embed["title"] == TOMAHAWK
    first = embed["fields"][0]
    assert first["name"].startswith("[1] Media revealed US and NATO responses")
    assert first["value"].startswith(TOMAHAWK_SOURCE + " ¶")
    assert "transparency mechanism" in first["value"] and "**Tomahawk**" in first["value"]
    assert "[1]" in embed["description"].replace("\\", "")
    assert [getattr(i.item, "label", None) for i in kwargs["view"].children] == ["More results", None, None, None]


async def test_slash_ask_defers_then_answers(engine: Engine) -> None:
    client = make_client(engine)
    interaction = make_interaction()
    command = client.tree.get_command("ask")
    await command.callback(interaction, question=TOMAHAWK, results=5)

    interaction.response.defer.assert_awaited_once_with(thinking=True)
    kwargs = sent_kwargs(interaction.followup.send)
    assert kwargs["wait"] is True
    assert_no_pings(kwargs)
    embed = embed_of(kwargs)
    assert len(embed["fields"]) == 5
    assert TOMAHAWK_SOURCE in embed["fields"][0]["value"] and "Tomahawk" in embed["fields"][0]["value"]


@pytest.mark.parametrize("author", [make_user(BOT_ID, bot=True), make_user(bot=True, name="otherbot")])
async def test_own_and_other_bot_messages_are_ignored(engine: Engine, author: Any) -> None:
    client = make_client(engine)
    message = mention(TOMAHAWK, author=author)
    await client.on_message(message)
    message.channel.send.assert_not_awaited()


async def test_messages_not_mentioning_the_bot_are_ignored(engine: Engine) -> None:
    client = make_client(engine)
    message = make_message(TOMAHAWK)
    await client.on_message(message)
    message.channel.send.assert_not_awaited()


async def test_a_reply_that_pings_the_bot_is_a_question(engine: Engine) -> None:
    client = make_client(engine)
    message = make_message(TOMAHAWK, mentions=[make_bot_user()])
    await client.on_message(message)
    assert "transparency mechanism" in embed_of(sent_kwargs(message.channel.send))["fields"][0]["value"]


async def test_cooldown_answers_with_a_notice_then_lets_the_user_ask_again(engine: Engine) -> None:
    clock = FakeClock()
    client = make_client(engine, clock=clock)
    user = make_user()
    await client.on_message(mention(TOMAHAWK, author=user))
    clock.advance(1)
    second = mention(TOMAHAWK, author=user)
    await client.on_message(second)
    notice = sent_kwargs(second.channel.send)
    assert "again in 4 s" in notice["content"] and "embed" not in notice
    assert_no_pings(notice)
    other = mention(TOMAHAWK)  # someone else is not slowed down
    await client.on_message(other)
    assert "embed" in sent_kwargs(other.channel.send)
    clock.advance(4.5)
    third = mention(TOMAHAWK, author=user)
    await client.on_message(third)
    assert "embed" in sent_kwargs(third.channel.send)


async def test_channel_allowlist(engine: Engine) -> None:
    client = make_client(engine, channel_ids=[111])
    elsewhere = mention(TOMAHAWK, channel=make_channel(222, guild=make_guild()))
    await client.on_message(elsewhere)
    elsewhere.channel.send.assert_not_awaited()

    allowed = mention(TOMAHAWK, channel=make_channel(111, guild=make_guild()))
    await client.on_message(allowed)
    assert "embed" in sent_kwargs(allowed.channel.send)

    thread = make_channel(333, guild=make_guild())
    thread.parent_id = 111
    in_thread = mention(TOMAHAWK, author=make_user(), channel=thread)
    await client.on_message(in_thread)
    assert "embed" in sent_kwargs(in_thread.channel.send)

    guild = make_guild()
    make_channel(111, guild=guild)
    interaction = make_interaction(channel_id=222, guild=guild)
    await client.ask_command(interaction, TOMAHAWK)
    interaction.response.send_message.assert_awaited_once()
    assert interaction.response.send_message.await_args.kwargs["ephemeral"] is True
    assert "<#111>" in interaction.response.send_message.await_args.args[0]
    interaction.followup.send.assert_not_awaited()


async def test_the_allowlist_refusal_names_only_this_servers_channels(engine: Engine) -> None:
    client = make_client(engine, channel_ids=[111, 999])
    ours, theirs = make_guild(1), make_guild(2)
    make_channel(111, guild=ours)
    make_channel(999, guild=theirs)
    interaction = make_interaction(channel_id=222, guild=theirs)
    await client.ask_command(interaction, TOMAHAWK)
    refusal = interaction.response.send_message.await_args.args[0]
    assert "<#999>" in refusal and "111" not in refusal
    elsewhere = make_interaction(channel_id=333, guild=make_guild(3))
    await client.ask_command(elsewhere, TOMAHAWK)
    refusal = elsewhere.response.send_message.await_args.args[0]
    assert "111" not in refusal and "999" not in refusal and "this channel" in refusal


async def test_over_long_question_gets_a_polite_notice() -> None:
    stub = StubEngine(lambda q: cited("never"))
    client = make_client(stub)
    message = mention("why " * 200)
    await client.on_message(message)
    notice = sent_kwargs(message.channel.send)
    assert "under 500 characters" in notice["content"]
    assert stub.questions == []


async def test_bare_mention_explains_how_to_ask() -> None:
    stub = StubEngine(lambda q: cited("never"))
    client = make_client(stub)
    message = make_message(f"<@{BOT_ID}>")
    await client.on_message(message)
    assert "/ask" in sent_kwargs(message.channel.send)["content"]
    assert stub.questions == []


async def test_unanswerable_question_gets_a_friendly_reply(engine: Engine) -> None:
    client = make_client(engine)
    message = mention("What did China say about Taiwan?")
    await client.on_message(message)
    kwargs = sent_kwargs(message.channel.send)
    embed = embed_of(kwargs)
    assert "couldn't find anything" in embed["description"] and "/sources" in embed["description"]
    assert "fields" not in embed and "view" not in kwargs


async def test_mentions_in_question_and_paragraph_never_ping() -> None:
    hostile = "@everyone look <@123> <@&456> [click me](https://evil.example) @here"
    client = make_client(StubEngine(lambda q: cited(hostile, question=q)))
    message = mention(f"did @everyone see <@123>? {hostile}")
    await client.on_message(message)
    kwargs = sent_kwargs(message.channel.send)
    assert_no_pings(kwargs)
    assert client.allowed_mentions.to_dict() == discord.AllowedMentions.none().to_dict()
    live = re.sub(r"\\.", "", all_text(embed_of(kwargs)))
    assert "@everyone" not in live and "@here" not in live and "<@" not in live
    assert "](" not in live
    assert "@\u200beveryone" in embed_of(kwargs)["title"]


async def test_ten_thousand_character_paragraph_yields_an_embed_within_limits() -> None:
    words = ("Tomahawk missiles were discussed at great length, **again** and again. " * 200)[:10_000]
    client = make_client(StubEngine(lambda q: cited(words, question=q)))
    message = mention("Tomahawk?")
    await client.on_message(message)
    embed = sent_kwargs(message.channel.send)["embed"]
    assert len(embed) <= 6000 and len(embed.description) <= 4096
    assert all(len(f.value) <= 1024 and len(f.name) <= 256 for f in embed.fields)
    assert embed.fields[0].value.endswith("…")


async def test_direct_messages_follow_the_config(engine: Engine) -> None:
    off = make_client(engine)
    dm = make_message(TOMAHAWK, guild=None)
    await off.on_message(dm)
    assert "only answer questions in servers" in sent_kwargs(dm.channel.send)["content"]

    on = make_client(engine, allow_dms=True)
    dm = make_message(TOMAHAWK, guild=None)
    await on.on_message(dm)
    assert "transparency mechanism" in embed_of(sent_kwargs(dm.channel.send))["fields"][0]["value"]


async def test_prefix_command_only_with_message_content_intent(engine: Engine) -> None:
    assert build_intents(config_from_dict({}).discord).message_content is False
    plain = make_client(engine)
    assert plain.intents.message_content is False
    message = make_message(f"!ask {TOMAHAWK}")
    await plain.on_message(message)
    message.channel.send.assert_not_awaited()

    with_content = make_client(engine, message_content_intent=True)
    assert with_content.intents.message_content is True
    message = make_message(f"!ask {TOMAHAWK}")
    await with_content.on_message(message)
    assert "Tomahawk" in embed_of(sent_kwargs(message.channel.send))["fields"][0]["value"]


# ------------------------------------------------------------------ commands
def test_every_command_has_a_description(engine: Engine) -> None:
    tree = make_client(engine).tree
    commands = {c.name: c for c in tree.get_commands(type=discord.AppCommandType.chat_input)}
    assert set(commands) == {"ask", "sources", "reindex", "config"}
    assert all(c.description for c in commands.values())
    assert all(c.description and all(p.description for p in c.parameters) for c in commands["config"].commands)
    # message commands have no description in Discord's API, only a name
    assert [c.name for c in tree.get_commands(type=discord.AppCommandType.message)] == ["Ask citebot"]
    assert all(p.description for p in commands["ask"].parameters)


async def test_sources_lists_the_documents(engine: Engine) -> None:
    client = make_client(engine)
    interaction = make_interaction()
    await client.tree.get_command("sources").callback(interaction)
    kwargs = interaction.response.send_message.await_args.kwargs
    text = kwargs["embed"].description
    assert "000\\_73428c9fd92591ec.txt" in text and "Media revealed US and NATO responses" in text
    assert kwargs["ephemeral"] is True and "view" not in kwargs


# ------------------------------------------------------------- robustness
async def test_a_failing_handler_apologises_and_the_bot_keeps_answering(engine: Engine, caplog) -> None:
    failures = iter([RuntimeError("boom")])

    def flaky(question: str) -> Answer:
        error = next(failures, None)
        if error:
            raise error
        return engine.ask(question)

    client = make_client(StubEngine(flaky), cooldown_seconds=0.0)
    user = make_user()
    broken = mention(TOMAHAWK, author=user)
    with caplog.at_level(logging.ERROR, logger="bot.discord.client"):
        await client.on_message(broken)
    apology = sent_kwargs(broken.channel.send)["content"]
    assert apology.startswith("Sorry, something went wrong")
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert HASH(user.id) in record.getMessage() and "command=mention" in record.getMessage()
    assert re.search(r"id=([0-9a-f]{8})", record.getMessage()).group(1) in apology
    assert record.exc_info and "boom" in str(record.exc_info[1])

    fine = mention(TOMAHAWK, author=user)
    await client.on_message(fine)
    assert "Tomahawk" in embed_of(sent_kwargs(fine.channel.send))["fields"][0]["value"]


async def test_a_failing_slash_command_apologises_ephemerally() -> None:
    def broken(question: str) -> Answer:
        raise ValueError("nope")

    client = make_client(StubEngine(broken))
    interaction = make_interaction()
    await client.ask_command(interaction, TOMAHAWK)
    # After the public defer Discord would make an "ephemeral" follow-up public anyway (deprecated): the
    # apology replaces the "thinking…" message explicitly instead, and nothing claims to be private.
    interaction.followup.send.assert_not_awaited()
    kwargs = interaction.edit_original_response.await_args.kwargs
    assert kwargs["content"].startswith("Sorry, something went wrong") and kwargs["embed"] is None
    assert_no_pings(kwargs)

    refused = make_interaction(guild=None)  # before any defer, the notice stays ephemeral
    await client.ask_command(refused, TOMAHAWK)
    assert refused.response.send_message.await_args.kwargs["ephemeral"] is True


async def test_one_info_line_per_question_without_text_or_raw_ids(engine: Engine, caplog) -> None:
    client = make_client(engine)
    user = make_user()
    with caplog.at_level(logging.INFO, logger="bot.discord.client"):
        await client.on_message(mention(TOMAHAWK, author=user))
    (line,) = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert re.match(r"question id=[0-9a-f]{8} user=[0-9a-f]{16} channel=\d+ command=mention latency_ms=\d+ "
                    r"top_score=\d+\.\d{3} answered=True$", line)
    assert HASH(user.id) in line and str(user.id) not in line and "Tomahawk" not in line
    assert str(CHANNEL_ID) in line


async def test_question_text_is_logged_at_debug(engine: Engine, caplog) -> None:
    client = make_client(engine)
    with caplog.at_level(logging.DEBUG, logger="bot.discord.client"):
        await client.on_message(mention(TOMAHAWK))
    assert any(r.levelno == logging.DEBUG and "Tomahawk" in r.getMessage() for r in caplog.records)


# ------------------------------------------------------------------ syncing
async def test_commands_sync_to_configured_guilds(engine: Engine, tmp_path: Path, monkeypatch) -> None:
    client = make_client(engine, guild_ids=[1, 2])
    synced = []

    async def fake_sync(*, guild=None):
        synced.append(guild.id if guild else None)
        return []

    monkeypatch.setattr(client.tree, "sync", fake_sync)
    await client.sync_commands()
    assert synced == [1, 2]


async def test_global_sync_only_when_commands_changed(engine: Engine, tmp_path: Path, monkeypatch) -> None:
    synced = []

    async def fake_sync(*, guild=None):
        synced.append(guild)
        return []

    for _ in range(2):
        client = make_client(engine, state_dir=str(tmp_path / "state"))
        monkeypatch.setattr(client.tree, "sync", fake_sync)
        await client.sync_commands()
    assert synced == [None]
    assert (tmp_path / "state" / "commands.sha256").exists()


async def test_long_source_lists_are_paged_by_their_owner_only() -> None:
    doc = type("Doc", (), {"title": "A document", "date": None, "paragraphs": 3})
    stub = StubEngine(lambda q: cited("x"))
    stub.documents = [type("D", (doc,), {"source": f"{i:03}.txt"})() for i in range(40)]
    client = make_client(stub)
    owner = make_user()
    interaction = make_interaction(user=owner)
    await client.sources_command(interaction)
    kwargs = interaction.response.send_message.await_args.kwargs
    view = kwargs["view"]
    assert "page 1/3" in kwargs["embed"].footer.text and view.previous_page.disabled

    stranger = make_interaction()
    assert await click(view, view.next_page, stranger) is False
    press = make_interaction(user=owner)
    assert await click(view, view.next_page, press)
    assert "page 2/3" in press.response.edit_message.await_args.kwargs["embed"].footer.text
    assert not view.previous_page.disabled


async def test_command_tree_errors_get_an_apology(engine: Engine, caplog) -> None:
    client = make_client(engine)
    interaction = make_interaction()
    with caplog.at_level(logging.ERROR, logger="bot.discord.client"):
        await client.tree.on_error(interaction, discord.app_commands.AppCommandError("bad option"))
    args, kwargs = interaction.response.send_message.await_args
    assert args[0].startswith("Sorry") and kwargs["ephemeral"] is True
    assert any("command=/?" in r.getMessage() for r in caplog.records)
