"""Answer -> Discord embed payloads, within every Discord limit, safely escaped.

Pure functions: they take retrieval values and return plain ``dict`` embeds
(the JSON Discord receives), so tests assert on them without any network;
:func:`to_embed` turns one into a :class:`discord.Embed` at the edge.

Safety: every piece of corpus or question text goes through :func:`escape`
(markdown, masked links, mentions). Truncation never cuts through markup:
text is cut on the *plain* side (at a sentence or word boundary) and the
prefix is rendered again, so bold markers always come in pairs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import discord

from retrieval.models import Answer, Citation

# Discord's documented limits.
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000

# Our own budgets, so one part never starves the others.
ANSWER_BUDGET = 1800
ALSO_IN_SHOWN = 3
SOURCES_PER_PAGE = 15

ELLIPSIS = "…"
ANSWER_COLOUR = 0x5865F2
NO_ANSWER_COLOUR = 0x99AAB5

_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+")
_WORD_END = re.compile(r"\S(?=\s)")


# --------------------------------------------------------------------- escaping
# Characters escaped by us rather than escape_markdown travel through it as
# private-use placeholders, so its own backslash handling can't undo ours.
_PLACEHOLDERS = {"[": "\ue000", "]": "\ue001", "<": "\ue002"}
_STRIP_PLACEHOLDERS = {ord(p): None for p in _PLACEHOLDERS.values()}
_TO_PLACEHOLDERS = str.maketrans(_PLACEHOLDERS)
_FROM_PLACEHOLDERS = {ord(p): "\\" + c for c, p in _PLACEHOLDERS.items()}


def escape(text: str) -> str:
    """Escape Discord markdown, masked links and mentions in untrusted text.

    ``discord.utils.escape_markdown`` handles ``* _ ~ ` | \\ > # -``; it only
    escapes the first bracket of a run of masked links, so every ``[``/``]`` is
    escaped here too. ``<`` is escaped so ``<@id>``, ``<@&role>``, ``<#chan>``
    and ``</cmd:id>`` show literally, and ``@everyone``/``@here`` get a zero
    width space (``discord.utils.escape_mentions``).
    """
    text = text.translate(_STRIP_PLACEHOLDERS)
    text = discord.utils.escape_markdown(text.translate(_TO_PLACEHOLDERS))
    text = text.translate(_FROM_PLACEHOLDERS)
    text = re.sub(r"@(everyone|here)", "@\u200b\\1", text, flags=re.IGNORECASE)
    return discord.utils.escape_mentions(text)


def _merge_spans(spans: Sequence[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans clipped to ``text``, trimmed of whitespace."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        start, end = max(0, start), min(len(text), end)
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def render_highlighted(text: str, spans: Sequence[tuple[int, int]] = ()) -> str:
    """Escape ``text`` and wrap the ``(start, end)`` spans in ``**bold**``."""
    out: list[str] = []
    pos = 0
    for start, end in _merge_spans(spans, text):
        out.append(escape(text[pos:start]))
        out.append("**" + escape(text[start:end]) + "**")
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


# ------------------------------------------------------------------- truncation
def _largest_fit(cuts: Sequence[int], fits: Callable[[int], bool]) -> int | None:
    """The largest cut in ascending ``cuts`` for which ``fits`` holds (binary search)."""
    lo, hi, best = 0, len(cuts) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if fits(cuts[mid]):
            best, lo = cuts[mid], mid + 1
        else:
            hi = mid - 1
    return best


def fit(text: str, limit: int, spans: Sequence[tuple[int, int]] = ()) -> str:
    """Render ``text`` (escaped, spans in bold) in at most ``limit`` characters.

    If it is too long the plain text is cut at a sentence end (when that keeps
    at least half of what a word cut would), else at a word end, else (one
    enormous word) at a character, and ``…`` is appended. The kept prefix is
    rendered afresh, so markup is always balanced.
    """
    if limit <= 0:
        return ""
    rendered = render_highlighted(text, spans)
    if len(rendered) <= limit:
        return rendered

    def render_cut(cut: int, suffix: str) -> str:
        head = text[:cut].rstrip()
        clipped = [(s, min(e, len(head))) for s, e in spans if s < len(head)]
        return render_highlighted(head, clipped) + suffix

    def fits(suffix: str) -> Callable[[int], bool]:
        return lambda cut: len(render_cut(cut, suffix)) <= limit

    word_cut = _largest_fit([m.end() for m in _WORD_END.finditer(text)], fits(ELLIPSIS))
    sentence_cuts = [m.start() + len(m.group(0).rstrip()) for m in _SENTENCE_END.finditer(text)]
    sentence_cut = _largest_fit(sentence_cuts, fits(" " + ELLIPSIS))
    if sentence_cut is not None and sentence_cut * 2 >= (word_cut or 0):
        return render_cut(sentence_cut, " " + ELLIPSIS)
    if word_cut is not None:
        return render_cut(word_cut, ELLIPSIS)
    char_cut = _largest_fit(range(1, len(text)), fits(ELLIPSIS))
    return render_cut(char_cut, ELLIPSIS) if char_cut else ELLIPSIS[: limit]


def fit_plain(text: str, limit: int) -> str:
    """Escaped text without highlights, within ``limit`` (for titles, notices)."""
    return fit(text, limit)


# --------------------------------------------------------------------- embeds
def embed_length(embed: dict[str, Any]) -> int:
    """Characters Discord counts towards the 6000 total of an embed."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    for f in embed.get("fields", []):
        total += len(f["name"]) + len(f["value"])
    return total


_SAFE_URL = re.compile(r"https?://[^\s<>()\[\]`|*_~\\]+$")


