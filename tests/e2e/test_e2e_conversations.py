"""Conversations over the wire: follow-ups by reply (also after a restart), answer threads, forum posts,
the "Ask citebot" message command, edits, deletes and the 🗑 button, against ``citebot serve``'s code path."""

from __future__ import annotations

from bot.discord.state import StateDB, database_path

from .discord_server import FakeDiscord
from .harness import TOMAHAWK_PARAGRAPH, buttons, embed_text, message_id_of, serving, unescape
from .test_e2e_bot import assert_no_mentions, uid

US_TOMAHAWK = "what did the US say about Tomahawk missiles?"
EL_PAIS = "El Pais"
MESSAGES = "POST /channels/{channel_id}/messages"
MESSAGE = "/channels/{channel_id}/messages/{message_id}"


def posts_in(server: FakeDiscord, channel_id: int) -> list:
    return [r for r in server.channel_posts() if int(r.params["channel_id"]) == channel_id]


async def answer_to(server: FakeDiscord, mid: int, what: str = "the answer"):
    (reply,) = await server.wait_until(lambda: server.replies_to(mid), 10, what)
    return reply


async def test_a_three_question_conversation_by_reply_chain(discord_server, e2e_engine, state_dir):
    server = discord_server
    alice = uid(server.add_user("alice"))
    async with serving(server, e2e_engine, state_dir, cooldown_seconds=0.0) as bot:
        first = await server.send_mention(alice, US_TOMAHAWK)
        answer1 = await answer_to(server, first)
        second = await server.send_reply(alice, "and NATO?", to=message_id_of(answer1))
        answer2 = await answer_to(server, second, "the follow-up")
        third = await server.send_reply(alice, "who published the documents?", to=message_id_of(answer2))
        answer3 = await answer_to(server, third, "the third answer")
        await server.quiet()
        bot.assert_alive()
    assert server.messages[second]["mentions"] and "<@" not in server.messages[second]["content"]  # a plain reply
    text1, text2, text3 = (unescape(embed_text(a.json)) for a in (answer1, answer2, answer3))
    assert "following up" not in text1 and TOMAHAWK_PARAGRAPH in text1
    embed2 = answer2.json["embeds"][0]
    assert embed2["title"] == "and NATO?"
    assert unescape(embed2["description"]).startswith(f"*following up on: {US_TOMAHAWK}*")
    first_citation = unescape(embed2["fields"][0]["value"])
    assert "Tomahawk" in first_citation and "NATO" in first_citation
    assert "following up" not in text3 and EL_PAIS in text3  # stands on its own: context not used
    for a in (answer1, answer2, answer3):
        assert_no_mentions(a.json)
    assert bot.errors == [] and server.unhandled == []


async def test_a_follow_up_to_an_answer_from_before_a_restart(discord_server, e2e_engine, state_dir):
    server = discord_server
    alice = uid(server.add_user("alice"))
    async with serving(server, e2e_engine, state_dir):
        first = await server.send_mention(alice, US_TOMAHAWK)
        answer1 = await answer_to(server, first)
        await server.quiet()
    async with serving(server, e2e_engine, state_dir) as bot:  # a new process: nothing remembered
        second = await server.send_reply(alice, "and what did NATO say?", to=message_id_of(answer1))
        answer2 = await answer_to(server, second, "the follow-up after the restart")
        await server.quiet()
        bot.assert_alive()
    assert unescape(answer2.json["embeds"][0]["description"]).startswith(f"*following up on: {US_TOMAHAWK}*")
    assert bot.errors == [] and server.unhandled == []


