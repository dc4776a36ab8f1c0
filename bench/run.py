"""citebot benchmark: build, cold load, query latency and memory against rank-bm25, bm25s and tantivy.

    .venv/bin/pip install -e '.[bench]'          # bm25s, tantivy, psutil (peers are not runtime deps)
    .venv/bin/python -m bench.run --sizes 10k,100k,1m --out bench/results/latest.json

For each size a deterministic synthetic corpus (bench/corpus.py) is written as
real files to a work folder, then, each step in a fresh process:

- citebot: full build through ``Engine.open(force=True)`` (what ``citebot
  index --force`` calls): wall time, peak RSS (main + worker processes), index
  size on disk; a cold ``Engine.open`` in a new process; latency of retrieval
  (``search``: question analysis, scoring, top-k, gate), of ranking alone
  (analysed tokens -> exact top-k, the work the peers' timed path does) and of
  the full answer (``Engine.ask``: sentences, excerpts, highlights); RSS of that
  serving process; incremental re-index after one file changed / was added / was
  removed.
- rank-bm25 ``BM25Okapi``: construction from the same tokens, ``get_scores`` +
  sort per question (the naive path).
- bm25s (``method="atire", idf_method="robertson"`` = BM25Okapi): ``index`` from
  the same tokens, ``get_scores`` + top-k per question (its fastest path; the
  mean of its ``retrieve(k)`` API is noted too).
- tantivy (Rust; Python binding): the same tokens joined by spaces, indexed
  with its whitespace tokenizer (frequencies, no positions), 2 indexing
  threads; top-k search of a should-match boolean query with ``count=False``
  (its block-max WAND path). Its BM25 differs slightly from BM25Okapi (idf
  without the epsilon floor, quantised field lengths), so top-1 agreement is
  reported, not asserted.

Peers get the corpus already tokenized by citebot's analyzer (their build time
excludes tokenization; citebot's includes reading, parsing and tokenizing), and
question tokens pre-analysed (citebot's retrieval time includes analysing the
question). Prints a table and writes it as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
TOP_K = 3
LIMIT = TOP_K * 3  # candidates Engine.ask ranks for top_k = 3


# -- helpers run in child processes ------------------------------------------------------

def _peak_mb() -> dict:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_mb": round(own, 1), "children_peak_mb": round(kids, 1)}


def _rss_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def _folder_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def _percentiles(samples: list[float]) -> dict:
    a = np.asarray(samples) * 1000
    return {"p50_ms": round(float(np.percentile(a, 50)), 4), "p99_ms": round(float(np.percentile(a, 99)), 4),
            "mean_ms": round(float(a.mean()), 4), "n": len(samples)}


class TreeRss:
    """Samples the RSS of this process plus all its descendants (the build's worker processes)."""

    def __init__(self, interval: float = 0.1):
        import threading

        import psutil

        self.peak = self.peak_main = 0
        self._stop = threading.Event()
        self._me = psutil.Process()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def _run(self, interval: float) -> None:
        import psutil

        while not self._stop.is_set():
            total = main = self._me.memory_info().rss
            for child in self._me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak, self.peak_main = max(self.peak, total), max(self.peak_main, main)
            self._stop.wait(interval)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        return {"tree_peak_mb": round(self.peak / 2**20, 1)}


def child_build(args: dict) -> dict:
    import logging

    from retrieval import Engine

    logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    sampler = TreeRss()
    started = time.perf_counter()
    engine = Engine.open(args["corpus"], args["index"], force=True, progress=False)
    seconds = time.perf_counter() - started
    build = engine.index.folder
    return {"seconds": round(seconds, 2), **_peak_mb(), **sampler.stop(), "index_mb": _folder_mb(build),
            "cache_mb": _folder_mb(Path(args["index"]) / "cache"),
            "documents": engine.stats.documents, "paragraphs": engine.stats.paragraphs,
            "vocabulary": engine.stats.vocabulary, "files_parsed": engine.stats.parsed}


def child_serve(args: dict) -> dict:
    t0 = time.perf_counter()
    from retrieval import Engine
    from retrieval.search import search

    imported = time.perf_counter()
    engine = Engine.open(args["corpus"], args["index"])
    loaded = time.perf_counter()
    assert not engine.stats.rebuilt, "index should have been loaded, not rebuilt"
    rss_loaded = _rss_mb()
    questions = args["questions"]
    settings = engine.settings.answer
    for q in args["warmup"]:  # a bot that has answered some other questions already
        engine.ask(q)

    def retrieve_all() -> tuple[list[float], list[list[int]]]:
        times, rankings = [], []
        for q in questions:
            t = time.perf_counter()
            result = search(engine.index, engine.analyzer, q, LIMIT, settings)
            times.append(time.perf_counter() - t)
            rankings.append([h.paragraph_index for h in result.hits])
        return times, rankings

    # 1. retrieval, first time these questions' words are analysed (Snowball stems not memoised yet)
    cold, _ = retrieve_all()
    # 2. full answers, first time each question is answered
    answer, answered = [], 0
    for q in questions:
        t = time.perf_counter()
        a = engine.ask(q, top_k=TOP_K)
        answer.append(time.perf_counter() - t)
        answered += a.answered
    # 3. retrieval with the question words' analysis memoised (comparable to peers' pre-tokenized queries)
    warm, rankings = retrieve_all()
    # 4. ranking alone, the work the peers' timed path does: analysed tokens -> term ids -> exact top-k
    term_ids, compiled = engine.index.term_ids, engine.index.compiled
    tokens = [engine.analyzer.terms(q) for q in questions]
    ranking = []
    for words in tokens:
        t = time.perf_counter()
        compiled.top([term_ids[w] for w in words if w in term_ids], LIMIT)
        ranking.append(time.perf_counter() - t)
    return {"import_s": round(imported - t0, 3), "load_s": round(loaded - imported, 3),
            "rss_loaded_mb": rss_loaded, "rss_after_queries_mb": _rss_mb(), **_peak_mb(),
            "retrieval": _percentiles(warm), "retrieval_cold_words": _percentiles(cold),
            "ranking": _percentiles(ranking), "kernel": engine.index.compiled.kernel,
            "answer": _percentiles(answer), "answered": answered, "rankings": rankings}


def _tokens_from_index(index_dir: str) -> tuple[list[list[str]], list[str]]:
    """The tokenized corpus (bag of words per paragraph) rebuilt from citebot's postings."""
    from retrieval.settings import BM25Settings
    from retrieval.store import current_build, load

    idx = load(current_build(Path(index_dir)), BM25Settings())
    c = idx.compiled
    terms = np.asarray(idx.terms, dtype=object)
    term_of = np.repeat(np.arange(len(idx.terms)), np.diff(np.asarray(c.ptr)))
    order = np.argsort(np.asarray(c.post_para), kind="stable")
    tokens = np.repeat(term_of[order], np.asarray(c.post_tf)[order])
    bounds = np.concatenate([[0], np.cumsum(np.asarray(c.para_len, dtype=np.int64))])
    words = terms[tokens].tolist()
    return [words[a:b] for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist())], idx.terms


