"""Markdown (``.md``, ``.markdown``) through markdown-it-py, a CommonMark parser (+ GFM tables).

Front matter gives title/date/url; a lone first ``#`` heading is the title and
the other headings are section paths; paragraphs have inline markup removed
(links keep their text, images their alt text); lists are kept with their
items; fenced and indented code is one verbatim block; each table row is a
block of ``header: cell`` pairs; HTML comments are dropped.
"""

from __future__ import annotations

import html
import re

from ..settings import CorpusSettings
from .dates import metadata_date, split_front_matter
from .encoding import decode
from .model import Block, ParsedDocument, clean, finish
from .text import list_blocks

_TAG = re.compile(r"<[^>]+>")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_HTML_HEADING = re.compile(r"\s*<h([1-6])\b[^>]*>(.*?)</h\1\s*>\s*", re.S | re.I)  # README: <h1 align="center">
_BADGE = re.compile(r"badge|shields\.io|/actions/workflows/|travis-ci|codecov|coveralls", re.I)


def html_heading(token) -> tuple[int, str] | None:
    """(level, text) of an HTML block that is only a heading (``<h1 align="center">Fluxgate</h1>``)."""
    m = _HTML_HEADING.fullmatch(_COMMENT.sub("", token.content)) if token.type == "html_block" else None
    return (int(m.group(1)), clean(html.unescape(_TAG.sub(" ", m.group(2))))) if m else None


def is_badge_row(token) -> bool:
    """An inline token of images only (each maybe inside a link): a row of badges, or one CI/version badge."""
    images = [c for c in token.children or () if c.type == "image"]
    rest = [c for c in token.children or () if c.type not in ("image", "link_open", "link_close", "softbreak")
            and not (c.type == "text" and not c.content.strip(" |·•-"))]
    return bool(images) and not rest and (len(images) >= 2 or bool(_BADGE.search(images[0].attrGet("src") or "")))


def is_page_link(token) -> bool:
    """An inline token that is just one link to a place in the same page (a table-of-contents entry)."""
    children = [c for c in token.children or () if not (c.type == "text" and not c.content.strip())]
    return (len(children) >= 3 and children[0].type == "link_open" and children[-1].type == "link_close"
            and (children[0].attrGet("href") or "").startswith("#")
            and all(c.type in ("text", "code_inline") for c in children[1:-1]))


def inline_text(token) -> str:
    """The plain text of an inline token: markup removed, link text and image alt text kept."""
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(inline_text(child))
    return "".join(parts).strip()


def table_rows(header: list[str], rows: list[list[str]]) -> list[str]:
    """Each row as ``header: cell; header: cell`` (cells without a header name stay bare)."""
    out = []
    for row in rows:
        cells = [f"{name}: {cell}" if name else cell
                 for name, cell in zip(header + [""] * len(row), row) if cell]
        if cells:
            out.append("; ".join(cells))
    return out


