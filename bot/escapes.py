"""Escape sequences and control characters in text people type or paste (questions), for every front-end.

A question pasted from coloured terminal output carries ``ESC[31m``; one typed
by an adversary may carry cursor moves, window-title OSC sequences, NULs or
bidi overrides. None of that is part of the question: it would be searched
(``31m``), echoed in answers and thread names, and written to logs.
"""

from __future__ import annotations

import re

# Terminal escape sequences: CSI (colours, cursor), OSC (titles, links; ends with BEL or ESC \\), other ESC pairs.
ESCAPE_SEQUENCE = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
                             r"|\x1b[@-_]?")
# C0 controls (tab and newline are whitespace), DEL, C1 controls, bidi embeddings/overrides/isolates.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def without_escapes(text: str) -> str:
    """``text`` without its terminal escape sequences (``31m`` is not a word to search)."""
    return ESCAPE_SEQUENCE.sub("", text)


def plain_question(text: str) -> str:
    """A question as words: escape sequences removed, other control characters as spaces, whitespace collapsed."""
    return " ".join(_CONTROLS.sub(" ", without_escapes(text)).split())
