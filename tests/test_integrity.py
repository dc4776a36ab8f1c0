"""Damaged index content is detected, never quoted, and rebuilt with a warning (never a traceback)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import retrieval.store
from bot.cli import main
from retrieval import Engine, IndexCorrupt
from retrieval.store import current_build, paragraph_crc

from .support import write_corpus

QUESTION = "where are the Tomahawk launchers kept?"


@pytest.fixture()
def corpus(tmp_path) -> Path:
    return write_corpus(tmp_path / "corpus", {
        "launchers.txt": "Launchers\n\nThe Tomahawk launchers are kept in a hangar near the coast.\n\n"
                         "The hangar is guarded by soldiers.\n",
        "talks.txt": "Talks\n\nThe envoys agreed to meet again next month in Geneva.\n",
        "weather.txt": "Weather\n\nThe harbour froze over during the cold winter.\n",
    })


def genuine(reference: Engine, answer) -> bool:
    """Every quoted paragraph is word for word what the corpus holds at that place."""
    texts = {(d.source, i + 1): reference.index.paragraph_text(d.first + i)
             for d in reference.documents for i in range(d.paragraphs)}
    return all(texts.get((c.source, c.paragraph)) == c.text and c.excerpt.strip(" …") in c.text
               for c in answer.citations)


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01  # 'a' <-> '`', 'e' <-> 'd': still valid UTF-8 in a text
    path.write_bytes(bytes(data))


def stored_files(build: Path) -> list[str]:
    return sorted(p.name for p in build.iterdir())


@pytest.mark.parametrize("checked_at_open", [True, False], ids=["small-files", "large-files"])
def test_a_flipped_byte_in_any_stored_file_is_never_quoted(corpus, tmp_path, monkeypatch, caplog, checked_at_open):
    reference = Engine.open(corpus, tmp_path / "reference")
    if not checked_at_open:  # as for files too large to hash at every open: only per paragraph and on symptoms
        monkeypatch.setattr(retrieval.store, "_SMALL_FILE_BYTES", 0)
    index = tmp_path / "index"
    for name in stored_files(current_build(Engine.open(corpus, index).index.folder.parent)):
        build = current_build(index)
        path = build / name
        size = path.stat().st_size
        offset = size - 3 if name.endswith(".npy") else size // 2
        if name == "texts.bin":  # inside the paragraph the answer quotes
            offset = path.read_bytes().index(b"hangar near")
        flip(path, offset)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            engine = Engine.open(corpus, index)
            answer = engine.ask(QUESTION)
            problems = engine.verify() if current_build(index) == build else ["rebuilt"]
        assert genuine(reference, answer), name
        assert answer.answered, name
        # it noticed: either a warning and a new build, or verify() names the damage
        noticed = current_build(index) != build or problems
        assert noticed, name
        if current_build(index) == build:  # damage that answering never touched: verify finds it, repair fixes it
            engine.repair()
        assert current_build(index) != build and not engine.verify(), name


def test_texts_changed_under_a_running_engine_are_never_quoted(corpus, tmp_path, caplog):
    index = tmp_path / "index"
    engine = Engine.open(corpus, index)
    build = engine.index.folder
    texts = build / "texts.bin"
    data = texts.read_bytes()
    at = data.index(b"hangar near")
    forged = data[:at] + b"silo" + data[at + 4:]  # "silo" for "hang": same length, valid UTF-8
    with open(texts, "r+b") as fh:  # in place, as disk damage would: the engine's map sees it
        fh.write(forged)
    with caplog.at_level(logging.WARNING):
        answer = engine.ask(QUESTION)
    assert answer.answered and all("silo" not in c.text for c in answer.citations)
    assert "hangar near" in answer.citations[0].text
    assert any("damaged" in r.getMessage() and "rebuilding" in r.getMessage() for r in caplog.records)
    assert engine.index.folder != build


def test_paragraph_checksum_binds_text_to_its_place():
    assert paragraph_crc(0, 1, b"text") != paragraph_crc(1, 1, b"text") != paragraph_crc(0, 2, b"text")


def test_nan_scores_are_damage_not_no_answer(corpus, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(retrieval.store, "_SMALL_FILE_BYTES", 0)
    index = tmp_path / "index"
    build = Engine.open(corpus, index).index.folder
    bound = np.load(build / "max_impact.npy")
    bound[:] = np.nan
    np.save(build / "max_impact.npy", bound)  # same size, values NaN
    with caplog.at_level(logging.WARNING):
        engine = Engine.open(corpus, index)
        answer = engine.ask(QUESTION)
    assert answer.answered and "hangar" in answer.citations[0].text
    assert current_build(index) != build


def test_verify_command_reports_and_rebuilds(corpus, tmp_path, capsys, monkeypatch):
    index = tmp_path / "index"
    args = ["index", "--verify", "--corpus", str(corpus), "--index", str(index)]
    assert main(args) == 0
    assert "every checksum and value is sound" in capsys.readouterr().out
    monkeypatch.setattr(retrieval.store, "_SMALL_FILE_BYTES", 0)
    build = current_build(index)
    flip(build / "post_cls.npy", (build / "post_cls.npy").stat().st_size - 2)
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert "damaged" in err and "post_cls.npy" in err and "rebuilt" in out and "Traceback" not in err
    assert current_build(index) != build
    assert main(args) == 0


def test_paragraph_text_raises_index_corrupt_out_of_range(corpus, tmp_path):
    engine = Engine.open(corpus, tmp_path / "index")
    with pytest.raises(IndexCorrupt):
        engine.index.paragraph_text(engine.index.n_paragraphs)


def test_a_dead_builders_leftovers_are_removed_by_the_next_build(corpus, tmp_path):
    index = tmp_path / "index"
    Engine.open(corpus, index)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = index / f".build-20260101000000-{dead.stdout.strip()}-1.tmp"  # as a SIGKILLed build leaves it
    leftover.mkdir()
    (leftover / "texts.bin").write_bytes(b"x" * 100)
    live = index / f".build-20260101000000-{os.getppid()}-2.tmp"  # named by a live process: may be building
    live.mkdir()
    Engine.open(corpus, index, force=True)
    assert not leftover.exists() and live.exists()
