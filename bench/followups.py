"""Follow-up context on a real dataset: does an unrelated earlier question hurt, what does a follow-up cost?

    .venv/bin/python -m bench.followups /work/shared/datasets/scifact [--split train] [--out FILE]

For every judged query q of the split, an earlier question p is drawn from the
other queries (seeded). nDCG@10 is computed for q alone and for q asked as a
follow-up of p (the documents rank by their best paragraph, as ``citebot eval``
ranks them): a self-contained question should not be hurt by unrelated context.
It also reports how often the context was used (the question looked elliptical
or its own terms left information uncovered), how many questions are answered
(not refused) alone and as follow-ups, and the median time of
``Engine.search`` alone vs with context.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from pathlib import Path

from retrieval import Engine, Settings
from retrieval.beir import default_cache, load_dataset, ndcg_at_k, write_corpus

DEPTH = 10


def _ranking(result, sources: dict[str, str]) -> list[str]:
    ranking: list[str] = []
    for hit in result.hits:
        doc = sources.get(hit.source)
        if doc is not None and doc not in ranking:
            ranking.append(doc)
    return ranking[:DEPTH]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--split", default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    dataset = load_dataset(args.folder, args.split)
    cache = default_cache(args.folder)
    sources = write_corpus(dataset.corpus, cache / "corpus")
    engine = Engine.open(cache / "corpus", cache / "index", Settings())
    rng = random.Random(12)
    qids = sorted(dataset.qrels)
    alone = with_context = 0.0
    used = hurt = helped = answered_alone = answered_followed = 0
    t_alone: list[float] = []
    t_context: list[float] = []
    for qid in qids:
        question = dataset.queries[qid]
        earlier = dataset.queries[rng.choice([q for q in qids if q != qid])]
        started = time.perf_counter()
        result, _ = engine.search(question, DEPTH * 3)
        t_alone.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        followed, follow_up = engine.search(question, DEPTH * 3, [earlier])
        t_context.append((time.perf_counter() - started) * 1000)
        a = ndcg_at_k(_ranking(result, sources), dataset.qrels[qid], 10)
        b = ndcg_at_k(_ranking(followed, sources), dataset.qrels[qid], 10)
        alone, with_context = alone + a, with_context + b
        used += bool(follow_up and follow_up.used)
        answered_alone += result.answered
        answered_followed += followed.answered
        hurt += b < a - 1e-9
        helped += b > a + 1e-9
    n = len(qids)
    report = {
        "dataset": args.folder.name, "split": dataset.split, "queries": n,
        "paragraphs": engine.stats.paragraphs,
        "ndcg@10 alone": round(alone / n, 4), "ndcg@10 after an unrelated question": round(with_context / n, 4),
        "context used": used, "queries hurt": hurt, "queries helped": helped,
        "answered alone": answered_alone, "answered as follow-ups": answered_followed,
        "search ms median alone": round(statistics.median(t_alone), 3),
        "search ms median follow-up": round(statistics.median(t_context), 3),
        "cpu": platform.processor() or platform.machine(), "python": platform.python_version(),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