async def test_answer_in_thread_opens_a_thread_and_follow_ups_there_use_it(discord_server, e2e_engine, state_dir):
    server = discord_server
    alice = uid(server.add_user("alice"))
    async with serving(server, e2e_engine, state_dir, answer_in_thread=True, cooldown_seconds=0.0) as bot:
        question = await server.send_mention(alice, US_TOMAHAWK)
        (thread,) = await server.wait_until(server.threads_started, 10, "the answer thread")
        thread_id = int(thread["id"])
        (answer,) = await server.wait_until(lambda: posts_in(server, thread_id), 10, "the answer in the thread")
        follow = await server.send_mention(alice, "and NATO?", channel_id=thread_id)
        await server.wait_until(lambda: server.replies_to(follow), 10, "the follow-up in the thread")
        await server.quiet()
        bot.assert_alive()
    assert thread["name"] == US_TOMAHAWK and int(thread["parent_id"]) == server.world.channel_id
    assert not server.replies_to(question)  # nothing inline
    embed = answer.json["embeds"][0]
    assert embed["url"].endswith(f"/{server.world.channel_id}/{question}")  # links back to the question
    assert TOMAHAWK_PARAGRAPH in unescape(embed_text(answer.json))
    assert_no_mentions(answer.json)
    (follow_answer,) = server.replies_to(follow)
    assert int(follow_answer.params["channel_id"]) == thread_id
    assert "following up on" in follow_answer.json["embeds"][0]["description"]
    assert server.ok("GET /channels/{channel_id}/messages"), "the thread's history was read"
    assert bot.errors == [] and server.unhandled == []


async def test_without_thread_permission_the_answer_is_inline(discord_server, e2e_engine, state_dir):
    server = discord_server
    server.deny_threads = True
    alice = uid(server.add_user("alice"))
    async with serving(server, e2e_engine, state_dir, answer_in_thread=True) as bot:
        question = await server.send_mention(alice, US_TOMAHAWK)
        reply = await answer_to(server, question, "the inline answer")
        await server.quiet()
    assert TOMAHAWK_PARAGRAPH in unescape(embed_text(reply.json))
    assert bot.errors == []


async def test_a_forum_post_is_answered_in_its_thread_and_later_messages_follow_up(discord_server, e2e_engine,
                                                                                    state_dir):
    server = discord_server
    alice = uid(server.add_user("alice"))
    forum_id = server.ids.next()
    async with serving(server, e2e_engine, state_dir, forum_channel_ids=[forum_id], cooldown_seconds=0.0,
                       message_content_intent=True) as bot:
        await server.create_forum("help", forum_id)
        post = await server.create_forum_post(alice, forum_id, "Tomahawk missiles", "What did the US say about them?")
        (answer,) = await server.wait_until(lambda: posts_in(server, post), 10, "the answer to the post")
        later = await server.send_message(alice, "and NATO?", channel_id=post)  # no mention: the intent is on
        await server.wait_until(lambda: server.replies_to(later), 10, "the follow-up in the post")
        await server.quiet()
        bot.assert_alive()
    assert answer.json["embeds"][0]["title"] == "Tomahawk missiles What did the US say about them?"
    assert TOMAHAWK_PARAGRAPH in unescape(embed_text(answer.json))
    (follow,) = server.replies_to(later)
    assert "following up on" in follow.json["embeds"][0]["description"]
    assert bot.errors == [] and server.unhandled == []


async def test_ask_citebot_answers_another_users_message_without_pinging_them(discord_server, e2e_engine, state_dir):
    server = discord_server
    asker, helper = uid(server.add_user("asker")), uid(server.add_user("helper"))
    async with serving(server, e2e_engine, state_dir) as bot:
        target = await server.send_message(asker, US_TOMAHAWK)  # no mention, no intent: the bot can't read it
        it = await server.send_message_command(helper, "Ask citebot", target)
        await server.wait_until(lambda: any(b.get("embeds") for b in server.interaction_messages(it)), 10,
                                "the Ask citebot answer")
        await server.quiet()
        bot.assert_alive()
    assert server.command("Ask citebot")["type"] == 3
    (body,) = [b for b in server.interaction_messages(it) if b.get("embeds")]
    assert body["content"].startswith("Answering **asker**'s message: ") and str(target) in body["content"]
    assert_no_mentions(body)
    assert TOMAHAWK_PARAGRAPH in unescape(embed_text(body))
    assert not server.replies_to(target)
    assert bot.errors == [] and server.unhandled == []


