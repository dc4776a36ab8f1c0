"""Golden questions -> recall@k, MRR@k and no-answer accuracy.

A golden file is JSON Lines: ``{"q": "...", "rel": ["substring of a relevant
paragraph", ...]}``; an empty ``rel`` marks a question the corpus cannot answer.
A citation is relevant when its paragraph (or a merged duplicate) contains one
of the substrings (compared with whitespace and quotes normalised).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .analysis import normalize_quotes
from .engine import Engine
from .errors import CitebotError


class GoldenFileError(CitebotError):
    """The golden file is unreadable or a line is malformed (the message names the line)."""


@dataclass(frozen=True)
class GoldenQuestion:
    q: str
    rel: tuple[str, ...]


@dataclass
class EvalReport:
    k: int
    questions: int
    answerable: int
    unanswerable: int
    # None (JSON null) when there is nothing to score: no answerable, or no unanswerable, questions.
    recall_at_k: float | None
    mrr_at_k: float | None
    no_answer_accuracy: float | None
    failures: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def _norm(text: str) -> str:
    return " ".join(normalize_quotes(text).lower().split())


def json_lines(path: Path, error: type[CitebotError]) -> list[tuple[int, object]]:
    """``(line number, parsed value)`` for each non-blank line; ``error`` names the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {path}: {exc}") from None
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            items.append((number, json.loads(line)))
        except ValueError as exc:
            raise error(f"{path}:{number}: not valid JSON ({exc})") from None
    return items


def read_golden(path: Path) -> list[GoldenQuestion]:
    """Parse a golden JSON Lines file (blank lines ignored)."""
    questions = []
    for number, item in json_lines(path, GoldenFileError):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str) or not item["q"].strip():
            raise GoldenFileError(f'{path}:{number}: expected {{"q": "question", "rel": [...]}}')
        rel = item.get("rel", [])
        if not isinstance(rel, list) or not all(isinstance(r, str) and r.strip() for r in rel):
            raise GoldenFileError(f'{path}:{number}: "rel" must be a list of non-empty strings')
        questions.append(GoldenQuestion(item["q"], tuple(rel)))
    if not questions:
        raise GoldenFileError(f"{path}: no questions")
    return questions


def evaluate(engine: Engine, questions: list[GoldenQuestion], k: int) -> EvalReport:
    """Ask every question with top-k citations and score the rankings."""
    hits = reciprocal = no_answer_right = 0
    failures = []
    index = engine.index
    sources = {d.source: d for d in index.documents}
    for item in questions:
        answer = engine.ask(item.q, top_k=k)
        if not item.rel:
            no_answer_right += not answer.answered
            if answer.answered:
                failures.append({"q": item.q, "problem": "answered an unanswerable question"})
            continue
        wanted = [_norm(r) for r in item.rel]
        rank = None
        for position, c in enumerate(answer.citations, 1):
            texts = [c.text] + [
                index.paragraph_text(sources[ref.source].first + ref.paragraph - 1) for ref in c.also_in
            ]
            if any(w in _norm(t) for t in texts for w in wanted):
                rank = position
                break
        if rank is None:
            failures.append({"q": item.q, "problem": "no relevant paragraph in the top k"
                             if answer.answered else "not answered"})
        else:
            hits += 1
            reciprocal += 1 / rank
    answerable = sum(1 for q in questions if q.rel)
    unanswerable = len(questions) - answerable
    return EvalReport(
        k=k, questions=len(questions), answerable=answerable, unanswerable=unanswerable,
        recall_at_k=round(hits / answerable, 4) if answerable else None,
        mrr_at_k=round(reciprocal / answerable, 4) if answerable else None,
        no_answer_accuracy=round(no_answer_right / unanswerable, 4) if unanswerable else None,
        failures=failures,
    )
