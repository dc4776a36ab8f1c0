"""Edits and deletes: the answer follows its question.

- The asker edits an answered question within ``edit_window_seconds``: the bot
  edits its answer (PATCH) to answer the new text, with the same context.
- The question is deleted (MESSAGE_DELETE or MESSAGE_DELETE_BULK): the bot
  deletes its answer, closes the thread it opened for it (named after the
  question), and blanks the question text in the state database (votes stay).
- The 🗑 button under an answer removes it; only the asker may use it. It is a
  :class:`discord.ui.DynamicItem` (the asker's id is in its custom id), so it
  keeps working after a restart and after the other buttons expire.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import discord

from bot.discord.buttons import QID
from bot.discord.conversations import AnsweredQuestion, AnswerRegistry, answered_question
from bot.discord.threads import in_open_thread, thread_name
from bot.discord.views import say_ephemeral
from retrieval import is_small_talk

if TYPE_CHECKING:
    from bot.discord.client import CitebotClient

log = logging.getLogger(__name__)

REMOVE_ID = "citebot:remove:"
RESTART_LOOKBACK = dt.timedelta(days=7)  # older deleted messages are not looked up after a restart
HISTORY_SCAN = 50  # messages read after a deleted question to find the bot's reply
THREAD_SCAN = 20
_QID_IN_CUSTOM_ID = re.compile(rf"cb:(?:more|vote):(?P<qid>{QID}):.*")
DELETED_THREAD_NAME = "question deleted"


class RemoveAnswerButton(discord.ui.DynamicItem[discord.ui.Button], template=r"citebot:remove:(?P<asker>[0-9]+)"):
    """🗑 under an answer: removes it, for the asker only."""

    def __init__(self, asker_id: int):
        super().__init__(discord.ui.Button(emoji="🗑", style=discord.ButtonStyle.secondary,
                                           custom_id=f"{REMOVE_ID}{asker_id}"))
        self.asker_id = asker_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any
                             ) -> RemoveAnswerButton:
        return cls(int(match["asker"]))

    @classmethod
    def rebuild(cls, custom_id: str) -> RemoveAnswerButton | None:
        """The button for ``custom_id`` if it is one (kept when the other buttons grey out)."""
        match = cls.__discord_ui_compiled_template__.fullmatch(custom_id)
        return cls(int(match["asker"])) if match else None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.asker_id:
            await say_ephemeral(interaction, "Only the person who asked can remove this answer.")
            return False
        return True

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        lifecycle = getattr(interaction.client, "lifecycle", None)
        if interaction.message is not None and lifecycle is not None:
            await lifecycle.remove_answer(interaction.message.id, interaction.message.channel.id)


class AnswerLifecycle:
    """Keeps the bot's answers in step with edits and deletions of their questions."""

    def __init__(self, client: CitebotClient, registry: AnswerRegistry, *, clock: Callable[[], float]):
        self.client = client
        self.registry = registry
        self.clock = clock

    # ----------------------------------------------------------------- edits
    async def on_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        message = payload.message
        record = self.registry.by_question(payload.message_id)
        if record is None and payload.cached_message is None:  # maybe answered before a restart
            record = await self._recover(message)
        if record is None or not record.editable:
            return
        if message.author.id != record.asker_id:
            return
        window = self.client.config.discord.edit_window_seconds
        if self.clock() - record.asked_at > window:
            log.debug("question %s edited after the %.0f s window; answer left as is", record.qid, window)
            return
        question = self.client.edited_question(message, answered=True)
        if not question or question == record.question or is_small_talk(question):
            return  # e.g. an embed unfurl (same text), or text the bot may not read (no intent)
        if len(question) > self.client.config.discord.max_question_chars:
            return
        user = self.client.hash_user(record.asker_id)
        answer = await self.client.ask_engine(question, None, qid=record.qid, user=user, channel=record.channel_id,
                                              command="edit", context=record.context)
        thread = self.client.get_channel(record.thread_id) if record.thread_id is not None else None
        reply = self.client.answer_reply(answer, record.asker_id, record.qid,
                                         embeds=self.client.reply_plan(thread or message.channel).embeds,
                                         link=message.jump_url if thread is not None else None)
        partial = self.client.get_partial_messageable(record.answer_channel_id).get_partial_message(record.answer_id)
        edited: list[Any] = []

        async def edit() -> None:
            edited.append(await partial.edit(**reply))

        if await in_open_thread(self.client, record.answer_channel_id, edit, f"editing answer {record.qid}"):
            record.question = question
            if "view" in reply and edited:
                reply["view"].message = edited[0]
            log.info("answer edited id=%s user=%s", record.qid, user)
            if isinstance(thread, discord.Thread):  # the thread is named after the question: rename it too
                try:
                    await thread.edit(name=thread_name(question))
                except discord.HTTPException as exc:
                    log.debug("could not rename thread %s: %s", thread.id, exc)

    async def _recover(self, message: discord.Message) -> AnsweredQuestion | None:
        """The answer to ``message`` from before a restart, read back from Discord (None if none).

        Only a message still addressed to the bot and young enough to be edited
        costs a request: the bot's reply right after it (or in the thread opened on it).
        """
        me = self.client.user
        window = self.client.config.discord.edit_window_seconds
        age = (discord.utils.utcnow() - message.created_at).total_seconds()
        if me is None or age > window or self.client.edited_question(message) is None:
            return None
        thread = self.client.get_channel(message.id)
        if isinstance(thread, discord.Thread) and thread.owner_id == me.id:
            found = await self._first_mine(thread, me.id, lambda m: True)
        else:
            found = await self._first_mine(message.channel, me.id, lambda m: m.reference is not None
                                           and m.reference.message_id == message.id, after=message)
        question = answered_question(found, me.id) if found is not None else None
        if found is None or question is None:
            return None
        conversation = await self.client.finder.find(message, me.id)
        record = AnsweredQuestion(
            question_id=message.id, channel_id=message.channel.id, asker_id=message.author.id, question=question,
            context=conversation.previous if conversation else (), answer_id=found.id,
            answer_channel_id=found.channel.id, qid=question_id_in(found) or secrets.token_hex(4),
            asked_at=self.clock() - age, thread_id=thread.id if isinstance(thread, discord.Thread) else None)
        self.registry.add(record)
        return record

    async def _first_mine(self, channel: Any, me_id: int, match: Callable[[Any], bool], *, after: Any = None
                          ) -> Any | None:
        try:
            async for m in channel.history(limit=THREAD_SCAN, after=after, oldest_first=True):
                if m.author.id == me_id and match(m):
                    return m
        except discord.HTTPException as exc:
            log.debug("could not read channel %s to find an earlier answer: %s", channel.id, exc)
        return None

    # --------------------------------------------------------------- deletes
    async def on_delete(self, message_ids: Iterable[int], channel_id: int | None = None,
                        seen: Iterable[int] = ()) -> None:
        """Delete the answers to the deleted messages ``message_ids`` (in ``channel_id``).

        Answers this process gave are in the registry. A deleted message this
        process never saw (``seen`` lists those it had cached) may have been
        answered before a restart: Discord is asked for the bot's replies to it.
        """
        seen, unknown = set(seen), []
        for message_id in message_ids:
            record = self.registry.by_question(message_id)
            if record is not None:
                await self._delete_answer(record)
                continue
            answer = self.registry.by_answer(message_id)
            if answer is not None:  # someone (a moderator) deleted the answer itself
                self.registry.forget(answer)
            elif message_id not in seen:
                unknown.append(message_id)
        if unknown and channel_id is not None:
            await self._delete_earlier_answers(channel_id, unknown)

    async def _delete_earlier_answers(self, channel_id: int, message_ids: list[int]) -> None:
        """The bot's replies to ``message_ids`` from before a restart: found in the channel history
        right after them (or in the thread opened on one, which has its id), deleted."""
        me = self.client.user
        now = discord.utils.utcnow()
        wanted = {m for m in message_ids if now - discord.utils.snowflake_time(m) <= RESTART_LOOKBACK}
        if me is None or not wanted:
            return
        for message_id in sorted(wanted):
            thread = self.client.get_channel(message_id)
            if isinstance(thread, discord.Thread) and thread.owner_id == me.id:
                await self._delete_mine(thread, me.id, lambda m: True, limit=THREAD_SCAN)
                await self._close_thread(thread.id)
        channel = self.client.get_channel(channel_id) or self.client.get_partial_messageable(channel_id)
        await self._delete_mine(channel, me.id, lambda m: m.reference is not None and m.reference.message_id in wanted,
                                after=discord.Object(min(wanted)), limit=HISTORY_SCAN)

    async def _delete_mine(self, channel: Any, me_id: int, match: Callable[[Any], bool], *, limit: int,
                           after: Any = None) -> None:
        """Delete the bot's messages in ``channel`` that ``match`` (and blank their questions' stored text)."""
        try:
            found = [m async for m in channel.history(limit=limit, after=after, oldest_first=after is not None)
                     if m.author.id == me_id and match(m)]
        except discord.HTTPException as exc:
            log.debug("could not read channel %s to find answers to deleted questions: %s", channel.id, exc)
            return
        for message in found:
            await in_open_thread(self.client, channel.id, message.delete, f"deleting answer {message.id}")
            qid = question_id_in(message)
            if qid is not None:
                await self._redact_feedback(qid)
            log.info("question deleted: answer %s from before a restart removed", message.id)

    async def remove_answer(self, answer_id: int, channel_id: int) -> None:
        """The 🗑 button: delete the answer message (and forget its question)."""
        record = self.registry.by_answer(answer_id)
        partial = self.client.get_partial_messageable(channel_id).get_partial_message(answer_id)
        await in_open_thread(self.client, channel_id, partial.delete, f"removing answer {answer_id}")
        if record is not None:
            self.registry.forget(record)
            if record.thread_id is not None:
                await self._close_thread(record.thread_id)
            await self._redact_feedback(record.qid)

    async def _delete_answer(self, record: AnsweredQuestion) -> None:
        self.registry.forget(record)
        partial = self.client.get_partial_messageable(record.answer_channel_id).get_partial_message(record.answer_id)
        await in_open_thread(self.client, record.answer_channel_id, partial.delete, f"deleting answer {record.qid}")
        if record.thread_id is not None:
            await self._close_thread(record.thread_id)
        await self._redact_feedback(record.qid)
        log.info("question deleted: answer removed id=%s", record.qid)

    async def _close_thread(self, thread_id: int) -> None:
        """The thread is named after the deleted question: delete it, or rename and archive it."""
        thread = self.client.get_channel(thread_id)
        if not isinstance(thread, discord.Thread):
            return
        try:
            await thread.delete()
            return
        except discord.HTTPException as exc:
            log.debug("could not delete thread %s (%s); renaming it", thread_id, exc)
        try:
            await thread.edit(name=DELETED_THREAD_NAME, archived=True)
        except discord.HTTPException as exc:
            log.debug("could not rename thread %s: %s", thread_id, exc)

    async def _redact_feedback(self, qid: str) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.client.state.redact_question, qid)
        except Exception as exc:  # noqa: BLE001 - sqlite3.Error or StateError; the answer is deleted anyway
            log.error("could not remove question %s from the state database: %s", qid, exc)


def question_id_in(message: Any) -> str | None:
    """The question id an answer message's buttons carry (``cb:more:<id>:…``, ``cb:vote:<id>:…``)."""
    for row in getattr(message, "components", None) or []:
        for item in getattr(row, "children", ()):
            match = _QID_IN_CUSTOM_ID.fullmatch(getattr(item, "custom_id", None) or "")
            if match:
                return match["qid"]
    return None
