"""The compiled index scores exactly like rank-bm25's classes."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rank_bm25 import BM25L, BM25Okapi, BM25Plus

from retrieval.analysis import Analyzer
from retrieval.corpus import read_corpus
from retrieval.index import compile_index
from retrieval.settings import BM25Settings

from .support import SEEDS

VARIANTS = [("okapi", BM25Okapi), ("l", BM25L), ("plus", BM25Plus)]


def _max_difference(corpus, queries, variant, reference_cls, **params):
    terms, compiled = compile_index(corpus, BM25Settings(variant=variant, **params))
    reference = reference_cls(corpus, **params)
    ids = {t: i for i, t in enumerate(terms)}
    worst = 0.0
    for query in queries:
        ours = compiled.full_scores([ids[t] for t in query if t in ids])
        worst = max(worst, float(np.abs(ours - reference.get_scores(query)).max()))
    return worst


@pytest.mark.parametrize("variant,reference_cls", VARIANTS)
def test_parity_on_seeds(variant, reference_cls):
    analyzer = Analyzer()
    corpus = [analyzer.terms(p.text) for d in read_corpus(SEEDS) for p in d.paragraphs]
    vocab = sorted({t for doc in corpus for t in doc})
    rng = random.Random(7)
    queries = [analyzer.terms("what did the US say about Tomahawk missiles?"), ["nope"]]
    queries += [rng.sample(vocab, rng.randint(1, 5)) for _ in range(100)]
    assert _max_difference(corpus, queries, variant, reference_cls) < 1e-6


@pytest.mark.parametrize("variant,reference_cls", VARIANTS)
def test_parity_on_random_corpus(variant, reference_cls):
    rng = random.Random(variant)
    words = [f"w{i}" for i in range(300)]
    weights = [1 / (i + 1) for i in range(300)]  # Zipf-like
    corpus = [rng.choices(words, weights, k=rng.randint(0, 40)) for _ in range(2000)]
    queries = [rng.choices(words, k=rng.randint(1, 6)) for _ in range(60)]  # repeats included
    assert _max_difference(corpus, queries, variant, reference_cls, k1=1.2, b=0.6) < 1e-6


def test_okapi_idf_quirks_on_a_tiny_corpus():
    # "common" is in exactly half the paragraphs: idf 0. "everywhere" is in all: its negative idf is
    # replaced by eps * mean idf, which is itself negative on this corpus (rank-bm25 does the same).
    corpus = [["common", "everywhere", "alpha"], ["common", "everywhere"], ["everywhere", "beta"], ["everywhere"]]
    terms, compiled = compile_index(corpus, BM25Settings(variant="okapi"))
    idf = dict(zip(terms, compiled.idf.tolist()))
    assert idf["common"] == 0.0
    reference = BM25Okapi(corpus)
    assert idf["everywhere"] == pytest.approx(reference.idf["everywhere"])
    assert idf["everywhere"] == pytest.approx(0.25 * np.mean([idf[t] for t in terms if t != "everywhere"] + [
        np.log(0.5) - np.log(4.5)]))
    assert _max_difference(corpus, [["common"], ["everywhere", "alpha"]], "okapi", BM25Okapi) < 1e-12
