"""Odd corpus shapes at scale: one 50 MB file, 100k tiny files, deeply nested folders.

    .venv/bin/python -m bench.robustness --out bench/results/robustness.json

Each case is built in a fresh process through ``Engine.open(force=True)``
(peak RSS of the process tree sampled), then opened again in another fresh
process (cold load: corpus scan + fingerprint + memory-mapped load) and asked
one question.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.run import ROOT, run_child

WORDS = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau "
         "upsilon phi chi psi omega treaty missile border envoy summit talks troops sanctions").split()


def _paragraph(rng: np.random.Generator, n: int) -> str:
    return " ".join(WORDS[i] for i in rng.integers(0, len(WORDS), n)).capitalize() + "."


def big_file(folder: Path, megabytes: int = 50) -> str:
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    with open(folder / "huge.txt", "w", encoding="utf-8") as out:
        out.write("One enormous headline\n\n")
        written = 0
        while written < megabytes * 2**20:
            text = _paragraph(rng, 60) + "\n\n"
            out.write(text)
            written += len(text)
        out.write("The needle paragraph mentions a zeppelin above the harbour.\n")
    return "zeppelin harbour"


def tiny_files(folder: Path, count: int = 100_000) -> str:
    rng = np.random.default_rng(2)
    for i in range(count):
        sub = folder / f"b{i // 1000:03d}"
        if i % 1000 == 0:
            sub.mkdir(parents=True)
        (sub / f"n{i:06d}.txt").write_text(f"Note {i} says {_paragraph(rng, 8)} Code c{i}x.\n", encoding="utf-8")
    return "code c4242x"


def nested(folder: Path, depth: int = 200, files: int = 2000) -> str:
    rng = np.random.default_rng(3)
    deep = folder
    for level in range(depth):
        deep = deep / f"l{level}"
        for i in range(files // depth):
            path = deep / f"f{i}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"Heading {level} {i} here\n\n{_paragraph(rng, 40)}\n\nMarker m{level}q{i} ends it.\n")
    return "marker m199q3"


CASES = {"50 MB single file": big_file, "100k tiny files": tiny_files, "200-deep folders": nested}


def child_open(args: dict) -> dict:
    t0 = time.perf_counter()
    from retrieval import Engine

    started = time.perf_counter()
    engine = Engine.open(args["corpus"], args["index"])
    loaded = time.perf_counter() - started
    answer = engine.ask(args["question"])
    import psutil

    return {"import_s": round(started - t0, 3), "open_s": round(loaded, 3), "rebuilt": engine.stats.rebuilt,
            "answered": answer.answered, "top": answer.citations[0].source if answer.citations else None,
            "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "robustness.json"))
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="citebot-robust-") as tmp:
        for name, make in CASES.items():
            corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
            started = time.perf_counter()
            question = make(corpus)
            made = time.perf_counter() - started
            build = run_child("build", {"corpus": str(corpus), "index": str(index)}, 1800)
            opened = run_child("robust_open", {"corpus": str(corpus), "index": str(index), "question": question}, 600)
            results[name] = {"generate_s": round(made, 1), "build": build, "open": opened}
            print(name, json.dumps(results[name]), flush=True)
            shutil.rmtree(corpus)
            shutil.rmtree(index, ignore_errors=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
