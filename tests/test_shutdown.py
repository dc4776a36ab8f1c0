"""Stopping `citebot index` mid-build: no worker, fork server or resource tracker is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retrieval import Engine
from retrieval.store import current_build

from .support import REPO_ROOT, write_corpus


def children_of(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, limit: float = 30.0) -> bool:
    """Poll ``condition`` until true or ``limit`` seconds passed (the processes are real)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=["TERM", "HUP", "KILL"])
def test_stopping_index_mid_build_leaves_no_process_and_the_previous_index(tmp_path, signum):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write_corpus(corpus, {"first.txt": "First\n\nThe first report covers the harbour in winter.\n"})
    before = Engine.open(corpus, index).index.folder
    # enough new text (> 4 MB) that the build parses in a pool of worker processes
    sentence = "The envoy for the northern region said the missiles stay in storage near the harbour. "
    write_corpus(corpus, {f"big/doc{i:02d}.txt": f"Report {i}\n\n" + (sentence * 12 + "\n\n") * 90
                          for i in range(48)})
    proc = subprocess.Popen([sys.executable, "-m", "bot", "index", "--corpus", str(corpus), "--index", str(index)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT)
    try:
        # workers are grandchildren (forked by the fork server)
        assert wait_for(lambda: any(children_of(c) for c in children_of(proc.pid))), "no worker started"
        family = children_of(proc.pid)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
        assert wait_for(lambda: not [p for p in family if alive(p)]), [p for p in family if alive(p)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if signum != signal.SIGKILL:
        assert proc.returncode == 128 + signum, err
        assert b"Traceback" not in err and f"stopped by {signal.Signals(signum).name}".encode() in err
    assert current_build(index) == before  # the previous index stays live
    assert not [p for p in index.iterdir() if p.name.endswith(".tmp")] or signum == signal.SIGKILL
