"""Page navigation in saved web pages that the extractor keeps: manuals' "Next: …, Previous: …, Up: …"
lines, and on GNU Texinfo pages the node menus and index tables; and the page prepared for the
extractor (:func:`prepare`).

Everything removed here is counted as page chrome (``citebot index --json``: ``dropped_chrome``).
"""

from __future__ import annotations

import re

from .encoding import decode
from .model import Block, Skip, clean

# A manual's navigation line (texinfo, info): "Next: Structures, Previous: Types, Up: Using libffi [Index]".
# Two or more labels, so a real sentence such as "Next: restart the worker." is never taken for one.
_NAVIGATION = re.compile(r"(?:(?:Next|Previous|Prev|Up)\s*:\s*[^:\[\]]{1,120}?\s*[,;]?\s*){2,}"
                         r"(?:\[\s*[^\[\]]{1,20}?\s*\]\s*)*")


def is_navigation(text: str) -> bool:
    """True for a page's navigation line (texinfo's "Next: …, Previous: …, Up: … [Contents][Index]")."""
    return len(text) <= 400 and _NAVIGATION.fullmatch(clean(text)) is not None



# Navigation that GNU Texinfo writes into every node of a manual: menus of the child nodes, the index
# tables of the Index node and their letter jump bars (texinfo 5 to 7 markup). Only on texinfo pages.
_TEXINFO_NAVIGATION = ("//ul[contains(concat(' ', @class, ' '), ' section-toc ')]"
                       "|//ul[contains(concat(' ', @class, ' '), ' mini-toc ')]"
                       "|//table[contains(concat(' ', @class, ' '), ' menu ')]"
                       "|//table[starts-with(@class, 'index-') or contains(@class, 'printindex')]"
                       "|//table[.//a[contains(concat(' ', @class, ' '), ' summary-letter')]]"
                       "|//div[contains(concat(' ', @class, ' '), ' printindex ')]")


def prepare(data: bytes) -> tuple[bytes | str, int]:
    """The page as the extractor should see it, and how many navigation elements were removed.

    ``<dd><p>…</p></dd>`` is flattened to ``<dd>…</dd>``: trafilatura drops a definition list whose
    definitions hold paragraphs, terms and nearby headings with it (DocBook and texinfo pages). On a
    texinfo manual page the menus and index tables are removed: they hold only links to other nodes,
    and a menu entry ("The Basics") would otherwise answer questions as if it were text.
    """
    lowered = data[:4096].lower()
    texinfo = b"texinfo" in lowered or b"makeinfo" in lowered
    if not texinfo and b"<dd" not in data.lower():
        return data, 0
    import lxml.html
    from lxml import etree

    try:  # decoded here: lxml alone reads undeclared UTF-8 bytes as Latin-1
        root = lxml.html.fromstring(decode(data))
    except (Skip, ValueError, etree.ParserError):
        return data, 0
    removed = root.xpath(_TEXINFO_NAVIGATION) + [
        div for div in root.xpath("//div[@class='header' or @class='nav-panel' or @class='node']")
        if is_navigation(div.text_content())] if texinfo else []
    for element in removed:
        element.drop_tree()
    paragraphs = root.xpath("//dd/p")
    for p in paragraphs:
        p.tail = " " + (p.tail or "")
        p.drop_tag()
    if not removed and not paragraphs:
        return data, 0
    return lxml.html.tostring(root, encoding="unicode"), len(removed)


def without_navigation(blocks: list[Block]) -> tuple[list[Block], int]:
    """The blocks without navigation lines, and how many were dropped (page chrome, counted)."""
    kept = [b for b in blocks if b.kind != "prose" or not is_navigation(b.text)]
    return kept, len(blocks) - len(kept)
