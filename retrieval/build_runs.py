"""The build's postings, streamed: per-file term counts -> sorted runs on disk -> merged term range by range.

Files arrive in corpus order, so paragraph ids only grow: a run (the postings
of consecutive files, sorted by term, stable) lists each term's paragraphs in
ascending order, and a term's postings are its runs' postings concatenated in
run order. Each run is sorted by its terms' string order, which is the final
vocabulary's order (terms.txt is sorted), so the merge reads every run once,
front to back, and memory holds one buffered run and one merged block at a
time instead of every posting of the corpus.

Term and word ids arrive in each worker's own numbering
(:mod:`retrieval.build_tokens`) and are mapped to corpus-wide ids here.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .build_tokens import Growable
from .index_writer import write_array
from .spelling import fold_word

RUN_POSTINGS = 1 << 22  # postings buffered before a run is written (12 bytes each while buffered)
BLOCK_POSTINGS = 1 << 22  # postings per merged block handed to the writer


def _stable_order(keys: np.ndarray, n_keys: int) -> np.ndarray:
    """Stable argsort of small non-negative integers (radix passes over 16-bit halves)."""
    if n_keys <= 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    low = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    return low[np.argsort((keys[low] >> 16).astype(np.uint16), kind="stable")]


@dataclass
class _Run:
    path: Path  # <path>.para, <path>.tf: int32 postings, by term (string order), then paragraph
    terms: np.ndarray  # corpus-wide term ids present, in string order
    counts: np.ndarray  # int64: postings per term


class PostingsRuns:
    """Collects per-file postings in corpus order; spills sorted runs into ``folder``; merges them."""

    def __init__(self, folder: Path, run_postings: int | None = None):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=False)
        self.run_postings = run_postings or RUN_POSTINGS
        self.term_ids: dict[str, int] = {}
        self.terms: list[str] = []
        self.word_ids: dict[str, int] = {}
        self.words: list[str] = []
        self._word_counts = Growable(np.int64)
        self._term_luts: dict[object, Growable] = {}  # worker -> its term ids' corpus-wide ids
        self._word_luts: dict[object, Growable] = {}
        self._para_len = Growable(np.int32)
        self._buffer: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._buffered = 0
        self._runs: list[_Run] = []
        self._forward = open(folder / "forward", "wb", buffering=1 << 20)  # paragraph terms, corpus-wide ids
        self._forward_sizes = Growable(np.int32)

    @property
    def n_paragraphs(self) -> int:
        return self._para_len.size

    def learn(self, worker, new_terms: list[str], new_words: list[str]) -> None:
        """A worker's strings added since its previous result (numbered after the ones it sent before)."""
        for strings, ids, table, luts in ((new_terms, self.term_ids, self.terms, self._term_luts),
                                          (new_words, self.word_ids, self.words, self._word_luts)):
            if not strings:
                continue
            mapped = np.empty(len(strings), dtype=np.int32)
            for i, text in enumerate(strings):
                gid = ids.get(text)
                if gid is None:
                    gid = ids[text] = len(table)
                    table.append(text)
                mapped[i] = gid
            luts.setdefault(worker, Growable(np.int32)).extend(mapped)
        self._word_counts.grow_to(len(self.words))

    def add_file(self, worker, para_ptr: np.ndarray, ids: np.ndarray, tfs: np.ndarray,
                 word_ids: np.ndarray, word_counts: np.ndarray, text_terms=None) -> None:
        """One file's paragraphs (numbered next): their distinct term ids with frequencies, the file's
        surface words, and ``text_terms`` = ``(which, ptr, ids)``: the distinct term ids of the texts
        of paragraphs ``which`` alone (the others' texts have exactly their postings' terms)."""
        if len(word_ids):
            self._word_counts.array[self._word_luts[worker].array[word_ids]] += word_counts
        n = len(para_ptr) - 1
        sums = np.zeros(len(tfs) + 1, dtype=np.int64)
        np.cumsum(tfs, out=sums[1:])
        first = self.n_paragraphs
        self._para_len.extend((sums[para_ptr[1:]] - sums[para_ptr[:-1]]).astype(np.int32))
        lut = self._term_luts[worker].array if worker in self._term_luts else np.zeros(0, np.int32)
        gids = lut[ids]
        sizes = np.diff(para_ptr)
        self._forward_of(gids, sizes, lut, text_terms)
        if not len(ids):
            return
        paras = np.repeat(np.arange(first, first + n, dtype=np.int32), sizes)
        self._buffer.append((gids, paras, tfs.astype(np.int32, copy=False)))
        self._buffered += len(ids)
        if self._buffered >= self.run_postings:
            self._spill()

    def _forward_of(self, gids: np.ndarray, sizes: np.ndarray, lut: np.ndarray, text_terms) -> None:
        """Append the file's paragraph terms (paragraph-major, corpus-wide ids) to the spill file."""
        if text_terms is not None and len(text_terms[0]):
            which, ptr, ids = text_terms
            owners = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
            keep = ~np.isin(owners, which)
            owners = np.concatenate([owners[keep], np.repeat(np.asarray(which, dtype=np.int64), np.diff(ptr))])
            order = np.argsort(owners, kind="stable")
            gids = np.concatenate([gids[keep], lut[ids]])[order]
            sizes = np.bincount(owners, minlength=len(sizes))
        write_array(self._forward, gids.astype(np.int32, copy=False))
        self._forward_sizes.extend(sizes)

    def paragraph_terms(self, path: Path) -> tuple[np.dtype, np.ndarray, np.ndarray]:
        """Write the paragraph terms (:mod:`retrieval.paragraph_terms`) with final ids to ``path`` (raw);
        returns their dtype, pointers and exact flags. After :meth:`finish`.

        A term of a text alone that the index does not have (a multi-word alias joined the text
        to its heading or title when indexed) marks the paragraph inexact and is left out."""
        self._forward.close()
        sizes = self._forward_sizes.array
        ptr = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=ptr[1:])
        dtype = np.dtype(np.uint16 if len(self._final) and int(self._final.max()) < 1 << 16 else np.uint32)
        exact = np.ones(len(sizes), dtype=np.uint8)
        dropped = None
        with open(self.folder / "forward", "rb") as src, open(path, "wb") as out:
            done = 0
            while chunk := src.read(4 << 22):
                final = self._final[np.frombuffer(chunk, dtype=np.int32)]
                missing = np.flatnonzero(final < 0)
                if len(missing):
                    paras = np.searchsorted(ptr, done + missing, side="right") - 1
                    exact[paras] = 0
                    dropped = np.zeros(len(sizes), dtype=np.int64) if dropped is None else dropped
                    np.add.at(dropped, paras, 1)
                    final = final[final >= 0]
                write_array(out, final.astype(dtype))
                done += len(chunk) // 4
        if dropped is not None:
            np.cumsum(sizes - dropped, out=ptr[1:])
        return dtype, ptr, exact

    def _spill(self) -> None:
        if not self._buffer:
            return
        gids = np.concatenate([b[0] for b in self._buffer])
        paras = np.concatenate([b[1] for b in self._buffer])
        tfs = np.concatenate([b[2] for b in self._buffer])
        self._buffer, self._buffered = [], 0
        present = np.unique(gids)
        in_order = np.asarray(sorted(present.tolist(), key=self.terms.__getitem__), dtype=np.int32)
        rank = np.empty(len(self.terms), dtype=np.int32)
        rank[in_order] = np.arange(len(in_order), dtype=np.int32)
        keys = rank[gids]
        del gids
        order = _stable_order(keys, len(in_order))
        path = self.folder / f"run{len(self._runs):05d}"
        with open(path.with_suffix(".para"), "wb") as out:
            write_array(out, paras.take(order))
        del paras
        with open(path.with_suffix(".tf"), "wb") as out:
            write_array(out, tfs.take(order))
        self._runs.append(_Run(path, in_order, np.bincount(keys, minlength=len(in_order)).astype(np.int64)))

    def finish(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Write the last run; returns ``(sorted terms, df, para_len)`` of the whole corpus."""
        self._spill()
        df_by_id = np.zeros(len(self.terms), dtype=np.int64)
        for run in self._runs:
            df_by_id[run.terms] += run.counts
        used = np.flatnonzero(df_by_id)
        sorted_ids = sorted(used.tolist(), key=self.terms.__getitem__)
        self._final = np.full(len(self.terms), -1, dtype=np.int64)
        self._final[sorted_ids] = np.arange(len(sorted_ids))
        df = df_by_id[sorted_ids].astype(np.int32)
        self._ptr = np.zeros(len(df) + 1, dtype=np.int64)
        np.cumsum(df, out=self._ptr[1:])
        return [self.terms[i] for i in sorted_ids], df, self._para_len.array.copy()

    def word_counts(self) -> dict[str, int]:
        """The corpus's surface words with counts, folded as :func:`~retrieval.spelling.count_words` does."""
        counts = dict(zip(self.words, self._word_counts.array.tolist()))
        if any(not w.isascii() for w in counts):
            folded: Counter[str] = Counter()
            for w, c in counts.items():
                folded[fold_word(w)] += c
            counts = dict(folded)
        return counts

    def blocks(self, block_postings: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(post_para, post_tf)`` of consecutive whole terms in final order (after :meth:`finish`)."""
        block_postings = block_postings or BLOCK_POSTINGS
        ptr, n_terms = self._ptr, len(self._ptr) - 1
        runs = []
        for run in self._runs:
            final = self._final[run.terms]
            offsets = np.zeros(len(run.counts) + 1, dtype=np.int64)
            np.cumsum(run.counts, out=offsets[1:])
            runs.append((final, run.counts, offsets, open(run.path.with_suffix(".para"), "rb"),
                         open(run.path.with_suffix(".tf"), "rb")))
        try:
            at = [0] * len(runs)
            t0 = 0
            while t0 < n_terms:
                t1 = int(np.searchsorted(ptr, ptr[t0] + block_postings, side="right")) - 1
                t1 = min(max(t1, t0 + 1), n_terms)
                size = int(ptr[t1] - ptr[t0])
                out_para = np.empty(size, dtype=np.int32)
                out_tf = np.empty(size, dtype=np.int32)
                fill = ptr[t0:t1] - ptr[t0]  # next free slot of each term of the block
                for r, (final, counts, offsets, para_file, tf_file) in enumerate(runs):
                    a = at[r]
                    b = int(np.searchsorted(final, t1, side="left"))
                    if b == a:
                        continue
                    n = int(offsets[b] - offsets[a])
                    local, count = final[a:b] - t0, counts[a:b]
                    starts = fill[local] - (offsets[a:b] - offsets[a])
                    dst = np.repeat(starts, count) + np.arange(n, dtype=np.int64)
                    out_para[dst] = np.fromfile(para_file, dtype=np.int32, count=n)
                    out_tf[dst] = np.fromfile(tf_file, dtype=np.int32, count=n)
                    fill[local] += count
                    at[r] = b
                yield out_para, out_tf
                t0 = t1
        finally:
            for run in runs:
                run[3].close()
                run[4].close()

    def close(self) -> None:
        """Delete the runs."""
        self._buffer = []
        self._forward.close()
        shutil.rmtree(self.folder, ignore_errors=True)