class _Walker:
    def __init__(self, tokens, title_h1: bool):
        self.tokens = tokens
        self.title_h1 = title_h1
        self.title: str | None = None
        self.sections: list[tuple[int, str]] = []
        self.blocks: list[Block] = []
        self.dropped = 0

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(t for _, t in self.sections)

    def run(self) -> None:
        tokens, i = self.tokens, 0
        while i < len(tokens):
            i = self.step(i)

    def heading(self, level: int, text: str) -> None:
        if level == 1 and self.title_h1 and self.title is None:
            self.title = text
        elif text:
            while self.sections and self.sections[-1][0] >= level:
                self.sections.pop()
            self.sections.append((level, text))

    def step(self, i: int) -> int:
        t = self.tokens[i]
        if t.type == "heading_open":
            self.heading(int(t.tag[1]), inline_text(self.tokens[i + 1]))
            return i + 3
        if (found := html_heading(t)) is not None:
            self.heading(*found)
            return i + 1
        if t.type == "paragraph_open":
            if is_badge_row(self.tokens[i + 1]):  # CI and version badges: page chrome
                self.dropped += 1
            else:
                self.blocks.append(Block(inline_text(self.tokens[i + 1]), self.path))
            return i + 3
        if t.type in ("fence", "code_block"):
            self.blocks.append(Block(t.content, self.path, "code"))
            return i + 1
        if t.type == "html_block":
            text = html.unescape(_TAG.sub(" ", _COMMENT.sub(" ", t.content))).strip()
            if text:
                self.blocks.append(Block(text, self.path))
            else:
                self.dropped += 1
            return i + 1
        if t.type in ("bullet_list_open", "ordered_list_open"):
            return self.list_(i)
        if t.type == "table_open":
            return self.table(i)
        if t.type == "blockquote_open":
            end = self.close_of(i)
            for j in range(i + 1, end):
                if self.tokens[j].type == "inline":
                    self.blocks.append(Block(inline_text(self.tokens[j]), self.path, "quote"))
            return end + 1
        return i + 1

    def close_of(self, i: int) -> int:
        """Index of the token closing the one opened at ``i``."""
        depth = 0
        for j in range(i, len(self.tokens)):
            depth += self.tokens[j].nesting
            if depth == 0:
                return j
        return len(self.tokens) - 1

    def list_(self, i: int) -> int:
        end = self.close_of(i)
        items: list[str] = []
        depth = 0
        marker = ""
        inlines = [t for t in self.tokens[i:end + 1] if t.type == "inline"]
        if inlines and all(map(is_page_link, inlines)):  # a table of contents: links to this page's headings
            self.dropped += 1
            return end + 1
        for j in range(i, end + 1):
            t = self.tokens[j]
            if t.type in ("bullet_list_open", "ordered_list_open"):
                depth += 1
            elif t.type in ("bullet_list_close", "ordered_list_close"):
                depth -= 1
            elif t.type == "list_item_open":
                marker = f"{t.info}{t.markup}" if t.info else "-"
                items.append("  " * (depth - 1) + marker + " ")
            elif t.type == "inline" and items:
                text = inline_text(t)
                items[-1] += text if items[-1].endswith(" ") else " " + text
            elif t.type in ("fence", "code_block") and items:
                items[-1] += " " + " ".join(t.content.split())
        self.blocks.extend(list_blocks([item.rstrip() for item in items if item.strip(" -.)0123456789")],
                                        self.path))
        return end + 1

    def table(self, i: int) -> int:
        end = self.close_of(i)
        header: list[str] = []
        rows: list[list[str]] = []
        in_head = False
        for j in range(i, end + 1):
            t = self.tokens[j]
            if t.type in ("thead_open", "thead_close"):
                in_head = t.type == "thead_open"
            elif t.type == "tr_open":
                if not in_head:
                    rows.append([])
            elif t.type == "inline":
                (header if in_head else rows[-1]).append(inline_text(t))
        self.blocks.extend(Block(row, self.path, "table") for row in table_rows(header, rows))
        return end + 1


def read(data: bytes, settings: CorpusSettings) -> ParsedDocument:
    """A Markdown file as a parsed document."""
    from markdown_it import MarkdownIt

    meta, body = split_front_matter(decode(data))
    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    h1 = [k for k, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h1"
          or (found := html_heading(t)) is not None and found[0] == 1]
    first_heading = next((k for k, t in enumerate(tokens) if t.type == "heading_open" or html_heading(t)), None)
    own_h1 = len(h1) == 1 and h1[0] == first_heading
    if own_h1 and meta.get("title"):  # the front matter names the document; an H1 repeating it is no section
        first = tokens[h1[0]]
        text = html_heading(first)[1] if first.type == "html_block" else inline_text(tokens[h1[0] + 1])
        own_h1 = clean(text).casefold() == clean(str(meta["title"])).casefold()
    walker = _Walker(tokens, title_h1=own_h1)
    walker.run()
    blocks = finish(walker.blocks, settings.max_paragraph_chars)
    return ParsedDocument("markdown", meta.get("title") or walker.title, metadata_date(meta.get("date")),
                          meta.get("url") or None, blocks, walker.dropped)
