"""Datelines and metadata dates -> ISO 8601."""

from __future__ import annotations

import re
from datetime import datetime

_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_MONTH = r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?"
_TIME = r"(?P<h>\d{1,2}):(?P<mi>\d{2})"
_DATE_PATTERNS = [
    re.compile(rf"^{_TIME}\s*,?\s+(?P<d>\d{{1,2}})\s+{_MONTH}\s+(?P<y>\d{{4}})$", re.I),
    re.compile(rf"^(?P<d>\d{{1,2}})\s+{_MONTH},?\s+(?P<y>\d{{4}})(?:\s*,?\s+{_TIME})?$", re.I),
    re.compile(rf"^{_MONTH}\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}})(?:\s*,?\s+(?:at\s+)?{_TIME})?$", re.I),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T ]" + _TIME + r"(?::\d{2})?\S*)?$"),
]
_DATE_PREFIX = re.compile(r"^(?:published|updated|posted|date)\s*:?\s*", re.I)


def parse_date(text: str) -> str | None:
    """A dateline such as ``13:29 02 Feb 2022`` as ISO 8601 (``2022-02-02T13:29``), else None."""
    text = _DATE_PREFIX.sub("", text.strip()).strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        parts = m.groupdict()
        month = int(parts["m"]) if parts.get("m") else _MONTHS[parts["mon"][:3].lower()]
        try:
            when = datetime(int(parts["y"]), month, int(parts["d"]), int(parts.get("h") or 0), int(parts.get("mi") or 0))
        except ValueError:
            return None
        return when.strftime("%Y-%m-%dT%H:%M") if parts.get("h") else when.strftime("%Y-%m-%d")
    return None


def metadata_date(value) -> str | None:
    """A metadata value (string or datetime) as ISO 8601 when it parses, else the string as given."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M") if (value.hour, value.minute) != (0, 0) else value.strftime("%Y-%m-%d")
    text = str(value).strip()
    return parse_date(text) or parse_date(text[:10]) or text or None


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """YAML-style ``---`` front matter (flat ``key: value`` lines) and the rest of the text."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, min(len(lines), 60)):
        if lines[end].strip() in ("---", "..."):
            meta = {}
            for line in lines[1:end]:
                key, sep, value = line.partition(":")
                if sep and key.strip():
                    meta[key.strip().lower()] = value.strip().strip("\"'")
            return meta, "\n".join(lines[end + 1 :])
    return {}, text
