"""Answer -> one plain-text message within Discord's 2,000 characters (for channels without Embed Links).

The same content as the embed (question, answer sentences, each citation's
name, source, excerpt with matched words in bold, the footer) and the same
escaping: every piece is rendered by bot/discord/render.py's functions, only
laid out as message text with a smaller budget.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.discord import render
from retrieval.models import Answer, Citation

TITLE_BUDGET = 200
ANSWER_BUDGET = 600
NAME_BUDGET = 120


def _footer(text: str) -> str:
    return f"-# {text}"


def answer_text(answer: Answer, page: Sequence[Citation] | None = None, *, total: int | None = None,
                first: int = 1, limit: int = render.CONTENT_LIMIT) -> str:
    """The answer as message content of at most ``limit`` characters (the embed's plain-text twin)."""
    embed = render.answer_embed(answer, page, total=total, first=first)
    if not embed.get("fields"):
        return no_answer_text(answer, limit=limit)
    page = list(page if page is not None else answer.citations)
    head = f"**{render.fit(answer.question, TITLE_BUDGET)}**\n{render.fit(answer.text or '', ANSWER_BUDGET)}"
    footer = _footer(embed["footer"]["text"])
    budget = limit - len(head) - len(footer) - 2  # the blank line after head, the newline before the footer
    blocks: list[str] = []
    for i, c in enumerate(page):
        share = (budget - sum(len(b) + 2 for b in blocks)) // (len(page) - i) - 2
        name = render.citation_name(c, min(NAME_BUDGET, max(share // 3, 16)))
        value_limit = share - len(name) - 5  # "**" twice and a newline
        if value_limit < 40:
            break
        blocks.append(f"**{name}**\n{render.citation_value(c, value_limit)}")
    text = "\n\n".join([head, *blocks]) + "\n" + footer
    return text if len(text) <= limit else render.notice(text)


def more_results_text(answer: Answer, page: Sequence[Citation], *, total: int, first: int) -> str:
    return answer_text(answer, page, total=total, first=first)


def no_answer_text(answer: Answer, limit: int = render.CONTENT_LIMIT) -> str:
    embed = render.no_answer_embed(answer)
    text = f"**{embed['title']}**\n{embed['description']}\n{_footer(embed['footer']['text'])}"
    return text if len(text) <= limit else render.notice(text)
