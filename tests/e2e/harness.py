"""Running a discord.py client (plain, or citebot through ``bot.discord.serve.run_bot``) against the loopback server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator

import discord

from .discord_server import FakeDiscord, Recorded

REPO_ROOT = Path(__file__).resolve().parents[2]
SEEDS = REPO_ROOT / "seeds"
TOMAHAWK_SOURCE = "000_73428c9fd92591ec.txt"
TOMAHAWK_PARAGRAPH = "One of the new ideas is Russia's proposal for a \"transparency mechanism\""
TOMAHAWK_QUESTION = "what did Russia propose about Tomahawk missiles?"


async def _start(task: asyncio.Task, server: FakeDiscord, timeout: float) -> None:
    """Wait until the bot identified and got GUILD_CREATE, or raise why its task ended."""
    ready = asyncio.create_task(server.wait_ready(timeout))
    done, _ = await asyncio.wait({ready, task}, timeout=timeout + 1, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        task.result()  # re-raise why the client stopped
        raise AssertionError("the client stopped before it connected")
    if ready not in done:
        ready.cancel()
        raise AssertionError(f"the client did not connect within {timeout}s")
    ready.result()


async def _stop(client: discord.Client | None, task: asyncio.Task) -> None:
    """Close the client and wait (bounded) for its task; cancel it if it hangs."""
    if client is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.close(), 10)
    if not task.done():
        try:
            await asyncio.wait_for(task, 10)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            pass
        except Exception:  # noqa: BLE001 - reported by the caller via task.exception()
            pass


@contextlib.asynccontextmanager
async def running(client: discord.Client, server: FakeDiscord, *, start_timeout: float = 10.0) -> AsyncIterator[asyncio.Task]:
    """Run ``client.start(token)`` as a task for the duration of the block."""
    task = asyncio.create_task(client.start(server.token), name="discord-client")
    try:
        await _start(task, server, start_timeout)
        yield task
    finally:
        await _stop(client, task)


@dataclass
class Bot:
    """citebot as ``citebot serve`` runs it, connected to ``server``."""

    server: FakeDiscord
    client: Any  # bot.discord.client.CitebotClient
    task: asyncio.Task
    config: Any
    errors: list[logging.LogRecord] = field(default_factory=list)

    def assert_alive(self) -> None:
        if self.task.done():
            exc = self.task.exception() if not self.task.cancelled() else None
            raise AssertionError(f"the bot stopped: {exc!r}")


def bot_config(server: FakeDiscord, state_dir: Path, **discord_overrides: Any) -> Any:
    """The config ``citebot serve`` would read from a citebot.toml for this test guild."""
    from bot.config import config_from_dict

    discord_section = {
        "guild_ids": [server.world.guild_id],
        "state_dir": str(state_dir),
        "cooldown_questions": 1,
        "cooldown_seconds": 5.0,
    }
    discord_section.update(discord_overrides)
    return config_from_dict(
        {"corpus": {"path": str(SEEDS)}, "index": {"path": str(state_dir / "index")}, "discord": discord_section}
    )


class _ErrorCollector(logging.Handler):
    def __init__(self, sink: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record)


@contextlib.asynccontextmanager
async def serving(server: FakeDiscord, engine: Any, state_dir: Path, *, start_timeout: float = 10.0,
                  **discord_overrides: Any) -> AsyncIterator[Bot]:
    """Start citebot through ``bot.discord.serve.run_bot`` (what ``citebot serve`` runs) as a task."""
    from bot.engine_holder import EngineHolder
    from bot.discord.serve import run_bot

    config = bot_config(server, state_dir, **discord_overrides)
    clients: list[Any] = []
    errors: list[logging.LogRecord] = []
    collector = _ErrorCollector(errors)
    logging.getLogger().addHandler(collector)
    task = asyncio.create_task(
        run_bot(EngineHolder(engine), config, server.token, on_client=clients.append), name="citebot"
    )
    try:
        await _start(task, server, start_timeout)
        yield Bot(server=server, client=clients[0], task=task, config=config, errors=errors)
    finally:
        await _stop(clients[0] if clients else None, task)
        logging.getLogger().removeHandler(collector)


# ---------------------------------------------------------------------- reading what the bot sent
def embed_text(body: dict) -> str:
    """All visible text of a message body: content plus every embed's title, description, fields, footer."""
    parts = [body.get("content") or ""]
    for e in body.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or ""]
        for f in e.get("fields") or []:
            parts += [f.get("name") or "", f.get("value") or ""]
        parts.append((e.get("footer") or {}).get("text") or "")
    return "\n".join(parts)


def unescape(text: str) -> str:
    """Undo Discord markdown escaping and bold markers, to compare with corpus text."""
    return text.replace("\\", "").replace("**", "").replace("__", "")


def buttons(body: dict) -> dict[str, str]:
    """label (or emoji name) -> custom_id of the buttons in a message body."""
    out = {}
    for row in body.get("components") or []:
        for c in row.get("components") or []:
            if c.get("type") == 2:
                label = c.get("label") or (c.get("emoji") or {}).get("name") or ""
                out[label] = c.get("custom_id")
    return out


def message_id_of(rec: Recorded) -> int:
    """The id the server gave the message created by ``rec``."""
    return int(rec.response["id"])
