"""Full-answer latency and output, for comparing two versions of citebot on the same index.

    .venv/bin/python -m bench.answers --corpus CORPUS --index INDEX --questions Q.json \\
        [--top-k 10] [--dump answers.json] [--profile 25]

``--questions``: a JSON list of strings, or a BEIR ``queries.jsonl`` (its ``text`` fields);
``--synthetic N`` instead draws N questions from a corpus made by :mod:`bench.corpus`.
The engine first answers ``--warmup`` questions (default 20, the first ones), then each
question once ("fresh": its paragraphs not split or analysed before in this process) and
once more ("repeat"); it prints the median and p99 of each, as thread CPU time per
question (less disturbed than wall time on a shared machine), and the CPU model.

``--dump`` writes every answer's JSON (without ``elapsed_ms``) for ``cmp`` against another
version's dump: run both with the same ``PYTHONHASHSEED``, since Python's string hashing
orders sets. ``--profile N`` runs the fresh pass under cProfile instead and prints the N
costliest functions by own time. Time a version checked out elsewhere by putting its
folder first on ``sys.path`` (``PYTHONPATH=/other/checkout``), alternating the two.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from pathlib import Path


def load_questions(args) -> list[str]:
    if args.synthetic:
        from bench.corpus import CorpusSpec, questions

        spec = json.loads((Path(args.corpus) / ".spec.json").read_text())["spec"]
        return questions(CorpusSpec(**spec), Path(args.corpus), args.synthetic)
    path = Path(args.questions)
    if path.suffix == ".jsonl":
        return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return json.loads(path.read_text(encoding="utf-8"))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def _times(engine, questions: list[str], top_k: int) -> list[float]:
    times = []
    for q in questions:
        t = time.thread_time()
        engine.ask(q, top_k=top_k)
        times.append(time.thread_time() - t)
    return times


def _summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 3),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--index", required=True)
    parser.add_argument("--questions")
    parser.add_argument("--synthetic", type=int, default=0)
    parser.add_argument("--limit", type=int, default=200, help="questions used (default 200)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--dump")
    parser.add_argument("--profile", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.questions and not args.synthetic:
        parser.error("give --questions or --synthetic")
    import retrieval
    from retrieval import Engine

    questions = load_questions(args)[: args.limit]
    engine = Engine.open(args.corpus, args.index)
    if args.dump:
        out = []
        for q in questions:
            data = engine.ask(q, top_k=args.top_k).to_json()
            data.pop("elapsed_ms", None)
            out.append(data)
        Path(args.dump).write_text(json.dumps(out, ensure_ascii=False, indent=0), encoding="utf-8")
        return 0
    warm, timed = questions[: args.warmup], questions[args.warmup:]
    _times(engine, warm, args.top_k)
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(_times, engine, timed, args.top_k)
        pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(args.profile)
        return 0
    fresh = _times(engine, timed, args.top_k)
    repeat = _times(engine, timed, args.top_k)
    print(json.dumps({"cpu": cpu_model(), "code": str(Path(retrieval.__file__).parent.parent),
                      "paragraphs": engine.index.n_paragraphs, "questions": len(timed), "top_k": args.top_k,
                      "fresh": _summary(fresh), "repeat": _summary(repeat)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
