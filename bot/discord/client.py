"""The Discord client: questions by mention, DM, ``!ask`` prefix or ``/ask``; /sources; /reindex.

Conversations (follow-ups, answer threads, forum posts, "Ask citebot", edits and
deletes) live in conversations.py, threads.py, edits.py and ask_menu.py; the
hooks here only route events to them.

Handlers are thin: find the question, apply the policies (bot/discord/policies.py),
run the retrieval core in an executor (so the gateway heartbeat never
stalls), render (bot/discord/render.py) and send with no mentions allowed.
Dependencies come in through the constructor; nothing is module-global.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Optional

import discord
from discord import app_commands

from bot.config import Config, DiscordConfig
from bot.discord import render
from bot.discord.ask_menu import MENU_NAME, ask_about_message
from bot.discord.conversations import AnsweredQuestion, AnswerRegistry, ConversationFinder, forum_post_question, \
    is_citebot_thread
from bot.discord.edits import AnswerLifecycle, RemoveAnswerButton
from bot.discord.buttons import DYNAMIC_ITEMS, AnswerButtons
from bot.discord.config_commands import build_config_group
from bot.discord.guild_settings import GuildSettings
from bot.discord.reindex import IndexWatcher, Reindexer
from bot.discord.permissions import MissingPermissionLog, ReplyPlan, plan_for_channel
from bot.discord.render_text import answer_text, no_answer_text
from bot.discord.policies import Cooldown, UserHasher, channel_allowed, extract_question, too_long
from bot.discord.sync import sync_commands
from bot.discord.threads import open_answer_thread
from bot.discord.state import AnswerRecord, StateDB
from bot.discord.views import NO_MENTIONS, PagesView, apologise_after_defer, say_ephemeral
from bot.engine_holder import EngineHolder
from bot.followup import SMALL_TALK_REPLY, following_up_on
from retrieval import is_small_talk
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


def new_question_id() -> str:
    return secrets.token_hex(4)


class CitebotClient(discord.Client):
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
    def _register_commands(self) -> None:
        @self.tree.command(name="ask", description="Ask a question; get an answer with cited excerpts from the corpus")
        @app_commands.describe(question="What you want to know", results="How many cited passages to show (1-10)")
        async def ask(interaction: discord.Interaction, question: str,
                      results: Optional[app_commands.Range[int, 1, 10]] = None) -> None:
            await self.ask_command(interaction, question, results)

        @self.tree.command(name="sources", description="List the documents citebot answers from")
        async def sources(interaction: discord.Interaction) -> None:
            await self.sources_command(interaction)

        @self.tree.command(name="reindex", description="Rebuild the search index from the corpus (bot operators)")
        @app_commands.default_permissions()  # hidden from all but server admins; the handler checks owner_ids
        async def reindex(interaction: discord.Interaction) -> None:
            await self.reindex_command(interaction)

        self.tree.add_command(build_config_group(self))

        @self.tree.context_menu(name=MENU_NAME)
        async def ask_citebot(interaction: discord.Interaction, message: discord.Message) -> None:
            await self.ask_menu_command(interaction, message)

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

    # ---------------------------------------------------------------- messages
    def question_in(self, message: discord.Message) -> tuple[str, str] | None:
        """``(question, command)`` if the message is addressed to the bot, else None."""
        me = self.user
        if me is None or message.author.bot or message.author.id == me.id:
            return None
        cfg = self.guild_config(message.guild)
        forum_question = forum_post_question(message, cfg.forum_channel_ids)
        if forum_question is not None:
            return " ".join(forum_question.replace(f"<@{me.id}>", " ").replace(f"<@!{me.id}>", " ").split()), "forum"
        prefix = cfg.prefix if cfg.message_content_intent and cfg.prefix else None
        content = message.content or ""
        command = "prefix" if prefix and content.strip().startswith(prefix) else "mention"
        if message.guild is None:
            question = extract_question(content, me.id, prefix=prefix, require_trigger=False)
            return (question or "", "dm")
        self_role = message.guild.self_role
        # a reply that pings the bot mentions it without "<@id>" in the text
        pinged = any(user.id == me.id for user in message.mentions)
        question = extract_question(content, me.id, role_ids=[self_role.id] if self_role else [], prefix=prefix,
                                    require_trigger=not pinged)
        if question is None and cfg.message_content_intent and content.strip():
            # With the intent the bot reads every message: in its threads (and forum posts) all are
            # follow-ups; elsewhere a reply is one if it replies to an answer (checked in on_message).
            if is_citebot_thread(message.channel, me.id, cfg.forum_channel_ids):
                question, command = " ".join(content.split()), "thread"
            elif message.reference is not None:
                question, command = " ".join(content.split()), "reply"
        if question is None:
            return None
        parent_id = getattr(message.channel, "parent_id", None)
        if not channel_allowed(cfg.channel_ids, message.channel.id, parent_id, cfg.muted_channel_ids) and \
                parent_id not in cfg.forum_channel_ids:
            return None
        return question, command

    def reply_plan(self, channel: Any) -> ReplyPlan:
        """What the bot may send in ``channel`` (logs, at most hourly per channel, what is missing)."""
        plan = plan_for_channel(channel)
        if plan.missing:
            self.missing_permissions.report(channel, plan)
        return plan

    def edited_question(self, message: discord.Message, *, answered: bool = False) -> str | None:
        """The question in an edited message, by the same rules as a new one (None if it is none).

        A message the bot ``answered`` stays a question even if the edit dropped the mention.
        """
        found = self.question_in(message)
        if found is not None:
            return found[0]
        if answered and self.user is not None and not message.author.bot:
            return extract_question(message.content or "", self.user.id, require_trigger=False) or None
        return None

    async def on_message(self, message: discord.Message) -> None:
        found = self.question_in(message)
        if found is None:
            return
        plan = self.reply_plan(message.channel)
        if not plan.send:
            return  # no typing, no apology: every request here would be refused (403)
        question, command = found
        qid, user = new_question_id(), self.hash_user(message.author.id)
        reference = message.to_reference(fail_if_not_exists=False) if plan.reference else None

        async def send(content: str | None = None, **kwargs: Any) -> discord.Message:
            kwargs.setdefault("allowed_mentions", NO_MENTIONS)
            if reference is not None:
                kwargs["reference"] = reference
            return await message.channel.send(content, **kwargs)

        cfg = self.guild_config(message.guild)
        cooldown = self.cooldown_for(cfg)
        try:
            if command == "dm" and not cfg.allow_dms:
                if not cooldown.hit(message.author.id):
                    await send("I only answer questions in servers.")
                return
            conversation = None if command == "forum" else await self.finder.find(
                message, self.user.id, forum_ids=cfg.forum_channel_ids)
            if command == "reply" and (conversation is None or conversation.kind != "reply"):
                return  # a reply between people, read thanks to the intent: not for the bot
            if conversation is not None and is_small_talk(question):  # "thanks!" in a conversation: no search
                if cfg.acknowledge_small_talk and not cooldown.hit(message.author.id):
                    await send(SMALL_TALK_REPLY)
                return
            notice = self._gate(question, message.author.id, limit_notices=True, cfg=cfg)
            if notice is not None:
                if notice:
                    await send(render.notice(notice))
                return
            thread = None
            if cfg.answer_in_thread and conversation is None and command in ("mention", "prefix"):
                thread = await open_answer_thread(message, question)
            # (no typing indicator in a thread just created: the answer follows at once)
            async with message.channel.typing() if thread is None else contextlib.nullcontext():
                answer = await self.ask_engine(question, cfg.results_per_page, qid=qid, user=user,
                                               channel=message.channel.id, command=command,
                                               context=conversation.previous if conversation else None)
            reply = self.answer_reply(answer, message.author.id, qid, embeds=plan.embeds,
                                      link=message.jump_url if thread else None)
            sent = await (thread.send(**reply) if thread is not None else send(**reply))
            if "view" in reply:
                reply["view"].message = sent
            self.registry.add(AnsweredQuestion(
                question_id=message.id, channel_id=message.channel.id, asker_id=message.author.id, question=question,
                context=answer.context.previous if answer.context else (), answer_id=sent.id,
                answer_channel_id=sent.channel.id, qid=qid, asked_at=self.clock(),
                thread_id=thread.id if thread is not None else None))
        except (discord.Forbidden, discord.NotFound) as exc:
            # Refused (permissions changed since the cache said yes) or gone: an apology in the same channel
            # would be refused the same way, so there is none; the refusal is logged.
            log.warning("could not answer id=%s user=%s channel=%s command=%s: %s %s (code %s)", qid, user,
                        getattr(message.channel, "id", None), command, exc.status, exc.text or "", exc.code)
        except Exception:
            log.exception("question failed id=%s user=%s channel=%s command=%s", qid, user,
                          getattr(message.channel, "id", None), command)
            await self._apologise(send, qid)

    # ------------------------------------------------------------ app commands
    async def ask_command(self, interaction: discord.Interaction, question: str, results: int | None = None) -> None:
        cfg = self.guild_config(interaction.guild)
        qid, user = new_question_id(), self.hash_user(interaction.user.id)
        deferred = False
        try:
            if interaction.guild is None and not cfg.allow_dms:
                await say_ephemeral(interaction, "I only answer questions in servers.")
                return
            if interaction.guild is not None and not channel_allowed(
                    cfg.channel_ids, interaction.channel_id, getattr(interaction.channel, "parent_id", None),
                    cfg.muted_channel_ids):
                await say_ephemeral(interaction, self._where_allowed(interaction.guild, cfg))
                return
            question = " ".join((question or "").split())
            notice = self._gate(question, interaction.user.id, cfg=cfg)
            if notice:
                await say_ephemeral(interaction, notice)
                return
            await interaction.response.defer(thinking=True)
            deferred = True
            answer = await self.ask_engine(question, results or cfg.results_per_page, qid=qid, user=user,
                                           channel=interaction.channel_id, command="/ask")
            reply = self.answer_reply(answer, interaction.user.id, qid)
            sent = await interaction.followup.send(wait=True, **reply)
            if "view" in reply:
                reply["view"].message = sent
        except Exception:
            log.exception("question failed id=%s user=%s channel=%s command=/ask", qid, user, interaction.channel_id)
            await self._apologise(functools.partial(apologise_after_defer, interaction, public_defer=deferred), qid)

    @staticmethod
    def _where_allowed(guild: discord.Guild, cfg: DiscordConfig) -> str:
        """The refusal for a channel the bot doesn't answer in, naming only this server's allowed channels."""
        here = [c for c in cfg.channel_ids if guild.get_channel_or_thread(c) is not None
                and c not in cfg.muted_channel_ids]
        if not here:
            return "I don't answer questions in this channel."
        return "I only answer questions in " + ", ".join(f"<#{c}>" for c in here) + "."

    async def ask_menu_command(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The "Ask citebot" message command (bot/discord/ask_menu.py)."""
        qid = new_question_id()
        try:
            await ask_about_message(self, interaction, message, qid)
        except Exception:
            log.exception("question failed id=%s user=%s channel=%s command=menu", qid,
                          self.hash_user(interaction.user.id), interaction.channel_id)
            await self._apologise(functools.partial(say_ephemeral, interaction), qid)

    # ------------------------------------------------------- edits and deletes
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self.lifecycle.on_edit(payload)

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        seen = [payload.message_id] if payload.cached_message is not None else []
        await self.lifecycle.on_delete([payload.message_id], payload.channel_id, seen)

    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await self.lifecycle.on_delete(sorted(payload.message_ids), payload.channel_id,
                                       [m.id for m in payload.cached_messages])

    async def sources_command(self, interaction: discord.Interaction) -> None:
        try:
            pages = render.sources_embeds(self.holder.current.documents)
            kwargs: dict[str, Any] = {"embed": render.to_embed(pages[0]), "ephemeral": True,
                                      "allowed_mentions": NO_MENTIONS}
            view = None
            if len(pages) > 1:
                view = kwargs["view"] = PagesView(pages, owner_id=interaction.user.id,
                                                  timeout=self.config.discord.view_timeout_seconds)
            await interaction.response.send_message(**kwargs)
            if view is not None:
                view.message = await interaction.original_response()
        except Exception:
            log.exception("command failed user=%s command=/sources", self.hash_user(interaction.user.id))
            await self._apologise(functools.partial(say_ephemeral, interaction), "sources")

    async def reindex_command(self, interaction: discord.Interaction) -> None:
        """/reindex (bot/discord/reindex.py): operators only, with a cooldown and progress."""
        await self.reindexer.command(interaction)

    async def _on_app_command_error(self, interaction: discord.Interaction,
                                    error: app_commands.AppCommandError) -> None:
        name = interaction.command.name if interaction.command else "?"
        if isinstance(error, (app_commands.CommandSignatureMismatch, app_commands.TransformerError)):
            # A client sent options that do not fit the command (e.g. /ask without a question).
            log.info("malformed command user=%s command=/%s: %s", self.hash_user(interaction.user.id), name, error)
            await say_ephemeral(interaction, f"That /{name} was missing something. Try, for example: "
                                               "/ask question: what did the US say about Tomahawk missiles?")
            return
        log.error("command failed user=%s command=/%s", self.hash_user(interaction.user.id), name, exc_info=error)
        await self._apologise(functools.partial(say_ephemeral, interaction), name)

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

