"""The Discord client: CitebotClient wires the handlers to discord.py's events.

The handlers live in their own modules and are mixed in: the message path (mention,
DM, ``!ask`` prefix, replies, threads, forum posts) in messages.py; /ask, /sources,
"Ask citebot" and the command tree in commands.py (/reindex and /config in
reindex.py and config_commands.py); conversations, edits and deletes in
conversations.py, threads.py, edits.py and ask_menu.py. What stays here is what
they share: the gate, running the core in an executor (so the gateway heartbeat
never stalls), the answer reply with its buttons, background tasks and timers.
Dependencies come in through the constructor; nothing is module-global.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from bot.config import Config, DiscordConfig
from bot.discord import render
from bot.discord.commands import AppCommands
from bot.discord.conversations import AnswerRegistry, ConversationFinder
from bot.discord.edits import AnswerLifecycle, RemoveAnswerButton
from bot.discord.buttons import DYNAMIC_ITEMS, AnswerButtons
from bot.discord.guild_settings import GuildSettings
from bot.discord.reindex import IndexWatcher, Reindexer
from bot.discord.messages import MessageHandling
from bot.discord.permissions import MissingPermissionLog
from bot.discord.render_text import answer_text, no_answer_text
from bot.discord.policies import Cooldown, UserHasher, too_long
from bot.discord.sync import sync_commands
from bot.discord.state import AnswerRecord, StateDB
from bot.discord.views import NO_MENTIONS
from bot.engine_holder import EngineHolder
from bot.escapes import plain_question
from bot.followup import following_up_on
from retrieval.models import Answer

__all__ = ["CitebotClient", "EngineHolder", "MORE_PAGES", "ShardedCitebotClient", "build_intents", "client_class"]

log = logging.getLogger(__name__)

MORE_PAGES = 3  # how many further pages of citations "More results" can show
NOTICE_WINDOW_SECONDS = 30.0  # a user gets at most one "how to ask"/"too long" notice per window in a channel
GREY_OUT_DAYS = 7 * 86400.0  # after a restart, answers expired longer ago than this are left as they are


def build_intents(cfg: DiscordConfig) -> discord.Intents:
    """Only what the handlers use: guilds (channels, roles and threads, for permission checks), guild and
    direct messages (mentions, DMs); message content only when the config enables the prefix command."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = cfg.message_content_intent
    return intents


