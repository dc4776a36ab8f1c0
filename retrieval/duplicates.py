"""Near-duplicate merging: a fact several documents report becomes one citation naming them all.

Each candidate paragraph is a vector of its distinct terms, each weighing its information
(:func:`~retrieval.search.term_weight`). Two paragraphs of different documents merge when
the cosine of their vectors reaches ``duplicate_similarity``; within one document, where
paragraphs share its vocabulary, only when one holds 90% of the other's term weight.

The terms come from the index's stored paragraph terms (:mod:`retrieval.paragraph_terms`);
an index without them has its candidates' texts analysed instead. All pairwise overlaps are
computed at once: a candidate x vocabulary indicator matrix times its transpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import paragraph_terms
from .analysis import Analyzer
from .models import Hit, ParagraphRef
from .store import StoredIndex

SAME_DOCUMENT_SIMILARITY = 0.9  # paragraphs of one document, one holding this much of the other: one citation


@dataclass
class Group:
    """A citation-to-be: the best-ranked paragraph of a set of near-duplicates, and the others."""

    hit: Hit
    also_in: list[ParagraphRef] = field(default_factory=list)


def stored_terms(index: StoredIndex) -> paragraph_terms.ParagraphTerms | None:
    """The index's paragraph terms (loaded on first use, kept with the index); None when it has none."""
    cached = getattr(index, "_paragraph_terms", False)
    if cached is False:
        cached = index._paragraph_terms = paragraph_terms.load(index.folder, index.n_paragraphs, len(index.terms))
    return cached


def _candidate_ids(index: StoredIndex, analyzer: Analyzer, hits: tuple[Hit, ...]) -> list[np.ndarray]:
    """Each hit's distinct term ids; a term the vocabulary lacks gets an id past its end (df 0)."""
    stored = stored_terms(index)
    term_ids, extra = index.term_ids, {}
    out = []
    for hit in hits:
        ids = stored.of(hit.paragraph_index) if stored is not None else None
        if ids is None:
            terms = analyzer.term_set(index.paragraph_text(hit.paragraph_index))
            ids = np.array([term_ids[t] if t in term_ids else extra.setdefault(t, len(term_ids) + len(extra))
                            for t in terms], dtype=np.int64)
        out.append(ids)
    return out


def _weights(index: StoredIndex, ids: np.ndarray) -> np.ndarray:
    """``term_weight(df, n)`` for each id (ids past the vocabulary: df 0)."""
    df = index.compiled.df
    known = ids < len(df)
    counts = np.zeros(len(ids), dtype=np.float64)
    counts[known] = np.asarray(df)[ids[known]]
    n = float(index.n_paragraphs)
    return np.log(1 + (n - counts + 0.5) / (counts + 0.5))


def _overlaps(rows: np.ndarray, cols: np.ndarray, weight: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """``shared[a, b]`` (weight of the terms candidates a < b share) and ``dot[a, b]`` (their squares).

    Entries sorted by term (rows ascending within a term): entries ``d`` apart with the same term are
    a pair of candidates sharing it; no pair at distance ``d`` means none further apart either.
    """
    order = np.argsort(cols, kind="stable")
    cols, rows, weight = cols[order], rows[order], weight[order]
    shared = np.zeros(m * m)
    dot = np.zeros(m * m)
    for d in range(1, len(cols)):
        at = np.flatnonzero(cols[d:] == cols[:-d])
        if not len(at):
            break
        pair = rows[at] * m + rows[at + d]
        w = weight[at]
        shared += np.bincount(pair, weights=w, minlength=m * m)
        dot += np.bincount(pair, weights=w * w, minlength=m * m)
    return shared.reshape(m, m), dot.reshape(m, m)


def merge_duplicates(index: StoredIndex, analyzer: Analyzer, hits: tuple[Hit, ...], wanted: int,
                     threshold: float) -> list[Group]:
    """Group ranked hits so a fact reported by several documents is cited once (at most ``wanted`` groups)."""
    if not hits:
        return []
    ids = _candidate_ids(index, analyzer, hits)
    m = len(ids)
    sizes = np.fromiter(map(len, ids), dtype=np.int64, count=m)
    rows = np.repeat(np.arange(m), sizes)
    cols = np.concatenate(ids).astype(np.int64, copy=False)
    weight = _weights(index, cols)
    total = np.bincount(rows, weights=weight, minlength=m)
    norm = np.sqrt(np.bincount(rows, weights=weight * weight, minlength=m))
    shared, dot = (a.tolist() for a in _overlaps(rows, cols, weight, m))
    sizes, total, norm = sizes.tolist(), total.tolist(), norm.tolist()
    groups: list[Group] = []
    firsts: list[int] = []
    for h, hit in enumerate(hits):
        for group, g in zip(groups, firsts):
            if hit.source != group.hit.source and all(hit.source != ref.source for ref in group.also_in):
                product = norm[g] * norm[h]
                similar = (dot[g][h] / product if product else 0.0) >= threshold
            else:  # within one document paragraphs share its vocabulary: only near-copies merge there
                small = h if sizes[g] > sizes[h] else g
                similar = (shared[g][h] / total[small] if total[small] else 0.0) >= SAME_DOCUMENT_SIMILARITY
            if similar:
                group.also_in.append(ParagraphRef(hit.source, hit.paragraph))
                break
        else:
            if len(groups) < wanted:
                groups.append(Group(hit))
                firsts.append(h)
    return groups
