"""``citebot ask``: one question, or one per line from stdin."""

from __future__ import annotations

import dataclasses
import io
import itertools
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from retrieval import Engine

from .options import TOP_K, common_options, open_engine, text_style
from .render import render_answer
from .terminal import json_text, visible, without_escapes

EXAMPLE_QUESTION = "what did the US say about Tomahawk missiles?"


def _print_answer(engine: Engine, question: str, top_k: int | None, as_json: bool,
                  context: tuple[str, ...] = (), style: tuple[bool, int] = (False, 100)) -> None:
    context = tuple(without_escapes(c) for c in context)
    answer = engine.ask(without_escapes(question), top_k=top_k, context=context or None)
    answer = dataclasses.replace(answer, question=question)  # JSON keeps the question as typed (escaped)
    if as_json:
        click.echo(json_text(answer.to_json()))
    else:
        click.echo(render_answer(answer, color=style[0], width=style[1]), color=style[0])


def _stdin_lines():
    """Questions from stdin, one per line; bytes that are not UTF-8 are kept (as surrogates), not fatal."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream (tests)
        yield from sys.stdin
        return
    yield from io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape")


@click.command()
@click.argument("question", nargs=-1, required=True)
@click.option("--top-k", "-k", type=TOP_K, default=None, help="How many citations (default 3).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question.")
@click.option("--context", "-c", "context", multiple=True, metavar="EARLIER_QUESTION",
              help="An earlier question of the conversation (repeat, oldest first): QUESTION is a follow-up.")
@common_options
@click.pass_context
def ask(ctx: click.Context, question: tuple[str, ...], top_k: int | None, as_json: bool,
        context: tuple[str, ...]) -> None:
    """Answer QUESTION with cited excerpts; QUESTION "-" reads one question per line from stdin.

    The words of QUESTION need no quotes (citebot ask what is tomahawk); quote
    a question that holds shell characters such as ? or '.

    \b
    Examples:
      citebot ask "what did the US say about Tomahawk missiles?"
      citebot ask open door policy --top-k 5 --json
      printf 'question one\\nquestion two\\n' | citebot ask - --json
      citebot ask "and NATO?" --context "what did the US say about Tomahawk missiles?" --json
    """
    text = " ".join(question)
    if text != "-" and not text.strip():
        raise click.UsageError("the question is empty; ask something, e.g. " + repr(EXAMPLE_QUESTION))
    if text != "-":
        engine, _ = open_engine(ctx)
        _print_answer(engine, text, top_k, as_json, context, text_style(ctx))
        return
    questions = (line.strip() for line in _stdin_lines() if line.strip())
    first = next(questions, None)
    if first is None:  # `citebot ask - < /dev/null`: nothing was asked, which a script should notice
        raise click.UsageError("no question on stdin ('ask -' reads one question per line)")
    engine, _ = open_engine(ctx)
    style = text_style(ctx)
    for n, question in enumerate(itertools.chain([first], questions)):
        if not as_json:  # which question each answer belongs to
            click.echo(("" if n == 0 else "\n" + "─" * 40 + "\n\n") + f"Q: {visible(question)}\n")
        _print_answer(engine, question, top_k, as_json, context, style)
