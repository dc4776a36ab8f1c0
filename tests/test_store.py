"""Persistence: the index is reused when nothing changed, rebuilt otherwise, never half-written."""

from __future__ import annotations

import json
import logging
import os
import shutil

import pytest

from retrieval import BM25Settings, Engine, Settings

from .support import EXAMPLE_QUESTION, SEEDS, TOMAHAWK_SOURCE


@pytest.fixture()
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(SEEDS, folder)
    return folder


def test_reused_when_nothing_changed(corpus, tmp_path):
    first = Engine.open(corpus, tmp_path / "idx")
    second = Engine.open(corpus, tmp_path / "idx")
    assert first.stats.rebuilt and not second.stats.rebuilt
    assert second.ask(EXAMPLE_QUESTION).to_json() == first.ask(EXAMPLE_QUESTION).to_json()


def test_no_pickle_anywhere(corpus, tmp_path):
    engine = Engine.open(corpus, tmp_path / "idx")
    for path in engine.index.folder.rglob("*.npy"):
        with open(path, "rb") as fh:
            header = fh.read(128)
        assert b"'O'" not in header and b"|O" not in header, path  # no object arrays


def test_rebuilt_when_a_file_changes_is_added_or_removed(corpus, tmp_path):
    Engine.open(corpus, tmp_path / "idx")
    (corpus / "extra.txt").write_text("Zanzibar harbour officials announced a new ferry line.", encoding="utf-8")
    engine = Engine.open(corpus, tmp_path / "idx")
    assert engine.stats.rebuilt and engine.ask("Zanzibar ferry").citations[0].source == "extra.txt"
    (corpus / "extra.txt").write_text("Zanzibar is now about spice markets instead.", encoding="utf-8")
    engine = Engine.open(corpus, tmp_path / "idx")
    assert engine.stats.rebuilt and "spice" in engine.ask("Zanzibar spice markets").citations[0].text
    assert not engine.ask("ferry line").answered
    (corpus / "extra.txt").unlink()
    engine = Engine.open(corpus, tmp_path / "idx")
    assert engine.stats.rebuilt and not engine.ask("Zanzibar spice markets").answered


def test_rebuilt_when_parameters_change(corpus, tmp_path):
    Engine.open(corpus, tmp_path / "idx")
    changed = Engine.open(corpus, tmp_path / "idx", Settings(bm25=BM25Settings(k1=1.2)))
    assert changed.stats.rebuilt


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete", "current"])
def test_corrupt_index_is_detected_and_rebuilt(corpus, tmp_path, caplog, damage):
    engine = Engine.open(corpus, tmp_path / "idx")
    build = engine.index.folder
    del engine
    target = build / "post_lo.npy"
    if damage == "truncate":
        with open(target, "r+b") as fh:
            fh.truncate(os.path.getsize(target) // 2)
    elif damage == "garbage":
        target.write_bytes(b"not an array at all" * 10)
    elif damage == "delete":
        (build / "meta.json").unlink()
    else:
        (tmp_path / "idx" / "CURRENT").write_text("../../etc", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        rebuilt = Engine.open(corpus, tmp_path / "idx")
    assert rebuilt.stats.rebuilt
    assert "rebuilding" in caplog.text
    assert rebuilt.ask(EXAMPLE_QUESTION).citations[0].source == TOMAHAWK_SOURCE


def test_index_from_an_older_format_is_rebuilt(corpus, tmp_path, caplog):
    engine = Engine.open(corpus, tmp_path / "idx")
    meta_path = engine.index.folder / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["format"] = 1  # before impact.npy existed
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    del engine
    with caplog.at_level(logging.WARNING):
        rebuilt = Engine.open(corpus, tmp_path / "idx")
    assert rebuilt.stats.rebuilt
    assert "written in another format" in caplog.text and "rebuilding" in caplog.text
    assert rebuilt.ask(EXAMPLE_QUESTION).citations[0].source == TOMAHAWK_SOURCE


def test_failed_build_leaves_previous_index_live(corpus, tmp_path, monkeypatch):
    Engine.open(corpus, tmp_path / "idx")
    (corpus / "extra.txt").write_text("Brand new paragraph about lighthouses.", encoding="utf-8")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # as if the user hit Ctrl-C mid-write

    monkeypatch.setattr("numpy.save", crash)
    with pytest.raises(KeyboardInterrupt):
        Engine.open(corpus, tmp_path / "idx")
    monkeypatch.undo()
    (corpus / "extra.txt").unlink()  # back to the indexed corpus: the old build is current and fresh
    engine = Engine.open(corpus, tmp_path / "idx")
    assert not engine.stats.rebuilt
    leftovers = [p.name for p in (tmp_path / "idx").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
