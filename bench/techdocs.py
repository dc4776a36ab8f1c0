"""Held-out technical-docs answerability: questions about 100 documentation pages, half of them indexed.

    .venv/bin/python -m bench.techdocs [--work DIR] [--json]

Needs Debian's python3.11-doc and git-doc packages (HTML under /usr/share/doc)
and man pages for rsync, tar, ssh, grep, find, sed, curl, wget, make and gzip
(rendered with ``man``). The pages are copied into ``--work`` (default
~/.cache/citebot/techdocs), split into two halves alternately within each
family (Python library, Python guides, git, man pages), and each half is
indexed in turn. bench/data/techdocs_questions.jsonl asks about every page
(``"source"``: the page, or pages, that answer it), with typos, questions
about tools no page covers and vague ones; ``retrieval.evaluate`` scores it:
refusals of questions whose page is indexed, answers to the others, recall@3,
too-vague replies and whether the lead sentence holds the answer's words.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from retrieval import Engine
from retrieval.evaluate import evaluate, read_golden

PYTHON_DOCS = Path("/usr/share/doc/python3.11-doc/html")
GIT_DOCS = Path("/usr/share/doc/git-doc")
QUESTIONS = Path(__file__).parent / "data" / "techdocs_questions.jsonl"

LIBRARY = """argparse asyncio-task base64 bisect collections concurrent.futures configparser contextlib csv dataclasses
datetime decimal enum functools gzip hashlib heapq http.server itertools json logging os.path pathlib pickle random
re secrets shutil sqlite3 statistics string subprocess tempfile textwrap threading time timeit typing unittest
urllib.parse uuid venv zipfile zoneinfo""".split()
GUIDES = """tutorial/controlflow tutorial/errors tutorial/datastructures tutorial/inputoutput tutorial/classes tutorial/venv
tutorial/floatingpoint howto/logging howto/sorting howto/regex howto/unicode howto/argparse faq/programming faq/general
using/cmdline using/unix""".split()
GIT = """git-rebase git-commit git-stash git-bisect git-cherry-pick git-clone git-config git-log git-reset git-revert
git-tag git-worktree git-submodule git-blame git-diff git-fetch git-push git-merge git-gc git-grep gitignore git-remote
git-switch git-restore git-clean git-archive git-shortlog git-describe git-reflog git-am""".split()
MAN = "rsync tar ssh grep find sed curl wget make gzip".split()


def _man_page(name: str) -> str:
    text = subprocess.run(["man", "-P", "cat", name], capture_output=True, text=True, check=True,
                          env={**os.environ, "MANWIDTH": "100"}).stdout
    return re.sub(r".\x08", "", text)  # overstrike bold/underline


def collect(folder: Path) -> dict[str, list[str]]:
    """Copy the pages into ``folder``/all; their paths per family."""
    families: dict[str, list[str]] = {}
    for family, names, source in (("python/library", LIBRARY, lambda n: PYTHON_DOCS / "library" / f"{n}.html"),
                                  ("python/guide", GUIDES, lambda n: PYTHON_DOCS / f"{n}.html"),
                                  ("git", GIT, lambda n: GIT_DOCS / f"{n}.html")):
        for name in names:
            path = source(name)
            if not path.is_file():
                raise SystemExit(f"missing {path}: install python3.11-doc and git-doc")
            target = folder / "all" / family / f"{name.replace('/', '-')}.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            families.setdefault(family, []).append(target.name)
    for name in MAN:
        target = folder / "all" / "man" / f"{name}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_man_page(name), encoding="utf-8")
        families.setdefault("man", []).append(target.name)
    return families


def split(folder: Path, families: dict[str, list[str]]) -> list[Path]:
    """Two corpora, pages alternating between them in sorted order within each family."""
    halves = [folder / "half-a", folder / "half-b"]
    for half in halves:
        shutil.rmtree(half, ignore_errors=True)
    for family, names in families.items():
        for position, name in enumerate(sorted(names)):
            target = halves[position % 2] / family / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / "all" / family / name, target)
    return halves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "citebot" / "techdocs")
    parser.add_argument("--json", action="store_true", help="print the two reports as JSON")
    args = parser.parse_args()
    questions = read_golden(QUESTIONS)
    halves = split(args.work, collect(args.work))
    reports = {}
    for half in halves:
        engine = Engine.open(half, args.work / f"index-{half.name}")
        reports[half.name] = evaluate(engine, questions, k=3).to_json()
    if args.json:
        print(json.dumps(reports, indent=2))
        return
    print("half    answerable  refused  unanswerable  answered  recall@3  too vague  answer in lead")
    for name, r in reports.items():
        lead = (r.get("reading") or {}).get("answer_in_lead")
        print(f"{name:7} {r['answerable']:10} {r['refused']:8.1%} {r['unanswerable']:13} {r['false_answers']:9.1%}"
              f" {r['recall_at_k']:9.3f} {r.get('too_vague_accuracy', 0):10.3f} {lead if lead is None else f'{lead:.3f}':>15}")


if __name__ == "__main__":
    main()
