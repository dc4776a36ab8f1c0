"""Shared fixtures: the repository's seeds and an engine built from them once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import Engine, Settings

from .support import SEEDS


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def seeds_engine(tmp_path_factory) -> Engine:
    """An engine over the bundled seeds with default settings."""
    return Engine.open(SEEDS, tmp_path_factory.mktemp("seeds-index"), Settings())
