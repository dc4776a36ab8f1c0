"""Saved web pages (``.html``, ``.htm``) through trafilatura, a main-content extractor built for web pages.

trafilatura drops navigation, headers, footers, cookie banners, share buttons
and comments, and finds the title (``og:title``, ``<title>``, ``h1``), the
date (metadata or a visible dateline, via htmldate) and the canonical URL.
Its cleaned body (``head``/``p``/``list``/``table``/``code``/``quote``
elements) becomes blocks; headings become section paths.
"""

from __future__ import annotations

from ..settings import CorpusSettings
from .dates import metadata_date, parse_date
from .markdown import table_rows
from .model import Block, ParsedDocument, Skip, clean, finish
from .text import list_blocks


def _text(element) -> str:
    return clean("".join(element.itertext()))


class _Body:
    def __init__(self, title: str | None):
        self.title = title
        self.sections: list[tuple[int, str]] = []
        self.blocks: list[Block] = []

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(t for _, t in self.sections)

    def walk(self, parent) -> None:
        for el in parent:
            tag = el.tag if isinstance(el.tag, str) else ""
            if tag == "head":
                self.heading(el)
            elif tag == "list":
                items = [_text(item) for item in el.iter("item")]
                self.blocks.extend(list_blocks([f"- {i}" for i in items if i], self.path))
            elif tag == "table":
                self.table(el)
            elif tag == "code":
                self.blocks.append(Block("".join(el.itertext()), self.path, "code"))
            elif tag == "quote":
                self.blocks.append(Block(_text(el), self.path, "quote"))
            elif tag in ("p", "hi", "ref", "item"):
                self.blocks.append(Block(_text(el), self.path))
            elif tag in ("div", "section", "body", "main"):
                self.walk(el)
            elif tag not in ("graphic", "lb"):
                self.blocks.append(Block(_text(el), self.path))

    def heading(self, el) -> None:
        text = _text(el).rstrip("#¶§ ").strip()  # permalink anchors ("Node-API#", "Usage¶")
        rend = el.get("rend") or "h2"
        level = int(rend[1]) if len(rend) == 2 and rend[1].isdigit() else 2
        if not text or (not self.blocks and not self.sections and text == self.title):
            return  # the page's own title is the document title, not a section
        while self.sections and self.sections[-1][0] >= level:
            self.sections.pop()
        self.sections.append((level, text))

    def table(self, el) -> None:
        header: list[str] = []
        rows: list[list[str]] = []
        for row in el.iter("row"):
            cells = list(row.iter("cell"))
            if cells and not header and not rows and all(c.get("role") == "head" for c in cells):
                header = [_text(c) for c in cells]
            else:
                rows.append([_text(c) for c in cells])
        self.blocks.extend(Block(r, self.path, "table") for r in table_rows(header, rows))


def read(data: bytes, settings: CorpusSettings) -> ParsedDocument:
    """A saved web page as a parsed document (main content only)."""
    import trafilatura

    doc = trafilatura.bare_extraction(data, include_comments=False, include_tables=True, include_images=False,
                                      include_links=False, include_formatting=False, with_metadata=True,
                                      deduplicate=False, as_dict=False)
    if doc is None or doc.body is None:
        raise Skip("no text found: no main content in the page")
    body = _Body(clean(doc.title) if doc.title else None)
    body.walk(doc.body)
    date = metadata_date(doc.date)
    blocks = body.blocks
    while blocks and len(blocks[0].text.split()) <= 10 and (found := parse_date(blocks[0].text)):
        date = date or found  # a visible dateline above the text is metadata
        blocks = blocks[1:]
    return ParsedDocument("html", body.title, date, doc.url or None, finish(blocks, settings.max_paragraph_chars))
