"""Bytes -> text for text formats: BOMs, UTF-8, then legacy 8-bit code pages.

Detectors (charset-normalizer) can mistake a short cp1252 text for another
code page and turn "naïve" into "naďve" (or into Arabic letters), so text
whose letters are mostly ASCII -- Latin script with some accents -- is read as
cp1252, the most common legacy encoding; the detector decides only for text
that is mostly high bytes (Cyrillic, Greek, Arabic, Hebrew, CJK code pages).
"""

from __future__ import annotations

import codecs

from .model import Skip

_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _mostly_ascii_letters(data: bytes) -> bool:
    """True for Latin-script text: accented letters are a small share of its letters.

    In Cyrillic, Greek, Arabic or Hebrew text nearly every letter is a high byte.
    """
    sample = data[:100_000]
    high = sum(1 for b in sample if b >= 0x80)
    ascii_letters = sum(1 for b in sample if 65 <= b <= 90 or 97 <= b <= 122)
    return high < 0.3 * (high + ascii_letters)


def _legacy(data: bytes) -> str:
    if _mostly_ascii_letters(data):
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1 << 20]).best()
    if best is not None:
        try:
            return data.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
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
