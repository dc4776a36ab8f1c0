"""Golden questions -> recall@k, MRR@k and no-answer accuracy.

A golden file is JSON Lines: ``{"q": "...", "rel": ["substring of a relevant
paragraph", ...]}``; an empty ``rel`` marks a question the corpus cannot answer.
A citation is relevant when its paragraph (or a merged duplicate) contains one
of the substrings (compared with whitespace and quotes normalised).

A line may name the document it is about instead, ``"source": "path/in/corpus"``
(or a list of documents that each answer it; with ``rel`` too, a relevant
citation must satisfy both): the question is answerable when the index holds
one of them and unanswerable when it holds none,
so one question file scores a corpus holding any part of a document set (a
held-out check: questions about every document, half of them indexed). A line
with ``"vague": true`` asks nothing specific ("what is the default?") and must
get the ``too_vague`` reply; it counts as unanswerable.

A line may also give ``"answer": ["answer text", ...]`` (reading comprehension):
for those questions whose relevant paragraph is cited, the report says how
often the answer's first quoted sentence contains one of them, how often its
lead does (the lead sentence with the sentence before it when it refers back:
"It rises in the Black Forest…" is quoted after "The Danube is…"), and how
often the whole answer text does.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .analysis import normalize_quotes
from .answer import refers_back
from .engine import Engine
from .errors import CitebotError


class GoldenFileError(CitebotError):
    """The golden file is unreadable or a line is malformed (the message names the line)."""


@dataclass(frozen=True)
class GoldenQuestion:
    q: str
    rel: tuple[str, ...]
    answer: tuple[str, ...] = ()  # the answer's words, when the line gives them
    sources: tuple[str, ...] = ()  # the documents that answer it, when the line names them
    vague: bool = False  # the question must get the too_vague reply


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
    # Share of answerable questions refused, and of unanswerable ones answered (None when there are none).
    refused: float | None = None
    false_answers: float | None = None
    # Share of the vague lines that got the too_vague reply (None when the file has none).
    too_vague_accuracy: float | None = None
    failures: list[dict] = field(default_factory=list)
    # Only when the golden file gives answers: {"questions": those with the right paragraph cited,
    # "answer_in_first_sentence", "answer_in_lead", "answer_in_text": the shares that hold the answer there}.
    reading: dict | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        for optional in ("reading", "too_vague_accuracy"):
            if data[optional] is None:
                data.pop(optional)
        return data


_MARKER = re.compile(r" \[(\d+)\](?: |$)")


def quoted_sentences(text: str | None) -> list[tuple[str, int]]:
    """An answer's quoted sentences with their citation numbers, in order."""
    out, start = [], 0
    for match in _MARKER.finditer(text or ""):
        out.append((text[start:match.start()], int(match.group(1))))
        start = match.end()
    return out


def lead_sentence(text: str | None) -> str:
    """The answer's lead: its first quoted sentence, with the next one when that one refers back to it."""
    sentences = quoted_sentences(text)
    if not sentences:
        return text or ""
    if len(sentences) > 1 and sentences[1][1] == sentences[0][1] and refers_back(sentences[1][0]):
        return f"{sentences[0][0]} {sentences[1][0]}"
    return sentences[0][0]


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
        answer = item.get("answer", [])
        if not isinstance(answer, list) or not all(isinstance(a, str) and a.strip() for a in answer):
            raise GoldenFileError(f'{path}:{number}: "answer" must be a list of non-empty strings')
        source, vague = item.get("source", []), item.get("vague", False)
        source = [source] if isinstance(source, str) else source
        if not isinstance(source, list) or not all(isinstance(s, str) and s.strip() for s in source):
            raise GoldenFileError(f'{path}:{number}: "source" must be a document path or a list of them')
        if not isinstance(vague, bool) or vague and (rel or source):
            raise GoldenFileError(f'{path}:{number}: "vague" must be true or false, and a vague line has no '
                                  '"rel" or "source"')
        questions.append(GoldenQuestion(item["q"], tuple(rel), tuple(answer), tuple(source), vague))
    if not questions:
        raise GoldenFileError(f"{path}: no questions")
    return questions


def evaluate(engine: Engine, questions: list[GoldenQuestion], k: int) -> EvalReport:
    """Ask every question with top-k citations and score the rankings."""
    hits = reciprocal = no_answer_right = refused = vague_right = 0
    read = in_first = in_lead = in_text = 0
    failures = []
    index = engine.index
    sources = {d.source: d for d in index.documents}
    answerable_of = {id(q): any(s in sources for s in q.sources) if q.sources else bool(q.rel)
                     for q in questions}
    for item in questions:
        answer = engine.ask(item.q, top_k=k)
        if item.vague:
            vague_right += answer.reason == "too_vague"
            if answer.reason != "too_vague":
                failures.append({"q": item.q, "problem": "a vague question did not get the too_vague reply"})
        if not answerable_of[id(item)]:
            no_answer_right += not answer.answered
            if answer.answered:
                failures.append({"q": item.q, "problem": "answered an unanswerable question",
                                 "cited": answer.citations[0].source})
            continue
        refused += not answer.answered
        wanted = [_norm(r) for r in item.rel]
        rank = None
        for position, c in enumerate(answer.citations, 1):
            refs = [(c.source, c.text)] + [
                (ref.source, index.paragraph_text(sources[ref.source].first + ref.paragraph - 1)) for ref in c.also_in
            ]
            if any((not item.sources or source in item.sources)
                   and (not wanted or any(w in _norm(t) for w in wanted)) for source, t in refs):
                rank = position
                break
        if rank is None:
            failures.append({"q": item.q, "problem": "no relevant paragraph in the top k"
                             if answer.answered else "not answered"})
        else:
            hits += 1
            reciprocal += 1 / rank
            if item.answer:
                answers = [_norm(a) for a in item.answer]
                lead, whole = _norm(lead_sentence(answer.text)), _norm(answer.text or "")
                first = _norm(next(iter(quoted_sentences(answer.text)), ("",))[0])
                read += 1
                in_first += any(a in first for a in answers)
                in_lead += any(a in lead for a in answers)
                in_text += any(a in whole for a in answers)
                if not any(a in lead for a in answers):
                    failures.append({"q": item.q, "problem": "the answer is not in the lead sentence"})
    answerable = sum(answerable_of.values())
    unanswerable = len(questions) - answerable
    vague = sum(q.vague for q in questions)
    return EvalReport(
        k=k, questions=len(questions), answerable=answerable, unanswerable=unanswerable,
        recall_at_k=round(hits / answerable, 4) if answerable else None,
        mrr_at_k=round(reciprocal / answerable, 4) if answerable else None,
        no_answer_accuracy=round(no_answer_right / unanswerable, 4) if unanswerable else None,
        refused=round(refused / answerable, 4) if answerable else None,
        false_answers=round(1 - no_answer_right / unanswerable, 4) if unanswerable else None,
        too_vague_accuracy=round(vague_right / vague, 4) if vague else None,
        failures=failures,
        reading={"questions": read, **{key: round(count / read, 4) if read else None for key, count in (
            ("answer_in_first_sentence", in_first), ("answer_in_lead", in_lead), ("answer_in_text", in_text))}}
        if any(q.answer for q in questions) else None,
    )
