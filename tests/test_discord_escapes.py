"""Questions reach the bot with terminal escape sequences and control characters (pasted from a terminal,
or typed to forge output): they are stripped before the question is searched, echoed or logged."""

from __future__ import annotations

import logging

from bot.discord.policies import extract_question
from retrieval import Engine
from tests.fakes import BOT_ID, make_interaction, sent_kwargs
from tests.test_bot_handlers import TOMAHAWK, StubEngine, cited, embed_of, make_client, mention

COLOURED = "\x1b[1;31mwhat did the US say\x1b[0m about \x1b]0;pwned\x07Tomahawk\x00 missiles?\u202e\x9b2J"


def test_extract_question_strips_sequences_and_controls():
    assert extract_question(f"<@{BOT_ID}> {COLOURED}", BOT_ID) == TOMAHAWK
    assert extract_question(f"<@{BOT_ID}> \x1b[31m\x1b[0m", BOT_ID) == ""  # nothing left: the "how to ask" notice


async def test_a_mention_with_escape_sequences_is_answered_and_echoed_without_them(seeds_engine: Engine,
                                                                                   caplog) -> None:
    client = make_client(seeds_engine)
    message = mention(COLOURED)
    with caplog.at_level(logging.DEBUG, logger="bot.discord.client"):
        await client.on_message(message)
    embed = embed_of(sent_kwargs(message.channel.send))
    assert embed["title"] == TOMAHAWK
    assert "Tomahawk" in embed["fields"][0]["value"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Tomahawk missiles" in logged and "\\x1b" not in logged and "\x1b" not in logged and "pwned" not in logged


async def test_slash_ask_and_follow_up_context_are_cleaned_too() -> None:
    engine = StubEngine(lambda q: cited("The US answered in writing.", q))
    client = make_client(engine)
    interaction = make_interaction()
    await client.tree.get_command("ask").callback(interaction, question=COLOURED, results=3)
    assert engine.questions == [TOMAHAWK]
    engine.ask = lambda question, top_k=None, more=0, context=(): engine.questions.append((question, context)) \
        or cited("NATO answered too.", question)
    await client.ask_engine("and \x1b[32mNATO?", 3, qid="q1", user="u", channel=1, command="reply",
                            context=[COLOURED])
    assert engine.questions[-1] == ("and NATO?", (TOMAHAWK,))
