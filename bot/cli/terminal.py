"""What reaches the user's terminal: control characters neutralised, colour and width decided once.

Documents, file names and questions are untrusted: an escape sequence in a
document could recolour, hide or overwrite what the terminal shows (even a
forged citation line), set the window title, or, with bidi overrides, make
text read differently from what it is. :func:`visible` shows every such
character as a visible escape (``\\x1b``, ``\\u202e``); undecodable bytes that
Python carries as surrogates (``surrogateescape``) are shown as ``\\xff``.
Every text output of the CLI goes through it; :func:`json_text` keeps JSON
valid UTF-8 with the same characters as JSON escapes.
"""

from __future__ import annotations

import json
import os
import re
from typing import IO

from ..escapes import without_escapes  # noqa: F401  (part of this module's interface)

# C0 controls except tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates and marks,
# line/paragraph separators, and lone surrogates (undecodable bytes or broken input).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

COLOR_CHOICES = ("auto", "always", "never")
DEFAULT_WIDTH = 100
MIN_WIDTH = 20


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the original byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control, bidi and undecodable character shown as a visible escape."""
    return _UNSAFE.sub(_escape, text)


def json_text(obj) -> str:
    """One line of JSON, valid UTF-8: controls, bidi characters and lone surrogates as ``\\uXXXX`` escapes."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(obj, ensure_ascii=False))


def use_color(stream: IO, choice: str | None = "auto") -> bool:
    """Whether to colour ``stream``: ``always``/``never``, or (``auto``) a terminal unless NO_COLOR or TERM=dumb."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def output_width(stream: IO) -> int:
    """Columns to wrap at: $COLUMNS, else the terminal's width, else 100 (output to a file or pipe)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(MIN_WIDTH, int(columns))
    try:
        if stream.isatty():
            return max(MIN_WIDTH, os.get_terminal_size(stream.fileno()).columns)
    except (AttributeError, ValueError, OSError):
        pass
    return DEFAULT_WIDTH
