"""Rebuilding the one index every server shares: ``/reindex`` for the bot's operators, and a watcher
that serves a rebuild made by the CLI or another process (its ``CURRENT`` pointer changed).

``/reindex`` is for ``[discord] owner_ids`` only (a server's Manage Server is
not enough: the index is not the server's), hidden by default permissions,
at most once per ``owner_reindex_cooldown_seconds``, and shows its progress
by editing its private "thinking…" message.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord

from bot.discord import render
from bot.discord.views import NO_MENTIONS, say_ephemeral
from retrieval.errors import CitebotError
from retrieval.store import current_build

if TYPE_CHECKING:
    from bot.discord.client import CitebotClient

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 5.0


class IndexWatcher:
    """Swaps in the index another process built: polls the ``CURRENT`` pointer of ``index_dir``."""

    def __init__(self, index_dir: str | Path, load: Callable[[], Any], holder: Any, interval: float):
        self.index_dir = Path(index_dir)
        self.load = load  # opens the index as it is now (in an executor)
        self.holder = holder
        self.interval = interval
        self.known: str | None = None

    def current(self) -> str | None:
        """The name of the live build (None when there is none or it cannot be read)."""
        try:
            build = current_build(self.index_dir)
        except CitebotError as exc:
            log.debug("index pointer unreadable: %s", exc)
            return None
        return build.name if build is not None else None

    async def check(self) -> bool:
        """Load and swap in the live build if it changed since last time; True when swapped."""
        loop = asyncio.get_running_loop()
        name = await loop.run_in_executor(None, self.current)
        if name is None or name == self.known:
            return False
        engine = await loop.run_in_executor(None, self.load)
        self.holder.swap(engine)
        self.known = await loop.run_in_executor(None, self.current)
        log.info("index rebuilt elsewhere; now serving %s (%s documents, %s paragraphs)", self.known,
                 engine.stats.documents, engine.stats.paragraphs)
        return True

    async def run(self) -> None:
        """Check every ``interval`` seconds until cancelled (errors are logged, the old index stays)."""
        self.known = await asyncio.get_running_loop().run_in_executor(None, self.current)
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a bad build elsewhere must not stop the bot
                log.exception("could not load the index rebuilt elsewhere; the previous one stays in use")


class Reindexer:
    """``/reindex``: owners only, one at a time, with a cooldown and progress messages."""

    def __init__(self, client: CitebotClient, rebuild: Callable[[], Any] | None, *,
                 clock: Callable[[], float] = time.monotonic):
        self.client = client
        self.rebuild = rebuild
        self.clock = clock
        self.progress_every = PROGRESS_EVERY_SECONDS
        self._last: float | None = None
        self._lock = asyncio.Lock()

    async def command(self, interaction: discord.Interaction) -> None:
        cfg = self.client.config.discord
        user = self.client.hash_user(interaction.user.id)
        if interaction.user.id not in cfg.owner_ids:
            log.info("reindex refused user=%s (not in owner_ids)", user)
            await say_ephemeral(interaction, "Sorry, only the bot's operators can rebuild the index: every server "
                                             "shares it. Ask whoever runs this bot.")
            return
        if self.rebuild is None:
            await say_ephemeral(interaction, "Reindexing isn't available in this deployment.")
            return
        if self._lock.locked():
            await say_ephemeral(interaction, "A reindex is already running; questions are still being answered.")
            return
        wait = self._wait()
        if wait:
            await say_ephemeral(interaction, f"The index was rebuilt less than "
                                             f"{cfg.owner_reindex_cooldown_seconds:g} s ago; try again in {wait} s.")
            return
        async with self._lock:
            self._last = self.clock()
            await self._run(interaction, user)

    def _wait(self) -> int:
        cooldown = self.client.config.discord.owner_reindex_cooldown_seconds
        if self._last is None or cooldown <= 0:
            return 0
        left = self._last + cooldown - self.clock()
        return math.ceil(left) if left > 0 else 0

    async def _progress(self, interaction: discord.Interaction, text: str) -> None:
        try:
            await interaction.edit_original_response(content=render.notice(text), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.debug("could not show reindex progress: %s", exc)

    async def _run(self, interaction: discord.Interaction, user: str) -> None:
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            started = time.perf_counter()
            job = asyncio.get_running_loop().run_in_executor(None, self.rebuild)
            await self._progress(interaction, "Rebuilding the index… questions are still answered from the old one.")
            while True:
                done, _ = await asyncio.wait({job}, timeout=self.progress_every)
                if done:
                    break
                await self._progress(interaction, f"Still rebuilding… {time.perf_counter() - started:.0f} s so "
                                                  "far; questions are still answered from the old index.")
            engine = job.result()
            self.client.holder.swap(engine)
            watcher = getattr(self.client, "index_watcher", None)
            if watcher is not None:
                watcher.known = watcher.current()  # our own rebuild: nothing to reload
            seconds = time.perf_counter() - started
            stats = engine.stats
            log.info("reindexed user=%s documents=%s paragraphs=%s seconds=%.1f", user, stats.documents,
                     stats.paragraphs, seconds)
            await self._progress(interaction, f"Reindexed: {stats.documents} documents, {stats.paragraphs} "
                                              f"paragraphs in {seconds:.1f} s ({stats.parsed} files parsed, "
                                              f"{stats.reused} unchanged).")
        except CitebotError as exc:
            log.error("reindex failed user=%s: %s", user, exc)
            await self._progress(interaction, render.fit_plain(f"Reindex failed, the previous index stays in use: "
                                                               f"{exc}", 1900))
        except Exception:
            log.exception("reindex failed user=%s command=/reindex", user)
            await self._progress(interaction, "Sorry, something went wrong while reindexing (error id reindex). "
                                              "The previous index stays in use.")
