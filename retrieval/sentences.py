"""Sentence splitting: nltk's Punkt with the project's abbreviations, without its per-call overheads.

Answers split every cited paragraph into sentences, so Punkt's cost matters (0.1-0.3 ms a
paragraph). :class:`SentenceSplitter` is ``PunktSentenceTokenizer`` (same parameters, same
spans) with four shortcuts that do not change its output:

- a text without ``.``, ``?`` or ``!`` has no candidate boundary: one sentence, no scanning;
- Punkt's regular expressions run without nltk's ReDoS timer (fixed, linear-time patterns);
- the search for the last whitespace before a candidate uses ``str.rfind`` instead of a
  character-by-character Python loop;
- the decision at a candidate ("word. Next", with untrained parameters only the
  abbreviation list matters) is read off the plainest shapes directly — a word of two or
  more letters and a period, then a token: a break unless the word is an abbreviation
  followed by a plain word; ``?`` or ``!`` then a token: a break — and remembered
  (bounded) for the rest, which Punkt decides as usual.
"""

from __future__ import annotations

import re
import string

from . import nltk_parts

_CONTEXT_MEMO = 20_000  # candidate contexts whose decision is kept
_WHITESPACE = string.whitespace  # what Punkt's _get_last_whitespace_index looks for
# "word. Token" (ASCII letters, ASCII whitespace): group 1 the word, group 2 the token after.
_PERIOD_CONTEXT = re.compile(r"([A-Za-z]{2,})\.[ \t\r\n]+(\S+)")
_PLAIN_WORD = re.compile(r"[A-Za-z]+")
_QUESTION_CONTEXT = re.compile(r"[A-Za-z]*[?!][ \t\r\n]+\S+")


def _splitter_class():
    punkt = nltk_parts.modules().punkt
    try:
        redos = nltk_parts.modules().redos
    except ImportError:  # an nltk without redos has no timer to skip
        redos = None

    def untimed(pattern):
        return redos.compile(pattern, timeout=None) if redos is not None else pattern

    class _LanguageVars(punkt.PunktLanguageVars):
        re_boundary_realignment = untimed(punkt.PunktLanguageVars.re_boundary_realignment)

        def __init__(self):
            super().__init__()
            self._re_period_context = untimed(super().period_context_re())
            self._re_word_tokenizer = untimed(super()._word_tokenizer_re())

    class SentenceSplitter(punkt.PunktSentenceTokenizer):
        """``PunktSentenceTokenizer`` with the given abbreviations; identical spans, less overhead."""

        def __init__(self, abbreviations):
            params = punkt.PunktParameters()
            params.abbrev_types = set(abbreviations)
            super().__init__(params, lang_vars=_LanguageVars())
            self._abbreviations = params.abbrev_types
            self._decided: dict[str, bool] = {}

        def spans(self, text: str) -> list[tuple[int, int]]:
            """Sentence spans of ``text`` (what ``span_tokenize`` yields)."""
            if "." not in text and "?" not in text and "!" not in text:
                end = len(text.rstrip())
                return [(0, end)] if end else []
            return list(self.span_tokenize(text))

        def _get_last_whitespace_index(self, text: str) -> int:
            return max(0, max(text.rfind(c) for c in _WHITESPACE))

        def text_contains_sentbreak(self, text: str) -> bool:
            match = _PERIOD_CONTEXT.fullmatch(text)
            if match is not None:
                if match.group(1).lower() not in self._abbreviations:
                    return True  # "word." is a break, and a token follows it
                if _PLAIN_WORD.fullmatch(match.group(2)):
                    return False  # an abbreviation followed by a plain word
            elif _QUESTION_CONTEXT.fullmatch(text):
                return True
            decided = self._decided.get(text)
            if decided is None:
                decided = super().text_contains_sentbreak(text)
                if len(self._decided) >= _CONTEXT_MEMO:
                    self._decided.clear()
                self._decided[text] = decided
            return decided

    return SentenceSplitter


def splitter(abbreviations) -> object:
    """A sentence splitter (``.spans(text)``) equal to Punkt with these abbreviation types."""
    return _splitter_class()(abbreviations)
