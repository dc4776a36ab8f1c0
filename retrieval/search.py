"""Question -> ranked paragraphs, and the no-answer gate.

The gate asks how much of the question the best paragraph covers: every
distinct question term carries an information weight (a positive idf,
``log(1 + (N - df + 0.5) / (df + 0.5))``; a term the corpus never uses gets the
largest weight, df = 0). ``matched_share`` is the weight of the terms the top
paragraph contains over the weight of all terms. "What did China say about
Taiwan?" matches only "say" in this corpus: a small share, so no answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .analysis import Analyzer
from .models import Hit
from .store import StoredIndex


@dataclass(frozen=True)
class SearchResult:
    """Ranked hits for a question and how well the best one covers it."""

    terms: tuple[str, ...]  # distinct question terms, in question order
    weights: dict[str, float]  # information weight per term (for the gate and sentences)
    hits: tuple[Hit, ...]
    matched_share: float
    answered: bool


def term_weight(df: int, n_paragraphs: int) -> float:
    """Positive idf used to weigh question terms (df = 0 for unknown terms)."""
    return math.log(1 + (n_paragraphs - df + 0.5) / (df + 0.5))


def search(index: StoredIndex, analyzer: Analyzer, question: str, limit: int, min_share: float) -> SearchResult:
    """Rank paragraphs for ``question`` and decide whether the corpus answers it."""
    analyzed = analyzer.terms(question)
    term_ids, df_of, n = index.term_ids, index.compiled.df.item, index.n_paragraphs
    ids = {t: term_ids.get(t) for t in analyzed}  # distinct terms, in question order
    weights = {t: term_weight(0 if i is None else df_of(i), n) for t, i in ids.items()}
    query = [ids[t] for t in analyzed if ids[t] is not None]
    terms = tuple(ids)
    if not query:
        return SearchResult(terms, weights, (), 0.0, False)
    # Score descending, then paragraph id; only the query terms' postings are touched.
    pids, scores, best_terms = index.compiled.top(query, limit)
    documents, doc_of, number_of = index.documents, index.para_doc.item, index.para_num.item
    hits = []
    for pid, score in zip(pids, scores):
        d = doc_of(pid)
        hits.append(Hit(d, pid, documents[d].source, number_of(pid), score))
    total = sum(weights.values())
    matched = sum(w for t, w in weights.items() if ids[t] in best_terms)
    share = matched / total if total > 0 else 0.0
    return SearchResult(terms, weights, tuple(hits), share, share >= min_share and scores[0] > 0)


def search_weighted(index: StoredIndex, weights: Mapping[str, float], limit: int, min_share: float
                    ) -> SearchResult:
    """Rank paragraphs for analysed terms with query weights (a follow-up and its context).

    Each paragraph scores the sum of weight x BM25 score per term; the gate's
    matched share weighs every term's information by its query weight too, so
    with all weights 1 this is :func:`search` on the same terms.
    """
    term_ids, df_of, n = index.term_ids, index.compiled.df.item, index.n_paragraphs
    ids = {t: term_ids.get(t) for t in weights if weights[t] > 0}
    info = {t: term_weight(0 if i is None else df_of(i), n) * weights[t] for t, i in ids.items()}
    query = [i for i in ids.values() if i is not None]
    terms = tuple(ids)
    if not query:
        return SearchResult(terms, info, (), 0.0, False)
    pids, scores, best_terms = index.compiled.top(query, limit, {ids[t]: weights[t] for t in ids
                                                                  if ids[t] is not None})
    documents, doc_of, number_of = index.documents, index.para_doc.item, index.para_num.item
    hits = tuple(Hit(doc_of(pid), pid, documents[doc_of(pid)].source, number_of(pid), score)
                 for pid, score in zip(pids, scores))
    total = sum(info.values())
    share = sum(w for t, w in info.items() if ids[t] in best_terms) / total if total > 0 else 0.0
    return SearchResult(terms, info, hits, share, bool(hits) and share >= min_share and scores[0] > 0)
