"""Front-end neutral text about follow-up questions (CLI and Discord)."""

from __future__ import annotations

from retrieval import Answer

SMALL_TALK_REPLY = "You're welcome! Ask another question any time."


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary with "…" past ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut + "…"


def following_up_on(answer: Answer, quote: str = '"', limit: int = 120) -> str | None:
    """``following up on: "earlier question"`` when earlier questions took part in the search, else None.

    The most recent earlier question comes first; older ones follow after "←".
    """
    if answer.context is None or not answer.context.used:
        return None
    each = max(20, limit // len(answer.context.used))
    quoted = [f"{quote}{shorten(q, each)}{quote}" for q in reversed(answer.context.used)]
    return "following up on: " + " ← ".join(quoted)
