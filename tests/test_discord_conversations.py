"""Conversations on Discord with autospecced fakes: follow-ups, small talk, threads, forums, Ask citebot,
edits, deletes and the 🗑 button."""

from __future__ import annotations

import datetime as dt
from typing import Any

import discord
import pytest

from bot.discord.conversations import AnswerRegistry, answered_question, unescape
from bot.discord.edits import RemoveAnswerButton
from bot.discord.threads import in_open_thread, thread_name
from retrieval import Engine
from tests.fakes import BOT_ID, FakeClock, make_channel, make_guild, make_interaction, make_message, make_user, \
    sent_kwargs
from tests.fakes_conversations import NOW, PartialChannels, history_of, make_answer, make_reply, make_thread, \
    raw_update, set_permissions
from tests.test_bot_handlers import assert_no_pings, embed_of, make_client, mention

US_TOMAHAWK = "what did the US say about Tomahawk missiles?"
TRANSPARENCY = "transparency mechanism"  # the paragraph on Tomahawk missiles at NATO bases
PUTIN_CRIMEA = "Putin said that Ukraine"  # what "and NATO?" finds on its own


@pytest.fixture
def engine(seeds_engine: Engine) -> Engine:
    return seeds_engine


def first_field(kwargs: dict) -> str:
    return embed_of(kwargs)["fields"][0]["value"].replace("\\", "")


# ------------------------------------------------------------------ what is a follow-up
async def test_a_reply_to_an_answer_is_a_follow_up_with_its_question_as_context(engine):
    client = make_client(engine)
    channel = make_channel(guild=make_guild())
    answer = make_answer(US_TOMAHAWK, channel)
    reply = make_reply(f"<@{BOT_ID}> and what did NATO say?", answer)
    await client.on_message(reply)
    kwargs = sent_kwargs(channel.send)
    assert_no_pings(kwargs)
    embed = embed_of(kwargs)
    assert embed["title"] == "and what did NATO say?"
    assert embed["description"].startswith(f"*following up on: {discord.utils.escape_markdown(US_TOMAHAWK)}*")
    assert TRANSPARENCY in first_field(kwargs) and "NATO" in first_field(kwargs)


async def test_the_same_words_without_a_conversation_search_alone(engine):
    client = make_client(engine)
    message = mention("and what did NATO say?")
    await client.on_message(message)
    embed = embed_of(sent_kwargs(message.channel.send))
    assert "following up" not in embed["description"]
    assert TRANSPARENCY not in embed["fields"][0]["value"]


async def test_a_reply_chain_is_read_back_from_discord_after_a_restart(engine):
    client = make_client(engine)  # a fresh process: nothing in its registry
    channel = make_channel(guild=make_guild())
    first_question = make_message(f"<@{BOT_ID}> {US_TOMAHAWK}", channel=channel)
    first_answer = make_answer(US_TOMAHAWK, channel, replying_to=first_question)
    second_question = make_reply(f"<@{BOT_ID}> and NATO?", first_answer)
    second_answer = make_answer("and NATO?", channel, replying_to=second_question)
    # Discord resolves only the directly replied-to message; the rest must be fetched.
    first_answer.reference.resolved = None
    second_question.reference.resolved = None
    second_answer.reference.resolved = None
    fetched = {m.id: m for m in (first_question, first_answer, second_question)}
    channel.fetch_message.side_effect = lambda mid: fetched[mid]
    third = make_reply(f"<@{BOT_ID}> and who leaked them?", second_answer)
    await client.on_message(third)
    description = embed_of(sent_kwargs(channel.send))["description"]
    assert description.startswith("*following up on: and NATO? ← ")
    assert client.registry.by_question(third.id).context == (US_TOMAHAWK, "and NATO?")


