"""Saved web pages (``.html``, ``.htm``) through trafilatura, a main-content extractor built for web pages.

trafilatura drops navigation, headers, footers, cookie banners, share buttons
and comments, and finds the title (``og:title``, ``<title>``, ``h1``), the
date (metadata or a visible dateline, via htmldate) and the canonical URL.
Its cleaned body (``head``/``p``/``list``/``table``/``code``/``quote``
elements) becomes blocks; headings become section paths. Navigation the
extractor keeps (manuals' "Next: … Up: …" lines, Texinfo menus) is removed by
:mod:`.html_navigation`.
"""

from __future__ import annotations

import re

from ..settings import CorpusSettings
from .dates import metadata_date, parse_date
from .encoding import decode
from .html_navigation import prepare, without_navigation
from .markdown import table_rows
from .model import Block, ParsedDocument, Skip, clean, finish
from .text import list_blocks

_PERMALINK = "#¶§ "  # anchors after a heading or term ("Node-API#", "ffi_type_void ¶")


def _text(element) -> str:
    return clean("".join(element.itertext()))


def _definitions(dl) -> list[str]:
    """A definition list's entries, each term with its definition ("mail: Mailboxes in /var/mail are…")."""
    entries: list[str] = []
    term = ""
    for item in dl.iterchildren("item"):
        text = _item_text(item)
        if (item.get("rend") or "").startswith("dt"):
            if term:
                entries.append(term)
            term = text.rstrip(_PERMALINK + ":").strip()  # "Authors:" is followed by ": " already; "args¶"
        elif text:
            entries.append(f"{term}: {text}" if term else text)
            term = ""
    return entries + [term] if term else entries


def _item_text(item) -> str:
    """A list item's text, with the entries of lists inside it kept apart ("Authors: a; b", "cmd: Command
    that was used …; output: Output of …") instead of run together ("cmd¶Command … output¶Output")."""
    if not any(isinstance(c.tag, str) and c.tag == "list" for c in item.iter()):
        return _text(item)
    parts = [item.text or ""]
    for child in item:
        if child.tag == "list":
            nested = _definitions(child) if child.get("rend") == "dl" else list(map(_item_text,
                                                                                   child.iterchildren("item")))
            parts.append(" " + "; ".join(filter(None, nested)) + " ")
        elif isinstance(child.tag, str) and child.tag in ("div", "quote", "item"):
            parts.append(" " + _item_text(child) + " ")
        else:
            parts.append(" " + "".join(child.itertext()) + " " if child.tag == "p" else "".join(child.itertext()))
        parts.append(child.tail or "")
    return clean("".join(parts))


_INLINE = ("hi", "ref", "lb", "graphic", "span", "del")
_BLOCK_TAGS = ("head", "p", "list", "table", "code", "quote", "div", "section")
_CODE_CLASS = re.compile(r"program|code|listing|screen|literal|source", re.I)


_CODE_LINE = re.compile(r"[;{}]\s*$|^\s*(?:#|//|/\*|\*|\$ )")


def _looks_like_code(text: str) -> bool:
    """A preformatted block (trafilatura turns ``<pre>`` into a quote) whose lines read like code or a shell."""
    lines = [line for line in text.split("\n") if line.strip()]
    return len(lines) >= 2 and sum(bool(_CODE_LINE.search(line)) for line in lines) * 2 >= len(lines)


