"""Ranked hits -> an extractive Answer: best sentences, excerpts, highlights, merged duplicates.

- Near-duplicates: two paragraphs from different sources whose weighted term
  sets overlap strongly (cosine >= ``duplicate_similarity``) become one
  citation that names both (``also_in``).
- Sentences are scored by the weight of the distinct question terms they
  contain. The answer is the best sentence plus up to ``max_sentences - 1``
  others scoring at least half as much; the sentence right after a chosen one
  counts as context (half the best score is added when it matches a term), so
  "…a transparency mechanism… In turn, Washington calls for…" stays together.
- Each citation carries an excerpt of about ``excerpt_chars`` around its best
  sentence, cut at word boundaries with "…", and the spans of matched words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .analysis import Analyzer
from .models import Answer, Citation, Hit, ParagraphRef
from .search import SearchResult, term_weight
from .settings import AnswerSettings
from .store import StoredIndex

ELLIPSIS = "…"


@dataclass
class _Sentence:
    start: int
    end: int
    score: float
    position: int


@dataclass
class _Group:
    hit: Hit
    text: str
    vector: dict[str, float]
    also_in: list[ParagraphRef]
    norm: float = 0.0


def _norm(vector: dict[str, float]) -> float:
    return math.sqrt(sum(w * w for w in vector.values()))


def _cosine(a: dict[str, float], b: dict[str, float], norm_a: float, norm_b: float) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(w * b[t] for t, w in a.items() if t in b)
    norm = norm_a * norm_b
    return dot / norm if norm else 0.0


def _term_vector(index: StoredIndex, analyzer: Analyzer, text: str) -> dict[str, float]:
    weights = _weight_table(index)
    vector = {}
    for term in analyzer.term_set(text):
        weight = weights.get(term)
        if weight is None:
            term_id = index.term_ids.get(term)
            weight = term_weight(int(index.compiled.df[term_id]) if term_id is not None else 0, index.n_paragraphs)
            if len(weights) >= _WEIGHT_MEMO:
                weights.clear()
            weights[term] = weight
        vector[term] = weight
    return vector


_WEIGHT_MEMO = 200_000  # terms whose weight is kept per index (one log each otherwise)
_weight_tables: dict[int, tuple[StoredIndex, dict[str, float]]] = {}


def _weight_table(index: StoredIndex) -> dict[str, float]:
    """term -> weight memo for ``index`` (kept for the one or two indexes a process serves)."""
    entry = _weight_tables.get(id(index))
    if entry is None or entry[0] is not index:
        if len(_weight_tables) >= 4:
            _weight_tables.clear()
        entry = _weight_tables[id(index)] = (index, {})
    return entry[1]


def merge_duplicates(index: StoredIndex, analyzer: Analyzer, hits: tuple[Hit, ...], wanted: int,
                     threshold: float) -> list[_Group]:
    """Group hits so a fact reported by several documents is cited once."""
    groups: list[_Group] = []
    for hit in hits:
        text = index.paragraph_text(hit.paragraph_index)
        vector = _term_vector(index, analyzer, text)
        norm = _norm(vector)
        for group in groups:
            sources = {group.hit.source, *(ref.source for ref in group.also_in)}
            if hit.source not in sources and _cosine(group.vector, vector, group.norm, norm) >= threshold:
                group.also_in.append(ParagraphRef(hit.source, hit.paragraph))
                break
        else:
            if len(groups) < wanted:
                groups.append(_Group(hit, text, vector, [], norm))
    return groups


def _score_sentences(analyzer: Analyzer, text: str, weights: dict[str, float]) -> list[_Sentence]:
    sentences = []
    for position, (start, end) in enumerate(analyzer.sentences(text)):
        found = analyzer.term_set(text[start:end]) & weights.keys()
        sentences.append(_Sentence(start, end, sum(weights[t] for t in found), position))
    return sentences or [_Sentence(0, len(text), 0.0, 0)]


def _snap_left(text: str, pos: int) -> int:
    """Move ``pos`` right to the start of a word (never splitting one)."""
    if pos <= 0:
        return 0
    if text[pos - 1].isspace():
        return pos
    nxt = text.find(" ", pos)
    return len(text) if nxt == -1 else nxt + 1


def _snap_right(text: str, pos: int) -> int:
    """Move ``pos`` left to the end of a word."""
    if pos >= len(text):
        return len(text)
    if text[pos].isspace():
        return pos
    prev = text.rfind(" ", 0, pos)
    return pos if prev == -1 else prev


def make_excerpt(text: str, focus: tuple[int, int], size: int) -> str:
    """About ``size`` characters of ``text`` around ``focus`` (a sentence's span).

    The excerpt starts with "…" when cut on the left and ends with it when cut
    on the right; cuts fall between words.
    """
    if len(text) <= size:
        return text
    start, end = focus
    if end - start >= size:
        end = start + size
    spare = size - (end - start)
    left = max(0, start - spare // 3)
    right = min(len(text), end + (spare - (start - left)))
    left = max(0, left - (size - (right - left)))  # use budget left over at the end
    left, right = _snap_left(text, left), _snap_right(text, right)
    if right <= left:  # one enormous word: cut it hard
        left, right = focus[0], min(len(text), focus[0] + size)
    prefix = ELLIPSIS if left > 0 else ""
    suffix = ELLIPSIS if right < len(text) else ""
    return prefix + text[left:right].strip() + suffix


def _highlights(analyzer: Analyzer, excerpt: str, terms: set[str]) -> tuple[tuple[int, int], ...]:
    return tuple((t.start, t.end) for t in analyzer.terms_with_spans(excerpt) if t.term in terms)


def _choose_sentences(per_citation: list[list[_Sentence]], max_sentences: int) -> list[tuple[int, _Sentence]]:
    pool = [(n, s) for n, sentences in enumerate(per_citation) for s in sentences if s.score > 0]
    if not pool:
        return []
    best_n, best = max(pool, key=lambda item: (item[1].score, -item[0], -item[1].position))
    chosen = [(best_n, best)]
    floor = best.score / 2
    while len(chosen) < max_sentences:
        picked = {(n, s.position) for n, s in chosen}
        follows = {(n, s.position + 1) for n, s in chosen}

        def value(item: tuple[int, _Sentence]) -> float:
            n, s = item
            return s.score + (floor if (n, s.position) in follows else 0.0)

        rest = [item for item in pool if (item[0], item[1].position) not in picked and value(item) >= floor]
        if not rest:
            break
        chosen.append(max(rest, key=lambda item: (value(item), -item[0], -item[1].position)))
    return sorted(chosen, key=lambda item: (item[0], item[1].position))


def build_answer(question: str, result: SearchResult, index: StoredIndex, analyzer: Analyzer,
                 settings: AnswerSettings, top_k: int, more: int = 0) -> Answer:
    """Turn search results into an Answer with up to ``top_k`` citations (+ ``more`` for paging)."""
    if not result.answered:
        return Answer(question, False, None, (), result.matched_share, reason=result.reason,
                      corrections=result.corrections)
    groups = merge_duplicates(index, analyzer, result.hits, top_k + more, settings.duplicate_similarity)
    query_terms = set(result.terms)
    per_citation = [_score_sentences(analyzer, g.text, result.weights) for g in groups]
    citations = []
    for n, (group, sentences) in enumerate(zip(groups, per_citation), 1):
        best = max(sentences, key=lambda s: (s.score, -s.position))
        excerpt = make_excerpt(group.text, (best.start, best.end), settings.excerpt_chars)
        doc = index.documents[group.hit.doc_index]
        citations.append(Citation(
            n=n, source=group.hit.source, paragraph=group.hit.paragraph, title=doc.title, date=doc.date,
            text=group.text, excerpt=excerpt, highlights=_highlights(analyzer, excerpt, query_terms),
            score=round(group.hit.score, 6), also_in=tuple(group.also_in),
            section=" › ".join(index.paragraph_section(group.hit.paragraph_index)) or None,
            page=index.paragraph_page(group.hit.paragraph_index), url=doc.url,
        ))
    chosen = _choose_sentences(per_citation[:top_k], settings.max_sentences)
    text = " ".join(f"{groups[n].text[s.start:s.end].strip()} [{n + 1}]" for n, s in chosen)
    if not text:  # terms matched only across sentence boundaries: cite the best excerpt
        text = f"{citations[0].excerpt} [1]"
    return Answer(question, True, text, tuple(citations[:top_k]), result.matched_share,
                  more=tuple(citations[top_k:]), corrections=result.corrections)