async def test_a_reply_to_an_answer_the_bot_gave_in_this_process_needs_no_fetch(engine):
    client = make_client(engine)
    question = mention(US_TOMAHAWK)
    await client.on_message(question)
    sent = question.channel.send.side_effect  # answers are fake messages with ids; make the real one
    record = client.registry.by_question(question.id)
    answer = make_answer(US_TOMAHAWK, question.channel)
    answer.id = record.answer_id
    answer.embeds = []  # even without the embed, the registry knows the question
    follow_up = make_reply(f"<@{BOT_ID}> and NATO?", answer)
    question.channel.send.reset_mock()
    question.channel.send.side_effect = sent
    await client.on_message(follow_up)
    assert client.registry.by_question(follow_up.id).context == (US_TOMAHAWK,)
    question.channel.fetch_message.assert_not_called()


async def test_a_reply_to_someone_else_is_not_a_follow_up(engine):
    client = make_client(engine)
    channel = make_channel(guild=make_guild())
    other = make_message("I think it was about missiles", channel=channel)
    other.embeds = []
    reply = make_reply(f"<@{BOT_ID}> and what did NATO say?", other, ping=False)
    reply.mentions = [client.user]
    await client.on_message(reply)
    assert "following up" not in embed_of(sent_kwargs(channel.send))["description"]


async def test_with_the_intent_a_reply_without_ping_to_an_answer_is_a_follow_up_but_chat_is_ignored(engine):
    client = make_client(engine, message_content_intent=True)
    channel = make_channel(guild=make_guild())
    answer = make_answer(US_TOMAHAWK, channel)
    await client.on_message(make_reply("and NATO?", answer, ping=False))
    assert "following up on" in embed_of(sent_kwargs(channel.send))["description"]
    channel.send.reset_mock()
    person = make_message("what did you mean?", channel=channel)
    person.embeds = []
    await client.on_message(make_reply("no idea, sorry", person, ping=False))
    channel.send.assert_not_called()


async def test_a_mention_in_a_citebot_thread_follows_up_on_the_thread_questions(engine):
    client = make_client(engine)
    thread = make_thread()
    history_of(thread, [make_answer(US_TOMAHAWK, thread)])
    message = mention("and what did NATO say?", channel=thread, guild=thread.guild)
    message.created_at = NOW
    await client.on_message(message)
    kwargs = sent_kwargs(thread.send)
    assert "following up on" in embed_of(kwargs)["description"] and TRANSPARENCY in first_field(kwargs)


async def test_any_message_in_a_citebot_thread_needs_the_message_content_intent(engine):
    thread = make_thread()
    history_of(thread, [make_answer(US_TOMAHAWK, thread)])
    message = make_message("and what did NATO say?", channel=thread, guild=thread.guild)
    message.created_at = NOW
    await make_client(engine).on_message(message)
    thread.send.assert_not_called()  # without the intent Discord would not even deliver the text
    await make_client(engine, message_content_intent=True).on_message(message)
    assert TRANSPARENCY in first_field(sent_kwargs(thread.send))


async def test_someone_elses_thread_is_not_a_conversation(engine):
    client = make_client(engine, message_content_intent=True)
    thread = make_thread(owner_id=12345)
    message = make_message("and what did NATO say?", channel=thread, guild=thread.guild)
    await client.on_message(message)
    thread.send.assert_not_called()


async def test_a_dm_is_a_conversation_but_an_old_question_is_forgotten(engine):
    client = make_client(engine, allow_dms=True)
    dm = make_channel(dm=True)
    message = make_message("and what did NATO say?", channel=dm, guild=None)
    message.created_at = NOW
    history_of(dm, [make_answer(US_TOMAHAWK, dm, created_at=NOW - dt.timedelta(minutes=5))])
    await client.on_message(message)
    assert "following up on" in embed_of(sent_kwargs(dm.send))["description"]

    dm.send.reset_mock()
    history_of(dm, [make_answer(US_TOMAHAWK, dm, created_at=NOW - dt.timedelta(hours=3))])
    message = make_message("and what did NATO say?", channel=dm, guild=None)
    message.created_at = NOW
    await make_client(engine, allow_dms=True).on_message(message)
    assert "following up on" not in embed_of(sent_kwargs(dm.send))["description"]


