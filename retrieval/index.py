"""BM25 over paragraphs, compiled into arrays for fast query-time scoring.

Scores equal rank-bm25's ``BM25Okapi`` (or ``BM25L``/``BM25Plus``) ``get_scores``
for the same tokenized corpus and query: the idf rules and the term-frequency
saturation are the same formulas, evaluated only on the postings of the query
terms. A test holds this parity to 1e-6.

The compiled form is a term -> paragraphs postings list (CSR by term): for term
``t`` the paragraphs ``post_para[ptr[t]:ptr[t+1]]`` with frequencies
``post_tf[...]``; plus idf per term and the length norm per paragraph.

A query touches only its terms' postings: their gains are computed in one
vectorised pass, summed per paragraph in a per-thread dense accumulator (reset
at the touched positions only), and :meth:`CompiledIndex.top` keeps the best
``limit`` (score descending, then paragraph id) after a cheap lower-bound
filter -- no work proportional to the number of paragraphs.
"""

from __future__ import annotations

import math
import threading
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
        self._local = threading.local()  # per-thread scratch accumulator

    def _gains(self, paras: np.ndarray, tf: np.ndarray, idf: np.ndarray | float,
               absent: np.ndarray | float) -> np.ndarray:
        """Score of each posting's term in its paragraph minus what an absent term would give.

        ``idf`` (and ``absent``) may already be multiplied by the term's count in the query.
        """
        k1 = self.settings.k1
        norm = np.take(self._norm, paras)
        if self.settings.variant == "l":
            tf = tf.astype(np.float64)
            ctd = tf / norm
            return idf * tf * (k1 + 1) * (ctd + self._delta) / (k1 + ctd + self._delta) - absent
        if self.settings.variant == "plus":
            return idf * (self._delta + tf * (k1 + 1) / (norm + tf)) - absent
        return idf * (tf * (k1 + 1) / (tf + norm))

    def postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = int(self.ptr[term_id]), int(self.ptr[term_id + 1])
        return self.post_para[start:end], self.post_tf[start:end]

    def contains(self, term_id: int, pid: int) -> bool:
        """Whether paragraph ``pid`` contains term ``term_id`` (binary search in its postings)."""
        paras = self.post_para[int(self.ptr[term_id]) : int(self.ptr[term_id + 1])]
        pos = int(paras.searchsorted(pid))
        return pos < len(paras) and int(paras[pos]) == pid

    def _candidates(self, query: Sequence[int]) -> tuple[np.ndarray, np.ndarray, float, list[int]]:
        """Scores of the paragraphs that contain a query term, touching only their postings.

        Returns ``(paragraph ids, scores, base, sizes)``: one entry per posting
        of the query terms, term after term (``sizes`` entries each), so a
        paragraph containing k of the terms is listed k times with the same score.
        """
        counts = dict.fromkeys(query, 1) if len(set(query)) == len(query) else Counter(query)
        absent = self._absent
        base = float(sum(absent[t] * c for t, c in counts.items())) if self.settings.variant == "plus" else 0.0
        ptr, post_para, post_tf, idf = self.ptr, self.post_para, self.post_tf, self.idf
        spans = []
        for term_id, count in counts.items():
            start, end = int(ptr[term_id]), int(ptr[term_id + 1])
            if end > start:
                spans.append((term_id, count, start, end))
        if not spans:
            return np.empty(0, np.int64), np.empty(0, np.float64), base, []
        if len(spans) == 1:
            term_id, count, start, end = spans[0]
            paras = post_para[start:end]
            gain = self._gains(paras, post_tf[start:end], float(idf[term_id]) * count,
                               float(absent[term_id]) * count)
            return paras, gain + base if base else gain, base, [len(paras)]
        # intp indices and float frequencies: numpy would convert them at every use.
        paras = np.concatenate([post_para[a:b] for _, _, a, b in spans], dtype=np.intp)
        tf = np.concatenate([post_tf[a:b] for _, _, a, b in spans], dtype=np.float64)
        sizes = [b - a for _, _, a, b in spans]
        weight = np.repeat([float(idf[t]) * c for t, c, _, _ in spans], sizes)
        if base:
            gain = self._gains(paras, tf, weight, np.repeat([float(absent[t]) * c for t, c, _, _ in spans], sizes))
        else:
            gain = self._gains(paras, tf, weight, 0.0)
        acc = getattr(self._local, "acc", None)
        if acc is None:  # per thread: the Discord bot asks from executor threads
            acc = self._local.acc = np.zeros(self.n_paragraphs, dtype=np.float64)
        try:
            np.add.at(acc, paras, gain)  # in query-term order, like rank-bm25's sum
            scores = np.take(acc, paras)
        finally:
            acc[paras] = 0.0
        if base:
            scores += base
        return paras, scores, base, sizes

    def score(self, query: Sequence[int]) -> tuple[np.ndarray, np.ndarray, float]:
        """Scores of the paragraphs that contain a query term.

        ``query`` lists term ids (repeats count, as in rank-bm25). Returns
        ``(paragraph ids ascending, scores, base)`` where ``base`` is the score
        of a paragraph containing none of the terms (0 for Okapi).
        """
        paras, scores, base, sizes = self._candidates(query)
        if len(sizes) <= 1:
            return paras.astype(np.int64), scores, base
        paras, first = np.unique(paras, return_index=True)
        return paras.astype(np.int64), scores[first], base

    def top(self, query: Sequence[int], limit: int) -> tuple[list[int], list[float]]:
        """The ``limit`` best paragraphs containing a query term: score descending, then id.

        Work is proportional to the query terms' postings, not to the corpus.
        Returns plain lists ``(paragraph ids, scores)``.
        """
        paras, scores, _, sizes = self._candidates(query)
        if limit <= 0 or not len(paras):
            return [], []
        if len(paras) > 4 * limit:
            # Within one term's postings no paragraph repeats, so the limit-th best score
            # among (a sample of) them is a lower bound for the limit-th best overall.
            # Keep only what reaches the best such bound (ties included), rank those exactly.
            floor, start = -math.inf, 0
            for size in sizes:
                if size >= limit:
                    sample = scores[start : start + size : max(1, size // (limit * 8))].copy()
                    kth = len(sample) - limit
                    sample.partition(kth)
                    floor = max(floor, float(sample[kth]))
                start += size
            if floor > -math.inf:
                keep = np.flatnonzero(scores >= floor)
                paras, scores = paras[keep], scores[keep]
        order = np.argsort(-scores, kind="stable")
        ids, values = paras[order].tolist(), scores[order].tolist()
        top_ids: list[int] = []
        top_scores: list[float] = []
        i, n = 0, len(ids)
        while i < n and len(top_ids) < limit:
            j = i + 1
            value = values[i]
            while j < n and values[j] == value:
                j += 1
            if j == i + 1:
                top_ids.append(ids[i])
                top_scores.append(value)
            else:
                # Equal scores: lower paragraph id first; a paragraph reached through several
                # terms appears once per term (always with the same score).
                for pid in sorted(set(ids[i:j])):
                    top_ids.append(pid)
                    top_scores.append(value)
            i = j
        return top_ids[:limit], top_scores[:limit]

    def full_scores(self, query: Sequence[int]) -> np.ndarray:
        """Scores of every paragraph (what ``BM25Okapi.get_scores`` returns)."""
        paras, scores, base = self.score(query)
        out = np.full(self.n_paragraphs, base, dtype=np.float64)
        out[paras] = scores
        return out


def _order_by_term(term_ids: np.ndarray, n_terms: int) -> np.ndarray:
    """Stable argsort by term id (radix passes over 16-bit halves: linear time)."""
    if n_terms <= 1 << 16:
        return np.argsort(term_ids.astype(np.uint16), kind="stable")
    low = np.argsort((term_ids & 0xFFFF).astype(np.uint16), kind="stable")
    return low[np.argsort((term_ids[low] >> 16).astype(np.uint32), kind="stable")]


def compile_postings(terms: list[str], term_ids: np.ndarray, paras: np.ndarray, tfs: np.ndarray,
                     para_len: np.ndarray, settings: BM25Settings) -> tuple[list[str], CompiledIndex]:
    """Postings from (term, paragraph, frequency) triples listed in paragraph order.

    ``terms`` is the sorted vocabulary (``term_ids`` index it); each
    (term, paragraph) pair appears once; ``para_len`` is the number of terms
    of each paragraph.
    """
    n = len(para_len)
    order = _order_by_term(term_ids, len(terms))  # by term, then paragraph
    df = np.bincount(term_ids, minlength=len(terms)).astype(np.int32)
    ptr = np.zeros(len(terms) + 1, dtype=np.int64)
    np.cumsum(df, out=ptr[1:])
    compiled = CompiledIndex(
        ptr=ptr,
        post_para=np.asarray(paras)[order].astype(np.int32),
        post_tf=np.asarray(tfs)[order].astype(np.int32),
        df=df,
        idf=compute_idf(df, n, settings),
        para_len=np.asarray(para_len, dtype=np.int32),
        settings=settings,
    )
    return terms, compiled


def compile_index(
    tokenized: Iterable[Sequence[str]], settings: BM25Settings
) -> tuple[list[str], CompiledIndex]:
    """Build the vocabulary (sorted) and postings from tokenized paragraphs."""
    vocab: dict[str, int] = {}
    ids_parts: list[np.ndarray] = []
    lengths: list[int] = []
    for terms in tokenized:
        lengths.append(len(terms))
        new = [t for t in dict.fromkeys(terms) if t not in vocab]
        vocab.update(zip(new, range(len(vocab), len(vocab) + len(new))))
        ids_parts.append(np.fromiter(map(vocab.__getitem__, terms), dtype=np.int64, count=len(terms)))
    terms_sorted = sorted(vocab)
    remap = np.empty(len(vocab), dtype=np.int64)
    remap[np.fromiter(map(vocab.__getitem__, terms_sorted), dtype=np.int64, count=len(vocab))] = np.arange(len(vocab))
    n, v = len(lengths), max(len(vocab), 1)
    ids = remap[np.concatenate(ids_parts)] if n and sum(lengths) else np.empty(0, np.int64)
    para = np.repeat(np.arange(n, dtype=np.int64), np.asarray(lengths, dtype=np.int64))
    keys, tfs = np.unique(para * v + ids, return_counts=True)  # by paragraph, then term
    return compile_postings(terms_sorted, keys % v, keys // v, tfs, np.asarray(lengths, dtype=np.int32), settings)
