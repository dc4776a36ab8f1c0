"""Compact postings: how (term, paragraph, frequency) triples are stored, and read back.

A posting costs 4 bytes on disk:

- ``post_lo`` (uint16): the low 16 bits of its paragraph id. The high bits are
  stored once per *segment*, a run of one term's postings sharing them: term
  ``t``'s segments are ``seg_hi[seg_ptr[t]:seg_ptr[t+1]]`` (paragraph id >> 16),
  each ending at ``ptr[t] + seg_end[s]`` (exclusive).
- ``post_cls`` (uint16): its *class*, the pair (term frequency, paragraph
  length) it has, numbered in ``cls_tf`` / ``cls_len``. A posting's score
  contribution depends on the term only through its idf, so the kernel reads
  each class's saturation from a small table (computed at load with the
  configured BM25 parameters) instead of the paragraph's length, and the floats
  are the ones rank-bm25's formula gives. When a corpus has more distinct pairs
  than fit, the rarest get ``CLS_ESCAPE``: their frequency is in ``tf_big`` at the
  posting positions ``tf_big_pos`` (ascending) and their length in ``para_len``.

``max_impact`` (per term, the largest score contribution of its postings)
bounds what a term can add to a score, for dynamic pruning.
"""

from __future__ import annotations

import numpy as np

CLS_ESCAPE = 0xFFFF
MAX_CLASSES = CLS_ESCAPE  # (tf, length) pairs with a class; the rest escape (tests lower it)
SEGMENT_BITS = 16
ARRAYS = ("ptr", "df", "idf", "para_len", "post_lo", "seg_ptr", "seg_hi", "seg_end", "post_cls", "cls_tf",
          "cls_len", "tf_big_pos", "tf_big", "max_impact")
_CHUNK = 1 << 22  # postings encoded per step (bounds the temporary memory)


