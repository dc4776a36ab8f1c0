"""What every format reader returns: a parsed document made of blocks, or a skip with a reason."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

KINDS = ("prose", "list", "code", "table", "quote")


class Skip(Exception):
    """A file that is not indexed; ``reason`` is shown to the user (``citebot index``)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Block:
    """One answerable unit: its text, the headings above it (outermost first), kind and page."""

    text: str
    section: tuple[str, ...] = ()
    kind: str = "prose"  # one of KINDS
    page: int | None = None  # 1-based page where it starts (paged formats)


@dataclass(frozen=True)
class ParsedDocument:
    """A file read by its format's reader: metadata and blocks in reading order."""

    format: str
    title: str | None
    date: str | None
    url: str | None
    blocks: tuple[Block, ...]
    dropped: int = 0  # lines dropped as page chrome


_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s+")


def clean(text: str) -> str:
    """Whitespace normalised to single spaces (the display text of prose)."""
    return _SPACE.sub(" ", text).strip()


def split_long(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most about ``limit`` characters, cut after sentences, else between words."""
    if len(text) <= limit:
        return [text]
    limit = max(limit, 1)
    pieces, start = [], 0
    while len(text) - start > limit:
        window = text[start : start + limit + 1]  # a break right after the limit still counts
        cut = max((m.end() for m in _SENTENCE_END.finditer(window)), default=0)
        if not limit // 3 < cut <= limit + 1:  # no sentence end late enough: cut between lines, else words
            space = max(window.rfind("\n"), window.rfind(" "))
            cut = space + 1 if space >= limit // 3 and space > 0 else limit
        pieces.append(text[start : start + cut].strip())
        start += cut
    pieces.append(text[start:].strip())
    return [p for p in pieces if p]


def finish(blocks: list[Block], limit: int) -> tuple[Block, ...]:
    """Drop empty blocks and split any block longer than ``limit`` characters (same section/page/kind)."""
    out: list[Block] = []
    for block in blocks:
        if block.kind == "code":
            text = block.text.strip("\n").rstrip()
        elif block.kind == "list":  # one item per line
            text = "\n".join(filter(None, map(clean, block.text.split("\n"))))
        else:
            text = clean(block.text)
        if not text.strip():
            continue
        if len(text) <= limit:
            out.append(replace(block, text=text) if text is not block.text else block)
            continue
        out.extend(replace(block, text=piece) for piece in split_long(text, limit))
    return tuple(out)
