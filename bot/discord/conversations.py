"""Conversations on Discord: which message is a follow-up, and its earlier questions.

A conversation is a reply chain to citebot's answers, a thread citebot started
for a question (or a post in a configured forum channel), or a DM channel.
The earlier questions come from Discord itself, so they survive a restart:
citebot's answer embeds carry the question in their title, a reply chain is
walked through ``message_reference`` (fetching what is not cached), and a
thread's or DM's history is read. A bounded in-memory registry of recent
answers saves those fetches, and is what edits and deletes are matched against.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import discord

from retrieval.conversation import MAX_PREVIOUS

log = logging.getLogger(__name__)

REGISTRY_SIZE = 5000  # answers remembered for follow-ups, edits and deletes
HISTORY_LIMIT = 50  # messages read back in a thread or DM
DM_IDLE = dt.timedelta(hours=1)  # a DM question older than this starts a new conversation
MORE_RESULTS_PREFIX = "More results: "
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


@dataclass
class AnsweredQuestion:
    """One question citebot answered, and where its answer is."""

    question_id: int  # the asker's message (the target message for "Ask citebot")
    channel_id: int
    asker_id: int
    question: str
    context: tuple[str, ...]  # the earlier questions it was asked with (oldest first)
    answer_id: int
    answer_channel_id: int
    qid: str  # the id in logs and feedback
    asked_at: float  # client clock (monotonic)
    thread_id: int | None = None  # a thread citebot created for this question
    editable: bool = True  # False for context-menu answers (the target's author did not ask)


class AnswerRegistry:
    """The most recent answers, by question message id and by answer message id (bounded)."""

    def __init__(self, capacity: int = REGISTRY_SIZE):
        self.capacity = capacity
        self._by_question: OrderedDict[int, AnsweredQuestion] = OrderedDict()
        self._by_answer: dict[int, AnsweredQuestion] = {}

    def __len__(self) -> int:
        return len(self._by_answer)

    def add(self, record: AnsweredQuestion) -> None:
        old = self._by_question.pop(record.question_id, None)
        if old is not None:
            self._by_answer.pop(old.answer_id, None)
        self._by_question[record.question_id] = record
        self._by_answer[record.answer_id] = record
        while len(self._by_question) > self.capacity:
            _, evicted = self._by_question.popitem(last=False)
            self._by_answer.pop(evicted.answer_id, None)

    def by_question(self, message_id: int) -> AnsweredQuestion | None:
        return self._by_question.get(message_id)

    def by_answer(self, message_id: int) -> AnsweredQuestion | None:
        return self._by_answer.get(message_id)

    def forget(self, record: AnsweredQuestion) -> None:
        if self._by_question.get(record.question_id) is record:
            del self._by_question[record.question_id]
        if self._by_answer.get(record.answer_id) is record:
            del self._by_answer[record.answer_id]

    def in_channel(self, channel_id: int) -> list[AnsweredQuestion]:
        """Answers posted in ``channel_id``, oldest first."""
        return [r for r in self._by_question.values() if r.answer_channel_id == channel_id]


@dataclass(frozen=True)
class Conversation:
    """Why a message is a follow-up, and the conversation's earlier questions (oldest first)."""

    kind: str  # "reply", "thread" or "dm"
    previous: tuple[str, ...]


def unescape(text: str) -> str:
    """Undo :func:`bot.discord.render.escape` (markdown backslashes, zero-width spaces)."""
    return _UNESCAPE.sub(r"\1", text).replace("\u200b", "")


def answered_question(message: Any, me_id: int) -> str | None:
    """The question a citebot answer message answers (its embed title), or None for other messages."""
    author = getattr(message, "author", None)
    if author is None or author.id != me_id:
        return None
    if getattr(message, "embeds", None):
        title = message.embeds[0].title
    else:  # a plain-text answer (no Embed Links): "**question**" on its first line
        first = (getattr(message, "content", None) or "").split("\n", 1)[0]
        title = first[2:-2] if len(first) > 4 and first.startswith("**") and first.endswith("**") else None
    if not title or title == "Sources":
        return None
    title = unescape(title)
    if title.startswith(MORE_RESULTS_PREFIX):
        title = title[len(MORE_RESULTS_PREFIX):]
    return title.strip() or None


def is_citebot_thread(channel: Any, me_id: int, forum_ids: Iterable[int]) -> bool:
    """A thread citebot created, or a post in one of the configured forum channels."""
    if not isinstance(channel, discord.Thread):
        return False
    return channel.owner_id == me_id or channel.parent_id in set(forum_ids)


def forum_post_question(message: Any, forum_ids: Iterable[int]) -> str | None:
    """For the opening message of a post in a configured forum: its title and text, else None."""
    channel = message.channel
    if not isinstance(channel, discord.Thread) or channel.parent_id not in set(forum_ids):
        return None
    if message.id != channel.id:  # the opening message has the thread's id
        return None
    parts = [channel.name or "", message.content or ""]
    return "\n".join(p.strip() for p in parts if p and p.strip())


async def _referenced(message: Any) -> Any | None:
    """The message ``message`` replies to (from the gateway payload, the cache, or a fetch)."""
    ref = message.reference
    if ref is None or ref.message_id is None:
        return None
    resolved = ref.resolved or ref.cached_message
    if isinstance(resolved, discord.Message):
        return resolved
    if isinstance(resolved, discord.DeletedReferencedMessage):
        return None
    return await _fetch(message.channel, ref.message_id)


async def _fetch(channel: Any, message_id: int) -> Any | None:
    try:
        return await channel.fetch_message(message_id)
    except discord.HTTPException as exc:  # deleted, no Read Message History…
        log.debug("could not fetch message %s for the conversation: %s", message_id, exc)
        return None


class ConversationFinder:
    """Finds whether a message continues a conversation, and with which earlier questions."""

    def __init__(self, registry: AnswerRegistry, forum_ids: Iterable[int]):
        self.registry = registry
        self.forum_ids = tuple(forum_ids)

    async def find(self, message: Any, me_id: int, forum_ids: Iterable[int] | None = None) -> Conversation | None:
        """The conversation ``message`` continues, if any (``forum_ids``: the server's, default the bot's)."""
        forum_ids = self.forum_ids if forum_ids is None else tuple(forum_ids)
        if message.reference is not None and message.reference.message_id is not None:
            known = self.registry.by_answer(message.reference.message_id)
            if known is not None:  # answered by this process: no fetch needed
                return Conversation("reply", (*known.context, known.question)[-MAX_PREVIOUS:])
            replied = await _referenced(message)
            question = answered_question(replied, me_id) if replied is not None else None
            if question is not None:
                return Conversation("reply", await self.reply_chain(replied, question, me_id))
        channel = message.channel
        if is_citebot_thread(channel, me_id, forum_ids):
            return Conversation("thread", await self.history_questions(channel, message, me_id))
        if message.guild is None:
            return Conversation("dm", await self.history_questions(channel, message, me_id, idle=DM_IDLE))
        return None

    async def reply_chain(self, answer: Any, question: str, me_id: int) -> tuple[str, ...]:
        """The questions of the chain ending with ``answer`` (oldest first, at most 3)."""
        chain = [question]
        current = answer
        while len(chain) < MAX_PREVIOUS:
            asked = await _referenced(current)  # the asker's message this answer replied to
            if asked is None:
                break
            earlier = await _referenced(asked)  # the answer that message replied to, if any
            earlier_question = answered_question(earlier, me_id) if earlier is not None else None
            if earlier_question is None:
                break
            chain.append(earlier_question)
            current = earlier
        return tuple(reversed(chain))

    async def history_questions(self, channel: Any, message: Any, me_id: int,
                                idle: dt.timedelta | None = None) -> tuple[str, ...]:
        """The last questions citebot answered in ``channel`` before ``message`` (oldest first)."""
        questions: list[str] = []
        try:
            async for earlier in channel.history(limit=HISTORY_LIMIT, before=message):
                if idle is not None and message.created_at - earlier.created_at > idle:
                    break
                question = answered_question(earlier, me_id)
                if question is not None and (not questions or questions[-1] != question):
                    questions.append(question)  # "More results" pages repeat their question
                    if len(questions) == MAX_PREVIOUS:
                        break
        except discord.HTTPException as exc:  # no Read Message History: what this process remembers
            log.debug("could not read the history of channel %s: %s", channel.id, exc)
            return tuple(r.question for r in self.registry.in_channel(channel.id))[-MAX_PREVIOUS:]
        return tuple(reversed(questions))