class PostingsEncoder:
    """Encodes postings term range after term range (a build can stream them, e.g. from merged runs).

    ``add(df, paras, tfs)`` takes the next ``len(df)`` terms in term-id order:
    their postings grouped by term, paragraph ids ascending within a term,
    frequencies >= 1, and returns the block's ``post_lo`` and provisional
    ``post_cls``. ``arrays()`` returns the encoded arrays (without idf and
    max_impact, which need the whole vocabulary: see
    :func:`retrieval.index.compiled_from_encoded`). With ``keep=False`` the
    encoder does not keep the two per-posting arrays (a writer streams them to
    disk) and the caller maps its provisional classes through :meth:`renumbering`.
    """

    def __init__(self, para_len: np.ndarray, max_classes: int | None = None, keep: bool = True):
        self.para_len = np.asarray(para_len, dtype=np.int64)
        self.max_classes = min(MAX_CLASSES if max_classes is None else max_classes, CLS_ESCAPE)
        self.keep = keep
        self._classes: dict[int, int] = {}  # (tf << 32 | length) -> class
        self._parts: dict[str, list[np.ndarray]] = {k: [] for k in ("df", "lo", "cls", "seg_count", "seg_hi",
                                                                     "seg_end", "big_pos", "big_tf")}
        self._postings = 0

    def add(self, df: np.ndarray, paras: np.ndarray, tfs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        df = np.asarray(df, dtype=np.int64)
        paras = np.asarray(paras)
        tfs = np.asarray(tfs, dtype=np.int64)
        if int(df.sum()) != len(paras) or len(paras) != len(tfs):
            raise ValueError("postings do not match their document frequencies")
        parts = self._parts
        starts = np.zeros(len(df) + 1, dtype=np.int64)
        np.cumsum(df, out=starts[1:])
        hi = (paras >> SEGMENT_BITS).astype(np.uint32)
        boundary = np.ones(len(paras), dtype=bool)
        if len(paras):
            np.not_equal(hi[1:], hi[:-1], out=boundary[1:])
            boundary[starts[:-1][df > 0]] = True  # every term starts a segment
        seg_start = np.flatnonzero(boundary)
        seg_term = np.searchsorted(starts, seg_start, side="right") - 1
        seg_stop = np.append(seg_start[1:], len(paras))
        parts["seg_count"].append(np.bincount(seg_term, minlength=len(df)))
        parts["seg_hi"].append(hi[seg_start])
        parts["seg_end"].append((seg_stop - starts[seg_term]).astype(np.uint32))
        lo = (paras & 0xFFFF).astype(np.uint16)
        del hi, boundary
        keys, inverse = np.unique((tfs << 32) | self.para_len[paras], return_inverse=True)
        for key in keys.tolist():
            if key not in self._classes and len(self._classes) < self.max_classes:
                self._classes[key] = len(self._classes)
        ids = np.fromiter((self._classes.get(k, CLS_ESCAPE) for k in keys.tolist()), dtype=np.uint16,
                          count=len(keys))
        cls = ids[inverse.reshape(-1)]
        big = np.flatnonzero(cls == CLS_ESCAPE)
        parts["big_pos"].append(big + self._postings)
        parts["big_tf"].append(tfs[big].astype(np.int32))
        if self.keep:
            parts["lo"].append(lo)
            parts["cls"].append(cls)
        parts["df"].append(df)
        self._postings += len(paras)
        return lo, cls

    def renumbering(self) -> np.ndarray:
        """uint16[65536]: provisional class -> final class (numbered in (tf, length) order, whatever order
        the blocks brought them in); the escape stays the escape."""
        keys = np.fromiter(self._classes, dtype=np.int64, count=len(self._classes))
        renumber = np.full(CLS_ESCAPE + 1, CLS_ESCAPE, dtype=np.uint16)
        renumber[np.argsort(keys)] = np.arange(len(keys), dtype=np.uint16)
        return renumber

    def arrays(self) -> dict[str, np.ndarray]:
        """The encoded arrays of all terms added (see the module docstring; ``post_lo`` and ``post_cls`` only
        when kept); frees the encoder's parts."""
        parts = self._parts

        def joined(name: str, dtype) -> np.ndarray:
            return np.concatenate(parts[name]).astype(dtype, copy=False) if parts[name] else np.zeros(0, dtype)

        df = joined("df", np.int64)
        ptr = np.zeros(len(df) + 1, dtype=np.int64)
        np.cumsum(df, out=ptr[1:])
        seg_ptr = np.zeros(len(df) + 1, dtype=np.int64)
        np.cumsum(joined("seg_count", np.int64), out=seg_ptr[1:])
        keys = np.sort(np.fromiter(self._classes, dtype=np.int64, count=len(self._classes)))
        out = {"ptr": ptr, "df": df.astype(np.int32), "seg_ptr": seg_ptr,
               "seg_hi": joined("seg_hi", np.uint32), "seg_end": joined("seg_end", np.uint32),
               "cls_tf": (keys >> 32).astype(np.int32),
               "cls_len": (keys & 0xFFFFFFFF).astype(np.int32), "tf_big_pos": joined("big_pos", np.int64),
               "tf_big": joined("big_tf", np.int32)}
        if self.keep:
            out["post_lo"] = joined("lo", np.uint16)
            out["post_cls"] = self.renumbering()[joined("cls", np.uint16)]
        for name in parts:
            parts[name] = []
        return out


def encode(ptr: np.ndarray, post_para: np.ndarray, post_tf: np.ndarray, para_len: np.ndarray
           ) -> dict[str, np.ndarray]:
    """The compact arrays of postings grouped by term (CSR ``ptr``), in bounded steps."""
    encoder = PostingsEncoder(para_len)
    df = np.diff(np.asarray(ptr, dtype=np.int64))
    term = 0
    while term < len(df):
        start = int(ptr[term])
        last = max(term + 1, int(np.searchsorted(ptr, start + _CHUNK, side="right")) - 1)
        last = min(last, len(df))
        end = int(ptr[last])
        encoder.add(df[term:last], post_para[start:end], post_tf[start:end])
        term = last
    return encoder.arrays()


def paragraphs(a: dict[str, np.ndarray], start_term: int, end_term: int | None = None) -> np.ndarray:
    """Paragraph ids (int32) of the postings of terms ``start_term`` up to ``end_term`` (exclusive)."""
    end_term = start_term + 1 if end_term is None else end_term
    ptr, seg_ptr = a["ptr"], a["seg_ptr"]
    first, last = int(ptr[start_term]), int(ptr[end_term])
    s0, s1 = int(seg_ptr[start_term]), int(seg_ptr[end_term])
    ends = np.asarray(a["seg_end"][s0:s1], dtype=np.int64)
    # Absolute segment ends: each segment's term start plus its relative end.
    seg_terms = np.repeat(np.arange(start_term, end_term), np.diff(np.asarray(seg_ptr[start_term : end_term + 1])))
    ends += np.asarray(ptr)[seg_terms]
    sizes = np.diff(np.concatenate(([first], ends))) if len(ends) else np.zeros(0, np.int64)
    if (len(ends) and (np.any(sizes < 0) or int(ends[-1]) != last)) or (not len(ends) and last != first):
        raise ValueError("postings segments are inconsistent")
    hi = np.repeat(np.asarray(a["seg_hi"][s0:s1], dtype=np.int64) << SEGMENT_BITS, sizes)
    return (hi | a["post_lo"][first:last]).astype(np.int32)


def frequencies(a: dict[str, np.ndarray], start: int, end: int) -> np.ndarray:
    """Term frequencies (int32) of postings ``start`` up to ``end`` (positions, not terms)."""
    cls = np.asarray(a["post_cls"][start:end])
    table = np.append(np.asarray(a["cls_tf"], dtype=np.int32), 0)  # escapes read 0 until filled in below
    tf = table[np.minimum(cls, len(table) - 1)]
    pos = a["tf_big_pos"]
    lo, hi = np.searchsorted(pos, [start, end])
    if hi > lo:
        tf[np.asarray(pos[lo:hi]) - start] = a["tf_big"][lo:hi]
    return tf
