"""Faults on the wire: a dropped gateway, an invalidated session, REST 429/500/503 — the bot recovers,
replies exactly once, logs what failed and keeps serving."""

from __future__ import annotations

import logging

import discord

from .discord_server import FakeDiscord
from .harness import TOMAHAWK_PARAGRAPH, TOMAHAWK_QUESTION, embed_text, serving, unescape

MESSAGES = "POST /channels/{channel_id}/messages"


def uid(user: dict) -> int:
    return int(user["id"])


def attempts(server: FakeDiscord, message_id: int) -> list:
    return [
        r for r in server.requests
        if r.route == MESSAGES and str((r.json or {}).get("message_reference", {}).get("message_id")) == str(message_id)
    ]


def answered(server: FakeDiscord, message_id: int) -> bool:
    return any(TOMAHAWK_PARAGRAPH in unescape(embed_text(r.json)) for r in server.replies_to(message_id))


async def test_dropped_websocket_resumes_and_answers_questions_sent_meanwhile_and_after(
        discord_server, e2e_engine, state_dir):
    server = discord_server
    users = [uid(server.add_user(f"u{i}")) for i in range(3)]
    async with serving(server, e2e_engine, state_dir) as bot:
        before = await server.send_mention(users[0], TOMAHAWK_QUESTION)
        await server.wait_until(lambda: answered(server, before), 10, "the answer before the drop")
        session = server.session
        await server.drop_gateway()  # TCP reset: no close frame, as when a connection dies
        during = await server.send_mention(users[1], TOMAHAWK_QUESTION)  # buffered, replayed on RESUME
        await server.wait_until(lambda: session.resumed == 1 and session.conn is not None, 20, "the bot to RESUME")
        await server.wait_until(lambda: answered(server, during), 10, "the answer to the replayed question")
        after = await server.send_mention(users[2], TOMAHAWK_QUESTION)
        await server.wait_until(lambda: answered(server, after), 10, "the answer after the resume")
        await server.quiet()
        bot.assert_alive()
    assert len(server.sessions) == 1, "resumed the same session rather than identifying again"
    resume = [f for f in server.gateway_received if f["op"] == 6]
    assert len(resume) == 1 and resume[0]["d"]["session_id"] == session.id
    for mid in (before, during, after):
        assert len(attempts(server, mid)) == 1, f"exactly one reply to {mid}"
    assert bot.errors == [] and server.unhandled == []


async def test_invalidated_session_makes_the_bot_identify_again_and_answer(discord_server, e2e_engine, state_dir):
    server = discord_server
    ann = uid(server.add_user("ann"))
    async with serving(server, e2e_engine, state_dir) as bot:
        server.invalidate_session()
        await server.drop_gateway(code=4000)  # "unknown error": discord.py tries to RESUME, gets INVALID_SESSION
        # discord.py waits 5 s before a non-initial IDENTIFY (its identify rate limit)
        await server.wait_until(lambda: len(server.sessions) == 2 and server.is_ready(), 20, "a second IDENTIFY")
        mid = await server.send_mention(ann, TOMAHAWK_QUESTION)
        await server.wait_until(lambda: answered(server, mid), 10, "the answer on the new session")
        await server.quiet()
        bot.assert_alive()
    assert len(attempts(server, mid)) == 1
    assert [f["op"] for f in server.gateway_received if f["op"] in (2, 6)] == [2, 6, 2]
    assert bot.errors == []


async def test_rest_429_delivers_the_reply_exactly_once_after_retry_after(discord_server, e2e_engine, state_dir):
    server = discord_server
    bea = uid(server.add_user("bea"))
    retry_after = 0.6
    async with serving(server, e2e_engine, state_dir) as bot:
        server.fail_next(MESSAGES, 429, retry_after=retry_after)
        mid = await server.send_mention(bea, TOMAHAWK_QUESTION)
        await server.wait_until(lambda: answered(server, mid), 10, "the reply after the rate limit")
        await server.quiet()
        bot.assert_alive()
    limited, delivered = attempts(server, mid)
    assert (limited.status, limited.fault, delivered.status) == (429, "429", 200)
    assert delivered.at - limited.at >= retry_after - 0.01, "waited retry_after before retrying"
    assert delivered.json == limited.json, "the same reply, resent unchanged"
    assert len(server.replies_to(mid)) == 1
    assert bot.errors == []


async def test_webhook_429_delivers_the_slash_answer_exactly_once(discord_server, e2e_engine, state_dir):
    server = discord_server
    gus = uid(server.add_user("gus"))
    followups = "POST /webhooks/{application_id}/{token}"
    async with serving(server, e2e_engine, state_dir) as bot:
        server.fail_next(followups, 429, retry_after=0.4)
        it = await server.send_slash(gus, "ask", {"question": TOMAHAWK_QUESTION})
        await server.wait_until(lambda: any(b.get("embeds") for b in server.interaction_messages(it)), 10,
                                "the /ask answer after the rate limit")
        await server.quiet()
        bot.assert_alive()
    posts = [r for r in server.interaction_requests(it) if r.route == followups]
    assert [p.status for p in posts] == [429, 200]
    assert posts[1].at - posts[0].at >= 0.39
    assert len(server.interaction_messages(it)) == 1
    assert bot.errors == []


async def test_rest_500_once_is_retried_logged_and_the_bot_keeps_serving(
        discord_server, e2e_engine, state_dir, caplog):
    server = discord_server
    cat, dan = uid(server.add_user("cat")), uid(server.add_user("dan"))
    caplog.set_level(logging.DEBUG, logger="discord.http")
    async with serving(server, e2e_engine, state_dir) as bot:
        server.fail_next(MESSAGES, 500)
        first = await server.send_mention(cat, TOMAHAWK_QUESTION)
        await server.wait_until(lambda: answered(server, first), 10, "the reply after the 500")
        second = await server.send_mention(dan, TOMAHAWK_QUESTION)
        await server.wait_until(lambda: answered(server, second), 10, "the next answer")
        await server.quiet()
        bot.assert_alive()
    failed, delivered = attempts(server, first)
    assert (failed.status, delivered.status) == (500, 200)
    assert delivered.at - failed.at >= 0.99, "discord.py backs off 1 s before retrying a 500"
    assert any("has returned 500" in r.getMessage() for r in caplog.records if r.name == "discord.http")
    assert len(attempts(server, second)) == 1
    assert bot.errors == []


async def test_rest_server_error_that_is_not_retried_is_logged_apologised_for_and_survived(
        discord_server, e2e_engine, state_dir):
    server = discord_server
    eve, fay = uid(server.add_user("eve")), uid(server.add_user("fay"))
    async with serving(server, e2e_engine, state_dir) as bot:
        server.fail_next(MESSAGES, 503)  # discord.py does not retry 503: the error reaches the bot
        first = await server.send_mention(eve, TOMAHAWK_QUESTION)
        await server.wait_until(lambda: server.replies_to(first), 10, "the apology")
        second = await server.send_mention(fay, TOMAHAWK_QUESTION)
        await server.wait_until(lambda: answered(server, second), 10, "the next answer")
        await server.quiet()
        bot.assert_alive()
    failed, apology = attempts(server, first)
    assert failed.status == 503 and apology.status == 200
    assert "Sorry, something went wrong" in apology.json["content"]
    (error,) = bot.errors
    assert error.name == "bot.discord.client" and "question failed" in error.getMessage()
    assert isinstance(error.exc_info[1], discord.DiscordServerError)
    assert len(attempts(server, second)) == 1
