"""Slash-command sync: guilds independently, global only when changed, no duplicates when switching."""

from __future__ import annotations

from pathlib import Path

import discord
from discord import app_commands

from bot.discord.sync import sync_commands


class RecordingTree:
    """A real CommandTree whose ``sync`` records what Discord would end up holding (no network)."""

    def __init__(self, fail_guilds: set[int] = frozenset()) -> None:
        client = discord.Client(intents=discord.Intents.none())
        self.tree = app_commands.CommandTree(client)
        self.fail_guilds = set(fail_guilds)
        self.registered: dict[int | None, list[str]] = {}

        @self.tree.command(name="ask", description="Ask")
        async def ask(interaction: discord.Interaction) -> None: ...

        async def sync(*, guild=None):
            gid = guild.id if guild else None
            if gid in self.fail_guilds:
                raise discord.Forbidden(type("R", (), {"status": 403, "reason": "Forbidden"})(),
                                        {"code": 50001, "message": "Missing Access"})
            self.registered[gid] = [c.name for c in self.tree.get_commands(guild=guild)]
            return self.registered[gid]

        self.tree.sync = sync


async def run(rt: RecordingTree, state: Path, guilds: list[int]) -> None:
    await sync_commands(rt.tree, guild_ids=guilds, state_dir=state, application_id=1)


async def test_one_failing_guild_does_not_stop_the_others(tmp_path: Path, caplog) -> None:
    rt = RecordingTree(fail_guilds={2})
    await run(rt, tmp_path, [1, 2, 3])
    assert rt.registered == {1: ["ask"], 3: ["ask"]}
    assert any("guild 2" in r.getMessage() for r in caplog.records)


async def test_guild_to_global_leaves_no_duplicates(tmp_path: Path) -> None:
    await run(RecordingTree(), tmp_path, [1, 2])
    rt = RecordingTree()
    await run(rt, tmp_path, [])
    assert rt.registered == {None: ["ask"], 1: [], 2: []}  # the guild copies are removed
    rt = RecordingTree()
    await run(rt, tmp_path, [])
    assert rt.registered == {}  # unchanged: no global sync, nothing left to clear


async def test_global_to_guild_leaves_no_duplicates(tmp_path: Path) -> None:
    await run(RecordingTree(), tmp_path, [])
    rt = RecordingTree()
    await run(rt, tmp_path, [7])
    assert rt.registered == {7: ["ask"], None: []}
    assert [c.name for c in rt.tree.get_commands()] == ["ask"]  # the in-memory tree keeps its commands
    rt = RecordingTree()
    await run(rt, tmp_path, [7])
    assert rt.registered == {7: ["ask"]}  # the global set is already gone


def test_readme_does_not_promise_an_hour() -> None:
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "up to an hour" not in text
