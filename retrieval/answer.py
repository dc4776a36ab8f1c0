"""Ranked hits -> an extractive Answer: best sentences, excerpts, highlights, merged duplicates.

- Near-duplicates: two paragraphs whose weighted term sets overlap strongly
  (cosine >= ``duplicate_similarity``; within one document, one holding 90% of
  the other's term weight) become one citation that names both (``also_in``).
- Sentences are scored by the weight of the distinct question terms they
  contain (terms of the document's title count a quarter: every sentence of
  the article *Danube* is about the Danube). The lead is the best sentence of
  the top citation; up to ``max_sentences - 1`` others score at least half as
  much (from one other citation: at least as much); the sentence right after a chosen one counts as context (half the
  lead's score is added), so "…a transparency mechanism… In turn, Washington
  calls for…" stays together; a sentence that refers back ("It is planned…",
  "This move…") brings the one before it; the answer stays within 700 characters.
  A sentence with the shape the question asks for (a time for "when", a
  number for "how many", a name for "who") counts 1.25 times as much.
- Each citation carries an excerpt of about ``excerpt_chars`` around its best
  sentence, cut at word boundaries with "…", and the spans of matched words.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from .analysis import Analyzer
from .answer_shape import BOOST, expected_shape, has_shape
from .duplicates import merge_duplicates
from .models import Answer, Citation
from .search import SearchResult
from .settings import AnswerSettings
from .store import StoredIndex

ELLIPSIS = "…"


@dataclass
class _Sentence:
    start: int
    end: int
    score: float
    position: int


class _Paragraph:
    """A cited paragraph analysed once: its words, terms and sentences, each sentence with its terms."""

    def __init__(self, analyzer: Analyzer, text: str, kind: str, relevant: tuple[str, ...] | None = None,
                 exact_prefixes: bool = False):
        self.analyzer = analyzer
        self.text = text
        # Only the question's terms matter here: with ``relevant``, other words are not analysed.
        terms = analyzer.relevant_term_spans(text, relevant, exact_prefixes) if relevant is not None else None
        if terms is None:
            self._words, terms = analyzer.word_and_term_spans(text, relevant)
        else:
            self._words = None  # every word's span: only made if a cut falls between two word characters
        self._word_starts: list[int] | None = None
        self.terms = terms
        self._term_starts = [a for _, a, _ in self.terms]
        self.sentences = [(start, end, self.terms_between(start, end))
                          for start, end in _sentence_spans(analyzer, text, kind)]

    def _word_crosses(self, cut: int) -> bool:
        text = self.text
        if cut <= 0 or cut >= len(text) or text[cut - 1].isspace() or text[cut].isspace():
            return False  # words never hold whitespace
        if self._words is None:
            self._words = self.analyzer.word_and_term_spans(text)[0]
        if self._word_starts is None:
            self._word_starts = [a for a, _ in self._words]
        i = bisect_left(self._word_starts, cut)
        return bool(i) and self._words[i - 1][1] > cut

    def _cut_cleanly(self, start: int, end: int) -> bool:
        """Whether analysing ``text[start:end]`` alone finds exactly the terms of the words inside it:
        no word or multi-word alias crosses either cut, and nothing after the end could extend a match."""
        text = self.text
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            return False
        starts, terms = self._term_starts, self.terms
        for cut in (start, end):
            if self._word_crosses(cut):
                return False
            i = bisect_left(starts, cut)
            if i and terms[i - 1][2] > cut:
                return False
        return True

    def terms_between(self, start: int, end: int) -> set[str]:
        """The distinct terms of ``text[start:end]`` (as ``analyzer.term_set`` of that slice gives them)."""
        if not self._cut_cleanly(start, end):
            return self.analyzer.term_set(self.text[start:end])
        terms, starts = self.terms, self._term_starts
        return {term for term, a, b in terms[bisect_left(starts, start):bisect_left(starts, end)] if b <= end}

    def highlights(self, excerpt: str, left: int, right: int, prefix: str,
                   terms: set[str]) -> tuple[tuple[int, int], ...]:
        """Spans of the question's ``terms`` in ``excerpt`` = prefix + text[left:right].strip() + suffix."""
        chunk = self.text[left:right]
        start = left + len(chunk) - len(chunk.lstrip())
        end = right - (len(chunk) - len(chunk.rstrip()))
        if not self._cut_cleanly(start, end):
            return tuple((a, b) for term, a, b in self.analyzer.word_and_term_spans(excerpt)[1] if term in terms)
        shift = start - len(prefix)
        return tuple((a - shift, b - shift) for term, a, b in self.terms
                     if term in terms and start <= a and b <= end)


