"""Permission-aware replies over the wire: the guild's roles and channel overwrites arrive in GUILD_CREATE,
the loopback server refuses (403, code 50013) what Discord would refuse, and the bot never asks."""

from __future__ import annotations

from . import payloads as P
from .harness import TOMAHAWK_PARAGRAPH, TOMAHAWK_QUESTION, buttons, serving, unescape

MESSAGES = "POST /channels/{channel_id}/messages"
TYPING = "POST /channels/{channel_id}/typing"
BASIC = P.PERM_VIEW_CHANNEL | P.PERM_SEND_MESSAGES | P.PERM_READ_MESSAGE_HISTORY | P.PERM_USE_APPLICATION_COMMANDS


def refused(server) -> list:
    return [r for r in server.requests if r.status in (401, 403, 429)]


async def test_without_embed_links_a_mention_gets_a_plain_text_answer(discord_server, e2e_engine, state_dir):
    server = discord_server
    server.set_everyone_permissions(BASIC)  # no Embed Links for anyone, the bot included
    alice = int(server.add_user("alice")["id"])
    async with serving(server, e2e_engine, state_dir) as bot:
        mid = await server.send_mention(alice, TOMAHAWK_QUESTION)
        (reply,) = await server.wait_until(lambda: server.replies_to(mid), 10, "the plain-text reply")
        await server.quiet()
        bot.assert_alive()
    assert not reply.json.get("embeds")
    assert len(reply.json["content"]) <= 2000
    assert TOMAHAWK_PARAGRAPH[:60] in unescape(reply.json["content"])
    assert "More results" in buttons(reply.json)
    assert refused(server) == [] and bot.errors == []


async def test_without_send_messages_a_mention_produces_no_request(discord_server, e2e_engine, state_dir, caplog):
    server = discord_server
    w = server.world
    bot_role = server.add_role("citebot", BASIC | P.PERM_EMBED_LINKS, bot=True)
    server.set_everyone_permissions(P.PERM_VIEW_CHANNEL | P.PERM_READ_MESSAGE_HISTORY)
    server.overwrite(w.other_channel_id, bot_role, deny=P.PERM_SEND_MESSAGES)  # read-only for the bot's role
    alice = int(server.add_user("alice")["id"])
    async with serving(server, e2e_engine, state_dir) as bot:
        before = len(server.requests)
        for _ in range(3):
            await server.send_mention(alice, TOMAHAWK_QUESTION, channel_id=w.other_channel_id)
        await server.quiet(0.5)
        assert server.requests[before:] == []  # no typing, no answer, no apology
        mid = await server.send_mention(alice, TOMAHAWK_QUESTION)  # #general still works (embeds too)
        (reply,) = await server.wait_until(lambda: server.replies_to(mid), 10, "the reply in #general")
        await server.quiet()
        bot.assert_alive()
    assert reply.json["embeds"]
    assert refused(server) == []
    lines = [r.getMessage() for r in caplog.records if "not answering" in r.getMessage()]
    assert len(lines) == 1 and "Send Messages" in lines[0] and "#off-topic" in lines[0]


async def test_without_read_message_history_the_answer_is_not_a_reply(discord_server, e2e_engine, state_dir):
    server = discord_server
    w = server.world
    server.overwrite(w.channel_id, w.guild_id, deny=P.PERM_READ_MESSAGE_HISTORY)  # @everyone overwrite
    alice = int(server.add_user("alice")["id"])
    async with serving(server, e2e_engine, state_dir) as bot:
        await server.send_mention(alice, TOMAHAWK_QUESTION)
        (post,) = await server.wait_until(lambda: server.channel_posts(), 10, "the answer")
        await server.quiet()
        bot.assert_alive()
    assert "message_reference" not in post.json and post.json["embeds"]
    assert refused(server) == []
