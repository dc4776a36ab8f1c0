"""BM25 over paragraphs, compiled into arrays for fast query-time scoring.

Scores equal rank-bm25's ``BM25Okapi`` (or ``BM25L``/``BM25Plus``) ``get_scores``
for the same tokenized corpus and query: the idf rules and the term-frequency
saturation are the same formulas, evaluated only on the postings of the query
terms. A test holds this parity to 1e-6.

The compiled form is a term -> paragraphs postings list (CSR by term): for term
``t`` the paragraphs ``post_para[ptr[t]:ptr[t+1]]`` with frequencies
``post_tf[...]``; plus idf per term and the length norm per paragraph.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .settings import BM25Settings

_VARIANT_DELTA = {"okapi": 0.0, "l": 0.5, "plus": 1.0}


def variant_delta(settings: BM25Settings) -> float:
    """The delta a variant uses (rank-bm25's default unless configured)."""
    return _VARIANT_DELTA[settings.variant] if settings.delta is None else settings.delta


def compute_idf(df: np.ndarray, n_paragraphs: int, settings: BM25Settings) -> np.ndarray:
    """idf per term, exactly as rank-bm25 computes it for the chosen variant."""
    n = n_paragraphs
    if settings.variant == "l":
        return np.array([math.log(n + 1) - math.log(f + 0.5) for f in df.tolist()], dtype=np.float64)
    if settings.variant == "plus":
        return np.array([math.log(n + 1) - math.log(f) for f in df.tolist()], dtype=np.float64)
    idf = np.array([math.log(n - f + 0.5) - math.log(f + 0.5) for f in df.tolist()], dtype=np.float64)
    if len(idf):
        # rank-bm25 sums in dict order with Python floats; the mean is the same to ~1e-15.
        average = math.fsum(idf.tolist()) / len(idf)
        idf[idf < 0] = settings.epsilon * average
    return idf


@dataclass
class CompiledIndex:
    """The arrays that score a query (may be memory-mapped)."""

    ptr: np.ndarray  # int64 [V+1]
    post_para: np.ndarray  # int32 [P]
    post_tf: np.ndarray  # int32 [P]
    df: np.ndarray  # int32 [V]
    idf: np.ndarray  # float64 [V]
    para_len: np.ndarray  # int32 [N]
    settings: BM25Settings

    def __post_init__(self) -> None:
        n = len(self.para_len)
        self.n_paragraphs = n
        self.avgdl = float(self.para_len.sum()) / n if n else 0.0
        k1, b = self.settings.k1, self.settings.b
        lengths = np.asarray(self.para_len, dtype=np.float64)
        ratio = lengths / self.avgdl if self.avgdl > 0 else np.zeros(n)
        self._delta = variant_delta(self.settings)
        if self.settings.variant == "l":
            self._norm = 1 - b + b * ratio  # ctd = tf / norm
        else:
            self._norm = k1 * (1 - b + b * ratio)
        # What every paragraph gets for a query term it lacks (0 for Okapi).
        # (rank-bm25's BM25L multiplies by tf, so an absent term gives 0 there too.)
        if self.settings.variant == "plus":
            self._absent = self.idf * self._delta
        else:
            self._absent = np.zeros(len(self.idf))

    def _gain(self, term_id: int, paras: np.ndarray, tf: np.ndarray) -> np.ndarray:
        """Score of term ``term_id`` in ``paras`` minus what an absent term would give."""
        k1, idf = self.settings.k1, float(self.idf[term_id])
        tf = tf.astype(np.float64)
        norm = self._norm[paras]
        if self.settings.variant == "l":
            ctd = tf / norm
            full = idf * tf * (k1 + 1) * (ctd + self._delta) / (k1 + ctd + self._delta)
        elif self.settings.variant == "plus":
            full = idf * (self._delta + tf * (k1 + 1) / (norm + tf))
        else:
            full = idf * (tf * (k1 + 1) / (tf + norm))
        return full - self._absent[term_id]

    def postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = int(self.ptr[term_id]), int(self.ptr[term_id + 1])
        return self.post_para[start:end], self.post_tf[start:end]

    def score(self, query: Sequence[int]) -> tuple[np.ndarray, np.ndarray, float]:
        """Scores of the paragraphs that contain a query term.

        ``query`` lists term ids (repeats count, as in rank-bm25). Returns
        ``(paragraph ids, scores, base)`` where ``base`` is the score of a
        paragraph containing none of the terms (0 for Okapi).
        """
        counts = Counter(query)
        base = float(sum(self._absent[t] * c for t, c in counts.items()))
        paras_parts, gain_parts = [], []
        for term_id, count in counts.items():
            paras, tf = self.postings(term_id)
            if len(paras):
                paras_parts.append(paras)
                gain_parts.append(self._gain(term_id, paras, tf) * count)
        if not paras_parts:
            return np.empty(0, np.int64), np.empty(0, np.float64), base
        if len(paras_parts) == 1:
            return paras_parts[0].astype(np.int64), gain_parts[0] + base, base
        all_paras = np.concatenate(paras_parts)
        unique, inverse = np.unique(all_paras, return_inverse=True)
        sums = np.bincount(inverse, weights=np.concatenate(gain_parts), minlength=len(unique))
        return unique.astype(np.int64), sums + base, base

    def full_scores(self, query: Sequence[int]) -> np.ndarray:
        """Scores of every paragraph (what ``BM25Okapi.get_scores`` returns)."""
        paras, scores, base = self.score(query)
        out = np.full(self.n_paragraphs, base, dtype=np.float64)
        out[paras] = scores
        return out


def compile_index(
    tokenized: Iterable[Sequence[str]], settings: BM25Settings
) -> tuple[list[str], CompiledIndex]:
    """Build the vocabulary (sorted) and postings from tokenized paragraphs."""
    vocab: dict[str, int] = {}
    rows: list[tuple[np.ndarray, np.ndarray]] = []
    lengths: list[int] = []
    for terms in tokenized:
        counts = Counter(terms)
        lengths.append(len(terms))
        ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in counts), dtype=np.int64, count=len(counts))
        rows.append((ids, np.fromiter(counts.values(), dtype=np.int32, count=len(counts))))
    terms_sorted = sorted(vocab)
    remap = np.empty(len(vocab), dtype=np.int64)
    for new_id, term in enumerate(terms_sorted):
        remap[vocab[term]] = new_id
    n = len(rows)
    row_len = np.fromiter((len(r[0]) for r in rows), dtype=np.int64, count=n)
    term_ids = remap[np.concatenate([r[0] for r in rows])] if n and row_len.sum() else np.empty(0, np.int64)
    tfs = np.concatenate([r[1] for r in rows]) if n and row_len.sum() else np.empty(0, np.int32)
    paras = np.repeat(np.arange(n, dtype=np.int32), row_len)
    order = np.argsort(term_ids, kind="stable")  # by term, then paragraph
    df = np.bincount(term_ids, minlength=len(terms_sorted)).astype(np.int32)
    ptr = np.zeros(len(terms_sorted) + 1, dtype=np.int64)
    np.cumsum(df, out=ptr[1:])
    compiled = CompiledIndex(
        ptr=ptr,
        post_para=paras[order],
        post_tf=tfs[order].astype(np.int32),
        df=df,
        idf=compute_idf(df, n, settings),
        para_len=np.asarray(lengths, dtype=np.int32),
        settings=settings,
    )
    return terms_sorted, compiled