class CitebotClient(MessageHandling, AppCommands, discord.Client):
    """citebot on Discord. ``reindex`` builds a fresh engine (blocking; run in an executor)."""

    def __init__(self, holder: EngineHolder, config: Config, *, reindex: Callable[[], Any] | None = None,
                 feedback: bool | None = None, hash_user: Callable[[int], str] | None = None,
                 clock: Callable[[], float] = time.monotonic, state_dir: str | Path | None = None,
                 state: StateDB | None = None, wall_clock: Callable[[], float] = time.time,
                 index_dir: str | Path | None = None, load_index: Callable[[], Any] | None = None,
                 force_sync: bool = False, **options: Any):
        cfg = config.discord
        options.setdefault("intents", build_intents(cfg))
        options.setdefault("allowed_mentions", NO_MENTIONS)
        if cfg.application_id:
            options.setdefault("application_id", cfg.application_id)
        super().__init__(**options)
        self.holder = holder
        self.config = config
        self.reindex = reindex
        self.feedback = cfg.feedback_buttons if feedback is None else bool(feedback)  # show 👍/👎
        self.hash_user = hash_user or UserHasher(secrets.token_hex(16))
        self.cooldown = Cooldown(cfg.cooldown_questions, cfg.cooldown_seconds, clock=clock)
        # Notices for empty or over-long mentions: one per user per window, further ones are dropped.
        self.notices = Cooldown(1, NOTICE_WINDOW_SECONDS, clock=clock)
        self.missing_permissions = MissingPermissionLog(clock=clock)
        self.state_dir = Path(state_dir or cfg.state_dir)
        self.state = state if state is not None else StateDB(":memory:", clock=wall_clock)
        self.answer_buttons = AnswerButtons(self.state, hash_user=self.hash_user, lifetime=cfg.view_timeout_seconds,
                                            votes=self.feedback, clock=wall_clock, keep=RemoveAnswerButton.rebuild)
        self.guild_settings = GuildSettings(self.state, cfg)  # per-server overrides of the TOML defaults
        self._cooldowns: dict[tuple[int, float], Cooldown] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self._background: set[asyncio.Task] = set()
        self.force_sync = force_sync
        self.reindexer = Reindexer(self, reindex, clock=clock)
        self.index_watcher: IndexWatcher | None = None
        if index_dir is not None and load_index is not None and cfg.index_watch_seconds > 0:
            self.index_watcher = IndexWatcher(index_dir, load_index, holder, cfg.index_watch_seconds)
        self.clock = clock
        self.registry = AnswerRegistry()
        self.finder = ConversationFinder(self.registry, cfg.forum_channel_ids)
        self.lifecycle = AnswerLifecycle(self, self.registry, clock=clock)
        self.add_dynamic_items(RemoveAnswerButton, *DYNAMIC_ITEMS)  # buttons outlive restarts
        self.tree = app_commands.CommandTree(self)
        self.tree.error(self._on_app_command_error)
        self._register_commands()

    # ------------------------------------------------------------------ setup
    def guild_config(self, guild: Any) -> DiscordConfig:
        """The ``[discord]`` settings that apply in ``guild`` (a Guild, its id, or None for DMs)."""
        guild_id = guild if isinstance(guild, int) or guild is None else guild.id
        return self.guild_settings.config_for(guild_id)

    def cooldown_for(self, cfg: DiscordConfig) -> Cooldown:
        """The cooldown for a server's settings (servers with the default settings share ``self.cooldown``)."""
        key = (cfg.cooldown_questions, cfg.cooldown_seconds)
        if key == (self.config.discord.cooldown_questions, self.config.discord.cooldown_seconds):
            return self.cooldown
        if key not in self._cooldowns:
            self._cooldowns[key] = Cooldown(*key, clock=self.clock)
        return self._cooldowns[key]

    async def setup_hook(self) -> None:
        if self.index_watcher is not None:
            self.spawn(self.index_watcher.run())
        self.schedule_stored_grey_outs()
        await self.sync_commands()

    def schedule_stored_grey_outs(self) -> int:
        """After a restart, grey out (now or when they expire) the buttons of stored answers whose timer
        was lost; only this process's servers (its shards). Returns how many were scheduled."""
        lifetime = self.config.discord.view_timeout_seconds
        now = self.answer_buttons.clock()
        count = getattr(self, "shard_count", None) or 1
        ours = set(getattr(self, "shard_ids", None) or range(count))
        scheduled = 0
        for qid, guild_id, channel_id, message_id, created in self.state.to_grey_out(now - lifetime - GREY_OUT_DAYS):
            if ((guild_id or 0) >> 22) % count not in ours:
                continue  # another process's shard
            message = self.get_partial_messageable(channel_id).get_partial_message(message_id)
            self._later(max(0.0, created + lifetime - now),
                        lambda q=qid, m=message: self.answer_buttons.grey_out_stored(q, m))
            scheduled += 1
        if scheduled:
            log.info("%d answers from before the restart will have their buttons greyed out", scheduled)
        return scheduled

    def _later(self, delay: float, make: Callable[[], Awaitable[Any]]) -> None:
        """Run ``make()`` in the background after ``delay`` seconds (cancelled on close)."""
        def fire() -> None:
            self._timers.discard(handle)
            self.spawn(make())

        handle = asyncio.get_running_loop().call_later(delay, fire)
        self._timers.add(handle)

    async def sync_commands(self) -> None:
        """Register the slash commands (see bot/discord/sync.py)."""
        await sync_commands(self.tree, guild_ids=self.config.discord.guild_ids, state_dir=self.state_dir,
                            application_id=self.application_id, force=self.force_sync)

    # -------------------------------------------------------------- questions
    def usage_hint(self) -> str:
        name = render.escape(self.user.name if self.user else "citebot")
        return (f"Ask me a question after the mention, e.g. \"@{name} what did the US say about Tomahawk "
                "missiles?\", or use `/ask`.")

    def _gate(self, question: str, user_id: int, *, limit_notices: bool = False,
              cfg: DiscordConfig | None = None) -> str | None:
        """A notice for a question that won't be answered now, "" to stay silent, or None to answer.

        With ``limit_notices`` (the mention path, where every notice is a channel message)
        a user gets at most one "how to ask"/"too long" notice per window.
        """
        cfg = cfg or self.config.discord
        notice = None
        if not question:
            notice = self.usage_hint()
        elif too_long(question, cfg.max_question_chars):
            notice = (f"That question is {len(question)} characters long; please keep it under "
                      f"{cfg.max_question_chars} characters.")
        if notice is not None:
            return "" if limit_notices and self.notices.hit(user_id) else notice
        wait = self.cooldown_for(cfg).hit(user_id)
        if wait:
            return f"One question at a time, please: you can ask again in {math.ceil(wait)} s."
        return None

    async def ask_engine(self, question: str, top_k: int | None, *, qid: str, user: str, channel: Any,
                         command: str, context: Sequence[str] | None = None) -> Answer:
        """Run the (CPU-bound) core in an executor and log one INFO line for the question.

        ``context`` holds the conversation's earlier questions (oldest first) for a follow-up.
        """
        top_k = top_k or self.config.discord.results_per_page
        engine = self.holder.current
        # Every entry point cleans its question; earlier questions come back from Discord's history too.
        question, context = plain_question(question), [plain_question(c) for c in context or ()]
        log.debug("question id=%s text=%r", qid, question)
        started = time.perf_counter()
        follow_up = {"context": tuple(context)} if context else {}
        call = functools.partial(engine.ask, question, top_k=top_k, more=top_k * MORE_PAGES, **follow_up)
        answer = await asyncio.get_running_loop().run_in_executor(None, call)
        log.info("question id=%s user=%s channel=%s command=%s latency_ms=%.0f top_score=%.3f answered=%s",
                 qid, user, channel, command, (time.perf_counter() - started) * 1000, answer.top_score,
                 answer.answered)
        return answer

    def answer_reply(self, answer: Answer, asker_id: int, qid: str, *, embeds: bool = True,
                     link: str | None = None) -> dict[str, Any]:
        """Keyword arguments for send() or edit(): the embed (or plain text without Embed Links), with
        the "following up on" line when context was used and ``link`` back to the question when
        answering in a thread; the buttons (🗑 included) when there is an answer."""
        context_line = following_up_on(answer, quote="", limit=200)
        reply: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        answered = answer.answered and bool(answer.citations)
        if answered:
            # Stored before sending, so a click (even after a restart) finds it; setting the view's
            # ``message`` once sent schedules its greying out (see _sent).
            record = self.answer_buttons.remember(answer, question_id=qid, asker_id=asker_id,
                                                  page_size=len(answer.citations), embeds=embeds)
            reply["view"] = self.answer_buttons.view(record, on_sent=self._sent)
            reply["view"].add_item(RemoveAnswerButton(asker_id))
        if not embeds:
            text = answer_text(answer) if answered else no_answer_text(answer)
            return {"content": render.with_context_text(text, context_line), **reply}
        embed = render.answer_embed(answer) if answered else render.no_answer_embed(answer)
        return {"embed": render.to_embed(render.with_context_line(embed, context_line, link)), **reply}

    def _sent(self, sent: Any, view: Any) -> None:
        """An answer with buttons went out: note where, and grey its buttons out when they expire."""
        channel = getattr(sent, "channel", None)
        channel_id = channel.id if channel is not None else None
        record: AnswerRecord = view.record
        self.state.set_message(record.question_id, channel_id, sent.id)
        # an interaction's follow-up is edited with its 15-minute token, later through the channel
        interaction_started = self.answer_buttons.clock() if isinstance(sent, discord.WebhookMessage) else None

        async def grey_out() -> None:
            channel_message = None
            if channel_id is not None:
                channel_message = self.get_partial_messageable(channel_id).get_partial_message(sent.id)
            await self.answer_buttons.grey_out(sent, view, interaction_started=interaction_started,
                                               channel_message=channel_message)

        self._later(self.config.discord.view_timeout_seconds, grey_out)

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task:
        """Run ``coro`` in the background; kept referenced until done and cancelled on close."""
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _apologise(self, send: Callable[[str], Awaitable[Any]], qid: str) -> None:
        try:
            await send(f"Sorry, something went wrong while answering that (error id {qid}). Please try again.")
        except Exception:  # noqa: BLE001 - the apology is best effort
            log.warning("could not send the apology for question %s", qid, exc_info=True)

    # ------------------------------------------------------- edits and deletes
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self.lifecycle.on_edit(payload)

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        seen = [payload.message_id] if payload.cached_message is not None else []
        await self.lifecycle.on_delete([payload.message_id], payload.channel_id, seen)

    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await self.lifecycle.on_delete(sorted(payload.message_ids), payload.channel_id,
                                       [m.id for m in payload.cached_messages])

    async def close(self) -> None:
        for handle in self._timers:
            handle.cancel()
        for task in self._background:
            task.cancel()
        await super().close()

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        log.exception("unhandled error in %s", event_method)


class ShardedCitebotClient(CitebotClient, discord.AutoShardedClient):
    """citebot over several gateway shards in one process (``[discord] shard_count``/``shard_ids``).

    Every handler is the same; discord.py routes each guild's events to its shard.
    """


def client_class(cfg: DiscordConfig) -> type[CitebotClient]:
    return ShardedCitebotClient if cfg.shard_count else CitebotClient


def shard_options(cfg: DiscordConfig) -> dict[str, Any]:
    """``shard_count``/``shard_ids`` for AutoShardedClient (nothing when unsharded)."""
    if not cfg.shard_count:
        return {}
    return {"shard_count": cfg.shard_count, "shard_ids": list(cfg.shard_ids) or None}

