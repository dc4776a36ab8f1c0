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

    def ids_of(self, strings) -> np.ndarray:
        """The ids of ``strings`` (an iterable that can be read twice), numbering new ones."""
        found = list(map(self.ids.get, strings))
        if None in found:
            found = [self.id(text) if i is None else i for text, i in zip(strings, found)]
        return np.array(found, dtype=np.int32)

    def news(self) -> list[str]:
        """The strings added since the previous call."""
        new = self.strings[self._reported:]
        self._reported = len(self.strings)
        return new


class Growable:
    """A 1-d numpy array appended to in amortised O(1)."""

    def __init__(self, dtype, initial=()) -> None:
        self._data = np.zeros(1024, dtype=dtype)
        self.size = 0
        self.extend(initial)

    def extend(self, values) -> None:
        values = np.asarray(values, dtype=self._data.dtype)
        end = self.size + len(values)
        if end > len(self._data):
            grown = np.zeros(max(end, 2 * len(self._data)), dtype=self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : end] = values
        self.size = end

    def grow_to(self, size: int) -> None:
        if size > self.size:
            self.extend(np.zeros(size - self.size, dtype=self._data.dtype))

    @property
    def array(self) -> np.ndarray:
        return self._data[: self.size]


def _expand(ptr: np.ndarray, table: np.ndarray, keys: np.ndarray, owners: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """The table rows (CSR: ``table[ptr[k]:ptr[k+1]]``) of ``keys`` concatenated, and each value's owner."""
    starts = ptr[keys]
    sizes = ptr[keys + 1] - starts
    shift = np.repeat(starts - (np.cumsum(sizes) - sizes), sizes)
    return table[shift + np.arange(len(shift), dtype=np.int64)], np.repeat(owners, sizes)


def _per_paragraph(ids: np.ndarray, para: np.ndarray, n: int, size: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(para_ptr, ids, tfs)``: per paragraph (``para`` of each id), its distinct ids (ascending) with counts."""
    v = max(size, 1)
    keys, tfs = np.unique(para * v + ids, return_counts=True)
    para_ptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(keys // v, minlength=n), out=para_ptr[1:])
    return para_ptr, (keys % v).astype(np.int32), tfs.astype(np.int32)


class FileTokenizer:
    """A worker's tokenizer: a file's paragraphs -> term ids with frequencies, and its surface words.

    Each distinct chunk gets a number; per chunk number, its term ids, surface
    word ids and whether a word of it may begin a multi-word alias are kept in
    flat arrays, so a file is mapped to terms and words with numpy.
    """

    def __init__(self, analyzer: Analyzer, memo_limit: int = CHUNK_MEMO):
        self.analyzer = analyzer
        self.terms = Vocabulary()
        self.words = Vocabulary()
        self.memo_limit = memo_limit
        self._reset()

    def _reset(self) -> None:
        self._chunks: dict[str, int] = {}
        self._term_ptr, self._term_ids = Growable(np.int64, [0]), Growable(np.int64)
        self._word_ptr, self._word_ids = Growable(np.int64, [0]), Growable(np.int64)
        self._phrasal = Growable(np.bool_)

    def _chunk_numbers(self, chunks: list[str]) -> np.ndarray:
        memo = self._chunks
        try:
            return np.array(list(map(memo.__getitem__, chunks)), dtype=np.int64)
        except KeyError:  # chunks not seen yet
            new = [c for c in dict.fromkeys(chunks) if c not in memo]
            if len(memo) + len(new) > self.memo_limit:
                self._reset()
                memo, new = self._chunks, list(dict.fromkeys(chunks))
            term_ids, word_ids, term_sizes, word_sizes, phrasal = [], [], [], [], []
            term_id, word_id = self.terms.id, self.words.id
            for chunk in new:
                memo[chunk] = len(memo)
                terms = self.analyzer.chunk_terms(chunk)
                phrasal.append(terms is None)
                if terms:
                    term_ids.extend(map(term_id, terms))
                term_sizes.append(len(terms) if terms else 0)
                # lower() of a chunk is its part of the whole text's lower(): whitespace ends a word.
                words = WORD.findall(chunk.lower())
                word_ids.extend(map(word_id, words))
                word_sizes.append(len(words))
            for ptr, table, values, sizes in ((self._term_ptr, self._term_ids, term_ids, term_sizes),
                                              (self._word_ptr, self._word_ids, word_ids, word_sizes)):
                table.extend(values)
                ptr.extend(ptr.array[-1] + np.cumsum(np.asarray(sizes, dtype=np.int64)))
            self._phrasal.extend(phrasal)
            return np.array(list(map(memo.__getitem__, chunks)), dtype=np.int64)

    def file_counts(self, texts: Sequence[str], term_context: str = "", word_context: str = "",
                    with_terms: bool = True, with_words: bool = True):
        """A file's terms and words: ``((para_ptr, ids, tfs), (word_ids, word_counts))``.

        Terms: each text's distinct term ids (this worker's) with frequencies, ``term_context``
        counting as words of the first text (as if joined with a line break); ``None`` unless
        ``with_terms``. Words: the surface words (``count_words``'s, before folding) of ``texts``
        and ``word_context``; ``None`` unless ``with_words``.
        """
        lists = [text.split() for text in texts]
        lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        extra_terms = term_context.split() if with_terms and lists else []
        extra_words = word_context.split() if with_words else []
        numbers = self._chunk_numbers(list(chain(chain.from_iterable(lists), extra_terms, extra_words)))
        body = int(lengths.sum())
        words = None if not with_words else self._words_of(np.concatenate([numbers[:body],
                                                                           numbers[body + len(extra_terms):]]))
        if not with_terms:
            return None, words
        if extra_terms:
            first = int(lengths[0])
            numbers = np.concatenate([numbers[:first], numbers[body : body + len(extra_terms)], numbers[first:body]])
            lengths[0] += len(extra_terms)
        else:
            numbers = numbers[:body]
        para = np.repeat(np.arange(len(lists), dtype=np.int64), lengths)
        ids, owners = _expand(self._term_ptr.array, self._term_ids.array, numbers, para)
        phrasal = self._phrasal.array[numbers]
        if phrasal.any():  # paragraphs with a possible multi-word alias: analysed whole
            redo = np.unique(para[phrasal])
            keep = ~np.isin(owners, redo)
            ids_parts, owner_parts = [ids[keep]], [owners[keep]]
            for p in redo.tolist():
                text = texts[p] + "\n" + term_context if p == 0 and extra_terms else texts[p]
                again = self.terms.ids_of(self.analyzer.terms(text)).astype(np.int64)
                ids_parts.append(again)
                owner_parts.append(np.full(len(again), p, dtype=np.int64))
            ids, owners = np.concatenate(ids_parts), np.concatenate(owner_parts)
        return _per_paragraph(ids, owners, len(lists), len(self.terms.strings)), words

    def _words_of(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        present, times = np.unique(numbers, return_counts=True)
        word_ids, occurrences = _expand(self._word_ptr.array, self._word_ids.array, present, times)
        found, where = np.unique(word_ids, return_inverse=True)
        return (found.astype(np.int32),
                np.bincount(where.reshape(-1), weights=occurrences, minlength=len(found)).astype(np.int64))

    def text_terms(self, texts: Sequence[str], which: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """``(ptr, ids)``: the distinct term ids of ``texts[i]`` alone for each ``i`` in ``which``
        (:mod:`retrieval.paragraph_terms`: what a paragraph's text says without its headings or title)."""
        (ptr, ids, _), _ = self.file_counts([texts[i] for i in which], with_words=False)
        return ptr, ids
