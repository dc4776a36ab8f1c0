"""The per-file cache: compact entries, and ``[index] file_cache = false`` to keep none."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.config import ConfigError, config_from_dict
from retrieval import Engine
from retrieval.file_cache import FileResult, _decode, _encode
from retrieval.settings import IndexSettings, Settings

from tests.test_incremental import assert_same_index, bump_mtime, corpus, write  # noqa: F401 (fixture)


def test_entries_keep_large_ids_and_frequencies_in_narrow_arrays():
    big = FileResult("T", None, None, ("a", "b"), [f"w{i}" for i in range(70_000)],
                     np.array([0, 2, 3], np.int32), np.array([3, 69_999, 65_536], np.int32),
                     np.array([1, 300, 70_000], np.int32))
    small = FileResult("T", None, None, ("a", "b"), ["x", "y"], np.array([0, 1, 2], np.int32),
                       np.array([0, 1], np.int32), np.array([1, 7], np.int32))
    for result in (big, small):
        back = _decode(_encode(result))
        for name in ("para_ptr", "ids", "tfs"):
            np.testing.assert_array_equal(getattr(back, name), getattr(result, name))
            assert getattr(back, name).dtype == np.int32
    assert len(_encode(small)) < len(_encode(FileResult(*[getattr(small, f) for f in ("title", "date", "url",
                                                         "paragraphs", "vocab", "para_ptr")],
                                                         np.array([0, 70_000], np.int32), small.tfs)))
    with pytest.raises(ValueError):
        _decode(_encode(small)[:-1])  # a truncated entry is a miss, never garbage


def test_without_file_cache_no_cache_is_kept_and_results_are_the_same(corpus, tmp_path):
    cached = Engine.open(corpus, tmp_path / "with")
    assert any((tmp_path / "with" / "cache").rglob("*.cbc"))
    off = Settings(index=IndexSettings(file_cache=False))
    plain = Engine.open(corpus, tmp_path / "without", off)
    assert not (tmp_path / "without" / "cache").exists()
    assert_same_index(cached, plain)
    # A change re-parses every file (nothing to reuse), and still no cache appears.
    victim = sorted(corpus.rglob("*.txt"))[0]
    write(corpus, str(victim.relative_to(corpus)), ["A new paragraph about zebras crossing the Geneva bridge."])
    bump_mtime(victim)
    again = Engine.open(corpus, tmp_path / "without", off)
    assert again.stats.rebuilt and again.stats.reused == 0 and again.stats.parsed == again.stats.files
    assert not (tmp_path / "without" / "cache").exists()
    assert "zebras" in again.ask("zebras crossing the bridge").citations[0].text


def test_turning_the_cache_off_deletes_the_old_one(corpus, tmp_path):
    Engine.open(corpus, tmp_path / "index")
    assert (tmp_path / "index" / "cache").is_dir()
    Engine.open(corpus, tmp_path / "index", Settings(index=IndexSettings(file_cache=False)), force=True)
    assert not (tmp_path / "index" / "cache").exists()


def test_config_key():
    assert config_from_dict({"index": {"file_cache": False}}).settings.index.file_cache is False
    assert config_from_dict({}).settings.index.file_cache is True
    with pytest.raises(ConfigError, match="file_cache"):
        config_from_dict({"index": {"file_cache": "no"}})


def test_entries_of_another_configuration_are_deleted(corpus, tmp_path):
    """Cache keys include the configuration: entries of an old one can never be read, so they go."""
    Engine.open(corpus, tmp_path / "index")
    entries = sorted((tmp_path / "index" / "cache").rglob("*.cbc"))
    assert len(entries) == 8
    other = Settings(corpus=replace(Settings().corpus, title_weight=3))
    Engine.open(corpus, tmp_path / "index", other)
    now = sorted((tmp_path / "index" / "cache").rglob("*.cbc"))
    assert len(now) == 8 and not set(now) & set(entries)
