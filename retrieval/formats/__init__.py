"""One reader per file format: bytes (+ settings) -> ParsedDocument, or Skip with a reason.

Readers are looked up by file extension; each format's library is imported
only when a file of that format is read.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..settings import CorpusSettings
from .model import Block, ParsedDocument, Skip

__all__ = ["Block", "FORMATS", "READERS_VERSION", "ParsedDocument", "Skip", "format_of", "read_document"]

# Bump whenever a reader gives different output for the same bytes: indexes and per-file cache
# entries made by older readers are then rebuilt instead of keeping the old parse.
READERS_VERSION = 13

# extension -> (format name, module with a ``read(data, settings)`` function)
FORMATS: dict[str, tuple[str, str]] = {
    ".txt": ("text", "text"),
    ".md": ("markdown", "markdown"),
    ".markdown": ("markdown", "markdown"),
    ".html": ("html", "html"),
    ".htm": ("html", "html"),
    ".pdf": ("pdf", "pdf"),
    ".docx": ("docx", "docx"),
    ".rst": ("rst", "rst"),
}


def format_of(name: str) -> str | None:
    """The format of a file name (by extension, case-insensitive), or None when unsupported."""
    dot = name.rfind(".")
    entry = FORMATS.get(name[dot:].lower()) if dot > 0 else None
    return entry[0] if entry else None


def _reader(name: str) -> Callable[[bytes, CorpusSettings], ParsedDocument]:
    dot = name.rfind(".")
    module = FORMATS[name[dot:].lower()][1]
    return importlib.import_module(f"{__name__}.{module}").read


def read_document(name: str, data: bytes, settings: CorpusSettings) -> ParsedDocument:
    """Parse one file's bytes with the reader for its extension; raises Skip when it has no usable text."""
    try:
        return _reader(name)(data, settings)
    except Skip:
        raise
    except (RecursionError, MemoryError):
        raise Skip("unreadable: too deeply nested or too large to parse") from None
    except Exception as exc:  # a damaged file must never stop the build
        raise Skip(f"unreadable: {type(exc).__name__}: {str(exc)[:120]}") from None
