"""An index folder that cannot be written: answer anyway, warn once naming the folder, leave nothing behind."""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from retrieval import Engine
from retrieval.store import current_build

from .support import REPO_ROOT, write_corpus

_PR_CAPBSET_DROP, _CAP_DAC_OVERRIDE, _CAP_FOWNER = 24, 1, 3


def _without_root_override() -> None:
    """In the child: drop root's permission to ignore file modes, so chmod 0555 means read-only."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_FOWNER):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop capability")


def run_citebot(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=120,
                          cwd=REPO_ROOT, **kwargs)


def make_corpus(folder: Path) -> Path:
    return write_corpus(folder, {
        "a.txt": "Launchers\n\nThe Tomahawk launchers are kept in a hangar near the coast.\n",
        "b.txt": "Talks\n\nThe envoys agreed to meet again next month in Geneva.\n",
    })


def test_read_only_index_after_a_corpus_change_still_answers(tmp_path):
    corpus, index = make_corpus(tmp_path / "corpus"), tmp_path / "index"
    before = Engine.open(corpus, index)
    (corpus / "c.txt").write_text("Weather\n\nThe harbour froze over during the cold winter.\n")
    folders = [index, *(p for p in index.rglob("*") if p.is_dir())]
    for folder in folders:
        folder.chmod(0o555)
    try:
        done = run_citebot(["ask", "what happened to the harbour in the cold winter?", "--json", "--corpus", str(corpus),
                            "--index", str(index)], preexec_fn=_without_root_override)
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["answered"] and answer["citations"][0]["source"] == "c.txt"
    warnings = [line for line in done.stderr.splitlines() if "cannot write the index" in line]
    assert len(warnings) == 1 and str(index) in warnings[0] and "Permission denied" in warnings[0]
    assert "Traceback" not in done.stderr
    assert current_build(index) == before.index.folder  # the previous index is untouched
    assert sorted(p.name for p in index.iterdir()) == sorted([".build.lock", "CURRENT", before.index.folder.name,
                                                              "cache"])


def _file_size_limit(limit: int):
    def apply() -> None:  # a "full disk": writes beyond `limit` bytes fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_full_disk_names_the_folder_and_leaves_nothing_behind(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", {
        f"doc{i}.txt": f"Report {i}\n\n" + " ".join(f"word{i}x{j}" for j in range(800)) + "\n" for i in range(3)
    })
    index = tmp_path / "index"
    done = run_citebot(["index", "--corpus", str(corpus), "--index", str(index)],
                       preexec_fn=_file_size_limit(8000))
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr
    assert any("cannot write the index in " + str(index) in line and "File too large" in line for line in lines)
    leftovers = [p for p in index.rglob("*") if p.is_file() and p.name != ".build.lock"]
    assert leftovers == [], leftovers
