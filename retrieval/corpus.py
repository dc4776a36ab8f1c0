"""Reading the corpus: a folder of files -> documents with metadata and answerable paragraphs.

:func:`scan_folder` walks the folder safely (special files are never opened,
links leaving the folder are not followed unless allowed, files over the size
limit are left out) and reports every file it leaves out with a reason.
:func:`parse_file` hands a file's bytes to the reader for its format
(:mod:`retrieval.formats`) and is a pure function of the bytes, so results can
be cached by content; :func:`assemble` numbers the paragraphs.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .errors import CorpusError
from .formats import FORMATS, Block, Skip, format_of, read_document
from .formats.dates import parse_date  # noqa: F401  (part of this module's interface)
from .formats.text import ends_sentence  # noqa: F401
from .models import Document, Paragraph
from .settings import CorpusSettings

log = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = tuple(FORMATS)


@dataclass(frozen=True)
class SkippedFile:
    """A corpus file that is not indexed, and why ("unsupported format: .png", "too large: …")."""

    source: str
    reason: str


@dataclass(frozen=True)
class ParsedFile:
    """One file parsed on its own: metadata and its blocks (the candidate paragraphs)."""

    source: str
    title: str | None
    date: str | None
    url: str | None
    blocks: tuple[Block, ...]
    format: str = "text"
    dropped: int = 0  # lines dropped as page chrome

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks)


def index_text(block: Block | Paragraph) -> str:
    """What is indexed for a paragraph: its section headings, then its text."""
    return " › ".join(block.section) + "\n" + block.text if block.section else block.text


def _first_sentence(text: str, limit: int = 100) -> str:
    m = re.search(r"[.!?…](?=[\"'”’)]*\s+[\"'“‘(]?[A-Z0-9])", text)
    sentence = text[: m.end()] if m else text
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return " ".join(sentence.split())


_COPYRIGHT = re.compile(r"^\s*(?:copyright\b|©|\(c\)\s)", re.I)


def _fallback_title(source: str, blocks: tuple[Block, ...]) -> str:
    """A document without a title: the heading it opens with, else its first sentence (not a copyright line),
    else, when it opens with a table or code, its file name. A heading further down names a part, not the
    document ("Features" in a README that opens with prose)."""
    if blocks[0].section:
        return blocks[0].section[0]
    first = next((b for b in blocks[:5] if b.kind in ("prose", "quote") and not _COPYRIGHT.match(b.text)), None)
    if first is None and blocks[0].kind in ("table", "code"):  # "Key: Port; Value: 8443" names nothing
        return source.rsplit("/", 1)[-1].rsplit(".", 1)[0] or _first_sentence(blocks[0].text)
    return _first_sentence((first or blocks[0]).text)


def parse_file(source: str, data: bytes, settings: CorpusSettings) -> ParsedFile:
    """Parse one file's bytes with its format's reader; raises :class:`Skip` when it yields no text."""
    doc = read_document(source, data, settings)
    if not doc.blocks:
        raise Skip("no text found")
    title = doc.title or _fallback_title(source, doc.blocks)
    return ParsedFile(source, " ".join(title.split()), doc.date, doc.url, doc.blocks, doc.format, doc.dropped)


def assemble(parsed: list[ParsedFile], settings: CorpusSettings | None = None) -> list[Document]:
    """Documents with their paragraphs numbered from 1 (files without paragraphs are left out)."""
    documents = []
    for pf in parsed:
        if not pf.blocks:
            continue
        paragraphs = tuple(Paragraph(pf.source, n, b.text, b.section, b.page, b.kind)
                           for n, b in enumerate(pf.blocks, 1))
        documents.append(Document(pf.source, pf.title, pf.date, pf.url, paragraphs, pf.format))
    return documents


class ScannedFile(NamedTuple):
    path: str
    source: str  # relative to the corpus folder, "/" separators, undecodable bytes escaped
    size: int
    mtime_ns: int


class Scan(NamedTuple):
    files: list[ScannedFile]  # documents to read, sorted by source
    skipped: list[SkippedFile]  # everything else, with the reason


def skip_summary(skipped: list[SkippedFile]) -> str:
    """``"3 unsupported format, 1 special file"``: how many files were left out, by reason."""
    counts: dict[str, int] = {}
    for s in skipped:
        kind = s.reason.split(":", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items(), key=lambda item: -item[1]))


def no_documents(corpus_dir: Path, skipped: list[SkippedFile]) -> CorpusError:
    """The error for a corpus with nothing to index, saying what was left out."""
    left_out = f" (left out: {skip_summary(skipped)})" if skipped else ""
    error = CorpusError(f"no documents (readable files with text) in corpus folder: {corpus_dir}{left_out}")
    error.skipped = list(skipped)  # so a caller that knows of more left-out files can say so
    return error


def display_name(name: str) -> str:
    """A file name that is safe to show and store: undecodable bytes as ``\\xNN`` escapes."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "not a regular file"