def _code_text(element) -> str:
    """A listing's text with its line breaks (``<lb/>``) kept."""
    parts = [element.text or ""]
    for child in element:
        parts.append("\n" if child.tag == "lb" else _code_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


class _Body:
    def __init__(self, title: str | None):
        self.title = title
        self.sections: list[tuple[int, str]] = []
        self.blocks: list[Block] = []
        self.headings = 0  # section headings kept (the page's own title is not one)

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(t for _, t in self.sections)

    def walk(self, parent) -> None:
        """The blocks of an extracted element; text lying between its children (a page whose prose is not in
        ``<p>``, e.g. around ``<pre>`` listings) is a paragraph too, with the inline elements inside it."""
        pending = [parent.text or ""]

        def flush() -> None:
            if text := clean("".join(pending)):
                self.blocks.append(Block(text, self.path))
            pending.clear()

        for el in parent:
            tag = el.tag if isinstance(el.tag, str) else ""
            inline_code = tag == "code" and "\n" not in _code_text(el) and bool(clean("".join(pending)))
            if tag in _INLINE or not tag or inline_code:  # inline code: "the packages <code>python</code>, …"
                pending.append(" " if tag == "lb" else "" if not tag else "".join(el.itertext()))
                pending.append(el.tail or "")
                continue
            flush()
            if tag == "head":
                self.heading(el)
            elif tag == "list" and el.get("rend") == "dl":
                self.blocks.extend(Block(entry, self.path) for entry in _definitions(el))  # each its own paragraph
            elif tag == "list":
                items = [_text(item) for item in el.iter("item")]
                self.blocks.extend(list_blocks([f"- {i}" for i in items if i], self.path))
            elif tag == "table":
                self.table(el)
            elif tag == "code" or tag == "quote" and (_CODE_CLASS.search(el.get("class") or "")
                                                       or _looks_like_code(_code_text(el))):
                self.blocks.append(Block(_code_text(el), self.path, "code"))
            elif tag == "quote":
                self.blocks.append(Block(_text(el), self.path, "quote"))
            elif tag in ("div", "section", "body", "main") or tag == "cell" and any(
                    isinstance(c.tag, str) and c.tag in _BLOCK_TAGS for c in el):  # a layout table's cell
                self.walk(el)
            else:
                self.blocks.append(Block(_text(el), self.path))
            pending.append(el.tail or "")
        flush()

    def heading(self, el) -> None:
        text = _text(el).rstrip(_PERMALINK).strip()  # permalink anchors ("Node-API#", "Usage¶")
        rend = el.get("rend") or "h2"
        level = int(rend[1]) if len(rend) == 2 and rend[1].isdigit() else 2
        if not text or (not self.blocks and not self.sections and text == self.title):
            return  # the page's own title is the document title, not a section
        while self.sections and self.sections[-1][0] >= level:
            self.sections.pop()
        self.sections.append((level, text))
        self.headings += 1

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


def _plain_blocks(data: bytes | str, whole_text: bool = True) -> list[Block]:
    """The text elements of a page trafilatura found no main content in (a fragment, a very short page);
    with ``whole_text``, a page without any such element gives its whole text as one block."""
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
    terms: list[str] = []  # definition-list terms waiting for their definition
    for element in root.iter(*_TEXT_TAGS):
        if any(a.tag in _TEXT_TAGS for a in element.iterancestors()):
            continue  # its text is in the enclosing element's
        path = tuple(t for _, t in sections)
        if terms and element.tag not in ("dt", "dd"):  # terms without a definition stay text
            blocks.append(Block("; ".join(terms), path))
            terms = []
        if element.tag[0] == "h" and element.tag[1:].isdigit():
            level, text = int(element.tag[1:]), clean(element.text_content()).rstrip(_PERMALINK).strip()
            while sections and sections[-1][0] >= level:
                sections.pop()
            if text:
                sections.append((level, text))
            continue
        if element.tag == "dt":  # a term leads its definition ("ffi_type_void: The type void.")
            if term := clean(element.text_content()).rstrip(_PERMALINK).strip():
                terms.append(term)
            continue
        kind = "code" if element.tag == "pre" else "quote" if element.tag == "blockquote" else "prose"
        text = element.text_content() if kind == "code" else clean(element.text_content())
        if element.tag == "dd" and terms:
            text, terms = f"{'; '.join(terms)}: {text}" if text else "; ".join(terms), []
        blocks.append(Block(text, path, kind))
    if terms:
        blocks.append(Block("; ".join(terms), tuple(t for _, t in sections)))
    if not blocks and whole_text and (text := clean(root.text_content())):
        blocks.append(Block(text))
    return blocks


def read(data: bytes, settings: CorpusSettings) -> ParsedDocument:
    """A saved web page as a parsed document (main content only)."""
    import trafilatura

    page, removed = prepare(data)
    if removed and not _plain_blocks(page, whole_text=False):  # a manual's menu node: headings and links only
        raise Skip("no text found: the page has only navigation and headings")
    doc = trafilatura.bare_extraction(page, include_comments=False, include_tables=True, include_images=False,
                                      include_links=False, include_formatting=False, with_metadata=True,
                                      deduplicate=False, as_dict=False)
    if doc is None or doc.body is None:
        blocks, dropped = without_navigation(_plain_blocks(page))
        if not blocks:
            raise Skip("no text found: the page has no text" + (" (only navigation)" if removed else ""))
        return ParsedDocument("html", None, None, None, finish(blocks, settings.max_paragraph_chars),
                              dropped + removed)
    body = _Body(_page_title(data, doc.title))
    body.walk(doc.body)
    date = metadata_date(doc.date)
    blocks, dropped = without_navigation(body.blocks)
    if len(data) < 20_000:  # a short page: the extractor may keep too little of it to tell content from chrome
        plain, plain_dropped = without_navigation(_plain_blocks(page))
        plain_chars = sum(len(b.text) for b in plain)
        chars = sum(len(b.text) for b in blocks)
        lost = chars < 0.8 * plain_chars or len(blocks) * 2 < len(plain)
        # e.g. texinfo manual pages: the extractor drops every section heading ("2.3.2 Structures")
        lost_headings = (not body.headings and any(b.section[1:] or b.section[:1] not in ((), (body.title,))
                                                   for b in plain)
                         and 0.9 * chars <= plain_chars <= 1.5 * chars)  # and no text lost by switching
        if plain_chars < 3000 and lost or lost_headings:
            blocks = [Block(b.text, b.section[1:] if b.section[:1] == (body.title,) else b.section, b.kind)
                      for b in plain]
            dropped = plain_dropped
    while blocks and len(blocks[0].text.split()) <= 10 and (found := parse_date(blocks[0].text)):
        date = date or found  # a visible dateline above the text is metadata
        blocks = blocks[1:]
    blocks = finish(blocks, settings.max_paragraph_chars)
    if not blocks:
        raise Skip("no text found: the page has only navigation" if removed or dropped else "no text found")
    return ParsedDocument("html", body.title, date, doc.url or None, blocks, dropped + removed)


_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title>", re.S | re.I)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def _page_title(data: bytes, extracted: str | None) -> str | None:
    """The extractor's title without permalink signs ("Abstract¶"); the ``<title>`` instead when the
    extractor fell back to the first of several ``<h1>`` (a Sphinx single page: "Abstract", "Contents", …)."""
    title = clean(extracted).rstrip(_PERMALINK).strip() if extracted else None
    lowered = data.lower()
    if not title or lowered.count(b"<h1") < 2 or b"og:title" in lowered:  # a page's own og:title stands
        return title or None
    import html as entities

    page = decode(data)
    first_h1, tag = _H1.search(page), _TITLE_TAG.search(page)
    heading = clean(entities.unescape(_TAG.sub("", first_h1.group(1)))).rstrip(_PERMALINK).strip() if first_h1 else ""
    named = clean(entities.unescape(_TAG.sub("", tag.group(1)))) if tag else ""
    return named if named and heading == title else title