_LINE_KINDS = frozenset({"list", "code", "table"})


def _sentence_spans(analyzer: Analyzer, text: str, kind: str) -> list[tuple[int, int]]:
    """Sentence spans; a list, code block or table is read line by line (an item, a line, a row)."""
    if kind not in _LINE_KINDS or "\n" not in text:
        return analyzer.sentences(text)
    spans, start = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _score_sentences(paragraph: _Paragraph, weights: dict[str, float]) -> list[_Sentence]:
    sentences = []
    for position, (start, end, terms) in enumerate(paragraph.sentences):
        # Summed in the question's order: equal term sets score bit for bit the same in every process
        # (a set's order varies with the hash seed, and a last-bit difference can break a tie).
        sentences.append(_Sentence(start, end, sum(w for t, w in weights.items() if t in terms), position))
    return sentences or [_Sentence(0, len(paragraph.text), 0.0, 0)]


TITLE_TERM_FACTOR = 0.25  # a question term the document's title holds says little about which sentence answers


def _sentence_weights(weights: dict[str, float], analyzer: Analyzer, title: str | None,
                      relevant: tuple[str, ...] | None = None) -> dict[str, float]:
    """Question-term weights for choosing sentences in one document.

    "Where does the Danube rise?" asked of the article *Danube*: every sentence
    is about the Danube, so "rise" should decide, not "Danube".
    """
    if not title:
        return weights
    spans = analyzer.relevant_term_spans(title, relevant) if relevant is not None else None
    if spans is None:
        spans = analyzer.word_and_term_spans(title, relevant)[1]
    given = {term for term, _, _ in spans} & weights.keys()
    if not given or len(given) == len(weights):
        return weights
    return {t: w * TITLE_TERM_FACTOR if t in given else w for t, w in weights.items()}


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


def _excerpt_bounds(text: str, focus: tuple[int, int], size: int) -> tuple[int, int]:
    """Where :func:`make_excerpt` cuts ``text`` (before stripping); the whole text when it is short."""
    if len(text) <= size:
        return 0, len(text)
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
    return left, right


def make_excerpt(text: str, focus: tuple[int, int], size: int) -> str:
    """About ``size`` characters of ``text`` around ``focus`` (a sentence's span).

    The excerpt starts with "…" when cut on the left and ends with it when cut
    on the right; cuts fall between words.
    """
    if len(text) <= size:
        return text
    left, right = _excerpt_bounds(text, focus, size)
    return _excerpt_text(text, left, right)


def _excerpt_text(text: str, left: int, right: int) -> str:
    prefix = ELLIPSIS if left > 0 else ""
    suffix = ELLIPSIS if right < len(text) else ""
    return prefix + text[left:right].strip() + suffix