async def test_history_that_cannot_be_read_falls_back_to_what_the_bot_remembers(engine):
    client = make_client(engine, message_content_intent=True)
    thread = make_thread()
    thread.history.side_effect = discord.Forbidden(_response(403), "Missing Access")
    first = make_message(US_TOMAHAWK, channel=thread, guild=thread.guild)
    await client.on_message(first)
    thread.send.reset_mock()
    client.cooldown.per = 0
    second = make_message("and what did NATO say?", channel=thread, guild=thread.guild)
    await client.on_message(second)
    assert "following up on" in embed_of(sent_kwargs(thread.send))["description"]


# ------------------------------------------------------------------ small talk
@pytest.mark.parametrize("acknowledge", [True, False])
async def test_small_talk_gets_a_short_acknowledgement_or_nothing_never_a_search(acknowledge):
    class NoSearch:
        documents: list = []

        def ask(self, *args: Any, **kwargs: Any) -> Any:
            raise AssertionError("small talk must not be searched")

    client = make_client(NoSearch(), acknowledge_small_talk=acknowledge)
    channel = make_channel(guild=make_guild())
    await client.on_message(make_reply(f"<@{BOT_ID}> thanks! 👍", make_answer(US_TOMAHAWK, channel)))
    if acknowledge:
        kwargs = sent_kwargs(channel.send)
        assert kwargs["content"].startswith("You're welcome") and "embed" not in kwargs
        assert_no_pings(kwargs)
    else:
        channel.send.assert_not_called()


# ------------------------------------------------------------------ threads and forums
async def test_answer_in_thread_opens_a_thread_named_after_the_question_and_links_back(engine):
    client = make_client(engine, answer_in_thread=True)
    message = mention(US_TOMAHAWK)
    set_permissions(message.channel, create_public_threads=True, send_messages_in_threads=True)
    thread = make_thread()
    message.create_thread.return_value = thread
    message.jump_url = "https://discord.com/channels/1/2/3"
    await client.on_message(message)
    message.create_thread.assert_awaited_once()
    assert message.create_thread.await_args.kwargs["name"] == US_TOMAHAWK
    message.channel.send.assert_not_called()
    kwargs = sent_kwargs(thread.send)
    assert_no_pings(kwargs)
    assert embed_of(kwargs)["url"] == message.jump_url
    assert client.registry.by_question(message.id).thread_id == thread.id


async def test_without_the_permission_to_create_threads_the_answer_is_inline(engine):
    client = make_client(engine, answer_in_thread=True)
    message = mention(US_TOMAHAWK)
    set_permissions(message.channel, send_messages=True)
    await client.on_message(message)
    message.create_thread.assert_not_called()
    assert "url" not in embed_of(sent_kwargs(message.channel.send))


async def test_when_discord_refuses_the_thread_the_answer_is_inline(engine):
    client = make_client(engine, answer_in_thread=True)
    message = mention(US_TOMAHAWK)
    set_permissions(message.channel, create_public_threads=True, send_messages_in_threads=True)
    message.create_thread.side_effect = discord.Forbidden(_response(403), "Missing Permissions")
    await client.on_message(message)
    inline = sent_kwargs(message.channel.send)  # exactly one send, in the channel itself
    assert inline["embed"].title == US_TOMAHAWK


def test_thread_names_fit_discords_limit():
    assert thread_name("x " * 200).endswith("…") and len(thread_name("x " * 200)) <= 100
    assert thread_name("   ") == "question"


async def test_a_locked_thread_gets_no_reply(engine):
    client = make_client(engine)
    thread = make_thread(locked=True)
    set_permissions(thread, send_messages_in_threads=True)
    await client.on_message(mention(US_TOMAHAWK, channel=thread, guild=thread.guild))
    thread.send.assert_not_called()


