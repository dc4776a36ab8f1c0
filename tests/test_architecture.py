"""Layering: the retrieval core imports nothing from the front-ends."""

from __future__ import annotations

import ast

from .support import REPO_ROOT

FORBIDDEN = {"discord", "click", "bot", "aiohttp"}


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def test_retrieval_does_not_import_front_ends():
    offenders = {
        f"{path.name}: {name}"
        for path in (REPO_ROOT / "retrieval").rglob("*.py")
        for name in _imports(path)
        if name in FORBIDDEN
    }
    assert not offenders


def test_no_nltk_download_calls():
    for folder in ("retrieval", "bot"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            assert "nltk.download" not in path.read_text(encoding="utf-8"), path
