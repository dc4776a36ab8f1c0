"""Plain text (``.txt``): hard-wrap repair, headings as section context, page chrome of saved web pages.

Lines are grouped into units: headings (underlined, ``#``, ALL-CAPS, numbered
such as ``2.1 Rollback``), list items and paragraphs. Blank-line separated
blocks of long lines that each end a sentence are one paragraph per line (news
pages saved as text); narrower blocks are hard-wrapped prose and are joined.

Chrome rules (saved web pages): before the first paragraph, datelines become
the date, the headline the title, and short fragments before it or lines
matching a chrome phrase are dropped; at the end, a run of short lines that
contains a chrome phrase ("…spelling error…Ctrl+Enter") is dropped. In the
body a chrome phrase only drops a short label ("Share this article"), never a
sentence; other short lines become headings or list items. Every dropped line
is counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..settings import BOILERPLATE_LITERALS, CorpusSettings
from .dates import parse_date, split_front_matter
from .encoding import decode
from .model import Block, ParsedDocument, finish

_TERMINAL = ".!?…"
_CLOSERS = "\"'”’»)]*_"
_UNDERLINE = re.compile(r"^\s*([=\-~^*#+])\1{2,}\s*$")
_MD_HEADING = re.compile(r"^\s*(#{1,6})\s+(.*?)\s*#*\s*$")
_NUMBERED_HEADING = re.compile(r"^\s*(\d+(?:\.\d+)+)\.?\s+\S|^\s*(\d+)\s+[A-Z]")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•‣◦]|\d{1,3}[.)]|[a-zA-Z][.)])\s+\S")
_BLOCKS = re.compile(r"\n[ \t\f\v]*\n")
_LIST_MAX_ITEMS = 12
_LIST_MAX_CHARS = 1500
HARD_WRAP_WIDTH = 100  # blocks whose lines are all this short are hard-wrapped prose
# Markdown images and links in a README saved as text: "![libsodium](logo.png)", "[![Build](badge.svg)](ci)"
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)\s]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)\s]*\)")
_ADDRESS = re.compile(r"^(?:<?(?:[a-z][a-z0-9+.-]*://|www\.|mailto:)\S+>?|\S+@\S+\.\w+)$", re.I)
_IMPLICIT = 99  # level of a heading recognised only by being a short line


def ends_sentence(line: str) -> bool:
    """True when the line ends like a sentence (closing quotes/brackets ignored)."""
    stripped = line.rstrip().rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _TERMINAL


@dataclass
class Unit:
    kind: str  # "heading" | "para" | "item" | "code"
    text: str
    level: int = 0


class ChromeRules:
    """Tells page chrome from prose in text saved from web pages."""

    def __init__(self, settings: CorpusSettings):
        self.settings = settings
        patterns = settings.boilerplate_patterns
        try:  # one alternation is much faster than a search per pattern
            self._phrases = [re.compile("|".join(f"(?:{p})" for p in patterns), re.I)] if patterns else []
        except re.error:  # e.g. a pattern with a global inline flag such as "(?i)" cannot be combined
            self._phrases = [re.compile(p, re.I) for p in patterns]
        # The regexes cost ~17 µs on a 100-character line; a substring test ~1 µs. Only when every
        # pattern's literals are known (the defaults; configured patterns always run the regexes).
        known = [BOILERPLATE_LITERALS.get(p) for p in patterns]
        self._literals = tuple(lit for lits in known for lit in lits) if all(known) else None

    def is_fragment(self, text: str) -> bool:
        """A short line that does not end like a sentence ("fbpx", "Menu")."""
        return len(text.split()) <= self.settings.chrome_max_words and not ends_sentence(text)

    def has_phrase(self, text: str) -> bool:
        # ASCII only: re.I also matches non-ASCII look-alikes ("ſ" for "s", the Kelvin sign for "k")
        # that str.lower() does not fold, so other lines always run the regexes.
        if self._literals is not None and text.isascii():
            folded = text.lower()
            if not any(lit in folded for lit in self._literals):
                return False
        return any(p.search(text) for p in self._phrases)

    def is_edge_chrome(self, text: str) -> bool:
        """Chrome at the top or bottom of a page: a chrome phrase in a line of at most 25 words."""
        return len(text.split()) <= 25 and self.has_phrase(text)

    def is_label(self, text: str) -> bool:
        """Chrome inside the body: a short label with a chrome phrase, not a sentence."""
        return len(text.split()) <= 6 and not ends_sentence(text) and self.has_phrase(text)


def _title_text(text: str) -> str:
    """A headline as words: Markdown images by their alt text, links by their text ("![libsodium](…)")."""
    return _MD_LINK.sub(r"\1", _MD_IMAGE.sub(r"\1", text)).strip()


def _is_title_like(text: str) -> bool:
    """A line that can name a document: not a bare address or a row of badges (images and links only)."""
    words = _title_text(text)
    badges = len(_MD_IMAGE.findall(text)) + len(_MD_LINK.findall(_MD_IMAGE.sub(r"\1", text)))
    return bool(words) and not _ADDRESS.match(words) and not (
        badges >= 2 and not _MD_LINK.sub("", _MD_IMAGE.sub("", text)).strip(" -|·•"))  # a lone logo names it


def _is_caps_heading(line: str) -> bool:
    """An ALL-CAPS line of words ("NEXT STEPS"), not a list of codes ("CVE-2019-1348, CVE-2019-1349,")."""
    letters = [c for c in line if c.isalpha()]
    text = line.strip()
    return (len(letters) >= 2 and all(c.isupper() for c in letters) and len(line.split()) <= 10
            and len(letters) * 2 >= len(text.replace(" ", "")) and not text.endswith((",", ";"))
            and not _LIST_ITEM.match(line) and not ends_sentence(line))


def _line_heading(line: str, next_line: str | None, first: bool = True) -> tuple[int, str] | None:
    """(level, text) when a line is a heading by its form alone (numbered and ALL-CAPS ones only when
    they start a block: inside a paragraph such a line is prose)."""
    if (m := _MD_HEADING.match(line)) and m.group(2):
        return len(m.group(1)), m.group(2)
    if next_line is not None and (u := _UNDERLINE.match(next_line)):
        return {"=": 1, "-": 2}.get(u.group(1), 3), line.strip()
    if not first or ends_sentence(line) or len(line.split()) > 12 or line.rstrip().endswith("::"):
        return None  # "GIT_CONFIG::" names the definition under it (an AsciiDoc labeled list), not a section
    if m := _NUMBERED_HEADING.match(line):
        return (m.group(1).count(".") + 1 if m.group(1) else 1), line.strip()
    if _is_caps_heading(line):
        return 1, line.strip()
    return None


def _paragraphs(lines: list[str]) -> list[str]:
    """A run of plain lines as paragraphs: one per line, or hard-wrapped lines joined."""
    if len(lines) <= 1:
        return lines
    whole = sum(ends_sentence(line) for line in lines[:-1])
    width = max(len(line) for line in lines)
    if any(len(line.split()) <= 10 and parse_date(line) for line in lines) or (
            width > HARD_WRAP_WIDTH and whole * 2 >= len(lines) - 1):
        return lines
    paragraphs, current = [], []
    for i, line in enumerate(lines):
        current.append(line)
        short = len(line.rstrip()) < 0.6 * width
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if short and nxt[:1].isupper() and (ends_sentence(line) or (i == 0 and len(line.split()) <= 8
                                                                     and not line.rstrip().endswith((",", ";", "::")))):
            paragraphs.append(" ".join(current))  # a short last line ends a paragraph (or a title line)
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


_GAP = re.compile(r"\S( {2,}|\t+)(?=\S)")


def _columns(lines: list[str]) -> bool:
    """Whether at least three lines, nearly all of them, have a second column starting at the same place."""
    if len(lines) < 3:
        return False
    starts = [m.end() for line in lines if (m := _GAP.search(line.expandtabs()))]
    common = max(map(starts.count, set(starts)), default=0)
    return common >= 3 and common >= 0.8 * len(lines)


def _run_units(run: list[str]) -> list[Unit]:
    """A run of plain lines as paragraphs; a two-column listing ("AUTHORS   - the authors of the library")
    as list items, one per row (joined, its rows would read as one sentence; apart, as headings)."""
    if _columns(run):
        return [Unit("item", line.strip()) for line in run]
    return [Unit("para", p) for p in _paragraphs(run)]


# AsciiDoc markup in .txt sources (git's manual pages): a delimited listing ("----" above and below, after a
# blank line), and anchor / block attribute lines ("[[FILES]]", "[verse]", "[source,shell]").
_DELIMITER = re.compile(r"^(?:-{4,}|\.{4,})\s*$")
_MARKUP_LINE = re.compile(r"^\[\[[^\[\]]+\]\]$|^\[(?:verse|source|listing|literal|quote|example)\b[^\[\]]*\]$|^\+$")


def units_of(body: str) -> list[Unit]:
    """Headings, list items, paragraphs and delimited listings of a plain-text body, in order."""
    lines = body.split("\n")
    units: list[Unit] = []
    start = i = 0
    while i < len(lines):
        opens = _DELIMITER.match(lines[i]) and (i == 0 or not lines[i - 1].strip()
                                                 or _MARKUP_LINE.match(lines[i - 1].strip()))
        close = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == lines[i].rstrip()), None) \
            if opens else None
        if close is None:
            i += 1
            continue
        units.extend(_plain_units("\n".join(lines[start:i])))
        if "\n".join(lines[i + 1:close]).strip():
            units.append(Unit("code", "\n".join(lines[i + 1:close])))
        start = i = close + 1
    units.extend(_plain_units("\n".join(lines[start:])))
    return _with_addresses_joined(units)


def _plain_units(body: str) -> list[Unit]:
    units: list[Unit] = []
    body = "\n".join(line for line in body.split("\n") if not _MARKUP_LINE.match(line.strip()))
    for block in _BLOCKS.split(body):
        lines = [line.rstrip() for line in block.split("\n") if line.strip()]
        run: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            heading = _line_heading(line, lines[i + 1] if i + 1 < len(lines) else None, i == 0 or not run)
            if heading is not None or _LIST_ITEM.match(line) or _UNDERLINE.match(line):
                units.extend(_run_units(run))
                run = []
            if heading is not None:
                units.append(Unit("heading", heading[1], heading[0]))
                i += 2 if i + 1 < len(lines) and _UNDERLINE.match(lines[i + 1]) else 1
                continue
            if _UNDERLINE.match(line):  # a rule between parts
                i += 1
                continue
            if _LIST_ITEM.match(line):
                item = [line.strip()]
                i += 1
                indent = len(line) - len(line.lstrip())
                while i < len(lines) and not _LIST_ITEM.match(lines[i]) and (
                        len(lines[i]) - len(lines[i].lstrip()) > indent or not ends_sentence(item[-1])) \
                        and _line_heading(lines[i], None) is None:
                    item.append(lines[i].strip())
                    i += 1
                units.append(Unit("item", " ".join(item)))
                continue
            run.append(line)
            i += 1
        units.extend(_run_units(run))
    return units


def _with_addresses_joined(units: list[Unit]) -> list[Unit]:
    """A line ending in ":" followed by an address on its own ("Official website:" / "  https://…") is one
    paragraph: the address alone would answer questions without saying what it is."""
    joined: list[Unit] = []
    for unit in units:
        prev = joined[-1] if joined else None
        if (prev is not None and prev.kind == "para" and unit.kind == "para" and prev.text.rstrip().endswith(":")
                and _ADDRESS.match(unit.text.strip())):
            joined[-1] = Unit("para", f"{prev.text.rstrip()} {unit.text.strip()}")
        else:
            joined.append(unit)
    return joined


def list_blocks(items: list[str], section: tuple[str, ...]) -> list[Block]:
    """A list as one block, or several split between items when it is long."""
    blocks, chunk, size = [], [], 0
    for item in items:
        if chunk and (len(chunk) >= _LIST_MAX_ITEMS or size + len(item) > _LIST_MAX_CHARS):
            blocks.append(Block("\n".join(chunk), section, "list"))
            chunk, size = [], 0
        chunk.append(item)
        size += len(item)
    if chunk:
        blocks.append(Block("\n".join(chunk), section, "list"))
    return blocks


def _trailing_chrome(units: list[Unit], chrome: ChromeRules) -> int:
    """Index where the page's closing chrome starts (len(units) when there is none)."""
    start, phrase = len(units), False
    for i in range(len(units) - 1, -1, -1):
        text = units[i].text
        if units[i].kind == "code":
            break
        if chrome.is_edge_chrome(text):
            phrase = True
        elif not (chrome.is_fragment(text) or text.endswith(":")):
            break
        start = i
    return start if phrase else len(units)