def _date(date: str | None) -> str:
    return date.replace("T", " ") if date else ""


def citation_name(c: Citation, limit: int = FIELD_NAME_LIMIT) -> str:
    """Field name: ``[n] title · date`` (falls back to the source without a title)."""
    limit = min(limit, FIELD_NAME_LIMIT)
    prefix = f"[{c.n}] "
    date = escape(f" · {_date(c.date)}") if c.date else ""
    if len(prefix) + len(date) + 8 > limit:
        date = ""
    return prefix + fit(c.title or c.source, limit - len(prefix) - len(date)) + date


def citation_value(c: Citation, limit: int = FIELD_VALUE_LIMIT) -> str:
    """Field value: where (``source › section p. N ¶n``, a link when the document has a URL),
    the excerpt with matched terms in bold, "also in …"."""
    limit = min(limit, FIELD_VALUE_LIMIT)
    head = fit(c.location(), min(200, limit // 3))
    if c.url and _SAFE_URL.match(c.url) and len(head) + len(c.url) + 4 <= min(500, limit // 2):
        head = f"[{head}]({c.url})"
    head += "\n"
    tail = ""
    if c.also_in:
        refs = ", ".join(f"{r.source} ¶{r.paragraph}" for r in c.also_in[:ALSO_IN_SHOWN])
        extra = len(c.also_in) - ALSO_IN_SHOWN
        if extra > 0:
            refs += f" and {extra} more"
        also = fit(f"also in {refs}", min(300, limit // 3))
        tail = f"\n*{also}*" if also else ""
    body = fit(c.excerpt or c.text, limit - len(head) - len(tail), c.highlights)
    value = head + body + tail
    return value if value.strip() else ELLIPSIS


def _footer(text: str) -> dict[str, str]:
    return {"text": text[:FOOTER_LIMIT]}


def _citation_fields(citations: Sequence[Citation], budget: int) -> list[dict[str, Any]]:
    """Fields for up to 25 citations whose names and values share ``budget`` characters.

    Names get at most a third of the budget; values share the rest, so the
    total never exceeds ``budget`` (each rendered part honours its limit).
    """
    citations = list(citations)[:FIELD_COUNT_LIMIT]
    if not citations:
        return []
    name_limit = max(16, budget // (3 * len(citations)))
    names = [citation_name(c, name_limit) for c in citations]
    remaining = budget - sum(len(n) for n in names)
    fields = []
    for i, (c, name) in enumerate(zip(citations, names)):
        share = max(remaining // (len(citations) - i), 12)
        value = citation_value(c, share)
        remaining -= len(value)
        fields.append({"name": name, "value": value, "inline": False})
    return fields


def _within_total(embed: dict[str, Any]) -> dict[str, Any]:
    """Guard for the 6000 total: drop trailing fields (never reached with sane budgets)."""
    while embed_length(embed) > EMBED_TOTAL_LIMIT and embed.get("fields"):
        embed["fields"].pop()
    return embed


def _time(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def answer_embed(answer: Answer, page: Sequence[Citation] | None = None, *, total: int | None = None,
                 first: int = 1) -> dict[str, Any]:
    """The reply embed for an answer (``page`` defaults to ``answer.citations``).

    ``total`` is how many citations exist across all pages (for the footer)
    and ``first`` the 1-based position of the page's first citation.
    """
    if not answer.answered or not (page if page is not None else answer.citations):
        return no_answer_embed(answer)
    page = list(page if page is not None else answer.citations)
    total = total if total is not None else len(answer.citations) + len(answer.more)
    title = fit(answer.question, TITLE_LIMIT)
    if len(page) == total:
        count = f"{total} result{'s' if total != 1 else ''}"
    else:
        count = f"results {first}–{first + len(page) - 1} of {total}"
    footer = _footer(f"{count} · {_time(answer.elapsed_ms)}")
    text = answer.text or ""
    if answer.corrections:
        text = corrections_note(answer) + "\n" + text
    description = fit(text, min(DESCRIPTION_LIMIT, ANSWER_BUDGET))
    embed: dict[str, Any] = {"type": "rich", "title": title, "description": description or ELLIPSIS,
                             "color": ANSWER_COLOUR, "footer": footer}
    budget = EMBED_TOTAL_LIMIT - embed_length(embed)
    embed["fields"] = _citation_fields(page, budget)
    return _within_total(embed)


def more_results_embed(answer: Answer, page: Sequence[Citation], *, total: int, first: int) -> dict[str, Any]:
    """A further page of citations for the same question."""
    embed = answer_embed(answer, page, total=total, first=first)
    if embed.get("fields"):
        embed["title"] = fit(f"More results: {answer.question}", TITLE_LIMIT)
        embed["description"] = f"Further passages for this question ({first}–{first + len(page) - 1} of {total})."
    return _within_total(embed)


def corrections_note(answer: Answer) -> str:
    """"searched for *rebase* (you typed *rebsae*)", one clause per corrected word."""
    return "; ".join(f"searched for *{escape(c['to'])}* (you typed *{escape(c['from'])}*)"
                     for c in answer.corrections)


def no_answer_embed(answer: Answer) -> dict[str, Any]:
    """A friendly 'nothing on that' (or 'say a bit more') reply (never an empty embed)."""
    if answer.reason == "too_vague":
        description = ("Could you be more specific? Your question has no words I can search for: "
                       "name the topic, e.g. \"what is the default timeout for uploads?\"")
    else:
        description = ("I couldn't find anything about that in the corpus. "
                       "Try rephrasing with other keywords, or use `/sources` to see which documents I can search.")
    if answer.corrections:
        description += "\n" + corrections_note(answer)
    return {
        "type": "rich",
        "title": fit(answer.question or "Question", TITLE_LIMIT),
        "description": description,
        "color": NO_ANSWER_COLOUR,
        "footer": _footer(f"no results · {_time(answer.elapsed_ms)}"),
    }


def sources_embeds(documents: Sequence[Any], per_page: int = SOURCES_PER_PAGE) -> list[dict[str, Any]]:
    """The corpus documents (title, date, paragraphs) as one or more embed pages."""
    docs = list(documents)
    if not docs:
        return [{"type": "rich", "title": "Sources", "description": "The corpus is empty.", "color": ANSWER_COLOUR}]
    total_paragraphs = sum(int(getattr(d, "paragraphs", 0) or 0) for d in docs)
    lines = []
    for d in docs:
        date = f" · {_date(d.date)}" if getattr(d, "date", None) else ""
        paras = int(getattr(d, "paragraphs", 0) or 0)
        title = fit(d.title or d.source, 120)
        lines.append(f"**{title}**{fit(date, 40)} · {paras} ¶\n" + fit(d.source, 80))
    per_page = min(max(1, per_page), SOURCES_PER_PAGE)  # 15 lines of <= 260 chars fit 4096
    chunks = [lines[i:i + per_page] for i in range(0, len(lines), per_page)]
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        pages.append({
            "type": "rich",
            "title": "Sources",
            "description": "\n".join(chunk),
            "color": ANSWER_COLOUR,
            "footer": _footer(f"page {number}/{len(chunks)} · {len(docs)} documents · {total_paragraphs} paragraphs"),
        })
    return pages


def notice(text: str) -> str:
    """A plain message (notices, apologies) within the 2000-character content limit."""
    return text if len(text) <= CONTENT_LIMIT else text[: CONTENT_LIMIT - 1] + ELLIPSIS


def to_embed(data: dict[str, Any]) -> discord.Embed:
    """A :class:`discord.Embed` from one of this module's dicts."""
    return discord.Embed.from_dict(data)


def with_context_line(embed: dict[str, Any], following_up: str | None, link: str | None = None) -> dict[str, Any]:
    """The answer embed with an italic "following up on: …" line above the answer (when context
    was used) and its title linking to ``link`` (the question, when the answer is in a thread)."""
    if link:
        embed = dict(embed, url=link)
    if not following_up:
        return embed
    line = "*" + fit(following_up, 300) + "*"
    embed = dict(embed, description=fit_lines(line, embed.get("description") or ""))
    return _within_total(embed)


def with_context_text(text: str, following_up: str | None) -> str:
    """Plain-text twin of :func:`with_context_line`: the italic line after the message's first (title) line."""
    if not following_up:
        return text
    title, _, rest = text.partition("\n")
    return notice(f"{title}\n*{fit(following_up, 300)}*\n{rest}")


def fit_lines(first: str, rest: str) -> str:
    """``first`` and ``rest`` on separate lines within the description limit (``rest`` is already rendered)."""
    room = DESCRIPTION_LIMIT - len(first) - 2
    return first + "\n\n" + (rest if len(rest) <= room else rest[: max(0, room - 1)] + ELLIPSIS)
