"""Buttons outlive a restart: the bot process is stopped and started again (same state folder) between the
answer and the click; More results still pages, votes still count once."""

from __future__ import annotations

from bot.discord.state import StateDB, database_path

from .discord_server import CB_UPDATE, EPHEMERAL
from .harness import TOMAHAWK_QUESTION, buttons, embed_text, message_id_of, serving


async def test_more_results_and_votes_work_after_a_restart(discord_server, e2e_engine, state_dir):
    server = discord_server
    alice = int(server.add_user("alice")["id"])
    async with serving(server, e2e_engine, state_dir) as bot:
        mid = await server.send_mention(alice, TOMAHAWK_QUESTION)
        (reply,) = await server.wait_until(lambda: server.replies_to(mid), 10, "the answer")
        await server.quiet()
        bot.assert_alive()
    ids = buttons(reply.json)
    answer_id = message_id_of(reply)

    async with serving(server, e2e_engine, state_dir) as bot:  # a new process: nothing in memory
        click = await server.click(alice, answer_id, ids["More results"])
        await server.wait_until(lambda: any(b.get("embeds") for b in server.interaction_messages(click)), 10,
                                "page 2 after the restart")
        first_vote = await server.click(alice, answer_id, ids["👎"])
        await server.wait_until(lambda: server.interaction_messages(first_vote), 10, "the vote receipt")
        second_vote = await server.click(alice, answer_id, ids["👍"])
        await server.wait_until(lambda: server.interaction_messages(second_vote), 10, "the changed vote")
        await server.quiet()
        bot.assert_alive()

    callback = server.interaction_requests(click)[0]
    assert callback.status == 204 or callback.status == 200
    assert callback.json["type"] == CB_UPDATE  # the button moved on to the next page
    (page2,) = [b for b in server.interaction_messages(click) if b.get("embeds")]
    assert "results 4–6 of" in embed_text(page2) and embed_text(page2) != embed_text(reply.json)
    receipt = server.interaction_messages(second_vote)[0]
    assert receipt["flags"] & EPHEMERAL and "Your vote: 👍" in receipt["content"]
    db = StateDB(database_path(state_dir))
    qid = ids["👍"].split(":")[2]
    assert db.vote_counts(qid) == {"up": 1, "down": 0}  # two votes by one user leave one
    assert bot.errors == [] and server.unhandled == []
