"""Permission-aware replies: the pure plan, and the mention handler obeying it (autospecced fakes)."""

from __future__ import annotations

import logging
from typing import Any

import discord
import pytest

from bot.config import config_from_dict
from bot.discord.client import CitebotClient, EngineHolder, build_intents
from bot.discord.permissions import ReplyPlan, reply_plan
from bot.discord.policies import UserHasher
from retrieval import Engine
from tests.fakes import BOT_ID, BOT_PERMISSIONS, FakeClock, make_bot_user, make_channel, make_guild, make_message, make_user

TOMAHAWK = "what did the US say about Tomahawk missiles?"


def perms(**changes: bool) -> discord.Permissions:
    p = discord.Permissions(BOT_PERMISSIONS.value)
    p.update(**changes)
    return p


def make_client(engine: Any, clock: FakeClock | None = None, **discord_cfg: Any) -> CitebotClient:
    client = CitebotClient(EngineHolder(engine), config_from_dict({"discord": discord_cfg}), clock=clock or FakeClock(),
                           hash_user=UserHasher("salt"), reindex=None)
    client._connection.user = make_bot_user()
    return client


def mention_in(channel: Any, text: str = TOMAHAWK, author: Any = None) -> Any:
    return make_message(f"<@{BOT_ID}> {text}", channel=channel, guild=channel.guild, author=author)


# ---------------------------------------------------------------------- the pure rule
@pytest.mark.parametrize("changes, expected", [
    ({}, ReplyPlan()),
    ({"embed_links": False}, ReplyPlan(embeds=False, missing=("Embed Links",))),
    ({"read_message_history": False}, ReplyPlan(reference=False, missing=("Read Message History",))),
    ({"send_messages": False}, ReplyPlan(False, False, False, ("Send Messages",))),
    ({"view_channel": False}, ReplyPlan(False, False, False, ("View Channel",))),
])
def test_reply_plan_in_a_channel(changes: dict, expected: ReplyPlan) -> None:
    assert reply_plan(perms(**changes)) == expected


def test_reply_plan_in_threads() -> None:
    # in a thread, Send Messages in Threads is what counts, not Send Messages
    assert reply_plan(perms(send_messages=False), thread=True).send
    assert reply_plan(perms(send_messages_in_threads=False), thread=True).missing == ("Send Messages in Threads",)
    locked = reply_plan(perms(), thread=True, locked=True, archived=True)
    assert not locked.send and "locked and archived" in locked.missing[0]
    assert reply_plan(perms(manage_threads=True), thread=True, locked=True).send
    assert reply_plan(perms(), thread=True, archived=True).send  # posting reopens an unlocked thread


# ---------------------------------------------------------------------- the handler
async def test_without_embed_links_the_answer_is_plain_text_within_2000_chars(seeds_engine: Engine) -> None:
    client = make_client(seeds_engine)
    channel = make_channel(guild=make_guild(), perms=perms(embed_links=False))
    message = mention_in(channel)
    await client.on_message(message)
    args, kwargs = channel.send.await_args
    assert channel.send.await_count == 1 and "embed" not in kwargs and "embeds" not in kwargs
    content = args[0]
    assert len(content) <= 2000
    assert content.startswith(f"**{TOMAHAWK}**")
    assert "000\\_73428c9fd92591ec.txt ¶" in content  # escaped exactly as in the embed
    assert "transparency mechanism" in content and "**Tomahawk**" in content
    assert kwargs["reference"] is message.to_reference.return_value
    assert kwargs["allowed_mentions"].to_dict() == discord.AllowedMentions.none().to_dict()
    assert "More results" in [getattr(i.item, "label", None) for i in kwargs["view"].children]


async def test_without_read_message_history_the_reply_has_no_reference(seeds_engine: Engine) -> None:
    client = make_client(seeds_engine)
    channel = make_channel(guild=make_guild(), perms=perms(read_message_history=False))
    message = mention_in(channel)
    await client.on_message(message)
    kwargs = channel.send.await_args.kwargs
    assert "reference" not in kwargs and "embed" in kwargs
    message.to_reference.assert_not_called()


async def test_without_send_messages_nothing_is_sent_and_one_line_is_logged_per_hour(seeds_engine: Engine,
                                                                                    caplog) -> None:
    clock = FakeClock()
    client = make_client(seeds_engine, clock=clock, cooldown_seconds=0.0)
    guild = make_guild(name="Raided")
    channel = make_channel(guild=guild, perms=perms(send_messages=False), name="read-only")
    with caplog.at_level(logging.INFO, logger="bot.discord.permissions"):
        for _ in range(5):
            await client.on_message(mention_in(channel))
        clock.advance(1800)
        await client.on_message(mention_in(channel, "hello"))
    channel.send.assert_not_awaited()
    channel.typing.assert_not_called()
    (line,) = [r.getMessage() for r in caplog.records]
    assert "Raided" in line and str(guild.id) in line and "#read-only" in line and str(channel.id) in line
    assert "Send Messages" in line
    caplog.clear()
    clock.advance(1801)
    with caplog.at_level(logging.INFO, logger="bot.discord.permissions"):
        await client.on_message(mention_in(channel))
    assert len(caplog.records) == 1


async def test_a_locked_thread_gets_nothing(seeds_engine: Engine) -> None:
    client = make_client(seeds_engine)
    thread = make_channel(guild=make_guild(), thread=True)
    thread.locked = True
    await client.on_message(mention_in(thread))
    thread.send.assert_not_awaited()
    thread.typing.assert_not_called()


async def test_a_refused_send_is_not_answered_with_another_request(seeds_engine: Engine, caplog) -> None:
    client = make_client(seeds_engine)
    channel = make_channel(guild=make_guild())  # the cache says yes, Discord says no
    response = type("Response", (), {"status": 403, "reason": "Forbidden"})()
    channel.send.side_effect = discord.Forbidden(response, {"code": 50013, "message": "Missing Permissions"})
    with caplog.at_level(logging.WARNING):
        await client.on_message(mention_in(channel))
    assert channel.send.await_count == 1  # no apology into the same refusal
    assert any("403" in r.getMessage() and "50013" in r.getMessage() for r in caplog.records)


async def test_notices_for_empty_or_long_mentions_are_rate_limited(seeds_engine: Engine) -> None:
    clock = FakeClock()
    client = make_client(seeds_engine, clock=clock)
    channel = make_channel(guild=make_guild())
    user = make_user()
    for text in ["", "why " * 200, "", "why " * 200]:
        await client.on_message(mention_in(channel, text, author=user))
    assert channel.send.await_count == 1
    clock.advance(31)
    await client.on_message(mention_in(channel, "", author=user))
    assert channel.send.await_count == 2


def test_only_the_intents_the_handlers_use() -> None:
    intents = build_intents(config_from_dict({}).discord)
    enabled = {name for name, on in intents if on}
    assert enabled == {"guilds", "guild_messages", "dm_messages"}
    assert {name for name, on in build_intents(config_from_dict(
        {"discord": {"message_content_intent": True}}).discord) if on} == enabled | {"message_content"}
