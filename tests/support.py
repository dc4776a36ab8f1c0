"""Constants and helpers shared by the test modules."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS = REPO_ROOT / "seeds"
TOMAHAWK_SOURCE = "000_73428c9fd92591ec.txt"
LINES_SOURCE = "001_3d066d7d62a00373.txt"
EXAMPLE_QUESTION = "what did the US say about Tomahawk missiles?"



def write_corpus(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Create a corpus folder from {relative path: text or bytes}."""
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder
