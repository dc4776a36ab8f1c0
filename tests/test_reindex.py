"""/reindex for the bot's operators only (cooldown, progress), and picking up a rebuild made elsewhere."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path
from typing import Any

import discord

from bot.engine_holder import EngineHolder
from bot.discord.reindex import IndexWatcher
from retrieval import Engine, IndexStats, Settings
from tests.fakes import FakeClock, make_interaction, make_user
from tests.support import SEEDS
from tests.test_bot_handlers import TOMAHAWK, StubEngine, cited, embed_of, make_client, mention, sent_kwargs


def new_engine(documents: int = 7) -> StubEngine:
    engine = StubEngine(lambda q: cited("from the new index", question=q))
    engine.stats = IndexStats(documents=documents, paragraphs=70, vocabulary=300, rebuilt=True, seconds=0.1,
                              files=7, reused=6, parsed=1)
    return engine


def edits(interaction: Any) -> list[str]:
    return [c.kwargs["content"] for c in interaction.edit_original_response.await_args_list]


def test_reindex_is_hidden_by_default_permissions(seeds_engine: Engine) -> None:
    command = make_client(seeds_engine).tree.get_command("reindex")
    assert command.default_permissions == discord.Permissions.none()


async def test_manage_server_is_not_enough(seeds_engine: Engine) -> None:
    calls = []
    client = make_client(seeds_engine, reindex=lambda: calls.append(1), owner_ids=[5])
    interaction = make_interaction(manage_guild=True)
    await client.tree.get_command("reindex").callback(interaction)
    args, kwargs = interaction.response.send_message.await_args
    assert kwargs["ephemeral"] is True and "operators" in args[0]
    assert calls == [] and client.holder.current is seeds_engine


async def test_an_owner_reindexes_with_progress_while_questions_are_answered(seeds_engine: Engine) -> None:
    release = threading.Event()
    built = new_engine()

    def rebuild() -> Any:
        release.wait(10)
        return built

    owner = make_user()
    client = make_client(seeds_engine, reindex=rebuild, owner_ids=[owner.id])
    client.reindexer.progress_every = 0.01
    interaction = make_interaction(user=owner)
    task = asyncio.create_task(client.reindex_command(interaction))
    while not any("Still rebuilding" in e for e in edits(interaction)):
        await asyncio.sleep(0.005)
    interaction.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)

    during = mention(TOMAHAWK)  # answered by the old index while the new one builds
    await client.on_message(during)
    assert "transparency mechanism" in embed_of(sent_kwargs(during.channel.send))["fields"][0]["value"]

    release.set()
    await asyncio.wait_for(task, 10)
    assert client.holder.current is built
    final = edits(interaction)[-1]
    assert "Reindexed: 7 documents, 70 paragraphs" in final and "1 files parsed, 6 unchanged" in final
    after = mention("anything")
    await client.on_message(after)
    assert "from the new index" in embed_of(sent_kwargs(after.channel.send))["description"]


async def test_reindex_has_a_cooldown(seeds_engine: Engine) -> None:
    clock = FakeClock()
    owner = make_user()
    calls = []
    client = make_client(seeds_engine, clock=clock, reindex=lambda: calls.append(1) or new_engine(), owner_ids=[owner.id])
    await client.reindex_command(make_interaction(user=owner))
    clock.advance(60)
    again = make_interaction(user=owner)
    await client.reindex_command(again)
    assert "try again in 240 s" in again.response.send_message.await_args.args[0] and len(calls) == 1
    clock.advance(241)
    await client.reindex_command(make_interaction(user=owner))
    assert len(calls) == 2


async def test_a_rebuild_by_another_process_is_served(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SEEDS, corpus)
    first = Engine.open(corpus, index, Settings())
    holder = EngineHolder(first)
    watcher = IndexWatcher(index, lambda: Engine.open(corpus, index, Settings()), holder, interval=10)
    watcher.known = watcher.current()
    assert not await watcher.check()  # nothing changed

    (corpus / "new.md").write_text("# Zebras\n\nZebras in the Okavango delta migrate every spring.\n",
                                   encoding="utf-8")
    Engine.open(corpus, index, Settings())  # e.g. `citebot index` in another process
    assert await watcher.check()
    assert holder.current is not first and holder.current.stats.documents == first.stats.documents + 1
    assert holder.current.ask("when do zebras migrate?").answered
    assert not await watcher.check()
