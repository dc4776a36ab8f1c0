"""Whether the best paragraphs answer a question: explainable evidence, thresholds from settings.

- **too_vague**: no content word beyond generic ones ("what is the default?",
  "thanks!"): nothing to search for. A generic word that names a section's
  topic ("install", "requirements", see ``TOPIC_WORDS``) is searched when
  exactly one document among the best paragraphs has it in a heading or its
  title (``topic_heading``): "how do I install it?" asked of one project's docs.
- **no_match** when a *name or code* of the question (capitalised inside the
  question, all capitals, with digits or an underscore, part of a dotted name
  such as ``time.monotonic``, an option flag such as ``--delete``, or the
  command written before one, as ``rsync`` in "rsync --delete") is unknown to
  the corpus even after typo correction: a corpus that never names it does not
  hold the answer.
- **no_match** when more than ``max_unknown_share`` of the question's content
  words are ordinary words the corpus never uses, even after typo correction ("what did
  Stoltenberg say about the rsync cluster backups?" asked of news articles):
  the best paragraph can match only the rest, and the corpus is not about what
  is asked. One unknown word among several (a phrasing the corpus does not use,
  a misspelling nothing is close to) still weighs only in the shares below.
- **no_match** when the best paragraph covers too little of the question's
  information (``min_matched_share`` of the idf weight; an unknown ordinary
  word weighs ``unknown_word_weight`` of the largest weight, since it may be a
  word the corpus just phrases differently) or too little of its *distinctive*
  terms (names, numbers, codes and rare words: ``min_distinctive_share``).

A follow-up (a question with conversation context) is decided the same way on
its weighted query: each term's information is multiplied by its query weight
(1 for the question's own terms, less for the context's), the context's names
and codes count as distinctive, and a vague follow-up ("and then?") is vague
only when the context adds no content either. Only the question's *own*
unknown names refuse outright: an earlier question's unknown name just weighs
in the shares with its context weight. The context may fill in what a
follow-up leaves out, not replace what it asks: the best paragraph must also
hold ``min_matched_share`` of the follow-up's own content words' information
("and rsync?" after a question the corpus answers is still ``no_match``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .analysis import Analyzer
from .models import Hit
from .settings import AnswerSettings
from .stopwords import TOPIC_WORDS, VAGUE_WORDS


class QuestionWord(NamedTuple):
    text: str
    start: int
    end: int
    term: str | None  # None for a stopword; a code's whole form for a code
    name_like: bool  # capitalised inside the question, all capitals, with digits, or written as code


@dataclass(frozen=True)
class Decision:
    reason: str | None  # None = answer
    share: float
    explanation: dict = field(default_factory=dict)


def _name_like(text: str, first: bool) -> bool:
    if any(ch.isdigit() for ch in text) or any(ch.isupper() for ch in text[1:]):
        return True  # a code (p53, COVID19), an acronym (NATO) or a mixed-case name (PrP)
    return text[:1].isupper() and not first


_BEFORE_FLAG = re.compile(r"[ \t]+--?[^\W\d_]")


def _written_as_code(question: str, start: int, end: int, term: str | None) -> bool:
    """An identifier (max_workers), part of a dotted name (time.monotonic), an option flag
    (--delete, -r) or the command written before one (rsync in "rsync --delete")."""
    text = question[start:end]
    if "_" in text:
        return True
    before, after = question[max(0, start - 2):start], question[end:end + 2]
    if (before[-1:] == "." and before[:1].isalnum()) or (after[:1] == "." and after[1:].isalnum()):
        return True
    if before == "--" or (before[-1:] == "-" and (start == 1 or before[:1].isspace())):
        return True
    return term is not None and text.lower() not in VAGUE_WORDS and bool(_BEFORE_FLAG.match(question, end))


def question_words(analyzer: Analyzer, question: str) -> list[QuestionWord]:
    """The question's words with their terms and whether each looks like a name or code."""
    out = []
    for i, (text, start, end, term) in enumerate(analyzer.words(question)):
        if term is not None and term.__class__ is not str:
            term = term[0]  # a code: the code as written stands for it ("covid19" for COVID-19)
        sentence_start = i == 0 or question[:start].rstrip()[-1:] in ".?!:;\"'("
        name_like = _name_like(text, sentence_start) or _written_as_code(question, start, end, term)
        out.append(QuestionWord(text, start, end, term, name_like))
    return out


