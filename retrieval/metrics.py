"""Standard ranking metrics (the definitions of trec_eval / BEIR), as pure functions.

``ranking`` is a list of document ids, best first; ``qrels`` maps a relevant
document id to its graded relevance (> 0; ids with 0 or less are not relevant).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg_at_k(ranking: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with linear gains: sum rel_i / log2(i + 1) over the top k, over the ideal order's."""
    dcg = sum(qrels.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranking[:k]) if qrels.get(doc, 0) > 0)
    ideal = sorted((g for g in qrels.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranking: Sequence[str], qrels: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents found in the top k."""
    relevant = {doc for doc, g in qrels.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def mrr_at_k(ranking: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """1 / rank of the first relevant document in the top k (0 when none)."""
    for i, doc in enumerate(ranking[:k], 1):
        if qrels.get(doc, 0) > 0:
            return 1.0 / i
    return 0.0
