"""Follow-up questions: earlier questions of a conversation -> weighted query terms.

Pure functions, shared by ``citebot chat`` and the Discord front-end (both hand
the core a list of earlier questions, oldest first).

- The new question's terms weigh 1. The terms of the earlier questions (at most
  :data:`MAX_PREVIOUS`) weigh less, decaying with distance: 0.5 for the
  previous question, 0.3 for the one before, 0.18 before that; a term asked
  several times keeps its largest weight.
- A follow-up that stands on its own is not dragged off by old context: unless
  the question is elliptical ("and NATO?", "who leaked them?", one content
  term), the context is scaled by the square of the share of the question's
  own information its best paragraph does *not* cover -- a question whose own
  terms all match gets no context at all. (On scifact, 505 claims each asked
  after an unrelated one: nDCG@10 0.8710 alone, 0.8695 as follow-ups; see
  bench/followups.py.)
- Small talk ("thanks!", "ok", "👍") is recognised so front-ends can skip the search.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

MAX_PREVIOUS = 3
FIRST_WEIGHT = 0.5  # the previous question's terms
DECAY = 0.6  # each step further back multiplies the weight by this

# Words that point back to something said before.
_BACK_REFERENCES = frozenset(
    "it it's they them theirs these those he him she hers same".split())
# Openings that continue the previous question: "and NATO?", "what about Russia?".
_CONTINUATION = re.compile(
    r"^\s*(?:and|but|also|or|so|then|plus|what about|how about|and what about|same for|what of)\b",
    re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)

_SMALL_TALK = frozenset({
    "thanks", "thank you", "thank you very much", "thanks a lot", "many thanks", "thx", "ty", "tysm", "thank u",
    "ok", "okay", "k", "kk", "ok thanks", "ok thank you", "okay thanks", "cool", "cool thanks", "great",
    "great thanks", "nice", "perfect", "awesome", "got it", "gotcha", "i see", "makes sense", "understood",
    "alright", "all right", "good", "good bot", "nice bot", "well done", "lol", "haha", "yes", "no", "yep",
    "nope", "hi", "hello", "hey", "bye", "goodbye", "cheers", "np", "no problem", "sure", "wow", "oh",
    "that helps", "that's helpful", "helpful", "thanks that helps", "appreciated", "much appreciated",
})


@dataclass(frozen=True)
class WeightedQuery:
    """The terms a follow-up searches for, each with its weight (question order, then context)."""

    weights: dict[str, float]
    previous: tuple[str, ...]  # the earlier questions whose terms were used, oldest first
    context_scale: float  # 0 = the question stood on its own, 1 = full context weights


def recent(previous: Sequence[str], limit: int = MAX_PREVIOUS) -> tuple[str, ...]:
    """The last ``limit`` non-blank earlier questions, oldest first."""
    cleaned = [q.strip() for q in previous if q and q.strip()]
    return tuple(cleaned[-limit:]) if limit > 0 else ()


def distance_weight(distance: int) -> float:
    """Weight of the terms of the question ``distance`` steps back (1 = the previous one)."""
    return FIRST_WEIGHT * DECAY ** (distance - 1)


def is_elliptical(question: str, own_terms: Sequence[str]) -> bool:
    """Whether the question leans on what came before ("and NATO?", "who leaked them?")."""
    if len(set(own_terms)) <= 1 or _CONTINUATION.match(question):
        return True
    words = {w.lower().replace("’", "'") for w in _WORD.findall(question)}
    return bool(words & _BACK_REFERENCES)


def context_scale(question: str, own_terms: Sequence[str], own_share: float) -> float:
    """How much of the context weights to use: 1 for an elliptical question, else the uncovered share squared.

    ``own_share`` is the share of the question's own information (idf mass)
    that its best paragraph contains when searched alone.
    """
    if is_elliptical(question, own_terms):
        return 1.0
    return max(0.0, min(1.0, 1.0 - own_share)) ** 2


def weigh_terms(own_terms: Sequence[str], previous_terms: Sequence[Sequence[str]], scale: float = 1.0
                ) -> dict[str, float]:
    """Term -> weight: the question's terms 1, earlier questions' terms ``scale`` x their distance weight.

    ``previous_terms`` lists the analysed terms of the earlier questions,
    oldest first. Terms with weight 0 are left out.
    """
    weights = dict.fromkeys(own_terms, 1.0)
    if scale <= 0:
        return weights
    for distance, terms in enumerate(reversed(previous_terms[-MAX_PREVIOUS:]), 1):
        weight = scale * distance_weight(distance)
        for term in terms:
            if weights.get(term, 0.0) < weight:
                weights[term] = weight
    return weights


def build_query(question: str, own_terms: Sequence[str], previous: Sequence[str],
                previous_terms: Sequence[Sequence[str]], own_share: float) -> WeightedQuery:
    """The weighted query for ``question`` given its earlier questions (oldest first) and their terms."""
    previous = tuple(previous)[-MAX_PREVIOUS:]
    previous_terms = list(previous_terms)[-MAX_PREVIOUS:]
    scale = context_scale(question, own_terms, own_share) if previous else 0.0
    weights = weigh_terms(own_terms, previous_terms, scale)
    used = tuple(q for q, terms in zip(previous, previous_terms) if scale > 0 and any(t in weights for t in terms))
    return WeightedQuery(weights, used, scale)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = re.sub(r"<a?:\w+:\d+>|:[a-z0-9_+-]+:", " ", text)  # Discord custom and shortcode emoji
    words = _WORD.findall(text)
    return " ".join(words)


def is_small_talk(text: str) -> bool:
    """Whether ``text`` is a thank-you, an acknowledgement or only emoji/punctuation -- not a question."""
    if not text or not text.strip():
        return False
    normal = _normalise(text)
    if not normal:
        return True  # only emoji, symbols or punctuation: "👍", "!!", ":)"
    normal = re.sub(r"\b(?:citebot|bot|so much|very much|again|a lot|guys|man|mate)\b", " ", normal)
    normal = " ".join(normal.split())
    return normal in _SMALL_TALK or normal.replace("thanks", "thank you") in _SMALL_TALK
