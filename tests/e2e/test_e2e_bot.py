"""citebot, started exactly as ``citebot serve`` starts it (``bot.discord.serve.run_bot``), over real HTTP and a real
websocket against the loopback Discord: mentions, /ask, More results, and bad input over the wire."""

from __future__ import annotations

import pytest

from .discord_server import CB_DEFERRED_MESSAGE, CB_MESSAGE, CB_UPDATE, EPHEMERAL, FakeDiscord
from .harness import (
    TOMAHAWK_PARAGRAPH,
    TOMAHAWK_QUESTION,
    TOMAHAWK_SOURCE,
    buttons,
    embed_text,
    message_id_of,
    serving,
    unescape,
)

MESSAGES = "POST /channels/{channel_id}/messages"


def uid(user: dict) -> int:
    return int(user["id"])


def all_replies_to(server: FakeDiscord, message_id: int) -> list:
    """Every attempt (any status) to post a reply to ``message_id``."""
    return [
        r for r in server.requests
        if r.route == MESSAGES and str((r.json or {}).get("message_reference", {}).get("message_id")) == str(message_id)
    ]


def assert_no_mentions(body: dict) -> None:
    allowed = body["allowed_mentions"]
    assert allowed["parse"] == [], allowed
    assert not allowed.get("users") and not allowed.get("roles"), allowed
    assert allowed.get("replied_user", False) is False, allowed


async def test_mention_gets_exactly_one_reply_citing_the_tomahawk_paragraph(discord_server, e2e_engine, state_dir):
    server = discord_server
    alice = uid(server.add_user("alice"))
    async with serving(server, e2e_engine, state_dir) as bot:
        mid = await server.send_mention(alice, TOMAHAWK_QUESTION)
        await server.wait_until(lambda: server.replies_to(mid), 10, "the reply to the mention")
        await server.quiet()
        bot.assert_alive()

    (reply,) = all_replies_to(server, mid)
    assert reply.status == 200
    body = reply.json
    assert str(body["message_reference"]["message_id"]) == str(mid)
    assert body["message_reference"].get("fail_if_not_exists") is False
    assert_no_mentions(body)
    (embed,) = body["embeds"]
    text = unescape(embed_text(body))
    assert TOMAHAWK_PARAGRAPH in text, text
    assert TOMAHAWK_SOURCE in text or "[1]" in text
    assert "More results" in buttons(body)
    # the bot's own reply came back as MESSAGE_CREATE and was not answered: one post in total
    assert len(server.channel_posts()) == 1
    assert server.ok("POST /channels/{channel_id}/typing"), "typing indicator while answering"
    assert server.unhandled == [] and bot.errors == []


async def test_slash_ask_defers_then_answers_and_more_results_shows_page_two(discord_server, e2e_engine, state_dir):
    server = discord_server
    bob = uid(server.add_user("bob"))
    async with serving(server, e2e_engine, state_dir) as bot:
        assert {n for _, n in server.commands} >= {"ask", "sources", "reindex"}
        it = await server.send_slash(bob, "ask", {"question": TOMAHAWK_QUESTION})
        await server.wait_until(lambda: any(b.get("embeds") for b in server.interaction_messages(it)), 10,
                                "the /ask answer")
        await server.quiet()
        callback, *rest = server.interaction_requests(it)
        assert callback.route.endswith("/callback") and callback.status == 200
        assert callback.json["type"] in (CB_MESSAGE, CB_DEFERRED_MESSAGE)
        assert callback.at - it.dispatched_at < server.interaction_deadline
        (final,) = [r for r in server.interaction_requests(it) if r.json and r.json.get("embeds")]
        assert 200 <= final.status < 300
        assert_no_mentions(final.json)
        assert TOMAHAWK_PARAGRAPH in unescape(embed_text(final.json))
        page1 = embed_text(final.json)

        more = buttons(final.json)["More results"]
        answer_message = message_id_of(final) if final.response else it.original_message_id
        click = await server.click(bob, answer_message, more)
        await server.wait_until(lambda: any(b.get("embeds") for b in server.interaction_messages(click)), 10,
                                "page 2 after More results")
        await server.quiet()
        bot.assert_alive()

    click_requests = server.interaction_requests(click)
    assert click_requests[0].route.endswith("/callback") and click_requests[0].json["type"] in (CB_UPDATE, 6, 4, 5)
    (page2,) = [b for b in server.interaction_messages(click) if b.get("embeds")]
    text2 = embed_text(page2)
    assert "More results" in text2 or "of" in page2["embeds"][0].get("footer", {}).get("text", "")
    assert text2 != page1
    assert_no_mentions(page2)
    assert server.unhandled == [] and bot.errors == []


