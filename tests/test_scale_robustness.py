"""Interrupted builds leave the previous index usable; odd corpus shapes build."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from retrieval import Engine
from retrieval.corpus import scan_corpus, scan_folder
from retrieval.settings import Settings
from retrieval.store import current_build, load, read_meta

ROOT = Path(__file__).resolve().parent.parent


def make_corpus(folder: Path, files: int = 6, tag: str = "") -> None:
    for i in range(files):
        path = folder / f"sub{i % 2}" / f"doc{i}{tag}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Headline {i} of the day\n\n"
                        f"The envoy for region {i} spoke about missiles and treaty number {i}.\n\n"
                        f"Negotiators in round {i} agreed to meet again next month{tag}.\n")


def run_build_that_dies(corpus: Path, index: Path, patch: str) -> subprocess.CompletedProcess:
    script = "\n".join([
        "import os, signal, sys",
        f"sys.path.insert(0, {str(ROOT)!r})",
        "import retrieval.build, retrieval.store",
        "from retrieval import Engine",
        patch,
        f"Engine.open({str(corpus)!r}, {str(index)!r}, force=True)",
    ])
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("where, patch", [
    ("while saving arrays", textwrap.dedent("""
        real = retrieval.store.np.save
        calls = []
        def dying_save(*args, **kwargs):
            calls.append(1)
            if len(calls) == 3:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        retrieval.store.np.save = dying_save
    """)),
    ("while caching parsed files", textwrap.dedent("""
        real = retrieval.build.FileCache.put
        calls = []
        def dying_put(self, *args):
            calls.append(1)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(self, *args)
        retrieval.build.FileCache.put = dying_put
    """)),
    ("on Ctrl-C while tokenizing", textwrap.dedent("""
        real = retrieval.build.FileProcessor.__call__
        calls = []
        def interrupted(self, task):
            calls.append(1)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGINT)
            return real(self, task)
        retrieval.build.FileProcessor.__call__ = interrupted
    """)),
])
def test_interrupted_build_leaves_previous_index_usable(tmp_path, where, patch):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus)
    before = Engine.open(corpus, index)
    old_build = current_build(index)
    make_corpus(corpus, tag=" again")  # new files: the next build has real work to do

    proc = run_build_that_dies(corpus, index, patch)
    assert proc.returncode != 0, proc.stderr
    if "Ctrl-C" in where:
        assert "KeyboardInterrupt" in proc.stderr
    else:
        assert proc.returncode == -signal.SIGKILL

    assert current_build(index) == old_build
    survivor = load(old_build, Settings().bm25)
    assert read_meta(old_build)["fingerprint"] == before.index.fingerprint
    assert survivor.n_paragraphs == before.index.n_paragraphs
    np.testing.assert_array_equal(survivor.compiled.post_para, before.index.compiled.post_para)

    after = Engine.open(corpus, index)  # the next build works despite leftovers
    assert after.stats.rebuilt and after.stats.documents == 12
    fresh = Engine.open(corpus, tmp_path / "fresh", force=True)
    assert after.index.terms == fresh.index.terms
    np.testing.assert_array_equal(after.index.compiled.post_tf, fresh.index.compiled.post_tf)


def test_ctrl_c_while_saving_in_process_keeps_previous_index(tmp_path, monkeypatch):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus)
    before = Engine.open(corpus, index)
    real = np.save
    calls = []

    def interrupted_save(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr("retrieval.store.np.save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        Engine.open(corpus, index, force=True)
    monkeypatch.undo()
    assert not [p for p in index.iterdir() if p.name.endswith(".tmp")]
    again = Engine.open(corpus, index)
    assert not again.stats.rebuilt and again.index.folder == before.index.folder


def test_deeply_nested_folders(tmp_path):
    corpus = tmp_path / "corpus"
    deep = corpus
    for level in range(80):
        deep = deep / f"level{level:02d}"
    deep.mkdir(parents=True)
    (deep / "bottom.txt").write_text("Deep headline here\n\nThe deepest file talks about submarines.\n")
    (corpus / "top.md").write_text("Top headline here\n\nThe top file talks about tanks and drones.\n")
    for i in range(3):
        (deep.parent / f"side{i}.txt").write_text(f"Side headline {i}\n\nA side note number {i} about logistics.\n")
    engine = Engine.open(corpus, tmp_path / "index")
    sources = {d.source for d in engine.documents}
    assert "top.md" in sources and any(s.endswith("level79/bottom.txt") for s in sources)
    assert engine.ask("submarines").citations[0].source.endswith("bottom.txt")


def test_many_tiny_files(tmp_path):
    corpus = tmp_path / "corpus"
    for i in range(3000):
        folder = corpus / f"batch{i // 500}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"note{i:05d}.txt").write_text(f"Note {i} mentions code{i} and the shared keyword quasar.\n")
    engine = Engine.open(corpus, tmp_path / "index")
    assert engine.stats.documents == 3000 and engine.stats.paragraphs == 3000
    assert engine.ask("code1234 quasar").citations[0].source == "batch2/note01234.txt"
    assert not Engine.open(corpus, tmp_path / "index").stats.rebuilt


def test_single_large_file(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rng = np.random.default_rng(3)
    words = np.array("alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega".split())
    paragraphs = [" ".join(words[rng.integers(0, len(words), 60)]).capitalize() + "." for _ in range(20000)]
    paragraphs[12345] = "The unique needle paragraph mentions a zeppelin over the harbour."
    (corpus / "huge.txt").write_text("Huge headline here\n\n" + "\n\n".join(paragraphs) + "\n")
    assert (corpus / "huge.txt").stat().st_size > 5_000_000
    engine = Engine.open(corpus, tmp_path / "index")
    assert engine.stats.paragraphs == 20000
    citation = engine.ask("zeppelin harbour").citations[0]
    assert citation.paragraph == 12346


def test_scan_is_recursive_sorted_and_skips_hidden_links_and_other_types(tmp_path):
    corpus = tmp_path / "corpus"
    for rel in ["a.txt", "B.MD", "notes.rst", ".hidden.txt", ".git/config.txt", "sub/.secret/x.txt",
                "sub/z.txt", "sub/a b.md", "sub-dir/c.txt", "sub/deeper/d.Txt", "zz/Ünïcode.md", "x.txt.bak"]:
        path = corpus / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("Headline\n\nSome text here.\n")
    (corpus / "linked").symlink_to(corpus / "sub", target_is_directory=True)  # not followed
    (corpus / "broken.txt").symlink_to(tmp_path / "missing.txt")  # skipped with a warning
    scanned = scan_corpus(corpus)
    expected = ["B.MD", "a.txt", "notes.rst", "sub-dir/c.txt", "sub/a b.md", "sub/deeper/d.Txt", "sub/z.txt",
                "zz/Ünïcode.md"]
    assert [f.source for f in scanned] == expected
    skipped = {s.source: s.reason for s in scan_folder(corpus).skipped}
    assert skipped == {"broken.txt": skipped["broken.txt"], "linked": "linked folder: not followed",
                       "x.txt.bak": "unsupported format: .bak"}
    assert skipped["broken.txt"].startswith("broken link")
    assert [f.path for f in scanned] == [str(corpus / rel) for rel in expected]
    assert all(f.size == Path(f.path).stat().st_size for f in scanned)