def is_vague(words: Sequence[QuestionWord]) -> bool:
    """No content word beyond generic ones."""
    return not any(w.term is not None and w.text.lower() not in VAGUE_WORDS for w in words)


def topic_terms(words: Sequence[QuestionWord]) -> set[str]:
    """The terms of a vague question's words that can name a section's topic (empty otherwise)."""
    if not is_vague(words):
        return set()
    return {w.term for w in words if w.term is not None and w.text.lower() in TOPIC_WORDS}


def decide(words: Sequence[QuestionWord], weights: dict[str, float], ids: dict[str, int | None],
           matched: set[str], hits: Sequence[Hit], settings: AnswerSettings,
           context_words: Sequence[QuestionWord] = (), topic_heading: bool = False) -> Decision:
    """Answer or not, with the evidence (see the module docstring).

    ``weights`` is each query term's information (times its query weight for a
    follow-up); ``context_words`` are the words of the earlier questions whose
    terms are in the query (empty for a question on its own). ``topic_heading``:
    exactly one document of the best paragraphs has a heading or title naming
    the vague question's topic (see :func:`topic_terms`).
    """
    if is_vague(words) and is_vague(context_words) and not topic_heading:
        return Decision("too_vague", 0.0, {"vague": True})
    # (A word inside a multi-word alias, "United" in "United States", is not a term of its own.)
    unknown_names = sorted({w.text for w in words if w.name_like and w.term in ids and ids[w.term] is None})
    name_terms = {w.term for w in (*words, *context_words) if w.name_like and w.term in weights}
    top = max(weights.values(), default=0.0)
    total = got = 0.0
    rare_total = rare_got = 0.0
    rare_limit = settings.rare_term_weight * top if top else 0.0
    for term, weight in weights.items():
        known = ids.get(term) is not None
        if not known and term not in name_terms:
            weight *= settings.unknown_word_weight
        total += weight
        got += weight if term in matched else 0.0
        if term in name_terms or (known and weight >= rare_limit):
            rare_total += weight
            rare_got += weight if term in matched else 0.0
    share = got / total if total else 0.0
    distinctive = rare_got / rare_total if rare_total else 1.0
    own_share = _own_share(words, weights, ids, matched, settings) if context_words else 1.0
    explanation = {
        "share": round(share, 4), "distinctive_share": round(distinctive, 4), "unknown_names": unknown_names,
        "unknown": sorted(t for t in weights if ids.get(t) is None),
        "top_score": round(hits[0].score, 4) if hits else 0.0,
    }
    if context_words:
        explanation["own_share"] = round(own_share, 4)
    if not hits or hits[0].score <= 0:
        return Decision("no_match", share, explanation)
    if unknown_names and settings.refuse_unknown_names:
        return Decision("no_match", share, explanation)
    # Unknown names are the rule above's; this one counts the ordinary words the corpus never uses.
    # Generic words do not count: a corpus that never says "version" or "need" may still answer
    # "what version of python do I need?" ("Python 3.10 or newer is required").
    content = {w.term for w in words if w.term in ids and w.text.lower() not in VAGUE_WORDS}
    unknown_words = {w.term for w in words if w.term in content and ids[w.term] is None and not w.name_like}
    unknown_share = len(unknown_words) / len(content) if content else 0.0
    explanation["unknown_share"] = round(unknown_share, 4)
    if unknown_share > settings.max_unknown_share:
        return Decision("no_match", share, explanation)
    if share < settings.min_matched_share or distinctive < settings.min_distinctive_share:
        return Decision("no_match", share, explanation)
    if own_share < settings.min_matched_share:
        return Decision("no_match", share, explanation)
    return Decision(None, share, explanation)


def _own_share(words: Sequence[QuestionWord], weights: dict[str, float], ids: dict[str, int | None],
               matched: set[str], settings: AnswerSettings) -> float:
    """Share of a follow-up's own content words' information in the best paragraph (1 when it has none)."""
    own = {w.term for w in words if w.term in weights and w.text.lower() not in VAGUE_WORDS}
    names = {w.term for w in words if w.name_like}
    total = got = 0.0
    for term in own:
        weight = weights[term]
        if ids.get(term) is None and term not in names:
            weight *= settings.unknown_word_weight
        total += weight
        got += weight if term in matched else 0.0
    return got / total if total else 1.0