async def test_more_results_from_someone_else_is_refused_politely(discord_server, e2e_engine, state_dir):
    server = discord_server
    asker, other = uid(server.add_user("asker")), uid(server.add_user("other"))
    async with serving(server, e2e_engine, state_dir) as bot:
        mid = await server.send_mention(asker, TOMAHAWK_QUESTION)
        (reply,) = await server.wait_until(lambda: server.replies_to(mid), 10, "the reply")
        click = await server.click(other, message_id_of(reply), buttons(reply.json)["More results"])
        await server.wait_until(lambda: server.interaction_messages(click), 10, "the refusal")
        await server.quiet()
        bot.assert_alive()
    (refusal,) = server.interaction_messages(click)
    assert refusal["flags"] & EPHEMERAL and "Only the person who asked" in refusal["content"]
    assert bot.errors == []


@pytest.mark.parametrize(
    "text, expect",
    [
        ("", "Ask me a question"),
        ("why " * 1000, "characters long"),
        ("😀🎉🔥👍", "more specific"),  # no words to search: too vague
        ("<script>@everyone **bold** [x](http://e)</script>", None),
    ],
    ids=["empty-mention", "4000-chars", "emoji-only", "markup-and-everyone"],
)
async def test_bad_input_over_the_wire_gets_one_polite_reply(discord_server, e2e_engine, state_dir, text, expect):
    server = discord_server
    carol, dave = uid(server.add_user("carol")), uid(server.add_user("dave"))
    assert len(text) <= 4000
    async with serving(server, e2e_engine, state_dir) as bot:
        mid = await server.send_mention(carol, text)
        await server.wait_until(lambda: server.replies_to(mid), 10, "a reply to the bad input")
        # and the bot keeps serving
        ok = await server.send_mention(dave, TOMAHAWK_QUESTION)
        await server.wait_until(lambda: server.replies_to(ok), 10, "the next answer")
        await server.quiet()
        bot.assert_alive()
    (reply,) = all_replies_to(server, mid)
    assert reply.status == 200
    assert_no_mentions(reply.json)
    shown = embed_text(reply.json)
    if expect:
        assert expect in shown, shown
    assert "@everyone" not in shown.replace("@\u200beveryone", "")
    assert "Traceback" not in shown and "error id" not in shown
    assert TOMAHAWK_PARAGRAPH in unescape(embed_text(server.replies_to(ok)[0].json))
    assert bot.errors == [] and server.unhandled == []


async def test_slash_ask_with_a_missing_option_gets_a_polite_ephemeral_reply(discord_server, e2e_engine, state_dir):
    server = discord_server
    erin = uid(server.add_user("erin"))
    async with serving(server, e2e_engine, state_dir) as bot:
        missing = await server.send_slash(erin, "ask", {})  # the required "question" option is absent
        await server.wait_until(lambda: server.interaction_messages(missing), 10, "a reply to /ask without question")
        blank = await server.send_slash(erin, "ask", {"question": "   "})
        await server.wait_until(lambda: server.interaction_messages(blank), 10, "a reply to a blank question")
        ok = await server.send_slash(erin, "ask", {"question": TOMAHAWK_QUESTION})
        await server.wait_until(lambda: any(b.get("embeds") for b in server.interaction_messages(ok)), 10,
                                "the next answer")
        await server.quiet()
        bot.assert_alive()
    for it in (missing, blank):
        (body,) = server.interaction_messages(it)
        assert body["flags"] & EPHEMERAL, body
        assert body["content"] and "Traceback" not in body["content"]
        assert_no_mentions(body)
    assert "Ask me a question" in server.interaction_messages(blank)[0]["content"]
    assert "missing something" in server.interaction_messages(missing)[0]["content"]
    assert server.unhandled == []