def _question_tokens(questions: list[str], vocabulary: set[str]) -> list[list[str]]:
    from retrieval.analysis import Analyzer

    analyzer = Analyzer()
    return [[t for t in analyzer.terms(q) if t in vocabulary] for q in questions]


def child_rank_bm25(args: dict) -> dict:
    from rank_bm25 import BM25Okapi

    corpus, terms = _tokens_from_index(args["index"])
    queries = _question_tokens(args["questions"], set(terms))[: args["max_questions"]]
    rss_input = _rss_mb()
    started = time.perf_counter()
    bm25 = BM25Okapi(corpus)
    seconds = time.perf_counter() - started
    del corpus
    times, rankings = [], []
    for q in queries:
        t = time.perf_counter()
        scores = bm25.get_scores(q)
        top = np.argsort(-scores, kind="stable")[:LIMIT]
        times.append(time.perf_counter() - t)
        rankings.append(top.tolist())
    return {"seconds": round(seconds, 2), **_peak_mb(), "rss_input_mb": rss_input, "rss_mb": _rss_mb(),
            "retrieval": _percentiles(times), "rankings": rankings}


def child_bm25s(args: dict) -> dict:
    import logging

    import bm25s

    logging.disable(logging.WARNING)
    corpus, terms = _tokens_from_index(args["index"])
    queries = _question_tokens(args["questions"], set(terms))
    rss_input = _rss_mb()
    started = time.perf_counter()
    model = bm25s.BM25(method="atire", idf_method="robertson", k1=1.5, b=0.75)
    model.index(corpus, show_progress=False)
    seconds = time.perf_counter() - started
    del corpus
    times, rankings = [], []
    for q in queries:
        # get_scores + top-k: what retrieve() does, without the thread pool it starts per call
        # (retrieve(k) itself measured ~14 ms per question at 100k paragraphs on this machine).
        t = time.perf_counter()
        scores = model.get_scores(q)
        top = np.argpartition(-scores, LIMIT)[:LIMIT]
        top = top[np.lexsort((top, -scores[top]))]
        times.append(time.perf_counter() - t)
        rankings.append(top.tolist())
    t = time.perf_counter()
    for q in queries[:20]:
        model.retrieve([q], k=LIMIT, show_progress=False, n_threads=1)
    retrieve_ms = (time.perf_counter() - t) / max(1, len(queries[:20])) * 1000
    return {"seconds": round(seconds, 2), **_peak_mb(), "rss_input_mb": rss_input, "rss_mb": _rss_mb(),
            "retrieval": _percentiles(times), "retrieve_api_mean_ms": round(retrieve_ms, 3), "rankings": rankings}


