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
from .encoding import decode
from .markdown import table_rows
from .model import Block, ParsedDocument, Skip, clean, finish
from .text import list_blocks


def _text(element) -> str:
    return clean("".join(element.itertext()))


def _definitions(dl) -> list[str]:
    """A definition list's entries, each term with its definition ("mail: Mailboxes in /var/mail are…")."""
    entries: list[str] = []
    term = ""
    for item in dl.iter("item"):
        text = _text(item)
        if (item.get("rend") or "").startswith("dt"):
            if term:
                entries.append(term)
            term = text
        elif text:
            entries.append(f"{term}: {text}" if term else text)
            term = ""
    return entries + [term] if term else entries


def _unwrap_definition_paragraphs(data: bytes) -> bytes | str:
    """The page with ``<dd><p>…</p></dd>`` flattened to ``<dd>…</dd>``: trafilatura drops a definition list
    whose definitions hold paragraphs, terms and nearby headings with it (DocBook and texinfo pages)."""
    if b"<dd" not in data.lower():
        return data
    import lxml.html
    from lxml import etree

    try:  # decoded here: lxml alone reads undeclared UTF-8 bytes as Latin-1
        root = lxml.html.fromstring(decode(data))
    except (Skip, ValueError, etree.ParserError):
        return data
    paragraphs = root.xpath("//dd/p")
    if not paragraphs:
        return data
    for p in paragraphs:
        p.tail = " " + (p.tail or "")
        p.drop_tag()
    return lxml.html.tostring(root, encoding="unicode")


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
            elif tag == "list" and el.get("rend") == "dl":
                self.blocks.extend(Block(entry, self.path) for entry in _definitions(el))  # each its own paragraph
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


_TEXT_TAGS = ("p", "li", "pre", "blockquote", "td", "th", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6")


def _plain_blocks(data: bytes) -> list[Block]:
    """The text elements of a page trafilatura found no main content in (a fragment, a very short page)."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fromstring(data)
    except (ValueError, etree.ParserError):
        return []
    for element in root.xpath("//script|//style|//noscript|//nav|//header|//footer|//form"):
        element.drop_tree()
    blocks: list[Block] = []
    sections: list[tuple[int, str]] = []
    for element in root.iter(*_TEXT_TAGS):
        if any(a.tag in _TEXT_TAGS for a in element.iterancestors()):
            continue  # its text is in the enclosing element's
        if element.tag[0] == "h" and element.tag[1:].isdigit():
            level, text = int(element.tag[1:]), clean(element.text_content())
            while sections and sections[-1][0] >= level:
                sections.pop()
            if text:
                sections.append((level, text))
            continue
        kind = "code" if element.tag == "pre" else "quote" if element.tag == "blockquote" else "prose"
        text = element.text_content() if kind == "code" else clean(element.text_content())
        blocks.append(Block(text, tuple(t for _, t in sections), kind))
    if not blocks and (text := clean(root.text_content())):
        blocks.append(Block(text))
    return blocks


def read(data: bytes, settings: CorpusSettings) -> ParsedDocument:
    """A saved web page as a parsed document (main content only)."""
    import trafilatura

    doc = trafilatura.bare_extraction(_unwrap_definition_paragraphs(data), include_comments=False, include_tables=True, include_images=False,
                                      include_links=False, include_formatting=False, with_metadata=True,
                                      deduplicate=False, as_dict=False)
    if doc is None or doc.body is None:
        blocks = _plain_blocks(data)
        if not blocks:
            raise Skip("no text found: the page has no text")
        return ParsedDocument("html", None, None, None, finish(blocks, settings.max_paragraph_chars))
    body = _Body(clean(doc.title) if doc.title else None)
    body.walk(doc.body)
    date = metadata_date(doc.date)
    blocks = body.blocks
    if len(data) < 20_000:  # a short page: the extractor may keep too little of it to tell content from chrome
        plain = _plain_blocks(data)
        plain_chars = sum(len(b.text) for b in plain)
        lost = sum(len(b.text) for b in blocks) < 0.8 * plain_chars or len(blocks) * 2 < len(plain)
        if plain_chars < 3000 and lost:
            blocks = [Block(b.text, b.section[1:] if b.section[:1] == (body.title,) else b.section, b.kind)
                      for b in plain]
    while blocks and len(blocks[0].text.split()) <= 10 and (found := parse_date(blocks[0].text)):
        date = date or found  # a visible dateline above the text is metadata
        blocks = blocks[1:]
    return ParsedDocument("html", body.title, date, doc.url or None, finish(blocks, settings.max_paragraph_chars))