async def test_a_forum_post_is_answered_from_its_title_and_opening_message(engine):
    forum_id = 700_000_000_000_000_077
    client = make_client(engine, forum_channel_ids=[forum_id])
    post = make_thread(owner_id=4242, parent_id=forum_id, name="Tomahawk missiles")
    opening = make_message("what did the US say about them?", channel=post, guild=post.guild)
    opening.id = post.id  # the opening message has the thread's id
    await client.on_message(opening)
    kwargs = sent_kwargs(post.send)
    embed = embed_of(kwargs)
    assert embed["title"] == "Tomahawk missiles what did the US say about them?"
    assert TRANSPARENCY in first_field(kwargs)

    post.send.reset_mock()
    history_of(post, [make_answer(embed["title"], post)])
    client.cooldown.per = 0
    later = mention("and NATO?", channel=post, guild=post.guild)
    later.created_at = NOW
    await client.on_message(later)
    assert "following up on" in embed_of(sent_kwargs(post.send))["description"]


# ------------------------------------------------------------------ Ask citebot
async def test_ask_citebot_answers_someone_elses_message_naming_them_without_a_ping(engine):
    client = make_client(engine)
    helper = make_user(name="helper")
    asker = make_user(name="@everyone")
    asker.display_name = "@everyone"
    target = make_message(US_TOMAHAWK, author=asker)
    target.jump_url = "https://discord.com/channels/1/2/3"
    interaction = make_interaction(user=helper)
    await client.ask_menu_command(interaction, target)
    interaction.response.defer.assert_awaited_once()
    kwargs = sent_kwargs(interaction.followup.send)
    assert_no_pings(kwargs)
    assert kwargs["content"] == "Answering **@\u200beveryone**'s message: https://discord.com/channels/1/2/3"
    assert TRANSPARENCY in first_field(kwargs)
    record = client.registry.by_question(target.id)
    assert record.asker_id == asker.id and not record.editable


async def test_ask_citebot_on_a_message_without_text_says_so(engine):
    client = make_client(engine)
    interaction = make_interaction()
    await client.ask_menu_command(interaction, make_message(""))
    kwargs = sent_kwargs(interaction.response.send_message)
    assert kwargs["ephemeral"] and "no text" in kwargs["content"]


# ------------------------------------------------------------------ edits and deletes
async def asked_and_answered(client: Any, text: str = US_TOMAHAWK) -> tuple[Any, Any]:
    message = mention(text)
    await client.on_message(message)
    client.get_partial_messageable = PartialChannels()
    return message, client.registry.by_question(message.id)


async def test_an_edit_within_the_window_edits_the_answer(engine):
    clock = FakeClock()
    client = make_client(engine, clock=clock)
    message, record = await asked_and_answered(client)
    clock.advance(599)
    message.content = f"<@{BOT_ID}> what did Putin say about Crimea?"
    await client.on_raw_message_edit(raw_update(message))
    edit = client.get_partial_messageable.message(record.answer_channel_id, record.answer_id).edit
    edit.assert_awaited_once()
    kwargs = edit.await_args.kwargs
    assert_no_pings(kwargs)
    assert embed_of(kwargs)["title"] == "what did Putin say about Crimea?"
    assert "Crimea" in embed_of(kwargs)["fields"][0]["value"]
    assert record.question == "what did Putin say about Crimea?"


@pytest.mark.parametrize("change", ["late", "other author", "same text", "text unreadable", "small talk"])
async def test_edits_that_do_not_change_the_question_leave_the_answer(engine, change):
    clock = FakeClock()
    client = make_client(engine, clock=clock)
    message, record = await asked_and_answered(client)
    if change == "late":
        clock.advance(601)
        message.content = f"<@{BOT_ID}> what did Putin say about Crimea?"
    elif change == "other author":
        message.author = make_user()
        message.content = f"<@{BOT_ID}> what did Putin say about Crimea?"
    elif change == "text unreadable":  # without the intent Discord blanks a message that no longer pings
        message.content = ""
        message.mentions = []
    elif change == "small talk":
        message.content = f"<@{BOT_ID}> thanks"
    await client.on_raw_message_edit(raw_update(message))
    assert client.get_partial_messageable.messages == {}