async def test_deleting_a_message_answered_through_ask_citebot_deletes_the_answer(discord_server, e2e_engine,
                                                                                  state_dir):
    server = discord_server
    asker, helper = uid(server.add_user("asker")), uid(server.add_user("helper"))
    async with serving(server, e2e_engine, state_dir) as bot:
        target = await server.send_message(asker, US_TOMAHAWK + " (my token is hunter2)")
        it = await server.send_message_command(helper, "Ask citebot", target)
        (answer,) = await server.wait_until(
            lambda: [r for r in server.interaction_requests(it) if r.json and r.json.get("embeds")], 10, "the answer")
        await server.quiet()
        answer_id = int(answer.response["id"]) if answer.response else it.original_message_id
        await server.delete_message(target)
        await server.wait_until(lambda: server.ok("DELETE " + MESSAGE), 10, "the answer deleted")
        await server.quiet()
        bot.assert_alive()
    (deleted,) = server.ok("DELETE " + MESSAGE)
    assert int(deleted.params["message_id"]) == answer_id and answer_id not in server.messages
    assert bot.errors == [] and server.unhandled == []



async def edit_to_tomahawk(server, question, answer_id):
    """Edit the question into the Tomahawk question; the PATCH of its answer message."""
    await server.edit_message(question, f"<@{server.world.bot_user_id}> {US_TOMAHAWK}")
    (edit,) = await server.wait_until(
        lambda: [r for r in server.ok("PATCH " + MESSAGE) if r.params["message_id"] == str(answer_id)], 10,
        "the edited answer")
    return edit


async def test_editing_the_question_edits_the_answer(discord_server, e2e_engine, state_dir):
    server = discord_server
    alice = uid(server.add_user("alice"))
    async with serving(server, e2e_engine, state_dir) as bot:
        question = await server.send_mention(alice, "what did Putin say about Crimea?")
        answer = await answer_to(server, question)
        answer_id = message_id_of(answer)
        edit = await edit_to_tomahawk(server, question, answer_id)
        await server.quiet()
        bot.assert_alive()
    assert edit.json["embeds"][0]["title"] == US_TOMAHAWK
    assert TOMAHAWK_PARAGRAPH in unescape(embed_text(edit.json))
    assert_no_mentions(edit.json)
    assert len(server.replies_to(question)) == 1  # edited in place, not answered twice
    assert bot.errors == [] and server.unhandled == []


async def test_deleting_questions_deletes_their_answers(discord_server, e2e_engine, state_dir):
    server = discord_server
    alice, bob, carol = (uid(server.add_user(n)) for n in ("alice", "bob", "carol"))
    async with serving(server, e2e_engine, state_dir) as bot:
        one = await server.send_mention(alice, US_TOMAHAWK)
        two = await server.send_mention(bob, "who published the documents?")
        three = await server.send_mention(carol, "what did Putin say about Crimea?")
        answers = [message_id_of(await answer_to(server, m)) for m in (one, two, three)]
        await server.delete_message(one)
        await server.bulk_delete([two, three])
        deleted = await server.wait_until(
            lambda: {int(r.params["message_id"]) for r in server.ok("DELETE " + MESSAGE)} >= set(answers) or None, 10,
            "the three answers deleted")
        await server.quiet()
        bot.assert_alive()
    assert deleted
    assert not set(answers) & set(server.messages)
    assert bot.errors == [] and server.unhandled == []