def child_tantivy(args: dict) -> dict:
    """tantivy (Rust, block-max WAND top-k) over the same analysed tokens, split on whitespace."""
    import tantivy

    corpus, terms = _tokens_from_index(args["index"])
    queries = _question_tokens(args["questions"], set(terms))
    texts = [" ".join(words) for words in corpus]
    del corpus
    folder = Path(args["work"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rss_input = _rss_mb()
    started = time.perf_counter()
    schema = (tantivy.SchemaBuilder()
              .add_text_field("body", tokenizer_name="whitespace", index_option="freq")
              .add_integer_field("pid", fast=True)
              .build())
    index = tantivy.Index(schema, path=str(folder))
    writer = index.writer(heap_size=256_000_000, num_threads=2)
    for pid, text in enumerate(texts):
        writer.add_document(tantivy.Document(body=text, pid=pid))
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - started
    del texts
    index.reload()
    searcher = index.searcher()

    def query_of(words: list[str]):
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", w, index_option="freq")) for w in words])

    times, rankings = [], []
    for q in queries:
        # count=False lets tantivy prune (block-max WAND); counting every match would visit all postings.
        t = time.perf_counter()
        hits = searcher.search(query_of(q), LIMIT, count=False).hits
        times.append(time.perf_counter() - t)
        rankings.append(searcher.fast_field_values("pid", [address for _, address in hits]))
    return {"seconds": round(seconds, 2), **_peak_mb(), "rss_input_mb": rss_input, "rss_mb": _rss_mb(),
            "index_mb": _folder_mb(folder), "segments": searcher.num_segments,
            "retrieval": _percentiles(times), "rankings": rankings}


def child_incremental(args: dict) -> dict:
    """Change, add and remove one file, timing each re-index (against a full build's time)."""
    from retrieval import Engine

    corpus = Path(args["corpus"])
    files = sorted(corpus.rglob("*.txt"))
    victim, donor = files[len(files) // 2], files[len(files) // 3]
    original = victim.read_bytes()
    out = {}

    def reindex(label: str) -> None:
        started = time.perf_counter()
        s = Engine.open(corpus, args["index"]).stats
        out[label] = {"seconds": round(time.perf_counter() - started, 3), "reused": s.reused,
                      "parsed": s.parsed, "removed": s.removed, "paragraphs": s.paragraphs}

    try:
        victim.write_bytes(original + b"\nA brand new closing paragraph about zebras and quasars.\n")
        reindex("changed")
        added = corpus / "added_article.txt"
        added.write_bytes(b"Added headline here\n\n" + donor.read_bytes().split(b"\n\n", 1)[1])
        reindex("added")
        added.unlink()
        reindex("removed")
    finally:
        victim.write_bytes(original)
        (corpus / "added_article.txt").unlink(missing_ok=True)
    reindex("restored")
    return out


CHILDREN = {"build": child_build, "serve": child_serve, "rank_bm25": child_rank_bm25, "bm25s": child_bm25s,
            "tantivy": child_tantivy, "incremental": child_incremental}


def run_child(role: str, args: dict, timeout: float) -> dict:
    """Run one step in a fresh Python process; returns its JSON result or an error/skip reason."""
    started = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "bench.run", "--child", role], input=json.dumps(args),
                              capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"skipped": f"did not finish within {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"skipped": f"failed (exit {proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}"}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = round(time.perf_counter() - started, 2)
    return result


# -- orchestration -----------------------------------------------------------------------------

def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    import numpy

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem / 2**20, 1),
            "python": platform.python_version(),
            "numpy": numpy.__version__, "os": platform.platform()}


def _agreement(ours: list[list[int]], theirs: list[list[int]]) -> float:
    """Share of questions whose top-1 paragraph score ties ours (ids can differ only on exact ties)."""
    same = sum(1 for a, b in zip(ours, theirs) if a[:1] == b[:1])
    return round(same / max(1, min(len(ours), len(theirs))), 3)


def bench_size(label: str, n: int, work: Path, args) -> dict:
    from bench.corpus import CorpusSpec, generate, questions

    spec = CorpusSpec(n)
    corpus = work / f"corpus-{label}"
    marker = corpus / ".spec.json"
    if not (marker.exists() and json.loads(marker.read_text()).get("spec") == spec.__dict__):
        shutil.rmtree(corpus, ignore_errors=True)
        t = time.perf_counter()
        summary = generate(spec, corpus)
        marker.write_text(json.dumps({"spec": spec.__dict__, "summary": summary}))
        print(f"[{label}] generated {summary} in {time.perf_counter() - t:.1f} s", flush=True)
    summary = json.loads(marker.read_text())["summary"]
    qs = questions(spec, corpus, args.questions)
    warmup = questions(spec, corpus, args.questions, seed=spec.seed + 2)
    index = work / f"index-{label}"
    shutil.rmtree(index, ignore_errors=True)
    row = {"size": label, "paragraphs": n, "corpus": summary}
    row["citebot_build"] = build = run_child("build", {"corpus": str(corpus), "index": str(index)},
                                             1800 if n <= 1_000_000 else 5400)
    print(f"[{label}] citebot build: {build}", flush=True)
    serve = run_child("serve", {"corpus": str(corpus), "index": str(index), "questions": qs, "warmup": warmup},
                      1800)
    ours = serve.pop("rankings", [])
    row["citebot_serve"] = serve
    print(f"[{label}] citebot serve: {serve}", flush=True)
    if label in args.incremental:
        row["incremental"] = run_child("incremental", {"corpus": str(corpus), "index": str(index)}, 1800)
        print(f"[{label}] incremental: {row['incremental']}", flush=True)
    naive_q = args.questions if n <= 100_000 else args.naive_questions
    for peer, limit in (("rank_bm25", naive_q), ("bm25s", args.questions), ("tantivy", args.questions)):
        if n > args.peer_max:
            row[peer] = {"skipped": f"peers run up to {args.peer_max} paragraphs (--peer-max)"}
            continue
        result = run_child(peer, {"index": str(index), "questions": qs, "max_questions": limit,
                                  "work": str(work / f"tantivy-{label}")}, args.peer_timeout)
        shutil.rmtree(work / f"tantivy-{label}", ignore_errors=True)
        if "rankings" in result:
            result["top1_agreement"] = _agreement(ours, result.pop("rankings"))
        row[peer] = result
        print(f"[{label}] {peer}: {result}", flush=True)
    if not args.keep:
        shutil.rmtree(index, ignore_errors=True)
    return row


def table(rows: list[dict]) -> list[dict]:
    """One line per engine x size: build s, peak MB, load s, p50/p99 ms, speed-up vs naive."""
    lines = []
    for row in rows:
        naive = row.get("rank_bm25", {}).get("retrieval", {}).get("p50_ms")
        peer = row.get("bm25s", {}).get("retrieval", {}).get("p50_ms")
        rust = row.get("tantivy", {}).get("retrieval", {}).get("p50_ms")
        b, s = row["citebot_build"], row["citebot_serve"]

        def speed(p50, ref=naive):
            return round(ref / p50, 1) if ref and p50 else None

        if "skipped" not in b and "skipped" not in s:
            lines.append({"engine": "citebot retrieval", "size": row["size"], "build_s": b["seconds"],
                          "peak_mb": round(max(b["tree_peak_mb"], b["peak_mb"])), "index_mb": b["index_mb"],
                          "load_s": s["load_s"], "serve_rss_mb": s["rss_after_queries_mb"],
                          "p50_ms": s["retrieval"]["p50_ms"], "p99_ms": s["retrieval"]["p99_ms"],
                          "speedup": speed(s["retrieval"]["p50_ms"]),
                          "vs_bm25s": speed(s["retrieval"]["p50_ms"], peer),
                          "vs_tantivy": speed(s["retrieval"]["p50_ms"], rust),
                          "note": f"{s.get('kernel', 'numpy')} top-k kernel; {_size_note(row)}"})
            if "ranking" in s:
                lines.append({"engine": "citebot ranking (tokens)", "size": row["size"], "build_s": None,
                              "peak_mb": None, "index_mb": None, "load_s": None, "serve_rss_mb": None,
                              "p50_ms": s["ranking"]["p50_ms"], "p99_ms": s["ranking"]["p99_ms"],
                              "speedup": speed(s["ranking"]["p50_ms"]),
                              "vs_bm25s": speed(s["ranking"]["p50_ms"], peer),
                              "vs_tantivy": speed(s["ranking"]["p50_ms"], rust),
                              "note": "same work as the peers' timed path: tokens -> exact top-k"})
            lines.append({"engine": "citebot full answer", "size": row["size"], "build_s": None, "peak_mb": None,
                          "index_mb": None, "load_s": None, "serve_rss_mb": None,
                          "p50_ms": s["answer"]["p50_ms"], "p99_ms": s["answer"]["p99_ms"],
                          "speedup": speed(s["answer"]["p50_ms"])})
        for key, name in (("rank_bm25", "rank-bm25 (naive)"), ("bm25s", "bm25s"), ("tantivy", "tantivy")):
            r = row.get(key, {})
            if "skipped" in r or not r:
                lines.append({"engine": name, "size": row["size"], "note": r.get("skipped", "not run")})
                continue
            lines.append({"engine": name, "size": row["size"], "build_s": r["seconds"], "peak_mb": round(r["peak_mb"]),
                          "index_mb": r.get("index_mb"), "load_s": None, "serve_rss_mb": r["rss_mb"],
                          "p50_ms": r["retrieval"]["p50_ms"], "p99_ms": r["retrieval"]["p99_ms"],
                          "speedup": speed(r["retrieval"]["p50_ms"]),
                          "vs_bm25s": speed(r["retrieval"]["p50_ms"], peer) if key == "bm25s" else None,
                          "vs_tantivy": speed(r["retrieval"]["p50_ms"], rust) if key == "tantivy" else None,
                          "note": _peer_note(key, r)})
    return lines


def _size_note(row: dict) -> str:
    """Index (and per-file cache) size as a multiple of the corpus's raw text."""
    text_mb = row["corpus"]["bytes"] / 2**20
    b = row["citebot_build"]
    return (f"index {b['index_mb'] / text_mb:.2f}x the raw text ({text_mb:.1f} MB), "
            f"with the per-file cache {(b['index_mb'] + b.get('cache_mb', 0)) / text_mb:.2f}x")


def _peer_note(key: str, r: dict) -> str:
    notes = ["build from pre-tokenized text"]
    if r["retrieval"]["n"] < 200:
        notes.append(f"{r['retrieval']['n']} questions")
    if "segments" in r:
        notes.append(f"top-{LIMIT} with count=False (block-max WAND), {r['segments']} segment(s), 2 indexing threads")
    if "retrieve_api_mean_ms" in r:
        notes.append(f"get_scores + top-k; retrieve() {r['retrieve_api_mean_ms']:.1f} ms mean")
    return "; ".join(notes)


def format_table(lines: list[dict]) -> str:
    cols = [("engine", "engine"), ("size", "size"), ("build_s", "build s"), ("peak_mb", "peak MB"),
            ("index_mb", "index MB"), ("load_s", "load s"), ("serve_rss_mb", "serve RSS MB"),
            ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"), ("speedup", "× naive"), ("vs_bm25s", "× bm25s"),
            ("vs_tantivy", "× tantivy"),             ("note", "note")]

    digits = {"build_s": 1, "peak_mb": 0, "index_mb": 1, "load_s": 3, "serve_rss_mb": 0, "speedup": 1,
              "vs_bm25s": 1, "vs_tantivy": 1}

    def cell(key, v):
        if v is None:
            return ""
        if isinstance(v, (int, float)) and key in digits:
            return f"{v:.{digits[key]}f}" + ("×" if key.startswith(("speedup", "vs_")) else "")
        if isinstance(v, float):
            return f"{v:.3f}" if v < 10 else f"{v:.1f}" if v < 1000 else f"{v:.0f}"
        return str(v)

    out = ["| " + " | ".join(h for _, h in cols) + " |", "|" + "---|" * len(cols)]
    for line in lines:
        out.append("| " + " | ".join(cell(k, line.get(k)) for k, _ in cols) + " |")
    return "\n".join(out)


def markdown(report: dict) -> str:
    """The report as Markdown: machine, main table, incremental re-index timings."""
    m = report["machine"]
    out = [f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM; Python {m['python']}, "
           f"numpy {m['numpy']}; {m['os']}. Run {report['date']}, {report['seconds']} s in all.", "",
           format_table(table(report["rows"])), ""]
    for row in report["rows"]:
        inc = row.get("incremental")
        if not inc or "skipped" in inc:
            continue
        full = row["citebot_build"].get("seconds")
        out.append(f"Incremental re-index at {row['size']} ({row['corpus']['files']} files; full build {full} s):")
        out.append("")
        out.append("| change | seconds | share of full build | files reused | files parsed | files removed |")
        out.append("|---|---|---|---|---|---|")
        for label in ("changed", "added", "removed", "restored"):
            r = inc[label]
            share = f"{r['seconds'] / full:.0%}" if full else ""
            out.append(f"| {label} | {r['seconds']} | {share} | {r['reused']} | {r['parsed']} | {r['removed']} |")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="10k,100k,1m")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--naive-questions", type=int, default=20, help="rank-bm25 questions above 100k paragraphs")
    parser.add_argument("--peer-max", type=int, default=1_000_000)
    parser.add_argument("--peer-timeout", type=float, default=600)
    parser.add_argument("--incremental", default="100k", help="sizes at which to time incremental re-indexing")
    parser.add_argument("--workdir", help="keep corpora here (reused across runs); default: a temp folder")
    parser.add_argument("--keep", action="store_true", help="keep the built indexes")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "latest.json"))
    args = parser.parse_args(argv)
    if args.child:
        if args.child == "robust_open":
            from bench.robustness import child_open as child
        else:
            child = CHILDREN[args.child]
        result = child(json.loads(sys.stdin.read()))
        print(json.dumps(result))
        return 0
    args.incremental = set(args.incremental.split(","))
    temp = None
    if args.workdir:
        work = Path(args.workdir)
        work.mkdir(parents=True, exist_ok=True)
    else:
        temp = tempfile.TemporaryDirectory(prefix="citebot-bench-")
        work = Path(temp.name)
    started = time.perf_counter()
    rows = []
    try:
        for label in args.sizes.split(","):
            rows.append(bench_size(label, SIZES[label.lower()], work, args))
    finally:
        if temp is not None:
            temp.cleanup()
    lines = table(rows)
    report = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M"),
              "seconds": round(time.perf_counter() - started), "table": lines, "rows": rows}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    out.with_suffix(".md").write_text(markdown(report) + "\n")
    print(f"machine: {report['machine']}")
    print(format_table(lines))
    print(f"written to {out} ({report['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
