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
    terms = tuple(dict.fromkeys(analyzed))
    n = index.n_paragraphs
    ids = {t: index.term_ids.get(t) for t in terms}
    weights = {t: term_weight(int(index.compiled.df[i]) if i is not None else 0, n) for t, i in ids.items()}
    query = [ids[t] for t in analyzed if ids[t] is not None]
    if not query:
        return SearchResult(terms, weights, (), 0.0, False)
    # Score descending, then paragraph id; only the query terms' postings are touched.
    pids, scores = index.compiled.top(query, limit)
    documents = index.documents
    doc_ids, numbers = index.para_doc[pids].tolist(), index.para_num[pids].tolist()
    hits = [Hit(d, pid, documents[d].source, number, score)
            for d, pid, number, score in zip(doc_ids, pids, numbers, scores)]
    top_pid = hits[0].paragraph_index
    total = sum(weights.values())
    matched = sum(w for t, w in weights.items() if ids[t] is not None and index.compiled.contains(ids[t], top_pid))
    share = matched / total if total > 0 else 0.0
    return SearchResult(terms, weights, tuple(hits), share, share >= min_share and hits[0].score > 0)
