"""Values that cross module boundaries: documents, paragraphs, hits, citations, answers.

All are immutable (frozen dataclasses; Hit is a NamedTuple) so front-ends can pass them
around freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import NamedTuple


@dataclass(frozen=True)
class Paragraph:
    """One answerable paragraph: its identity is (source, number)."""

    source: str  # path relative to the corpus folder, with "/" separators
    number: int  # 1-based position among the document's paragraphs
    text: str  # display text, whitespace-normalised, author's punctuation kept
    section: tuple[str, ...] = ()  # headings above it, outermost first
    page: int | None = None  # 1-based page where it starts (PDF)
    kind: str = "prose"  # prose | list | code | table | quote


@dataclass(frozen=True)
class Document:
    """One corpus file with its metadata and paragraphs."""

    source: str
    title: str | None
    date: str | None  # ISO 8601, e.g. "2022-02-02T13:29" or "2022-02-02"
    url: str | None
    paragraphs: tuple[Paragraph, ...]
    format: str = "text"  # the reader that read it: text, markdown, html, pdf, docx, rst


class Hit(NamedTuple):
    """A ranked paragraph for a question (a tuple: built ten at a time per question, on the hot path)."""

    doc_index: int  # position of the document in the index
    paragraph_index: int  # global paragraph id in the index
    source: str
    paragraph: int  # 1-based paragraph number within the document
    score: float


@dataclass(frozen=True)
class ParagraphRef:
    """A pointer to a paragraph (used for merged near-duplicates)."""

    source: str
    paragraph: int


@dataclass(frozen=True)
class Citation:
    """A cited paragraph with an excerpt around its best sentence.

    ``highlights`` are ``(start, end)`` character offsets into ``excerpt`` of
    words that match the question.
    """

    n: int
    source: str
    paragraph: int
    title: str | None
    date: str | None
    text: str
    excerpt: str
    highlights: tuple[tuple[int, int], ...]
    score: float
    also_in: tuple[ParagraphRef, ...] = ()
    section: str | None = None  # the section path joined with " › "
    page: int | None = None  # 1-based page where the paragraph starts (PDF)
    url: str | None = None  # the document's URL (front matter or canonical link)

    def location(self) -> str:
        """Where a person would look: ``runbook.md › Deploying › Rollback ¶3``, ``handbook.pdf p. 12 ¶41``."""
        where = self.source + (f" › {self.section}" if self.section else "")
        return where + (f" p. {self.page}" if self.page else "") + f" ¶{self.paragraph}"

    def to_json(self) -> dict:
        """The citation as the CLI's JSON object."""
        # Field by field (asdict deep-copies every value: a tenth of a CLI answer's time).
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["highlights"] = [list(span) for span in self.highlights]
        data["also_in"] = [{"source": ref.source, "paragraph": ref.paragraph} for ref in self.also_in]
        return data


@dataclass(frozen=True)
class FollowUp:
    """How a follow-up question used its conversation's earlier questions.

    ``previous`` are the earlier questions given (oldest first); ``used`` those
    whose terms took part in the search (empty when the question stood on its
    own); ``terms`` every searched term with its weight (1 = the question's own).
    """

    previous: tuple[str, ...]
    used: tuple[str, ...]
    terms: tuple[tuple[str, float], ...]

    def to_json(self) -> dict:
        return {
            "previous": list(self.previous),
            "used": list(self.used),
            "terms": [{"term": t, "weight": round(w, 4)} for t, w in self.terms],
        }


@dataclass(frozen=True)
class Answer:
    """An extractive answer: best sentences with ``[n]`` markers, and citations.

    ``answered`` is False when the corpus has nothing relevant; then ``text``
    is None and ``citations`` is empty. ``more`` holds further citations beyond
    the requested top-k (for paging front-ends); it is not part of the JSON.
    """

    question: str
    answered: bool
    text: str | None
    citations: tuple[Citation, ...]
    matched_share: float = 0.0
    elapsed_ms: float = 0.0
    more: tuple[Citation, ...] = field(default=(), compare=False)
    # Set when the question was asked with earlier questions as context (JSON "context").
    context: FollowUp | None = None
    # Why there is no answer: None when answered, "no_match" or "too_vague" (no content words).
    reason: str | None = None
    # Question words corrected to corpus terms: ({"from": typed, "to": searched}, ...).
    corrections: tuple[dict[str, str], ...] = ()

    @property
    def top_score(self) -> float:
        return self.citations[0].score if self.citations else 0.0

    def to_json(self) -> dict:
        """The answer as the CLI's JSON object (the documented contract)."""
        data = {
            "question": self.question,
            "answered": self.answered,
            "answer": self.text if self.answered else None,
            "citations": [c.to_json() for c in self.citations] if self.answered else [],
            "reason": None if self.answered else (self.reason or "no_match"),
            "corrections": [dict(c) for c in self.corrections],
        }
        if self.context is not None:
            data["context"] = self.context.to_json()
        return data
