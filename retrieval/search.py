"""Question -> ranked paragraphs, typo corrections, and the answer/no-answer decision.

1. Question words the corpus never uses are corrected (:mod:`retrieval.spelling`).
2. The question's terms rank paragraphs (exact BM25, :mod:`retrieval.index`).
3. The decision (:mod:`retrieval.decision`) looks at what the best paragraph
   actually contains: a question with no content words is ``too_vague``; an
   unknown name or code, or a best paragraph that misses too much of the
   question's information, is ``no_match``.
4. A follow-up (:func:`search_followup`) adds its conversation's earlier terms
   with smaller weights (:mod:`retrieval.conversation`) and goes through the
   same decision on the weighted query.

A question term counts as found in the best paragraph when the paragraph or
its document's title holds it: a paragraph is read in its document ("-k, --keep:
keep input files" answers "how do I keep the original file with gzip?" in the
page titled gzip), though titles rank only through the first paragraph.

Every distinct question term carries an information weight (a positive idf,
``log(1 + (N - df + 0.5) / (df + 0.5))``; df = 0 for a term the corpus never uses).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from .analysis import Analyzer
from .conversation import build_query, is_small_talk, recent
from .decision import Decision, QuestionWord, decide, question_words, topic_terms
from .models import FollowUp, Hit
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


def title_terms(index: StoredIndex, analyzer: Analyzer, doc: int) -> frozenset[str]:
    """The terms of document ``doc``'s title (memoised on the index)."""
    memo = getattr(index, "_title_terms", None)
    if memo is None:
        memo = index._title_terms = {}
    terms = memo.get(doc)
    if terms is None:
        terms = memo[doc] = frozenset(analyzer.terms(index.documents[doc].title or ""))
    return terms


_TOPIC_HITS = 10  # how many best paragraphs a vague question's topic must be unambiguous among


def _one_topic_document(index: StoredIndex, analyzer: Analyzer, topics: set[str], query: list[int]) -> bool:
    """Whether exactly one document among the best paragraphs for ``query``, the best one's, has one
    of ``topics`` (a vague question's section-naming words) in its title or the paragraph's headings."""
    if not topics or not query:
        return False
    pids, _, _ = index.compiled.top(query, _TOPIC_HITS)
    documents = set()
    for pid in pids:
        doc = int(index.para_doc[pid])
        heading = " ".join(index.paragraph_section(pid))
        if topics & (title_terms(index, analyzer, doc) | set(analyzer.terms(heading))):
            documents.add(doc)
    return bool(pids) and documents == {int(index.para_doc[pids[0]])}


def _found(ids: Mapping[str, int | None], best_terms: frozenset[int], titled: frozenset[str]) -> set[str]:
    """Question terms the best paragraph or its document's title holds."""
    return {t for t, i in ids.items() if i is not None and (i in best_terms or t in titled)}


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
    term_ids = index.term_ids
    corrections, pieces, last = [], [], 0
    for word in words:
        if word.term is None or word.term in term_ids:
            # A word the corpus uses in some form ("indentation" where it says "indent") is searched
            # as written, never swapped for another term ("incantation"); the speller's surface
            # words are read only when a question has an unknown word.
            continue
        speller = speller_for(index)
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


def _read_question(index: StoredIndex, analyzer: Analyzer, question: str, settings: AnswerSettings
                   ) -> tuple[str, list[QuestionWord], tuple[dict[str, str], ...]]:
    """The question as searched (typos corrected when configured), its words and the corrections."""
    if settings.correct_typos:
        return correct_question(index, analyzer, question)
    return question, question_words(analyzer, question), ()


def search(index: StoredIndex, analyzer: Analyzer, question: str, limit: int,
           settings: AnswerSettings | None = None) -> SearchResult:
    """Rank paragraphs for ``question`` and decide whether the corpus answers it."""
    return _search(index, analyzer, question, limit, settings or AnswerSettings())[0]


