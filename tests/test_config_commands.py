"""/config: per-server settings in the database, effective at once, never crossing servers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.config import config_from_dict
from bot.discord.client import CitebotClient, EngineHolder
from bot.discord.policies import UserHasher
from bot.discord.state import StateDB
from retrieval import Engine
from tests.fakes import BOT_ID, FakeClock, make_bot_user, make_channel, make_guild, make_interaction, make_message

TOMAHAWK = "what did the US say about Tomahawk missiles?"


def make_client(engine: Any, db: StateDB | None = None, **cfg: Any) -> CitebotClient:
    client = CitebotClient(EngineHolder(engine), config_from_dict({"discord": {"cooldown_seconds": 0.0, **cfg}}),
                           clock=FakeClock(), hash_user=UserHasher("salt"), reindex=None, state=db)
    client._connection.user = make_bot_user()
    return client


def admin(guild: Any, channel_id: int = 1) -> Any:
    return make_interaction(guild=guild, manage_guild=True, channel_id=channel_id)


async def run(client: CitebotClient, name: str, interaction: Any, **options: Any) -> str:
    command = client.tree.get_command("config").get_command(name)
    for key, value in list(options.items()):
        if key == "setting":
            options[key] = app_commands.Choice(name=value, value=value)
    await command.callback(interaction, **options)
    args, kwargs = interaction.response.send_message.await_args
    assert kwargs["ephemeral"] is True
    return args[0]


async def fields_in(client: CitebotClient, channel: Any) -> int | None:
    message = make_message(f"<@{BOT_ID}> {TOMAHAWK}", channel=channel, guild=channel.guild)
    await client.on_message(message)
    if not channel.send.await_count:
        return None
    return len(channel.send.await_args.kwargs["embed"].fields)


def test_the_group_is_for_manage_server_and_servers_only(seeds_engine: Engine) -> None:
    group = make_client(seeds_engine).tree.get_command("config")
    assert group.default_permissions == discord.Permissions(manage_guild=True)
    assert group.guild_only
    assert {c.name for c in group.commands} == {"show", "channel", "forum", "set", "reset"}
    payload = group.to_dict(make_client(seeds_engine).tree)
    assert int(payload["default_member_permissions"]) == discord.Permissions(manage_guild=True).value


async def test_members_without_manage_server_are_refused(seeds_engine: Engine) -> None:
    client = make_client(seeds_engine)
    guild = make_guild(1)
    member = make_interaction(guild=guild, manage_guild=False)
    text = await run(client, "set", member, setting="results_per_page", value="5")
    assert "Manage Server" in text and client.state.guild_settings(1) == {}


async def test_a_setting_applies_at_once_and_only_in_its_server(seeds_engine: Engine) -> None:
    client = make_client(seeds_engine)
    ours, theirs = make_guild(1), make_guild(2)
    here, there = make_channel(10, guild=ours), make_channel(20, guild=theirs)
    assert "now 5" in await run(client, "set", admin(ours), setting="results_per_page", value="5")
    assert await fields_in(client, here) == 5
    assert await fields_in(client, there) == 3  # the operator's default
    assert "Not changed" in await run(client, "set", admin(ours), setting="results_per_page", value="50")
    assert "Not changed" in await run(client, "set", admin(ours), setting="answer_in_thread", value="maybe")
    await run(client, "reset", admin(ours), setting="results_per_page")
    here.send.reset_mock()
    assert await fields_in(client, here) == 3


async def test_channels_on_and_off_per_server(seeds_engine: Engine) -> None:
    client = make_client(seeds_engine)
    ours, theirs = make_guild(1), make_guild(2)
    general, quiet = make_channel(10, guild=ours), make_channel(11, guild=ours)
    elsewhere = make_channel(20, guild=theirs)
    await run(client, "channel", admin(ours), channel=quiet, answers="off")
    assert await fields_in(client, quiet) is None  # muted: not even a notice
    assert await fields_in(client, general) == 3
    await run(client, "channel", admin(ours), channel=general, answers="on")  # now only #general
    other = make_channel(12, guild=ours)
    assert await fields_in(client, other) is None
    assert await fields_in(client, elsewhere) == 3  # the other server is untouched

    slash = make_interaction(guild=ours, channel_id=12)
    await client.ask_command(slash, TOMAHAWK)
    assert "<#10>" in slash.response.send_message.await_args.args[0]
    text = await run(client, "show", admin(ours))
    assert "<#10>" in text and "<#11>" in text and "20" not in text


async def test_show_never_lists_another_servers_channels(seeds_engine: Engine) -> None:
    client = make_client(seeds_engine, channel_ids=[10, 20])  # an operator default spanning two servers
    ours, theirs = make_guild(1, name="Ours"), make_guild(2)
    make_channel(10, guild=ours)
    make_channel(20, guild=theirs)
    text = await run(client, "show", admin(ours))
    assert "Ours" in text and "<#10>" in text and "20" not in text
    await run(client, "channel", admin(ours), channel=make_channel(11, guild=ours), answers="on")
    assert client.state.guild_settings(1)["channel_ids"] == [10, 11]  # the other server's id is not copied


async def test_a_change_by_another_process_is_seen(seeds_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "citebot.sqlite3"
    client = make_client(seeds_engine, StateDB(path))
    guild = make_guild(1)
    channel = make_channel(10, guild=guild)
    assert await fields_in(client, channel) == 3
    StateDB(path).set_guild_setting(1, "results_per_page", 2)  # e.g. the shard that got the /config
    channel.send.reset_mock()
    assert await fields_in(client, channel) == 2


@pytest.mark.parametrize("stored", [{"results_per_page": "lots"}, {"channel_ids": "10"}, {"unknown": 1}])
async def test_a_bad_stored_value_is_ignored(seeds_engine: Engine, stored: dict) -> None:
    client = make_client(seeds_engine)
    for key, value in stored.items():
        client.state.set_guild_setting(1, key, value)
    assert await fields_in(client, make_channel(10, guild=make_guild(1))) == 3
