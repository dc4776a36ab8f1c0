"""Answer -> terminal text (ANSI bold highlights when colour is on).

Everything that comes from documents, file names or the question passes
through :func:`~bot.cli.terminal.visible` before it is laid out, so the only
escape sequences in the output are the highlights added here.
"""

from __future__ import annotations

import re
import textwrap

from retrieval import Answer, Citation

from ..followup import following_up_on
from .terminal import visible

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
    return f"[{c.n}] " + " · ".join(map(visible, parts))


def render_citation(c: Citation, color: bool, width: int = 100) -> str:
    """A citation: heading, where it is, and the excerpt."""
    where = f"{visible(c.location())}  (score {c.score:.2f})"
    if c.url:
        where += f"  {visible(c.url)}"
    if c.also_in:
        where += "  also in " + ", ".join(f"{visible(ref.source)} ¶{ref.paragraph}" for ref in c.also_in)
    width = max(width, 20)
    indent = "    "
    # Line breaks in an excerpt are the author's (code, list items): keep them, wrap each line.
    excerpt = "\n".join(textwrap.fill(visible(line), width=width, initial_indent=indent, subsequent_indent=indent)
                         if line.strip() else "" for line in c.excerpt.split("\n"))
    if color:
        # Re-apply highlights by word: wrapping moved the offsets.
        excerpt = _highlight_wrapped(c, excerpt)
    heading = textwrap.fill(citation_heading(c), width=width, subsequent_indent=indent, break_on_hyphens=False)
    where = textwrap.fill(where, width=width, initial_indent=indent, subsequent_indent=indent,
                          break_long_words=False, break_on_hyphens=False)
    return f"{heading}\n{where}\n{excerpt}"


def _highlight_wrapped(c: Citation, wrapped: str) -> str:
    words = {visible(c.excerpt[a:b]) for a, b in c.highlights}
    if not words:
        return wrapped
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")(?!\w)")
    return pattern.sub(lambda m: BOLD + m.group(1) + RESET, wrapped)


def render_answer(answer: Answer, color: bool = False, width: int = 100) -> str:
    """The whole answer for a terminal."""
    context = following_up_on(answer)
    lead = [] if context is None else [visible(context)]
    if answer.corrections:
        lead.append(visible(corrections_note(answer)))
    if not answer.answered:
        return "\n\n".join([*lead, TOO_VAGUE if answer.reason == "too_vague" else NO_ANSWER])
    body = textwrap.fill(visible(answer.text or ""), width=max(width, 20))
    return "\n\n".join([*lead, body, *(render_citation(c, color, width) for c in answer.citations)])
