"""PDF through pypdf: text page by page, paragraphs from line spacing, headings from font size.

pypdf's text visitor gives each piece of text with its position and font size,
so lines can be grouped into paragraphs by the vertical gap between them, and
lines set larger than the body text become section headings. Lines that repeat
at the top or bottom of most pages (running headers, footers) and bare page
numbers are dropped; a word hyphenated across a line (or page) break is
rejoined, and a paragraph that runs onto the next page stays one paragraph,
numbered with the page it starts on. A PDF with no text layer (a scan) is
skipped with that reason.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from dataclasses import dataclass

from ..settings import CorpusSettings
from .dates import metadata_date
from .markdown import table_rows
from .model import Block, ParsedDocument, Skip, clean, finish
from .text import ends_sentence

# pypdf warns about damage ("EOF marker not found") without naming the file; what matters reaches the
# user as the file's skip reason or not at all.
logging.getLogger("pypdf").setLevel(logging.ERROR)

_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_EDGE_LINES = 2  # lines at the top and bottom of a page that may be running headers/footers


@dataclass
class Line:
    text: str
    y: float
    size: float
    page: int
    cells: tuple[tuple[float, str], ...] = ()  # (x, text) of runs set apart by a wide gap (table cells)
    font: str = ""


def _cells(pieces: list[tuple[float, str, float]]) -> tuple[tuple[float, str], ...]:
    """A line's pieces grouped into cells: a piece starting well after where the text before it could end
    (0.6 em per character, a generous width) begins a new cell."""
    cells: list[list] = []
    for x, text, size in pieces:
        if cells and x > cells[-1][0] + len(cells[-1][1].strip()) * 0.6 * size + size:
            cells.append([x, text])
        elif cells:
            cells[-1][1] += text
        else:
            cells.append([x, text])
    return tuple((round(x, 1), clean(text)) for x, text in cells if clean(text))


def _page_lines(page, number: int) -> list[Line]:
    lines: list[Line] = []
    parts: list[str] = []
    pieces: list[tuple[float, str, float]] = []  # (x, text, font size) of the line's text runs
    first: list = [None, 0.0, ""]  # y, font size and font of the line being built

    def flush() -> None:
        text = clean("".join(parts))
        if text:
            lines.append(Line(text, first[0] or 0.0, first[1], number, _cells(pieces), first[2]))
        parts.clear()
        pieces.clear()
        first[0], first[1], first[2] = None, 0.0, ""

    def visit(text, cm, tm, font, size) -> None:
        for k, piece in enumerate(text.split("\n")):
            if k:
                flush()
            if piece.strip():
                scale = abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0
                if first[0] is None:
                    first[0] = tm[5] * cm[3] + cm[5]
                    first[2] = str(font.get("/BaseFont", "")) if font else ""
                first[1] = max(first[1], round(size * scale, 1))
                pieces.append((tm[4] * cm[0] + cm[4], piece, size * scale))
            parts.append(piece)

    page.extract_text(visitor_text=visit)
    flush()
    return lines


def _aligned(line: Line, columns: list[float]) -> bool:
    """Whether every cell of ``line`` starts where a column of the table above starts."""
    return all(any(abs(x - c) <= 3 for c in columns) for x, _ in line.cells)


def _tables(lines: list[Line]) -> dict[int, list[Line]]:
    """Tables by the index of their first line: runs of two or more lines on one page whose cells start at
    the same x positions (a single line with a gap in it is just text)."""
    tables: dict[int, list[Line]] = {}
    i = 0
    while i < len(lines):
        head = lines[i]
        if len(head.cells) < 2:
            i += 1
            continue
        columns, run = [x for x, _ in head.cells], [head]
        j = i + 1
        while j < len(lines) and lines[j].page == head.page and lines[j].cells and _aligned(lines[j], columns) \
                and (len(lines[j].cells) >= 2 or lines[j].cells[0][0] != columns[0]):  # or a wrapped cell
            run.append(lines[j])
            j += 1
        if sum(len(line.cells) >= 2 for line in run) >= 2:
            tables[i] = run
            i = j
        else:
            i += 1
    return tables


def _table_rows(run: list[Line]) -> list[str]:
    """Each row as ``header: cell; …`` when the first row is set in its own font (bold), else ``cell; cell``."""
    columns = [x for x, _ in run[0].cells]
    rows: list[list[str]] = []
    for line in run:
        cells = dict.fromkeys(range(len(columns)), "")
        for x, text in line.cells:
            cells[min(range(len(columns)), key=lambda c: abs(columns[c] - x))] = text
        if len(line.cells) == 1 and rows:  # the wrapped second line of a cell
            (col, text), = ((c, t) for c, t in cells.items() if t)
            rows[-1][col] = f"{rows[-1][col]} {text}".strip()
        else:
            rows.append(list(cells.values()))
    header: list[str] = []
    if len(rows) >= 2 and run[0].font and all(line.font != run[0].font for line in run[1:]):
        header, rows = rows[0], rows[1:]
    return table_rows(header, rows)


def _edge_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower())


def _drop_running_lines(pages: list[list[Line]]) -> tuple[list[list[Line]], int]:
    """Remove running headers/footers (repeating on most pages) and bare page numbers."""
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_edge_key(line.text) for line in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]})
    repeating = {key for key, n in counts.items() if len(pages) >= 2 and n * 2 >= len(pages) and n >= 2}
    kept_pages, dropped = [], 0
    for lines in pages:
        edge = set(range(min(_EDGE_LINES, len(lines)))) | set(range(max(0, len(lines) - _EDGE_LINES), len(lines)))
        kept = [line for i, line in enumerate(lines)
                if not (i in edge and (_edge_key(line.text) in repeating or _PAGE_NUMBER.match(line.text)))]
        dropped += len(lines) - len(kept)
        kept_pages.append(kept)
    return kept_pages, dropped


def _join(a: str, b: str) -> str:
    """Join two lines, rejoining a word hyphenated across the break ("objec-" + "tive")."""
    if len(a) > 1 and a.endswith("-") and a[-2].isalpha() and b[:1].islower():
        return a[:-1] + b
    return a + " " + b


def _structure(pages: list[list[Line]]) -> tuple[list[Block], list[tuple[int, str]]]:
    lines = [line for page in pages for line in page]
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[line.size] += len(line.text)
    body = sizes.most_common(1)[0][0]
    heading_sizes = sorted({line.size for line in lines if line.size >= body * 1.15 and len(line.text.split()) <= 15},
                           reverse=True)
    level_of = {size: i + 1 for i, size in enumerate(heading_sizes)}
    gaps = [a.y - b.y for a, b in zip(lines, lines[1:]) if a.page == b.page and a.size == b.size == body and a.y > b.y]
    step = sorted(gaps)[len(gaps) // 2] if gaps else body * 1.2
    blocks: list[Block] = []
    headings: list[tuple[int, str]] = []
    sections: list[tuple[int, str]] = []
    current: Line | None = None
    text = ""

    def emit() -> None:
        if current is not None and text:
            blocks.append(Block(text, tuple(t for _, t in sections), "prose", current.page))

    tables = _tables(lines)
    in_table = {id(line) for run in tables.values() for line in run}
    prev: Line | None = None
    for i, line in enumerate(lines):
        if i in tables:  # each row its own paragraph, one per line
            emit()
            current, text = None, ""
            blocks.extend(Block(row, tuple(t for _, t in sections), "table", line.page)
                          for row in _table_rows(tables[i]))
        if id(line) in in_table:
            prev = line
            continue
        if line.size in level_of:
            emit()
            current, text = None, ""
            level = level_of[line.size]
            if prev is not None and prev.size == line.size and sections and sections[-1][0] == level \
                    and prev.page == line.page and prev.y - line.y <= line.size * 1.6:
                sections[-1] = (level, sections[-1][1] + " " + line.text)  # a heading set on two lines
                headings[-1] = (level, headings[-1][1] + " " + line.text)
            else:
                while sections and sections[-1][0] >= level:
                    sections.pop()
                sections.append((level, line.text))
                headings.append((level, line.text))
            prev = line
            continue
        new_paragraph = current is None or (
            (prev.page == line.page and prev.y - line.y > step * 1.4)
            or (prev.page != line.page and ends_sentence(text))
            or abs(prev.size - line.size) > 0.5
        )
        if new_paragraph:
            emit()
            current, text = line, line.text
        else:
            text = _join(text, line.text)
        prev = line
    emit()
    return blocks, headings


def read(data: bytes, settings: CorpusSettings) -> ParsedDocument:
    """A PDF file as a parsed document with page numbers."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Skip("unreadable: encrypted PDF")
        pages = [_page_lines(page, n) for n, page in enumerate(reader.pages, 1)]
        meta = reader.metadata
    except PdfReadError as exc:
        raise Skip(f"unreadable: damaged PDF ({exc})") from None
    if not any(pages):
        raise Skip(f"no text layer: {len(pages)} page(s) without text (a scan?)")
    pages, dropped = _drop_running_lines(pages)
    blocks, headings = _structure(pages)
    title = clean(meta.title) if meta is not None and meta.title and meta.title.strip() else None
    top = [text for level, text in headings if level == 1]
    if headings and len(top) == 1 and headings[0][0] == 1:  # one top heading first: the document's own
        title = title or top[0]
        blocks = [Block(b.text, b.section[1:] if b.section[:1] == (top[0],) else b.section, b.kind, b.page)
                  for b in blocks]
    date = None
    if meta is not None:
        try:
            date = metadata_date(meta.creation_date or meta.modification_date)
        except (ValueError, TypeError):
            date = None
    return ParsedDocument("pdf", title, date, None, finish(blocks, settings.max_paragraph_chars), dropped)
