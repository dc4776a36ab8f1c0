"""bm25s on a BEIR folder (title + text), scored like ``citebot eval DIR``: nDCG@10, Recall@100, MRR@10.

    .venv/bin/python -m bench.beir_peers ../shared/datasets/scifact [--split train]

bm25s with its English stopwords and nltk's Snowball stemmer (the usual bm25s
recipe; PyStemmer is the same Snowball algorithm), its default Lucene scoring
(k1 = 1.5, b = 0.75). Run it next to ``citebot eval DIR`` to compare in the same run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import bm25s
import numpy as np
from nltk.stem import SnowballStemmer

from retrieval.beir import load_dataset
from retrieval.metrics import mrr_at_k, ndcg_at_k, recall_at_k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--split", default=None)
    args = parser.parse_args()
    dataset = load_dataset(args.folder, args.split)
    ids = list(dataset.corpus)
    snowball = SnowballStemmer("english").stem

    def stem(words: list[str]) -> list[str]:  # bm25s hands a callable the whole word list
        return [snowball(w) for w in words]

    texts = [f"{title} {text}".strip() for title, text in (dataset.corpus[i] for i in ids)]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=stem, show_progress=False), show_progress=False)
    qids = list(dataset.qrels)
    tokens = bm25s.tokenize([dataset.queries[q] for q in qids], stopwords="en", stemmer=stem, show_progress=False)
    results, _ = retriever.retrieve(tokens, k=100, show_progress=False)
    scores = np.array([(ndcg_at_k(r, dataset.qrels[q], 10), recall_at_k(r, dataset.qrels[q], 100),
                        mrr_at_k(r, dataset.qrels[q], 10))
                       for q, row in zip(qids, results) for r in [[ids[i] for i in row]]])
    ndcg, recall, mrr = scores.mean(axis=0)
    print(json.dumps({"peer": "bm25s", "split": dataset.split, "queries": len(qids), "ndcg_at_10": round(ndcg, 4),
                      "recall_at_100": round(recall, 4), "mrr_at_10": round(mrr, 4)}))


if __name__ == "__main__":
    main()
