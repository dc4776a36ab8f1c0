"""Bytes -> text for text formats: BOMs, UTF-8, then legacy 8-bit code pages.

Detectors (charset-normalizer) can mistake a short cp1252 text for another
Latin code page and turn "naïve" into "naďve", so a guess is only trusted when
it yields letters outside the Latin script (Cyrillic, Greek, CJK, …); for
Latin text cp1252, the most common legacy encoding, is preferred.
"""

from __future__ import annotations

import codecs
import unicodedata

from .model import Skip

_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _non_latin_letters(text: str) -> bool:
    return any(ch.isalpha() and not ch.isascii() and "LATIN" not in unicodedata.name(ch, "")
               for ch in text)


def _legacy(data: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1 << 20]).best()
    if best is not None and best.encoding not in ("utf_8", "ascii"):
        try:
            guessed = data.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            guessed = None
        if guessed is not None and _non_latin_letters(guessed[:100_000]) and best.chaos < 0.2:
            return guessed
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    if best is not None:
        try:
            return data.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    return data.decode("utf-8", errors="replace")


def decode(data: bytes) -> str:
    """The file's text; raises Skip for binary or empty files."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom):].decode(encoding, errors="replace")
            break
    else:
        if b"\x00" in data:
            raise Skip("binary file")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _legacy(data)
    if not text.strip():
        raise Skip("empty file")
    return text.replace("\r\n", "\n").replace("\r", "\n")