async def test_deleting_the_question_deletes_the_answer_and_its_feedback_text(engine, tmp_path):
    client = make_client(engine)
    message, record = await asked_and_answered(client)
    client.state.set_vote(record.qid, "u", "up", ["a#1"])
    payload = discord.RawMessageDeleteEvent({"id": str(message.id), "channel_id": str(message.channel.id)})
    await client.on_raw_message_delete(payload)
    client.get_partial_messageable.message(record.answer_channel_id, record.answer_id).delete.assert_awaited_once()
    stored = client.state.answer(record.qid)
    assert stored.question == "" and stored.answer is None  # the question's text is gone from the database
    assert client.state.vote_counts(record.qid) == {"up": 1, "down": 0}  # the vote stays
    assert client.registry.by_question(message.id) is None


async def test_a_bulk_delete_deletes_every_answered_question_s_answer(engine):
    client = make_client(engine)
    client.cooldown.per = 0
    first, one = await asked_and_answered(client)
    partials = client.get_partial_messageable
    second, two = await asked_and_answered(client, "who published the documents?")
    client.get_partial_messageable = partials
    payload = discord.RawBulkMessageDeleteEvent({"ids": [str(first.id), str(second.id), "42"],
                                                 "channel_id": str(first.channel.id)})
    await client.on_raw_bulk_message_delete(payload)
    for record in (one, two):
        partials.message(record.answer_channel_id, record.answer_id).delete.assert_awaited_once()


async def test_deleting_a_question_answered_in_a_thread_closes_that_thread(engine):
    client = make_client(engine, answer_in_thread=True)
    message = mention(US_TOMAHAWK)
    set_permissions(message.channel, create_public_threads=True, send_messages_in_threads=True)
    thread = message.create_thread.return_value = make_thread()
    await client.on_message(message)
    client.get_partial_messageable = PartialChannels()
    client.get_channel = lambda cid: thread if cid == thread.id else None
    thread.delete.side_effect = discord.Forbidden(_response(403), "Missing Permissions")
    await client.lifecycle.on_delete([message.id])
    thread.edit.assert_awaited_once_with(name="question deleted", archived=True)


async def test_the_remove_button_works_only_for_the_asker(engine):
    client = make_client(engine)
    message = mention(US_TOMAHAWK)
    await client.on_message(message)
    view = sent_kwargs(message.channel.send)["view"]
    (button,) = [i for i in view.children if isinstance(i, RemoveAnswerButton)]
    record = client.registry.by_question(message.id)
    client.get_partial_messageable = PartialChannels()
    stranger = make_interaction(user=make_user())
    assert not await button.interaction_check(stranger)
    assert "Only the person who asked" in sent_kwargs(stranger.response.send_message)["content"]
    owner = make_interaction(user=message.author)
    owner.client = client
    owner.message = make_message("", channel=message.channel)
    owner.message.id = record.answer_id
    assert await button.interaction_check(owner)
    await button.callback(owner)
    client.get_partial_messageable.message(message.channel.id, record.answer_id).delete.assert_awaited_once()
    assert client.registry.by_answer(record.answer_id) is None


async def test_the_remove_button_survives_a_restart_and_expiry(engine):
    match = RemoveAnswerButton.__discord_ui_compiled_template__.fullmatch(f"citebot:remove:{BOT_ID + 1}")
    button = await RemoveAnswerButton.from_custom_id(make_interaction(), None, match)
    assert button.asker_id == BOT_ID + 1
    view = discord.ui.View()
    view.add_item(button)
    for item in view.children:
        item.disabled = True  # what the answer view does when its other buttons expire
    assert view.to_components()[0]["components"][0].get("disabled") is not True


async def test_an_edit_in_an_archived_thread_reopens_a_thread_the_bot_owns(engine):
    client = make_client(engine)
    thread = make_thread(archived=True)
    client.get_channel = lambda cid: thread
    calls = []

    async def edit() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise discord.HTTPException(_response(400), {"code": 50083, "message": "Thread is archived"})

    assert await in_open_thread(client, thread.id, edit, "test")
    thread.edit.assert_awaited_once_with(archived=False)
    assert len(calls) == 2
    someone_elses = make_thread(owner_id=5, archived=True, locked=True)
    set_permissions(someone_elses)
    client.get_channel = lambda cid: someone_elses
    calls.clear()
    assert not await in_open_thread(client, someone_elses.id, edit, "test")
    someone_elses.edit.assert_not_called()


