"""Weighted query terms (follow-ups): sum of weight x rank-bm25 score, and weight 1 changes nothing."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rank_bm25 import BM25L, BM25Okapi, BM25Plus

from retrieval.index import compile_index
from retrieval.settings import BM25Settings

from .test_scale_parity import brute_top, kernel, queries, zipf_corpus  # noqa: F401 - kernel is a fixture

REFERENCE = {"okapi": BM25Okapi, "l": BM25L, "plus": BM25Plus}


@pytest.fixture(scope="module")
def corpus() -> list[list[str]]:
    return zipf_corpus(11, paragraphs=1500)


def _weighted(rng: random.Random, query: list[int]) -> dict[int, float]:
    return {t: rng.choice([1.0, 0.5, 0.3, 0.18, 2.0]) for t in query}


@pytest.mark.parametrize("variant", ["okapi", "l", "plus"])
def test_weighted_scores_are_the_weighted_sum_of_rank_bm25_scores(corpus, variant, kernel):
    terms, compiled = compile_index(corpus, BM25Settings(variant=variant))
    reference = REFERENCE[variant](corpus)
    ids = {t: i for i, t in enumerate(terms)}
    rng = random.Random(variant)
    for q in queries(5, count=60):
        query = list(dict.fromkeys(ids[t] for t in q if t in ids))
        weights = _weighted(rng, query)
        expected = sum(weights[ids[t]] * reference.get_scores([t]) for t in dict.fromkeys(q) if t in ids)
        if not query:
            continue
        np.testing.assert_allclose(compiled.full_scores(query, weights), expected, rtol=0, atol=1e-6)
        top = compiled.top(query, 7, weights)
        matching = np.array(sorted({p for t in query for p in compiled.postings(t)[0].tolist()}), dtype=np.int64)
        ours = compiled.full_scores(query, weights)
        assert top.ids == brute_top(ours[matching], matching, 7)
        np.testing.assert_allclose(top.scores, expected[top.ids], atol=1e-6)
        if top.ids:
            assert top.best_terms == {t for t in query if top.ids[0] in compiled.postings(t)[0]}
        if kernel == "compiled":  # both paths give the same floats with weights too
            assert compiled._top_numpy(query, 7, weights) == top


@pytest.mark.parametrize("variant", ["okapi", "l", "plus"])
def test_weight_one_gives_exactly_todays_results(corpus, variant, kernel):
    terms, compiled = compile_index(corpus, BM25Settings(variant=variant))
    ids = {t: i for i, t in enumerate(terms)}
    for q in queries(6, count=60):
        query = [ids[t] for t in q if t in ids]  # repeats included: a repeated term still counts twice
        ones = dict.fromkeys(query, 1.0)
        assert compiled.top(query, 9, ones) == compiled.top(query, 9)  # the same floats, not merely close
        assert np.array_equal(compiled.full_scores(query, ones), compiled.full_scores(query))


def test_a_lighter_term_moves_the_ranking_its_way(kernel):
    corpus = [["nato", "alliance"]] * 3 + [["nato", "tomahawk"]] + [["tomahawk", "missile"]] * 3 + [["filler"]] * 20
    terms, compiled = compile_index(corpus, BM25Settings())
    ids = {t: i for i, t in enumerate(terms)}
    alone = compiled.top([ids["nato"]], 1).ids
    assert alone == [0]  # any NATO paragraph; the shortest-id one wins the tie
    follow_up = compiled.top([ids["nato"], ids["tomahawk"]], 2, {ids["tomahawk"]: 0.5}).ids
    assert follow_up[0] == 3  # NATO and Tomahawk together
    assert follow_up[1] in (0, 1, 2)  # the new question's term outweighs the old one's