async def test_the_remove_button_works_only_for_the_asker(discord_server, e2e_engine, state_dir):
    server = discord_server
    asker, other = uid(server.add_user("asker")), uid(server.add_user("other"))
    async with serving(server, e2e_engine, state_dir) as bot:
        question = await server.send_mention(asker, US_TOMAHAWK)
        answer = await answer_to(server, question)
        remove = buttons(answer.json)["🗑"]
        refused = await server.click(other, message_id_of(answer), remove)
        await server.wait_until(lambda: server.interaction_messages(refused), 10, "the refusal")
        await server.click(asker, message_id_of(answer), remove)
        await server.wait_until(lambda: server.ok("DELETE " + MESSAGE), 10, "the answer removed")
        await server.quiet()
        bot.assert_alive()
    assert "Only the person who asked" in server.interaction_messages(refused)[0]["content"]
    (deleted,) = server.ok("DELETE " + MESSAGE)
    assert int(deleted.params["message_id"]) == message_id_of(answer)
    assert bot.errors == [] and server.unhandled == []


async def test_deleting_a_question_answered_before_a_restart_deletes_the_answer(discord_server, e2e_engine,
                                                                                state_dir):
    server = discord_server
    alice, bob = uid(server.add_user("alice")), uid(server.add_user("bob"))
    async with serving(server, e2e_engine, state_dir, cooldown_seconds=0.0):
        question = await server.send_mention(alice, US_TOMAHAWK)
        answer = await answer_to(server, question)
        other = await server.send_mention(bob, "who published the documents?")
        await answer_to(server, other)
        await server.quiet()
    qid = buttons(answer.json)["More results"].split(":")[2]  # cb:more:<question id>:<shown>
    async with serving(server, e2e_engine, state_dir) as bot:  # a new process: nothing in memory
        await server.delete_message(question)
        await server.wait_until(lambda: server.ok("DELETE " + MESSAGE), 10, "the answer deleted")
        await server.quiet()
        bot.assert_alive()
    (deleted,) = server.ok("DELETE " + MESSAGE)  # that answer only, not the one to bob
    assert int(deleted.params["message_id"]) == message_id_of(answer)
    db = StateDB(database_path(state_dir))
    assert db.answer(qid).question == ""  # the stored question text is gone too
    assert bot.errors == [] and server.unhandled == []


async def test_editing_a_question_answered_before_a_restart_edits_the_answer(discord_server, e2e_engine, state_dir):
    server = discord_server
    alice = uid(server.add_user("alice"))
    async with serving(server, e2e_engine, state_dir):
        question = await server.send_mention(alice, "what did Putin say about Crimea?")
        answer_id = message_id_of(await answer_to(server, question))
        await server.quiet()
    async with serving(server, e2e_engine, state_dir) as bot:  # a new process: nothing in memory
        edit = await edit_to_tomahawk(server, question, answer_id)
        await server.quiet()
        bot.assert_alive()
    assert edit.json["embeds"][0]["title"] == US_TOMAHAWK
    assert TOMAHAWK_PARAGRAPH in unescape(embed_text(edit.json))
    assert bot.errors == [] and server.unhandled == []


async def test_a_dm_is_a_conversation(discord_server, e2e_engine, state_dir):
    server = discord_server
    alice = uid(server.add_user("alice"))
    async with serving(server, e2e_engine, state_dir, allow_dms=True, cooldown_seconds=0.0) as bot:
        dm = server.dm_channel(alice)
        await server.send_dm(alice, US_TOMAHAWK)
        await server.wait_until(lambda: len(posts_in(server, dm)) == 1, 10, "the answer in the DM")
        await server.send_dm(alice, "and NATO?")
        await server.wait_until(lambda: len(posts_in(server, dm)) == 2, 10, "the follow-up in the DM")
        await server.send_dm(alice, "thanks!")
        await server.wait_until(lambda: len(posts_in(server, dm)) == 3, 10, "the acknowledgement")
        await server.quiet()
        bot.assert_alive()
    first, second, thanks = posts_in(server, dm)
    assert TOMAHAWK_PARAGRAPH in unescape(embed_text(first.json))
    assert unescape(second.json["embeds"][0]["description"]).startswith(f"*following up on: {US_TOMAHAWK}*")
    assert thanks.json["content"].startswith("You're welcome") and not thanks.json.get("embeds")
    for post in (first, second, thanks):
        assert_no_mentions(post.json)
    assert bot.errors == [] and server.unhandled == []
