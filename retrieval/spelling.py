"""Typo tolerance: a question word the corpus never uses -> the closest word it does use.

The corpus's surface words (lowercase, accents folded, with their counts) are
saved with the index at build time. A question word is corrected only when it
is unknown as written: it is compared (optimal string alignment distance, so a
swap of two letters counts as one edit) with the corpus's words; within 1 edit
(2 for words of 8+ letters) the closest, then the most frequent, wins. A word
that no corpus word is close to may be two words run together ("UserDatagram"
-> "User Datagram"). A question whose words are all known costs one set lookup
per word. Matching uses rapidfuzz (C++), a few milliseconds over 100k words.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable


WORD = re.compile(r"[^\W\d_]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")

MIN_LENGTH = 6  # shorter words are too ambiguous to correct ("reset" is not a typo of "rest")
LONG_WORD = 8  # words this long may be 2 edits away


def fold_word(word: str) -> str:
    """Lowercase with accents stripped (the form the surface vocabulary keeps)."""
    word = word.lower()
    if word.isascii():
        return word
    return "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))


def count_words(texts: Iterable[str]) -> Counter[str]:
    """Surface word counts of ``texts`` (letters only)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(WORD.findall(text.lower()))
    if any(not w.isascii() for w in counts):
        folded: Counter[str] = Counter()
        for w, c in counts.items():
            folded[fold_word(w)] += c
        counts = folded
    return counts


class Speller:
    """Corrections against one corpus's surface vocabulary."""

    def __init__(self, counts: dict[str, int]):
        self.counts = counts
        self._choices: list[str] | None = None

    def known(self, word: str) -> bool:
        return fold_word(word) in self.counts

    def _candidates(self, word: str, limit: int) -> list[tuple[str, int]]:
        from rapidfuzz import process  # only when a question has an unknown word: keeps start-up short
        from rapidfuzz.distance import OSA

        if self._choices is None:
            self._choices = [w for w in self.counts if len(w) >= 3]
        found = process.extract(word, self._choices, scorer=OSA.distance, score_cutoff=limit, limit=None)
        return [(w, d) for w, d, _ in found]

    def correct(self, word: str, same_term=None) -> str | None:
        """The corpus word(s) ``word`` most likely meant, or None (known, too short, nothing close).

        ``same_term(a, b)`` tells whether two words analyse to the same term:
        a word whose own form is unknown but that has a close candidate of the
        same term ("release" when the corpus says "releases") needs no correction.
        """
        folded = fold_word(word)
        if len(folded) < MIN_LENGTH or folded in self.counts or not folded.isalpha():
            return None
        limit = 2 if len(folded) >= LONG_WORD else 1
        candidates = self._candidates(folded, limit)
        if candidates:
            best = min(d for _, d in candidates)
            closest = [w for w, d in candidates if d == best]
            if same_term is not None and any(same_term(folded, w) for w in closest):
                return None
            return max(closest, key=lambda w: (self.counts[w], w))
        return self._split(word)

    def _split(self, word: str) -> str | None:
        """Two known words run together (camelCase first), or None."""
        parts = _CAMEL.split(word)
        if len(parts) > 1 and all(fold_word(p) in self.counts for p in parts):
            return " ".join(parts)
        folded = fold_word(word)
        best = None
        for i in range(3, len(folded) - 2):
            left, right = folded[:i], folded[i:]
            if left in self.counts and right in self.counts:
                score = min(self.counts[left], self.counts[right])
                if best is None or score > best[0]:
                    best = (score, word[:i] + " " + word[i:])
        return best[1] if best else None
