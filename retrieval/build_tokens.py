"""Tokenizing a build's files: each distinct whitespace chunk is analysed once per worker.

No token spans whitespace (:meth:`~retrieval.analysis.Analyzer.chunk_terms`),
so a paragraph's terms are its ``str.split()`` chunks' terms in order, and a
worker that has seen "word", "Word," and "word." before turns a paragraph into
terms with a split and dictionary lookups done in C (a chunk holding a word that
may begin a multi-word alias is analysed with its paragraph instead). Surface
words for typo correction are counted per file as
:func:`~retrieval.spelling.count_words` does.

Terms and words get ids local to the worker (:class:`Vocabulary`); every result
a worker returns carries the strings it added since its previous result, so the
main process maps a whole file's ids with one array lookup.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import chain

import numpy as np

from .analysis import Analyzer
from .spelling import WORD

# Distinct chunks memoised per worker (each ~100-200 bytes); cleared when full, like the analyzer's memo.
CHUNK_MEMO = 1 << 21


class Vocabulary:
    """Strings numbered in order of first use, remembering which were already reported."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.strings: list[str] = []
        self._reported = 0

    def id(self, text: str) -> int:
        i = self.ids.get(text)
        if i is None:
            i = self.ids[text] = len(self.strings)
            self.strings.append(text)
        return i

    def news(self) -> list[str]:
        """The strings added since the previous call."""
        new = self.strings[self._reported:]
        self._reported = len(self.strings)
        return new


def _counts(flat: list[int], lengths: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(para_ptr, ids, tfs)``: per paragraph, its distinct ids (ascending) with their counts."""
    ids = np.fromiter(flat, dtype=np.int64, count=len(flat))
    v = max(size, 1)
    para = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    keys, tfs = np.unique(para * v + ids, return_counts=True)
    para_ptr = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(np.bincount(keys // v, minlength=len(lengths)), out=para_ptr[1:])
    return para_ptr, (keys % v).astype(np.int32), tfs.astype(np.int32)


class FileTokenizer:
    """A worker's tokenizer: paragraphs -> term ids with frequencies, texts -> surface word counts."""

    def __init__(self, analyzer: Analyzer, memo_limit: int = CHUNK_MEMO):
        self.analyzer = analyzer
        self.terms = Vocabulary()
        self.words = Vocabulary()
        self.memo_limit = memo_limit
        self._chunk_terms: dict[str, tuple[int, ...]] = {}

    def term_counts(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(para_ptr, ids, tfs)``: each text's distinct term ids (this worker's) with frequencies."""
        memo = self._chunk_terms
        get = memo.__getitem__
        flat: list[int] = []
        lengths = np.empty(len(texts), dtype=np.int64)
        for i, text in enumerate(texts):
            start = len(flat)
            chunks = text.split()
            try:
                flat.extend(chain.from_iterable(map(get, chunks)))
            except KeyError:  # a chunk not seen yet
                del flat[start:]
                flat.extend(self._analyse(text, chunks))
            lengths[i] = len(flat) - start
        return _counts(flat, lengths, len(self.terms.strings))

    def _analyse(self, text: str, chunks: list[str]) -> list[int]:
        memo, term_id, out = self._chunk_terms, self.terms.id, []
        for chunk in chunks:
            ids = memo.get(chunk)
            if ids is None:
                terms = self.analyzer.chunk_terms(chunk)
                if terms is None:  # may begin a multi-word alias: analyse the paragraph as a whole
                    return [term_id(t) for t in self.analyzer.terms(text)]
                ids = tuple(map(term_id, terms))
                if len(memo) >= self.memo_limit:
                    memo.clear()
                memo[chunk] = ids
            out.extend(ids)
        return out

    def word_counts(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, counts)``: the surface words (``count_words``'s, before folding) of all ``texts``."""
        # lower() of the joined texts is the texts' lower() joined: a line break ends a word.
        counts = Counter(WORD.findall("\n".join(texts).lower()))
        ids = np.fromiter(map(self.words.id, counts), dtype=np.int32, count=len(counts))
        return ids, np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
