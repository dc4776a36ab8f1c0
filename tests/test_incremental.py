"""Re-indexing reuses unchanged files from the per-file cache and stays exact."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from retrieval import Engine, formats
from retrieval.settings import AnalyzerSettings, Settings

ARRAYS = ("ptr", "post_para", "post_tf", "df", "idf", "para_len")


def write(folder: Path, name: str, paragraphs: list[str], headline: str | None = None) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text((headline or f"Headline of {name}") + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


def bump_mtime(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    topics = ["missiles", "treaty", "bases", "troops", "sanctions", "talks", "security", "exercises"]
    for i, topic in enumerate(topics):
        write(folder, f"news/{i:02d}_{topic}.txt", [
            f"Officials discussed {topic} at length on day {i} of the meeting in Geneva.",
            f"The delegation said {topic} would need verification and a written response.",
            "Follow the latest updates from the summit here.",  # a sentence recurring in every file: kept
            f"Analysts expect {topic} to dominate the agenda for weeks to come.",
        ])
    return folder


def assert_same_index(a: Engine, b: Engine) -> None:
    assert a.index.terms == b.index.terms
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a.index.compiled, name), getattr(b.index.compiled, name), err_msg=name)
    assert [a.index.paragraph_text(i) for i in range(a.index.n_paragraphs)] == \
        [b.index.paragraph_text(i) for i in range(b.index.n_paragraphs)]
    assert a.documents == b.documents


def fresh(corpus: Path, tmp_path: Path, settings: Settings | None = None) -> Engine:
    folder = tmp_path / "fresh-index"
    shutil.rmtree(folder, ignore_errors=True)
    return Engine.open(corpus, folder, settings, force=True)


def test_first_build_parses_everything_then_loads(corpus, tmp_path):
    index = tmp_path / "index"
    stats = Engine.open(corpus, index).stats
    assert (stats.rebuilt, stats.files, stats.parsed, stats.reused, stats.removed) == (True, 8, 8, 0, 0)
    again = Engine.open(corpus, index).stats
    assert not again.rebuilt and again.parsed == 0


def test_changed_added_removed_file_reparses_only_that_file(corpus, tmp_path):
    index = tmp_path / "index"
    Engine.open(corpus, index)

    changed = corpus / "news/03_troops.txt"
    write(corpus, "news/03_troops.txt", ["Troop numbers near the border were the main subject of the call."])
    bump_mtime(changed)
    engine = Engine.open(corpus, index)
    assert (engine.stats.rebuilt, engine.stats.parsed, engine.stats.reused) == (True, 1, 7)
    assert_same_index(engine, fresh(corpus, tmp_path))
    assert engine.ask("troop numbers border").citations[0].source == "news/03_troops.txt"

    write(corpus, "news/extra/99_new.md", ["A brand new article about submarines and verification."])
    engine = Engine.open(corpus, index)
    assert (engine.stats.parsed, engine.stats.reused, engine.stats.files) == (1, 8, 9)
    assert_same_index(engine, fresh(corpus, tmp_path))

    (corpus / "news/00_missiles.txt").unlink()
    engine = Engine.open(corpus, index)
    assert (engine.stats.parsed, engine.stats.reused, engine.stats.removed) == (0, 8, 1)
    assert_same_index(engine, fresh(corpus, tmp_path))
    assert "news/00_missiles.txt" not in {d.source for d in engine.documents}


def test_touched_but_unchanged_file_is_reused_by_content_hash(corpus, tmp_path):
    index = tmp_path / "index"
    Engine.open(corpus, index)
    bump_mtime(corpus / "news/01_treaty.txt")
    stats = Engine.open(corpus, index).stats
    assert stats.rebuilt and (stats.parsed, stats.reused) == (0, 8)


def test_a_sentence_is_not_chrome_because_another_document_repeats_it(corpus, tmp_path):
    for path in sorted(corpus.rglob("*.txt"))[1:]:
        path.unlink()
    index = tmp_path / "index"
    engine = Engine.open(corpus, index)
    assert any("Follow the latest" in engine.index.paragraph_text(i) for i in range(engine.index.n_paragraphs))
    write(corpus, "news/50_copy.txt",
          ["Something else entirely was said today.", "Follow the latest updates from the summit here."])
    engine = Engine.open(corpus, index)
    assert engine.stats.parsed == 1
    assert sum("Follow the latest" in engine.index.paragraph_text(i) for i in range(engine.index.n_paragraphs)) == 2
    assert_same_index(engine, fresh(corpus, tmp_path))


def test_deleting_or_damaging_the_cache_is_safe(corpus, tmp_path):
    index = tmp_path / "index"
    reference = Engine.open(corpus, index)
    entries = sorted((index / "cache").rglob("*.cbc"))
    assert len(entries) == 8
    entries[0].write_bytes(entries[0].read_bytes()[:50])  # truncated
    entries[1].write_bytes(b"garbage")
    (index / "cache" / "manifest.json").write_text("{not json")
    engine = Engine.open(corpus, index, force=True)
    assert engine.stats.parsed == 2 and engine.stats.reused == 6
    assert_same_index(engine, reference)
    shutil.rmtree(index / "cache")
    engine = Engine.open(corpus, index, force=True)
    assert engine.stats.parsed == 8
    assert_same_index(engine, reference)


def test_analyzer_change_does_not_reuse_cached_terms(corpus, tmp_path):
    index = tmp_path / "index"
    Engine.open(corpus, index)
    settings = Settings(analyzer=AnalyzerSettings(extra_stopwords=("officials",)))
    engine = Engine.open(corpus, index, settings)
    assert engine.stats.rebuilt and engine.stats.parsed == 8
    assert "offici" not in engine.index.term_ids
    assert_same_index(engine, fresh(corpus, tmp_path, settings))


def test_a_reader_fix_reparses_files_the_older_reader_parsed(corpus, tmp_path, monkeypatch):
    index = tmp_path / "index"
    Engine.open(corpus, index)
    monkeypatch.setattr("retrieval.formats.READERS_VERSION", formats.READERS_VERSION + 1)
    engine = Engine.open(corpus, index)  # unchanged files, fresh-looking index: still rebuilt and re-read
    assert engine.stats.rebuilt and engine.stats.parsed == 8 and engine.stats.reused == 0


def test_unused_cache_entries_are_removed(corpus, tmp_path):
    index = tmp_path / "index"
    Engine.open(corpus, index)
    (corpus / "news/02_bases.txt").unlink()
    write(corpus, "news/04_sanctions.txt", ["Sanctions were mentioned only once this time."])
    bump_mtime(corpus / "news/04_sanctions.txt")
    Engine.open(corpus, index)
    assert len(list((index / "cache").rglob("*.cbc"))) == 7