def structure(units: list[Unit], settings: CorpusSettings, date: str | None = None
              ) -> tuple[str | None, str | None, list[Block], int]:
    """Title, date, blocks with section paths, and how many lines were dropped as chrome."""
    chrome = ChromeRules(settings)
    end = _trailing_chrome(units, chrome)
    dropped = len(units) - end
    units = units[:end]
    # The page header: everything before the first paragraph or list.
    first_body = next((i for i, u in enumerate(units)
                       if u.kind in ("item", "code") or (u.kind == "para" and (ends_sentence(u.text) or len(u.text.split()) > 30)
                                               and not (len(u.text.split()) <= 10 and parse_date(u.text)))),
                      len(units))
    header, body = units[:first_body], units[first_body:]
    title = None
    candidates = [i for i, u in enumerate(header)
                  if not chrome.is_edge_chrome(u.text) and not (len(u.text.split()) <= 10 and parse_date(u.text))
                  and _is_title_like(u.text)]
    headline = max(candidates, key=lambda i: (len(header[i].text.split()) > settings.chrome_max_words, -i),
                   default=None)
    kept: list[Unit] = []
    for i, u in enumerate(header):
        if len(u.text.split()) <= 10 and (found := parse_date(u.text)):
            date = date or found
        elif chrome.is_edge_chrome(u.text) or headline is None or i < headline:
            dropped += 1
        elif i == headline:
            title = _title_text(u.text)
        else:
            kept.append(Unit("heading", u.text, u.level or _IMPLICIT))
    blocks: list[Block] = []
    sections: list[tuple[int, str]] = []
    items: list[str] = []
    units = kept + body
    for i, u in enumerate(units):
        if u.kind != "item" and items:
            blocks.extend(list_blocks(items, tuple(t for _, t in sections)))
            items = []
        nxt = units[i + 1] if i + 1 < len(units) else None
        if u.kind == "para" and chrome.is_label(u.text):
            dropped += 1
            continue
        implicit = (u.kind == "para" and not ends_sentence(u.text) and len(u.text.split()) <= 10
                    and not u.text.endswith(":") and nxt is not None and nxt.kind != "heading"
                    and "://" not in u.text)  # a line with a URL is text, not a heading
        if (u.kind == "heading" or implicit) and nxt is not None:
            level = u.level or _IMPLICIT
            while sections and sections[-1][0] >= level:
                sections.pop()
            sections.append((level, u.text.strip()))
        elif u.kind == "item":
            items.append(u.text)
        else:  # a paragraph, a listing, or a heading with nothing under it (kept: never deleted)
            blocks.append(Block(u.text, tuple(t for _, t in sections), "code" if u.kind == "code" else "prose"))
    if items:
        blocks.extend(list_blocks(items, tuple(t for _, t in sections)))
    if not blocks and title:
        blocks.append(Block(title))
    return title, date, blocks, dropped


def read(data: bytes, settings: CorpusSettings) -> ParsedDocument:
    """A ``.txt`` file as a parsed document."""
    meta, body = split_front_matter(decode(data))
    title, date, blocks, dropped = structure(units_of(body), settings,
                                             parse_date(meta["date"]) or meta["date"] if meta.get("date") else None)
    return ParsedDocument("text", meta.get("title") or title, date, meta.get("url") or None,
                          finish(blocks, settings.max_paragraph_chars), dropped)
