"""Several real citebot processes on one index folder: one builds, the others wait, all answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from retrieval.store import current_build

from .support import REPO_ROOT, write_corpus

QUESTION = "where are the Tomahawk launchers kept?"


def make_corpus(folder: Path, files: int = 12) -> Path:
    return write_corpus(folder, {
        f"doc{i:02d}.txt": (f"Report {i}\n\nThe envoy for region {i} said the missiles would stay in storage.\n\n"
                            f"Round {i} of the talks ended with an agreement to meet next month.\n")
        for i in range(files)
    } | {"tomahawk.txt": "Launchers\n\nThe Tomahawk launchers are kept in a hangar near the coast.\n"})


def citebot(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=REPO_ROOT)


def finish(processes: list[subprocess.Popen]) -> list[tuple[int, str, str]]:
    results = []
    for p in processes:
        out, err = p.communicate(timeout=180)
        results.append((p.returncode, out, err))
    return results


def assert_one_live_build(index: Path) -> None:
    build = current_build(index)
    assert build is not None and (build / "meta.json").exists()
    assert [p.name for p in index.iterdir() if p.name.startswith("build-")] == [build.name]
    assert not [p for p in index.iterdir() if p.name.endswith(".tmp")]


def test_concurrent_first_asks_all_answer(tmp_path):
    corpus, index = make_corpus(tmp_path / "corpus"), tmp_path / "index"
    results = finish([citebot("ask", QUESTION, "--json", "--corpus", str(corpus), "--index", str(index))
                      for _ in range(6)])
    for code, out, err in results:
        assert code == 0, err
        assert json.loads(out)["answered"] is True
        assert "Traceback" not in err
    assert_one_live_build(index)


def test_forced_rebuilds_racing_asks(tmp_path):
    corpus, index = make_corpus(tmp_path / "corpus"), tmp_path / "index"
    common = ("--corpus", str(corpus), "--index", str(index))
    assert finish([citebot("index", *common)])[0][0] == 0
    processes = [citebot("index", "--force", *common) for _ in range(2)]
    processes += [citebot("ask", QUESTION, "--json", *common) for _ in range(4)]
    for code, out, err in finish(processes):
        assert code == 0, err
        assert "Traceback" not in err
    assert_one_live_build(index)
    code, out, err = finish([citebot("index", *common)])[0]
    assert code == 0 and "reused (up to date)" in out


def test_an_unguarded_script_does_not_deadlock_on_its_own_lock(tmp_path):
    """A script without `if __name__ == "__main__"` is re-run by each pool worker: it must not wait for ever
    on the lock its parent holds (the build falls back to one process, as multiprocessing's own error does)."""
    corpus, index = make_corpus(tmp_path / "corpus"), tmp_path / "index"
    script = tmp_path / "unguarded.py"
    script.write_text("\n".join([
        "import retrieval.build",
        "from retrieval import Engine",
        "retrieval.build.POOL_MIN_BYTES = 0  # use worker processes even for a tiny corpus",
        f"engine = Engine.open({str(corpus)!r}, {str(index)!r})",
        "print(engine.stats.documents)",
    ]))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "13"
