"""Answer -> terminal text (ANSI bold highlights when the output is a terminal)."""

from __future__ import annotations

import re
import textwrap

from retrieval import Answer, Citation

from ..followup import following_up_on

BOLD, RESET = "\033[1m", "\033[0m"
NO_ANSWER = "No answer: the corpus has nothing on this. Try rephrasing, or `citebot sources` to see what it covers."
TOO_VAGUE = ("Could you be more specific? The question has no words to search for: name the topic, "
             "e.g. \"what is the default timeout for uploads?\"")


def corrections_note(answer: Answer) -> str:
    """"searched for *rebase* (you typed *rebsae*)", one clause per corrected word."""
    return "; ".join(f"searched for *{c['to']}* (you typed *{c['from']}*)" for c in answer.corrections)


def citation_heading(c: Citation) -> str:
    """``[n] title · date`` as one line."""
    parts = [c.title or c.source] + ([c.date] if c.date else [])
    return f"[{c.n}] " + " · ".join(parts)


def render_citation(c: Citation, color: bool, width: int = 100) -> str:
    """A citation: heading, where it is, and the excerpt."""
    where = f"{c.location()}  (score {c.score:.2f})"
    if c.url:
        where += f"  {c.url}"
    if c.also_in:
        where += "  also in " + ", ".join(f"{ref.source} ¶{ref.paragraph}" for ref in c.also_in)
    excerpt = textwrap.fill(c.excerpt, width=width, initial_indent="    ", subsequent_indent="    ")
    if color:
        # Re-apply highlights by word: wrapping moved the offsets.
        excerpt = _highlight_wrapped(c, excerpt)
    return f"{citation_heading(c)}\n    {where}\n{excerpt}"


def _highlight_wrapped(c: Citation, wrapped: str) -> str:
    words = {c.excerpt[a:b] for a, b in c.highlights}
    if not words:
        return wrapped
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")(?!\w)")
    return pattern.sub(lambda m: BOLD + m.group(1) + RESET, wrapped)


def render_answer(answer: Answer, color: bool = False, width: int = 100) -> str:
    """The whole answer for a terminal."""
    context = following_up_on(answer)
    lead = [] if context is None else [context]
    if answer.corrections:
        lead.append(corrections_note(answer))
    if not answer.answered:
        return "\n\n".join([*lead, TOO_VAGUE if answer.reason == "too_vague" else NO_ANSWER])
    body = textwrap.fill(answer.text or "", width=width)
    return "\n\n".join([*lead, body, *(render_citation(c, color, width) for c in answer.citations)])
