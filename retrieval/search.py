"""Question -> ranked paragraphs, typo corrections, and the answer/no-answer decision.

1. Question words the corpus never uses are corrected (:mod:`retrieval.spelling`).
2. The question's terms rank paragraphs (exact BM25, :mod:`retrieval.index`).
3. The decision (:mod:`retrieval.decision`) looks at what the best paragraph
   actually contains: a question with no content words is ``too_vague``; an
   unknown name or code, or a best paragraph that misses too much of the
   question's information, is ``no_match``.

Every distinct question term carries an information weight (a positive idf,
``log(1 + (N - df + 0.5) / (df + 0.5))``; df = 0 for a term the corpus never uses).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from .analysis import Analyzer
from .decision import Decision, QuestionWord, decide, question_words
from .models import Hit
from .settings import AnswerSettings
from .spelling import Speller
from .store import StoredIndex


@dataclass(frozen=True)
class SearchResult:
    """Ranked hits for a question, the corrections made, and whether to answer."""

    terms: tuple[str, ...]  # distinct question terms, in question order
    weights: dict[str, float]  # information weight per term (for the decision and sentences)
    hits: tuple[Hit, ...]
    matched_share: float
    answered: bool
    reason: str | None = None  # None when answered, else "no_match" or "too_vague"
    corrections: tuple[dict[str, str], ...] = ()
    explanation: dict = field(default_factory=dict)  # the decision's evidence (for --debug and tuning)


def term_weight(df: int, n_paragraphs: int) -> float:
    """Positive idf used to weigh question terms (df = 0 for unknown terms)."""
    return math.log(1 + (n_paragraphs - df + 0.5) / (df + 0.5))


def speller_for(index: StoredIndex) -> Speller:
    """The index's speller (built on first use, kept with the index)."""
    speller = getattr(index, "_speller", None)
    if speller is None:
        speller = index._speller = Speller(index.words)
    return speller


def correct_question(index: StoredIndex, analyzer: Analyzer,
                     question: str) -> tuple[str, list[QuestionWord], tuple[dict[str, str], ...]]:
    """The question with unknown words corrected, its words, and the corrections made."""
    words = question_words(analyzer, question)
    if not index.words:  # an index without a surface vocabulary: nothing to correct against
        return question, words, ()
    speller = speller_for(index)
    term_ids = index.term_ids
    corrections, pieces, last = [], [], 0
    for word in words:
        if word.term is None or word.term in term_ids and speller.known(word.text):
            continue
        fixed = speller.correct(word.text, lambda a, b: analyzer.terms(a) == analyzer.terms(b))
        if fixed is None:
            continue
        if word.text[:1].isupper():
            fixed = fixed[:1].upper() + fixed[1:]
        corrections.append({"from": word.text, "to": fixed})
        pieces += [question[last:word.start], fixed]
        last = word.end
    if not corrections:
        return question, words, ()
    corrected = "".join(pieces) + question[last:]
    return corrected, question_words(analyzer, corrected), tuple(corrections)


def search(index: StoredIndex, analyzer: Analyzer, question: str, limit: int,
           settings: AnswerSettings | None = None) -> SearchResult:
    """Rank paragraphs for ``question`` and decide whether the corpus answers it."""
    settings = settings or AnswerSettings()
    if settings.correct_typos:
        question, words, corrections = correct_question(index, analyzer, question)
    else:
        words, corrections = question_words(analyzer, question), ()
    analyzed = analyzer.terms(question)
    term_ids, df_of, n = index.term_ids, index.compiled.df.item, index.n_paragraphs
    ids = {t: term_ids.get(t) for t in analyzed}  # distinct terms, in question order
    weights = {t: term_weight(0 if i is None else df_of(i), n) for t, i in ids.items()}
    query = [ids[t] for t in analyzed if ids[t] is not None]
    terms = tuple(ids)
    hits: tuple[Hit, ...] = ()
    best_terms: frozenset[int] = frozenset()
    if query:
        # Score descending, then paragraph id; only the query terms' postings are touched.
        pids, scores, best_terms = index.compiled.top(query, limit)
        hits = _hits(index, pids, scores)
    matched = {t for t, i in ids.items() if i is not None and i in best_terms}
    decision: Decision = decide(words, weights, ids, matched, hits, settings)
    return SearchResult(terms, weights, hits, decision.share, decision.reason is None,
                        decision.reason, corrections, decision.explanation)


def _hits(index: StoredIndex, pids: list[int], scores: list[float]) -> tuple[Hit, ...]:
    documents, doc_of, number_of = index.documents, index.para_doc.item, index.para_num.item
    return tuple(Hit(d, pid, documents[d].source, number_of(pid), score)
                 for pid, score in zip(pids, scores) for d in (doc_of(pid),))


def search_weighted(index: StoredIndex, weights: Mapping[str, float], limit: int,
                    settings: AnswerSettings | None = None) -> SearchResult:
    """Rank paragraphs for analysed terms with query weights (a follow-up and its context).

    Each paragraph scores the sum of weight x BM25 score per term; the gate's
    matched share (``settings.min_matched_share``) weighs every term's information
    by its query weight too.
    """
    min_share = (settings or AnswerSettings()).min_matched_share
    term_ids, df_of, n = index.term_ids, index.compiled.df.item, index.n_paragraphs
    ids = {t: term_ids.get(t) for t in weights if weights[t] > 0}
    info = {t: term_weight(0 if i is None else df_of(i), n) * weights[t] for t, i in ids.items()}
    query = [i for i in ids.values() if i is not None]
    terms = tuple(ids)
    if not query:
        return SearchResult(terms, info, (), 0.0, False, "no_match")
    pids, scores, best_terms = index.compiled.top(query, limit, {ids[t]: weights[t] for t in ids
                                                                  if ids[t] is not None})
    hits = _hits(index, pids, scores)
    total = sum(info.values())
    share = sum(w for t, w in info.items() if ids[t] in best_terms) / total if total > 0 else 0.0
    answered = bool(hits) and share >= min_share and scores[0] > 0
    return SearchResult(terms, info, hits, share, answered, None if answered else "no_match")