def _search(index: StoredIndex, analyzer: Analyzer, question: str, limit: int,
            settings: AnswerSettings) -> tuple[SearchResult, list[QuestionWord]]:
    question, words, corrections = _read_question(index, analyzer, question, settings)
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
    matched = _found(ids, best_terms, title_terms(index, analyzer, hits[0].doc_index) if hits else frozenset())
    topic_heading = _one_topic_document(index, analyzer, topic_terms(words), query)
    decision: Decision = decide(words, weights, ids, matched, hits, settings, topic_heading=topic_heading)
    return SearchResult(terms, weights, hits, decision.share, decision.reason is None,
                        decision.reason, corrections, decision.explanation), words


def _hits(index: StoredIndex, pids: list[int], scores: list[float]) -> tuple[Hit, ...]:
    documents, doc_of, number_of = index.documents, index.para_doc.item, index.para_num.item
    return tuple(Hit(d, pid, documents[d].source, number_of(pid), score)
                 for pid, score in zip(pids, scores) for d in (doc_of(pid),))


def search_weighted(index: StoredIndex, weights: Mapping[str, float], limit: int,
                    settings: AnswerSettings | None = None, words: Sequence[QuestionWord] = (),
                    context_words: Sequence[QuestionWord] = (), analyzer: Analyzer | None = None) -> SearchResult:
    """Rank paragraphs for analysed terms with query weights (a follow-up and its context), and decide.

    Each paragraph scores the sum of weight x BM25 score per term. The decision
    is :func:`retrieval.decision.decide` on the question's own ``words`` and the
    used earlier questions' ``context_words``, every term's information
    multiplied by its query weight. With ``analyzer``, the best paragraph's document title counts
    as part of it (see the module docstring).
    """
    settings = settings or AnswerSettings()
    term_ids, df_of, n = index.term_ids, index.compiled.df.item, index.n_paragraphs
    ids = {t: term_ids.get(t) for t in weights if weights[t] > 0}
    info = {t: term_weight(0 if i is None else df_of(i), n) * weights[t] for t, i in ids.items()}
    query = [i for i in ids.values() if i is not None]
    hits: tuple[Hit, ...] = ()
    best_terms: frozenset[int] = frozenset()
    if query:
        pids, scores, best_terms = index.compiled.top(query, limit, {ids[t]: weights[t] for t in ids
                                                                      if ids[t] is not None})
        hits = _hits(index, pids, scores)
    titled = title_terms(index, analyzer, hits[0].doc_index) if hits and analyzer is not None else frozenset()
    matched = _found(ids, best_terms, titled)
    decision = decide(words, info, ids, matched, hits, settings, context_words)
    return SearchResult(tuple(ids), info, hits, decision.share, decision.reason is None, decision.reason,
                        explanation=decision.explanation)


def search_followup(index: StoredIndex, analyzer: Analyzer, question: str, limit: int,
                    settings: AnswerSettings | None = None, context: Sequence[str] = ()
                    ) -> tuple[SearchResult, FollowUp | None]:
    """Search ``question`` as a follow-up of ``context`` (earlier questions, oldest first).

    The question is searched alone first; :func:`retrieval.conversation.build_query`
    then decides how much of the last earlier questions' terms to add (their typos
    corrected too), and the weighted query is ranked and decided like any question.
    Small talk ("thanks!") never pulls in the context.
    """
    settings = settings or AnswerSettings()
    result, own_words = _search(index, analyzer, question, limit, settings)
    previous = recent(context)
    if not previous:
        return result, None
    if is_small_talk(question):
        return result, FollowUp(previous, (), tuple(dict.fromkeys(result.terms, 1.0).items()))
    earlier = [_read_question(index, analyzer, q, settings)[:2] for q in previous]
    query = build_query(question, result.terms, previous, [analyzer.terms(q) for q, _ in earlier],
                        result.matched_share)
    if query.previous:
        used = set(query.previous)
        context_words = [w for q, (_, words) in zip(previous, earlier) if q in used for w in words]
        result = replace(search_weighted(index, query.weights, limit, settings, own_words, context_words, analyzer),
                         corrections=result.corrections)
    return result, FollowUp(previous, query.previous, tuple(query.weights.items()))
