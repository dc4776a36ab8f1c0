"""Word documents (``.docx``) through python-docx.

Paragraphs and tables are read in document order; the Title style gives the
title and Heading 1…9 styles give section paths; list paragraphs (list styles
or numbering) are kept together as lists; each table row is a block of
``header: cell`` pairs; core properties give title and date.
"""

from __future__ import annotations

import io
import re

from ..settings import CorpusSettings
from .dates import metadata_date
from .markdown import table_rows
from .model import Block, ParsedDocument, clean, finish
from .text import list_blocks

_HEADING = re.compile(r"^heading\s*(\d)$", re.I)


def _is_list(paragraph) -> bool:
    ppr = paragraph._p.pPr
    name = (paragraph.style.name or "") if paragraph.style is not None else ""
    return name.lower().startswith("list") or (ppr is not None and ppr.numPr is not None)


def _table_rows(table) -> list[str]:
    grid = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is not previous:  # a merged cell is listed once per grid column
                cells.append(clean(cell.text))
            previous = cell._tc
        grid.append(cells)
    if not grid:
        return []
    return table_rows(grid[0], grid[1:]) if len(grid) > 1 else table_rows([], grid)


def read(data: bytes, settings: CorpusSettings) -> ParsedDocument:
    """A Word document as a parsed document."""
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    props = document.core_properties
    title = clean(props.title) if props.title else None
    sections: list[tuple[int, str]] = []
    blocks: list[Block] = []
    items: list[str] = []

    def path() -> tuple[str, ...]:
        return tuple(t for _, t in sections)

    def flush_items() -> None:
        if items:
            blocks.extend(list_blocks(items, path()))
            items.clear()

    for part in document.iter_inner_content():
        if isinstance(part, Table):
            flush_items()
            blocks.extend(Block(row, path(), "table") for row in _table_rows(part))
            continue
        text = clean(part.text)
        if not text:
            continue
        style = (part.style.name or "") if part.style is not None else ""
        if style == "Title":
            flush_items()
            title = title or text
            continue
        if m := _HEADING.match(style):
            flush_items()
            level = int(m.group(1))
            while sections and sections[-1][0] >= level:
                sections.pop()
            sections.append((level, text))
            continue
        if _is_list(part):
            numbered = "number" in style.lower()
            items.append(f"{sum(1 for i in items if not i.startswith('- ')) + 1}. {text}" if numbered else f"- {text}")
            continue
        flush_items()
        blocks.append(Block(text, path(), "quote" if "quote" in style.lower() else "prose"))
    flush_items()
    date = metadata_date(props.created or props.modified)
    return ParsedDocument("docx", title, date, None, finish(blocks, settings.max_paragraph_chars))