def _excerpt_and_highlights(paragraph: _Paragraph, focus: tuple[int, int], size: int,
                            terms: set[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The excerpt around ``focus`` and the spans of the question's ``terms`` in it."""
    text = paragraph.text
    if len(text) <= size:
        return text, tuple((a, b) for term, a, b in paragraph.terms if term in terms)
    left, right = _excerpt_bounds(text, focus, size)
    excerpt = _excerpt_text(text, left, right)
    return excerpt, paragraph.highlights(excerpt, left, right, ELLIPSIS if left > 0 else "", terms)


# A sentence opening with one of these refers back to the sentence before it;
# so does one with a personal pronoun among its first three words ("Many consider it…", "In 1908 they…";
# not "In this review…", where "this" points at the text itself).
_BACK_REFERENCE = re.compile(
    r"^\W*(?:it|its|it's|they|their|them|this|these|that|those|such|he|she|his|her|here|there|"
    r"the (?:document|report|study|statement|letter|response|proposal|move|plan|same)|"
    r"however|but|also|in turn|instead|meanwhile|moreover|furthermore|therefore|thus)\b|"
    r"^\W*(?:[\w'’-]+,?\s+){1,2}(?:it|they|them|he|she)\b",
    re.IGNORECASE)
MAX_ANSWER_CHARS = 700
_MAX_ANSWER_CITATIONS = 2


def refers_back(sentence: str) -> bool:
    """Whether a sentence leans on the one before it ("It is planned that…", "This move…")."""
    return bool(_BACK_REFERENCE.match(sentence))


def _with_antecedent(n: int, s: _Sentence, sentences: list[_Sentence], text: str) -> list[tuple[int, _Sentence]]:
    """The sentence, preceded by the one it refers back to (when it does and has one)."""
    if s.position > 0 and refers_back(text[s.start:s.end]):
        return [(n, sentences[s.position - 1]), (n, s)]
    return [(n, s)]


def _words(texts: list[str], item: tuple[int, _Sentence]) -> str:
    """A chosen sentence's words, whitespace normalised (to spot the same sentence said twice)."""
    n, s = item
    return " ".join(texts[n][s.start:s.end].split())


def _choose_sentences(per_citation: list[list[_Sentence]], texts: list[str], max_sentences: int,
                      max_chars: int = MAX_ANSWER_CHARS, other_bar: float | None = None,
                      lead_from: int = 0) -> list[tuple[int, _Sentence]]:
    """The answer's sentences: ``(citation index, sentence)``, the lead first, then in reading order.

    The lead is the best sentence of citation ``lead_from`` (default the top one, the best-ranked paragraph);
    others from it must score at least half the lead's, those of one other
    citation at least ``other_bar`` (default: the lead's score),
    the sentence right after a chosen one gets a bonus, a sentence that refers
    back brings the one before it, and the whole stays within ``max_chars``.
    """
    if not per_citation:
        return []
    lead = max(per_citation[lead_from], key=lambda s: (s.score, -s.position))
    if lead.score <= 0:  # the paragraph matched through its section heading or title: quote its excerpt
        return []
    chosen = _with_antecedent(lead_from, lead, per_citation[lead_from], texts[lead_from])[-max_sentences:]
    leading = {s.position for _, s in chosen}  # the lead (with its antecedent) opens the answer
    floor = lead.score / 2
    bar = lead.score if other_bar is None else max(lead.score, other_bar)
    pool = [(n, s) for n, sentences in enumerate(per_citation) for s in sentences if s.score > 0]

    def length(items: list[tuple[int, _Sentence]]) -> int:
        return sum(s.end - s.start + 6 for _, s in items)

    while len(chosen) < max_sentences and floor > 0:
        picked = {(n, s.position) for n, s in chosen}
        said = {_words(texts, item) for item in chosen}  # a sentence the text repeats is quoted once
        follows = {(n, s.position + 1) for n, s in chosen}
        cited = {n for n, _ in chosen}

        def value(item: tuple[int, _Sentence]) -> float:
            n, s = item
            return s.score + (floor if (n, s.position) in follows else 0.0)

        # Another citation's sentence must match as well as the lead: a second source, not a tangent.
        rest = [item for item in pool if (item[0], item[1].position) not in picked
                and _words(texts, item) not in said
                and value(item) >= (floor if item[0] in cited else bar)
                and (item[0] in cited or len(cited) < _MAX_ANSWER_CITATIONS)]
        added = False
        for n, s in sorted(rest, key=lambda item: (-value(item), item[0], item[1].position)):
            extra = [item for item in _with_antecedent(n, s, per_citation[n], texts[n])
                     if (item[0], item[1].position) not in picked
                     and _words(texts, item) not in said]
            if len(chosen) + len(extra) <= max_sentences and length(chosen + extra) <= max_chars:
                chosen += extra
                added = True
                break
        if not added:
            break
    later = dict.fromkeys(n for n, _ in chosen if n != lead_from)
    order = {lead_from: 0, **{n: i + 1 for i, n in enumerate(later)}}
    return sorted(chosen, key=lambda item: (order[item[0]], item[0] != lead_from or item[1].position not in leading,
                                            item[1].position))


def _answer_text(chosen: list[tuple[int, _Sentence]], texts: list[str], max_chars: int = MAX_ANSWER_CHARS) -> str:
    """The chosen sentences with their ``[n]`` markers, cut at a word to ``max_chars`` if one is too long."""
    parts = []
    for n, s in chosen:
        sentence = texts[n][s.start:s.end].strip()
        room = max_chars - sum(len(p) + 1 for p in parts) - len(f" [{n + 1}]")
        if len(sentence) > room:
            if parts:
                break
            sentence = sentence[:_snap_right(sentence, room - 1)].rstrip(" ,;:") + ELLIPSIS
        parts.append(f"{sentence} [{n + 1}]")
    return " ".join(parts)


def _answering_sibling(groups, per_citation: list[list[_Sentence]], index: StoredIndex) -> int:
    """The citation to lead with: the top one, unless only its heading or title matched and a paragraph
    cited below it, in the same document and section, matches with words of its own (a lead-in line
    such as "Quarterly load tests:" is short, so it can outrank the instructions beside it)."""
    if not groups or any(s.score > 0 for s in per_citation[0]):
        return 0
    def place(group) -> tuple:
        return group.hit.doc_index, index.paragraph_section(group.hit.paragraph_index)
    top = place(groups[0])
    for n, (group, sentences) in enumerate(zip(groups, per_citation)):
        if n and place(group) == top and any(s.score > 0 for s in sentences):
            return n
    return 0


_LONG_TEXTS = 3000  # characters of cited text from which a pattern of the question's own prefixes pays


def build_answer(question: str, result: SearchResult, index: StoredIndex, analyzer: Analyzer,
                 settings: AnswerSettings, top_k: int, more: int = 0) -> Answer:
    """Turn search results into an Answer with up to ``top_k`` citations (+ ``more`` for paging)."""
    if not result.answered:
        return Answer(question, False, None, (), result.matched_share, reason=result.reason,
                      corrections=result.corrections)
    groups = merge_duplicates(index, analyzer, result.hits, top_k + more, settings.duplicate_similarity)
    query_terms = set(result.terms)
    relevant = analyzer.relevance(query_terms | result.weights.keys())
    cited = [index.paragraph_text(g.hit.paragraph_index) for g in groups]
    exact_prefixes = sum(map(len, cited)) > _LONG_TEXTS
    paragraphs = [_Paragraph(analyzer, text, index.paragraph_kind(g.hit.paragraph_index), relevant, exact_prefixes)
                  for g, text in zip(groups, cited)]
    per_citation = [_score_sentences(p, _sentence_weights(
        result.weights, analyzer, index.documents[g.hit.doc_index].title, relevant))
        for g, p in zip(groups, paragraphs)]
    if (kind := expected_shape(question)) is not None:
        for paragraph, sentences in zip(paragraphs, per_citation):
            for s in sentences:
                if s.score > 0 and has_shape(kind, paragraph.text[s.start:s.end], question):
                    s.score *= BOOST
    citations = []
    for n, (group, paragraph, sentences) in enumerate(zip(groups, paragraphs, per_citation), 1):
        best = max(sentences, key=lambda s: (s.score, -s.position))
        excerpt, highlights = _excerpt_and_highlights(paragraph, (best.start, best.end), settings.excerpt_chars,
                                                      query_terms)
        doc = index.documents[group.hit.doc_index]
        citations.append(Citation(
            n=n, source=group.hit.source, paragraph=group.hit.paragraph, title=doc.title, date=doc.date,
            text=paragraph.text, excerpt=excerpt, highlights=highlights,
            score=round(group.hit.score, 6), also_in=tuple(group.also_in),
            section=" › ".join(index.paragraph_section(group.hit.paragraph_index)) or None,
            page=index.paragraph_page(group.hit.paragraph_index), url=doc.url,
        ))
    texts = [p.text for p in paragraphs[:top_k]]
    # Another citation's sentence must match the question as well as the top citation's best
    # sentence does with every term at full weight: a second source, not a tangent.
    lead_from = _answering_sibling(groups[:top_k], per_citation[:top_k], index)
    best_top = max((s.score for s in _score_sentences(paragraphs[lead_from], result.weights)),
                   default=0.0) if texts else 0.0
    chosen = _choose_sentences(per_citation[:top_k], texts, settings.max_sentences, other_bar=best_top,
                               lead_from=lead_from)
    text = _answer_text(chosen, texts)
    if not text:  # no sentence of its own matches (only its heading or title did): cite the best excerpt
        text = f"{citations[0].excerpt} [1]"
    return Answer(question, True, text, tuple(citations[:top_k]), result.matched_share,
                  more=tuple(citations[top_k:]), corrections=result.corrections)
