"""Fixtures for the end-to-end suite: the loopback Discord server, discord.py pointed at it, the index."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import discord
import discord.gateway
import discord.http
import pytest
import yarl

from .discord_server import FakeDiscord
from .harness import SEEDS


@pytest.fixture
async def discord_server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """A fresh loopback Discord; discord.py's REST base and default gateway point at it.

    Only two discord.py class attributes change (restored by monkeypatch); no
    citebot code is patched.
    """
    server = await FakeDiscord().start()
    monkeypatch.setattr(discord.http.Route, "BASE", server.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(scope="session")
def e2e_engine(tmp_path_factory: pytest.TempPathFactory):
    """The retrieval engine over the repository's seeds, built once per session."""
    from retrieval import Engine, Settings

    return Engine.open(SEEDS, tmp_path_factory.mktemp("e2e-index"), Settings())


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"
