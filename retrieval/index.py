"""BM25 over paragraphs, compiled into arrays for fast query-time scoring.

Scores equal rank-bm25's ``BM25Okapi`` (or ``BM25L``/``BM25Plus``) ``get_scores``
for the same tokenized corpus and query: the idf rules and the term-frequency
saturation are the same formulas, evaluated only on the postings of the query
terms. A test holds this parity to 1e-6.

The compiled form is a term -> paragraphs postings list (CSR by term, stored
compactly: see :mod:`retrieval.postings`) with a frequency per posting, idf per
term and a length norm per paragraph. A posting's *impact* (its score
contribution) is computed when it is read, with the same formula and operation
order as rank-bm25, so the floats do not depend on where they are computed.

A query touches only its terms' postings: their impacts (times the term's
optional weight, for follow-up questions) are summed per paragraph in a
per-thread dense accumulator, in query-term order as rank-bm25 sums them, and
:meth:`CompiledIndex.top` keeps the best ``limit`` (score descending, then
paragraph id). The compiled kernel can also prune (off by default): it reads the terms with the
largest possible impact first, and once the terms left cannot lift a paragraph
it has not seen into the top ``limit``, it only looks the remaining terms up for
the paragraphs that can still make it; the finalists are then scored exactly in
query order, so the results are the same floats and order as without pruning.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate
from typing import NamedTuple

import numpy as np

from . import postings
from .settings import BM25Settings

try:  # compiled at install time when a C compiler is available (setup.py); same results as numpy
    from . import _kernel
except ImportError:  # pragma: no cover - depends on the machine that installed citebot
    _kernel = None

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


class Saturation:
    """A term's score in a paragraph from its frequency and the paragraph's length, with rank-bm25's
    operations in its order (the kernel computes the same floats, without fused multiply-add)."""

    def __init__(self, para_len: np.ndarray, idf: np.ndarray, settings: BM25Settings):
        self.settings, self.idf, self.para_len = settings, idf, para_len
        n = len(para_len)
        self.avgdl = float(np.asarray(para_len).sum()) / n if n else 0.0
        self.delta = variant_delta(settings)
        # What every paragraph gets for a query term it lacks (0 for Okapi).
        # (rank-bm25's BM25L multiplies by tf, so an absent term gives 0 there too.)
        self.absent = idf * self.delta if settings.variant == "plus" else np.zeros(len(idf))
        self._norm: np.ndarray | None = None

    @property
    def norm(self) -> np.ndarray:
        """Per paragraph, the length term of the saturation (``k1 * (1 - b + b * dl / avgdl)``; BM25L: no k1)."""
        if self._norm is None:
            self._norm = self.norms(np.asarray(self.para_len))
        return self._norm

    def norms(self, lengths: np.ndarray) -> np.ndarray:
        k1, b = self.settings.k1, self.settings.b
        ratio = lengths.astype(np.float64) / self.avgdl if self.avgdl > 0 else np.zeros(len(lengths))
        if self.settings.variant == "l":
            return 1 - b + b * ratio  # ctd = tf / norm
        return k1 * (1 - b + b * ratio)

    def gains(self, term_id, paras: np.ndarray, tf: np.ndarray) -> np.ndarray:
        """Score of term ``term_id`` (or one term id per posting) in each of ``paras`` (frequencies
        ``tf``) minus what an absent term gives."""
        k1 = self.settings.k1
        norm = np.take(self.norm, paras)
        tf = tf.astype(np.float64)
        idf, absent = self.idf[term_id], self.absent[term_id]
        if self.settings.variant == "l":
            ctd = tf / norm
            return idf * tf * (k1 + 1) * (ctd + self.delta) / (k1 + ctd + self.delta) - absent
        if self.settings.variant == "plus":
            return idf * (self.delta + tf * (k1 + 1) / (norm + tf)) - absent
        return idf * (tf * (k1 + 1) / (tf + norm))

    def term_maxima(self, first_term: int, sizes: np.ndarray, paras: np.ndarray, tf: np.ndarray) -> np.ndarray:
        """The largest gain of each of ``len(sizes)`` consecutive terms from ``first_term`` (0 without
        postings), given their postings (``sizes[i]`` of them for each) in term order."""
        out = np.zeros(len(sizes), dtype=np.float64)
        nonempty = sizes > 0
        if len(paras):
            gains = self.gains(np.repeat(np.arange(first_term, first_term + len(sizes)), sizes), paras, tf)
            starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
            out[nonempty] = np.maximum.reduceat(gains, starts[nonempty])
        return out


class TopK(NamedTuple):
    """The best paragraphs for a query, and which query terms the best one contains."""

    ids: list[int]  # paragraph ids, score descending, then id ascending
    scores: list[float]
    best_terms: frozenset[int]  # term ids of the query found in ids[0] (empty when no ids)


_FULL_FLOOR = 4096  # the rarest term's postings up to this many give an exact lower bound
_CHUNK = 1 << 22  # postings per step when computing impacts (bounds the temporary memory)
_VARIANT_CODE = {"okapi": 0, "plus": 1, "l": 2}  # as the compiled kernel numbers them


class CompiledIndex:
    """The arrays that score a query (may be memory-mapped): see :mod:`retrieval.postings`."""

    # Let the compiled kernel prune (same results). Off: with per-term bounds it skips too little to pay
    # for itself on the benchmark (it ran at 0.85-0.9x the exhaustive path at 1M); tests force it on.
    pruning = False

    def __init__(self, arrays: Mapping[str, np.ndarray], settings: BM25Settings):
        self.arrays = {name: arrays[name] for name in postings.ARRAYS}
        self.settings = settings
        self.ptr, self.df, self.idf = arrays["ptr"], arrays["df"], arrays["idf"]
        self.para_len = arrays["para_len"]
        n = len(self.para_len)
        self.n_paragraphs = n
        self.saturation = Saturation(self.para_len, self.idf, settings)
        self.avgdl, self._delta, self._absent = self.saturation.avgdl, self.saturation.delta, self.saturation.absent
        escapes = len(self.arrays["tf_big_pos"])
        self._kernel_args = (
            *(self.arrays[name] for name in ("ptr", "post_lo", "seg_ptr", "seg_hi", "seg_end", "post_cls",
                                             "tf_big_pos", "tf_big", "idf", "max_impact")),
            self._absent, *self._class_tables(), self.norm if escapes else np.zeros(0),
            _VARIANT_CODE[settings.variant], float(settings.k1), float(self._delta), n)
        self._prepared = None  # the kernel's hold on the arrays, made at the first question
        self._local = threading.local()  # per-thread scratch (the bot asks from executor threads)

    @property
    def norm(self) -> np.ndarray:
        """Per paragraph, the length term of the saturation (see :class:`Saturation`)."""
        return self.saturation.norm

    def _class_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per (tf, length) class, the parts of :meth:`gains` that do not depend on the term.

        Okapi: ``tf * (k1 + 1) / (tf + norm)`` (times idf = the gain); BM25+: ``delta + tf * (k1 + 1) /
        (norm + tf)`` (times idf, minus absent); BM25L: ``tf``, ``ctd + delta`` and ``k1 + ctd + delta``
        (the gain is ``idf * tf * (k1 + 1) * (ctd + delta) / (k1 + ctd + delta) - absent``, in that order).
        The kernel finishes each with the same operations as :meth:`gains`, so the floats are equal.
        """
        k1, delta = self.settings.k1, self._delta
        tf = np.asarray(self.arrays["cls_tf"], dtype=np.float64)
        norm = self.saturation.norms(np.asarray(self.arrays["cls_len"]))
        empty = np.zeros(0)
        if self.settings.variant == "l":
            ctd = tf / norm
            return tf, ctd + delta, k1 + ctd + delta
        if self.settings.variant == "plus":
            return delta + tf * (k1 + 1) / (norm + tf), empty, empty
        return tf * (k1 + 1) / (tf + norm), empty, empty

    def gains(self, term_id, paras: np.ndarray, tf: np.ndarray) -> np.ndarray:
        """Score of term ``term_id`` in each of ``paras`` (frequencies ``tf``) minus what an absent term
        gives (:meth:`Saturation.gains`: the kernel computes the same floats)."""
        return self.saturation.gains(term_id, paras, tf)

    def postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        """The paragraphs (int32, ascending) containing term ``term_id`` and its frequency in each."""
        start, end = int(self.ptr[term_id]), int(self.ptr[term_id + 1])
        return postings.paragraphs(self.arrays, term_id), postings.frequencies(self.arrays, start, end)

    def impacts(self, term_id: int) -> np.ndarray:
        """The score contribution of each of the term's postings (what the kernel adds)."""
        paras, tf = self.postings(term_id)
        return self.gains(term_id, paras, tf)

    @property
    def post_para(self) -> np.ndarray:
        """Every posting's paragraph id (int32), decoded (for checks and tools, not for serving)."""
        return postings.paragraphs(self.arrays, 0, len(self.df)) if len(self.df) else np.zeros(0, np.int32)

    @property
    def post_tf(self) -> np.ndarray:
        """Every posting's term frequency (int32), decoded."""
        return postings.frequencies(self.arrays, 0, int(self.ptr[-1]) if len(self.ptr) else 0)

    @property
    def kernel(self) -> str:
        """Which top-k implementation :meth:`top` uses: ``"compiled"`` or ``"numpy"``."""
        return "numpy" if _kernel is None else "compiled"

    def _scratch(self) -> tuple[np.ndarray, np.ndarray]:
        """This thread's all-zero accumulator (float64) and seen-marks (uint8), one slot per paragraph."""
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            n = self.n_paragraphs  # marks: a byte per paragraph, then the kernel's bitmap of ceil(n / 64) words
            scratch = self._local.scratch = (np.zeros(n, dtype=np.float64),
                                             np.zeros((n + 7) // 8 * 8 + 8 * ((n + 63) // 64), dtype=np.uint8))
        return scratch

    def _counts_and_base(self, query: Sequence[int], weights: Mapping[int, float] | None = None
                         ) -> tuple[dict[int, float], float]:
        """Each distinct term's multiplier (count x weight, in query order), and the score of a
        paragraph with none of them."""
        counts = dict.fromkeys(query, 1) if len(set(query)) == len(query) else Counter(query)
        if weights:
            counts = {t: c * weights.get(t, 1.0) for t, c in counts.items()}
        if self.settings.variant != "plus":
            return counts, 0.0
        absent, size = self._absent, len(self._absent)
        if any(not 0 <= t < size for t in counts):
            raise ValueError("query term id out of range")
        return counts, float(sum(absent[t] * c for t, c in counts.items()))

    def _candidates(self, query: Sequence[int], weights: Mapping[int, float] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, float, list[tuple[int, int]]]:
        """Scores of the paragraphs that contain a query term, touching only their postings.

        Returns ``(paragraph ids, scores, base, spans)``: one entry per posting
        of the query terms, term after term (``spans`` lists ``(term id, postings)``
        in that order), so a paragraph containing k of the terms is listed k
        times with the same score.
        """
        counts, base = self._counts_and_base(query, weights)
        para_parts, gain_parts, spans = [], [], []
        for term_id, count in counts.items():
            if not 0 <= term_id < len(self.df):
                raise ValueError("query term id out of range")
            paras, tf = self.postings(term_id)
            if len(paras):
                gain = self.gains(term_id, paras, tf)
                para_parts.append(paras)
                gain_parts.append(gain if count == 1 else gain * count)
                spans.append((term_id, len(paras)))
        if len(spans) <= 1:
            if not spans:
                return np.empty(0, np.intp), np.empty(0, np.float64), base, []
            paras, gain = para_parts[0], gain_parts[0]
            return paras, gain + base if base else gain, base, spans
        paras = np.concatenate(para_parts, dtype=np.intp)  # intp: numpy would convert at every use
        gain = np.concatenate(gain_parts)
        acc = self._scratch()[0]
        try:
            np.add.at(acc, paras, gain)  # in query-term order, like rank-bm25's sum
            scores = acc.take(paras)
        finally:
            acc[paras] = 0.0
        if base:
            scores += base
        return paras, scores, base, spans

    def score(self, query: Sequence[int], weights: Mapping[int, float] | None = None
              ) -> tuple[np.ndarray, np.ndarray, float]:
        """Scores of the paragraphs that contain a query term.

        ``query`` lists term ids (repeats count, as in rank-bm25); ``weights``
        optionally multiplies a term's contribution (see :meth:`top`). Returns
        ``(paragraph ids ascending, scores, base)`` where ``base`` is the score
        of a paragraph containing none of the terms (0 for Okapi).
        """
        paras, scores, base, spans = self._candidates(query, weights)
        if len(spans) <= 1:
            return paras.astype(np.int64), scores, base
        paras, first = np.unique(paras, return_index=True)
        return paras.astype(np.int64), scores[first], base

    def top(self, query: Sequence[int], limit: int, weights: Mapping[int, float] | None = None) -> TopK:
        """The ``limit`` best paragraphs containing a query term: score descending, then id.

        ``query`` lists term ids (repeats count, as in rank-bm25). ``weights``
        (term id -> positive factor, 1 when absent) scales a term's contribution:
        a paragraph scores the sum of weight x its BM25 score for each term, which
        is how a follow-up question counts its earlier questions' terms less; all
        weights 1 give exactly the unweighted floats. Work is proportional to the
        query terms' postings, not to the corpus. Uses the compiled kernel when it
        was built, else numpy; both give the same floats.
        """
        if _kernel is None:
            return self._top_numpy(query, limit, weights)
        counts, base = self._counts_and_base(query, weights)
        acc, mark = self._scratch()
        if self._prepared is None:
            self._prepared = _kernel.prepare(self._kernel_args)
        ids, scores, best = _kernel.top(self._prepared, list(counts), [float(c) for c in counts.values()],
                                        limit, base, acc, mark, self.pruning)
        return TopK(ids, scores, frozenset(best))

    def _top_numpy(self, query: Sequence[int], limit: int, weights: Mapping[int, float] | None = None) -> TopK:
        """:meth:`top` in numpy: sum impacts in the dense accumulator, prune by a lower bound, sort."""
        paras, scores, _, spans = self._candidates(query, weights)
        if limit <= 0 or not len(paras):
            return TopK([], [], frozenset())
        keep = None
        if len(paras) > 4 * limit:
            # Within one term's postings no paragraph repeats, so the limit-th best score
            # among them is a lower bound for the limit-th best overall. The rarest terms'
            # bounds are the tightest: keep what reaches them (ties included), rank that exactly.
            sizes = [size for _, size in spans]
            starts = list(accumulate(sizes, initial=0))
            rarest = sorted((i for i, size in enumerate(sizes) if size >= limit), key=sizes.__getitem__)
            exact = bool(rarest) and sizes[rarest[0]] <= _FULL_FLOOR
            floor = -math.inf
            for i in rarest[:1] if exact else rarest[:2]:  # all of the rarest term, or samples of two
                start, size = starts[i], sizes[i]
                stride = 1 if exact else max(1, size // (limit * 16))
                sample = scores[start : start + size : stride].copy()
                kth = len(sample) - limit
                sample.partition(kth)
                floor = max(floor, float(sample[kth]))
            if floor > -math.inf:
                keep = (scores >= floor).nonzero()[0]
                paras, scores = paras[keep], scores[keep]
        order = np.lexsort((paras, -scores))
        ids, values = paras[order].tolist(), scores[order].tolist()
        best, run = ids[0], 1
        while run < len(ids) and ids[run] == best:
            run += 1
        top_ids, top_scores, previous = [], [], -1
        for pid, value in zip(ids, values):
            if pid != previous:  # a paragraph reached through several terms is listed once per term
                top_ids.append(pid)
                top_scores.append(value)
                if len(top_ids) == limit:
                    break
                previous = pid
        # The best paragraph's entries lead the order, one per query term it contains.
        positions = order[:run] if keep is None else keep[order[:run]]
        return TopK(top_ids, top_scores, _terms_at(spans, positions.tolist()))

    def full_scores(self, query: Sequence[int], weights: Mapping[int, float] | None = None) -> np.ndarray:
        """Scores of every paragraph (what ``BM25Okapi.get_scores`` returns)."""
        paras, scores, base = self.score(query, weights)
        out = np.full(self.n_paragraphs, base, dtype=np.float64)
        out[paras] = scores
        return out


def _terms_at(spans: list[tuple[int, int]], positions: list[int]) -> frozenset[int]:
    """The term ids owning ``positions`` of candidates laid out span after span."""
    if len(spans) == 1:
        return frozenset((spans[0][0],))
    bounds = list(accumulate(size for _, size in spans))
    return frozenset(spans[bisect_right(bounds, pos)][0] for pos in positions)


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
    of each paragraph. (The build streams its postings instead: :mod:`retrieval.build_runs`.)
    """
    n_terms = len(terms)
    order = _order_by_term(term_ids, n_terms)  # by term, then paragraph
    df = np.bincount(term_ids, minlength=n_terms).astype(np.int32)
    ptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(df, out=ptr[1:])
    post_para = np.asarray(paras).take(order).astype(np.int32, copy=False)
    post_tf = np.asarray(tfs).take(order).astype(np.int32, copy=False)
    return terms, compiled_from_encoded(postings.encode(ptr, post_para, post_tf, para_len), para_len, settings)


def compiled_from_encoded(encoded: dict[str, np.ndarray], para_len: np.ndarray, settings: BM25Settings,
                          max_impact: np.ndarray | None = None) -> CompiledIndex:
    """A CompiledIndex from :class:`retrieval.postings.PostingsEncoder` arrays: adds idf and, unless
    given (the streamed build computes them as it writes), the per-term maximum impacts."""
    df = encoded["df"]
    arrays = {**encoded, "para_len": np.asarray(para_len, dtype=np.int32),
              "idf": compute_idf(df, len(para_len), settings), "max_impact": np.zeros(len(df))}
    if max_impact is None:
        max_impact = max_impacts(CompiledIndex(arrays, settings))
    return CompiledIndex({**arrays, "max_impact": max_impact}, settings)


def max_impacts(c: CompiledIndex) -> np.ndarray:
    """Per term, the largest impact of its postings (0 for a term without postings), term range by term range."""
    ptr = np.asarray(c.ptr)
    out = np.zeros(len(c.df), dtype=np.float64)
    term = 0
    while term < len(c.df):
        start = int(ptr[term])
        last = max(term + 1, int(np.searchsorted(ptr, start + _CHUNK, side="right")) - 1)
        last = min(last, len(c.df))
        end = int(ptr[last])
        if end > start:
            paras = postings.paragraphs(c.arrays, term, last)
            tf = postings.frequencies(c.arrays, start, end)
            out[term:last] = c.saturation.term_maxima(term, np.diff(ptr[term : last + 1]), paras, tf)
        term = last
    return out


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