def scan_folder(corpus_dir: Path, settings: CorpusSettings | None = None) -> Scan:
    """Every document file with its size and modification time, and every file left out with why.

    Recursive, hidden entries skipped, symlinked folders not followed, sorted
    by relative path; walked with ``os.scandir`` and plain strings (fast on
    100k files). Special files (pipes, sockets, devices) are never opened.
    """
    settings = settings or CorpusSettings()
    if not corpus_dir.exists():
        raise CorpusError(f"corpus folder not found: {corpus_dir}")
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus path is not a folder: {corpus_dir}")
    root = os.path.realpath(corpus_dir)
    limit = int(settings.max_file_mb * 1024 * 1024)
    found: list[ScannedFile] = []
    skipped: list[SkippedFile] = []
    pending = [(str(corpus_dir), "")]
    while pending:
        folder, rel = pending.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:  # an unreadable folder
            log.warning("skipping folder %s: %s", rel or folder, exc.strerror or exc)
            skipped.append(SkippedFile(rel or ".", f"unreadable folder: {exc.strerror or exc}"))
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            source = f"{rel}/{display_name(name)}" if rel else display_name(name)
            link = False
            try:
                link = entry.is_symlink()
                st = entry.stat()  # follows links; never opens the file
            except OSError as exc:
                skipped.append(SkippedFile(source, f"{'broken link' if link else 'unreadable'}: {exc.strerror or exc}"))
                continue
            if link and not settings.follow_outside_links:
                target = os.path.realpath(entry.path)
                if not (target == root or target.startswith(root + os.sep)):
                    skipped.append(SkippedFile(source, "outside link: points outside the corpus folder"))
                    continue
            if stat.S_ISDIR(st.st_mode):
                if link:  # symlinked folders are not followed (no loops, no escapes)
                    skipped.append(SkippedFile(source, "linked folder: not followed"))
                else:
                    pending.append((entry.path, source))
            elif not stat.S_ISREG(st.st_mode):
                skipped.append(SkippedFile(source, f"special file: {_special_kind(st.st_mode)}, not opened"))
            elif format_of(name) is None:
                dot = name.rfind(".")
                skipped.append(SkippedFile(source, "unsupported format" + (f": {display_name(name[dot:])}"
                                                                             if dot > 0 else "")))
            elif st.st_size > limit:
                skipped.append(SkippedFile(source, f"too large: {st.st_size / 1048576:.1f} MB, "
                                                   f"limit {settings.max_file_mb:g} MB"))
            else:
                found.append(ScannedFile(entry.path, source, st.st_size, st.st_mtime_ns))
    found.sort(key=lambda f: f.source)
    skipped.sort(key=lambda s: s.source)
    for s in skipped:
        log.debug("skipping %s: %s", s.source, s.reason)
    return Scan(found, skipped)


def scan_corpus(corpus_dir: Path, settings: CorpusSettings | None = None) -> list[ScannedFile]:
    """The document files of :func:`scan_folder` (without the report of skipped ones)."""
    return scan_folder(corpus_dir, settings).files


def read_file(path: str, settings: CorpusSettings) -> bytes:
    """A regular file's bytes; raises Skip for anything else (checked on the open file, not the name)."""
    limit = int(settings.max_file_mb * 1024 * 1024)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a pipe swapped in must not block
    except OSError as exc:
        raise Skip(f"unreadable: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Skip(f"special file: {_special_kind(st.st_mode)}, not opened")
        if st.st_size > limit:
            raise Skip(f"too large: {st.st_size / 1048576:.1f} MB, limit {settings.max_file_mb:g} MB")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise Skip(f"unreadable: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise Skip(f"too large: more than {settings.max_file_mb:g} MB")
    return data


def load_file(f: ScannedFile, settings: CorpusSettings) -> ParsedFile:
    """Read and parse one scanned file; raises Skip with the reason when it is not indexed."""
    return parse_file(f.source, read_file(f.path, settings), settings)


def read_corpus(corpus_dir: Path, settings: CorpusSettings | None = None) -> list[Document]:
    """Read every document under ``corpus_dir``; raises CorpusError when there are none."""
    settings = settings or CorpusSettings()
    parsed = []
    scan = scan_folder(corpus_dir, settings)
    skipped = list(scan.skipped)
    for f in scan.files:
        try:
            parsed.append(load_file(f, settings))
        except Skip as skip:
            log.warning("skipping %s: %s", f.source, skip.reason)
            skipped.append(SkippedFile(f.source, skip.reason))
    documents = assemble(parsed, settings)
    if not documents:
        raise no_documents(corpus_dir, skipped)
    return documents
