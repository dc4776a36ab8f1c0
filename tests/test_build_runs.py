"""The streamed build (postings spilled in sorted runs, merged block by block) writes the index an in-memory build
would: the same files, whatever the run and block sizes, and leaves no runs behind."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval import build_runs, paragraph_terms
from retrieval.analysis import Analyzer
from retrieval.build import build_index, context_text
from retrieval.corpus import index_text, read_corpus
from retrieval.index import compile_index
from retrieval.settings import Settings
from retrieval.store import current_build
from tests.docs_corpus import write_docs_corpus
from tests.support import write_corpus

from .test_scale_parity import write_corpus as write_random_corpus

ALIASES = {  # headings and titles that a multi-word alias joins to the text; codes with several terms
    "guides/install-united.md": "# Installing on servers in the United\n\n## States of readiness\n\n"
                                "States differ: the United States mirror is faster. COVID-19 and IL-6 tests.\n\n"
                                "Run the installer. Then reboot the U.S. mirror host (v2.4, 1,000 times).\n",
    "plain/north.txt": "North\n\nAtlantic Treaty Organization members met. The North Atlantic Treaty Organization "
                       "agreed.\n\nNobody disagreed with NATO's well-known plan.\n",
}


def corpus(tmp_path):
    folder = tmp_path / "corpus"
    write_random_corpus(folder / "random", seed=5, files=40)
    write_docs_corpus(folder / "docs")
    write_corpus(folder / "aliases", ALIASES)
    return folder


def build_files(folder) -> dict[str, bytes]:
    build = current_build(folder)
    return {p.name: p.read_bytes() for p in sorted(build.iterdir()) if p.name != "meta.json"}


@pytest.mark.parametrize("run, block, workers", [(7, 5, 1), (64, 1000, 2), (1000, 3, 1)])
def test_runs_and_blocks_of_any_size_give_the_same_index(tmp_path, monkeypatch, run, block, workers):
    folder = corpus(tmp_path)
    settings = Settings()
    reference, _ = build_index(folder, tmp_path / "one-run", settings, Analyzer(settings.analyzer), "fp", workers=1)
    monkeypatch.setattr(build_runs, "RUN_POSTINGS", run)
    monkeypatch.setattr(build_runs, "BLOCK_POSTINGS", block)
    if workers > 1:
        monkeypatch.setattr("retrieval.build.POOL_MIN_BYTES", 0)
    index, _ = build_index(folder, tmp_path / "runs", settings, Analyzer(settings.analyzer), "fp", workers=workers)
    expected, got = build_files(tmp_path / "one-run"), build_files(tmp_path / "runs")
    assert expected.keys() == got.keys()
    for name in expected:
        if name != f"{paragraph_terms.TERMS_FILE}.npy":  # ids inside a row may come in another order
            assert got[name] == expected[name], name
    a = paragraph_terms.load(reference.folder, reference.n_paragraphs, len(reference.terms))
    b = paragraph_terms.load(index.folder, index.n_paragraphs, len(index.terms))
    for pid in range(index.n_paragraphs):
        ids_a, ids_b = a.of(pid), b.of(pid)
        assert (ids_a is None) == (ids_b is None)
        if ids_a is not None:
            assert sorted(ids_a.tolist()) == sorted(ids_b.tolist())
    assert not list((tmp_path / "runs").glob(".*.tmp"))  # the runs lived in the build folder and are gone


def test_streamed_build_equals_compiling_the_analysed_corpus(tmp_path, monkeypatch):
    folder = corpus(tmp_path)
    settings = Settings()
    analyzer = Analyzer(settings.analyzer)
    documents = read_corpus(folder, settings.corpus)
    # A paragraph is indexed with its headings; the first also with its document's title and file name.
    tokenized = [analyzer.terms(index_text(p) + "\n" + context_text(d.source, d.title, d.paragraphs[0].text)
                                if i == 0 else index_text(p))
                 for d in documents for i, p in enumerate(d.paragraphs)]
    terms, reference = compile_index(tokenized, settings.bm25)
    monkeypatch.setattr(build_runs, "RUN_POSTINGS", 11)
    monkeypatch.setattr(build_runs, "BLOCK_POSTINGS", 13)
    index, _ = build_index(folder, tmp_path / "index", settings, analyzer, "fp", workers=1)
    assert index.terms == terms
    for name in ("ptr", "df", "idf", "para_len", "post_para", "post_tf"):
        np.testing.assert_array_equal(getattr(index.compiled, name), getattr(reference, name), err_msg=name)
    stored = paragraph_terms.load(index.folder, index.n_paragraphs, len(index.terms))
    for pid in range(index.n_paragraphs):
        ids = stored.of(pid)
        if ids is not None:
            assert {index.terms[i] for i in ids.tolist()} == analyzer.term_set(index.paragraph_text(pid))
