"""``citebot ask``: one question, or one per line from stdin."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from retrieval import Engine

from .options import common_options, open_engine
from .render import render_answer

EXAMPLE_QUESTION = "what did the US say about Tomahawk missiles?"


def _print_answer(engine: Engine, question: str, top_k: int | None, as_json: bool,
                  context: tuple[str, ...] = ()) -> None:
    answer = engine.ask(question, top_k=top_k, context=context or None)
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        click.echo(render_answer(answer, color=sys.stdout.isatty()))


@click.command()
@click.argument("question")
@click.option("--top-k", "-k", type=click.IntRange(min=1), default=None, help="How many citations (default 3).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question.")
@click.option("--context", "-c", "context", multiple=True, metavar="EARLIER_QUESTION",
              help="An earlier question of the conversation (repeat, oldest first): QUESTION is a follow-up.")
@common_options
@click.pass_context
def ask(ctx: click.Context, question: str, top_k: int | None, as_json: bool, context: tuple[str, ...]) -> None:
    """Answer QUESTION with cited excerpts; QUESTION "-" reads one question per line from stdin.

    \b
    Examples:
      citebot ask "what did the US say about Tomahawk missiles?"
      citebot ask "open door policy" --top-k 5 --json
      printf 'question one\\nquestion two\\n' | citebot ask - --json
      citebot ask "and NATO?" --context "what did the US say about Tomahawk missiles?" --json
    """
    if question != "-" and not question.strip():
        raise click.UsageError("the question is empty; ask something, e.g. " + repr(EXAMPLE_QUESTION))
    engine, _ = open_engine(ctx)
    if question != "-":
        _print_answer(engine, question, top_k, as_json, context)
        return
    first = True
    for line in sys.stdin:
        if not line.strip():
            continue
        if not as_json and not first:
            click.echo("\n" + "─" * 40 + "\n")
        first = False
        _print_answer(engine, line.strip(), top_k, as_json, context)
