"""``citebot chat``: an interactive question loop with readline history."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from retrieval.conversation import is_small_talk, recent

if TYPE_CHECKING:
    from retrieval import Engine

from ..followup import SMALL_TALK_REPLY
from .history import ChatHistory
from .options import TOP_K, common_options, open_engine, text_style
from .render import render_answer
from .terminal import visible, without_escapes


QUIT = (":quit", ":q", ":exit")
_COMMANDS = (":new", ":n", ":context", ":c", *QUIT)


def command_of(line: str) -> str | None:
    """``:NEW`` -> ``:new``; None for a line that is not a ``:word`` (``:)`` is small talk, not a command)."""
    if line.startswith(":") and line[1:].isascii() and line[1:].isalpha():
        return line.lower()
    return None


class Conversation:
    """The chat's earlier questions, and its commands (:new, :context)."""

    def __init__(self) -> None:
        self.questions: list[str] = []

    def respond(self, engine: Engine, line: str, top_k: int | None, color: bool, width: int = 100) -> str:
        """The text to print for one input line (a command, small talk or a question)."""
        command = command_of(line)
        if command is not None and command not in _COMMANDS:
            return f"Unknown command {visible(line)}: :new starts a new conversation, :context shows it, :quit leaves."
        if command in (":new", ":n"):
            self.questions.clear()
            return "New conversation: the next question starts fresh."
        if command in (":context", ":c"):
            earlier = recent(self.questions)
            if not earlier:
                return "No earlier questions: the next question starts a conversation."
            listed = "\n".join(f"  {i}. {visible(q)}" for i, q in enumerate(reversed(earlier), 1))
            return f"A follow-up will also use (most recent first):\n{listed}"
        if is_small_talk(line):
            return SMALL_TALK_REPLY if self.questions else "Ask me a question about the documents."
        line = without_escapes(line)
        answer = engine.ask(line, top_k=top_k, context=self.questions)
        self.questions.append(line)
        return render_answer(answer, color=color, width=width)


@click.command()
@click.option("--top-k", "-k", type=TOP_K, default=None, help="How many citations (default 3).")
@common_options
@click.pass_context
def chat(ctx: click.Context, top_k: int | None) -> None:
    """Ask questions interactively (with history); :quit or Ctrl-D exits.

    Questions form a conversation: a follow-up ("and NATO?") also searches the
    previous questions' terms, with less weight. :new starts a fresh
    conversation; :context shows the earlier questions a follow-up will use.

    \b
    Example:
      citebot chat
      citebot> what did the US say about Tomahawk missiles?
      citebot> and NATO?
    """
    engine, _ = open_engine(ctx)
    history = ChatHistory.open()
    click.echo(f"citebot: {engine.stats.documents} documents, {engine.stats.paragraphs} paragraphs. "
               ":new starts a new conversation, :context shows it, :quit or Ctrl-D leaves.")
    conversation = Conversation()
    color, width = text_style(ctx)
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
            if command_of(question) in QUIT:
                history.forget(question)
                break
            if question:
                click.echo(conversation.respond(engine, question, top_k, color, width) + "\n", color=color)
    finally:
        history.save()
