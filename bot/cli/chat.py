"""``citebot chat``: an interactive question loop with readline history."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .options import common_options, open_engine
from .render import render_answer

HISTORY_FILE = ".citebot/chat_history"


@click.command()
@click.option("--top-k", "-k", type=click.IntRange(min=1), default=None, help="How many citations (default 3).")
@common_options
@click.pass_context
def chat(ctx: click.Context, top_k: int | None) -> None:
    """Ask questions interactively (with history); :quit or Ctrl-D exits.

    \b
    Example:
      citebot chat
      citebot> what did the US say about Tomahawk missiles?
    """
    engine, _ = open_engine(ctx)
    history = Path(HISTORY_FILE)
    try:
        import readline

        history.parent.mkdir(parents=True, exist_ok=True)
        if history.exists():
            readline.read_history_file(history)
    except (ImportError, OSError):
        readline = None
    click.echo(f"citebot: {engine.stats.documents} documents, {engine.stats.paragraphs} paragraphs. "
               ":quit or Ctrl-D to leave.")
    color = sys.stdout.isatty()
    try:
        while True:
            try:
                question = input("citebot> ").strip()
            except EOFError:
                click.echo()
                break
            except KeyboardInterrupt:
                click.echo()
                continue
            if question in (":quit", ":q", ":exit"):
                break
            if question:
                click.echo(render_answer(engine.ask(question, top_k=top_k), color=color) + "\n")
    finally:
        if readline is not None:
            try:
                readline.write_history_file(history)
            except OSError:
                pass