# ------------------------------------------------------------------ pure pieces
def test_the_question_is_read_back_from_an_answer_title():
    channel = make_channel()
    assert answered_question(make_answer("what about *this* & <@1> @everyone?", channel), BOT_ID) == \
        "what about *this* & <@1> @everyone?"
    more = make_answer("x", channel)
    more.embeds = [discord.Embed(title="More results: and NATO?")]
    assert answered_question(more, BOT_ID) == "and NATO?"
    human = make_message("hi")
    human.embeds = [discord.Embed(title="not citebot")]
    assert answered_question(human, BOT_ID) is None
    assert unescape("a\\_b\\*") == "a_b*"
    plain = make_answer("x", channel)  # an answer sent as text (no Embed Links): "**question**" first
    plain.embeds = []
    plain.content = "**who published the \\*documents\\*?**\nThe newspaper published… [1]"
    assert answered_question(plain, BOT_ID) == "who published the *documents*?"


def test_the_registry_is_bounded():
    from bot.discord.conversations import AnsweredQuestion

    registry = AnswerRegistry(capacity=2)
    records = [AnsweredQuestion(i, 1, 1, f"q{i}", (), 100 + i, 1, f"id{i}", 0.0) for i in range(3)]
    for r in records:
        registry.add(r)
    assert len(registry) == 2 and registry.by_question(0) is None and registry.by_answer(100) is None
    assert registry.by_answer(102) is records[2]


def _response(status: int) -> Any:
    class Response:
        reason = "test"

    response = Response()
    response.status = status
    return response


async def test_a_deleted_message_the_bot_saw_and_did_not_answer_costs_no_request(engine):
    client = make_client(engine)
    channel = make_channel(guild=make_guild())
    client.get_channel = lambda cid: channel if cid == channel.id else None
    recent = discord.utils.time_snowflake(discord.utils.utcnow())
    await client.lifecycle.on_delete([recent], channel.id, seen=[recent])  # cached, not in the registry
    await client.lifecycle.on_delete([42], channel.id)  # from 2015: too old to look up
    channel.history.assert_not_called()
    await client.lifecycle.on_delete([recent], channel.id)  # unseen (e.g. before a restart): look it up
    channel.history.assert_called_once()


async def test_editing_a_question_answered_in_a_thread_renames_the_thread(engine):
    client = make_client(engine, answer_in_thread=True)
    message = mention(US_TOMAHAWK)
    set_permissions(message.channel, create_public_threads=True, send_messages_in_threads=True)
    thread = message.create_thread.return_value = make_thread()
    message.jump_url = "https://discord.com/channels/1/2/3"
    await client.on_message(message)
    record = client.registry.by_question(message.id)
    client.get_partial_messageable = PartialChannels()
    client.get_channel = lambda cid: thread if cid == thread.id else None
    message.content = f"<@{BOT_ID}> who published the documents?"
    await client.on_raw_message_edit(raw_update(message))
    edit = client.get_partial_messageable.message(thread.id, record.answer_id).edit
    assert embed_of(edit.await_args.kwargs)["url"] == message.jump_url
    thread.edit.assert_awaited_once_with(name="who published the documents?")


async def test_an_edit_that_drops_the_mention_still_re_answers(engine):
    client = make_client(engine, message_content_intent=True)
    message, record = await asked_and_answered(client)
    message.content = "what did Putin say about Crimea?"
    message.mentions = []
    await client.on_raw_message_edit(raw_update(message))
    edit = client.get_partial_messageable.message(record.answer_channel_id, record.answer_id).edit
    assert embed_of(edit.await_args.kwargs)["title"] == "what did Putin say about Crimea?"
