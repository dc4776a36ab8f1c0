"""The ``citebot`` command: ask, chat, index, sources, eval (serve and invite-url from bot.serve).

Exit codes: 0 for a run that completed (answered or not); 2 for usage errors
(blank question, bad option, missing corpus, invalid config); 1 for anything
unexpected (one line; the traceback only with --debug).
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

import click

from retrieval import CitebotError, Engine
from retrieval.evaluate import evaluate, read_golden

from . import __version__
from .cli_common import common_options, configure_logging, open_engine, option_value
from .render_text import render_answer

EXAMPLE_QUESTION = "what did the US say about Tomahawk missiles?"
HISTORY_FILE = ".citebot/chat_history"


class _Commands(click.Group):
    """A group whose Discord commands are imported only when used (discord.py is slow to import)."""

    lazy = {"serve": "serve_command", "invite-url": "invite_url_command"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            from . import serve

            return getattr(serve, self.lazy[name])
        return super().get_command(ctx, name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="citebot")
@common_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Answer questions from a document corpus with cited excerpts.

    \b
    Example:
      citebot ask "what did the US say about Tomahawk missiles?"
    """
    configure_logging(bool(option_value(ctx, "debug")))


def _print_answer(engine: Engine, question: str, top_k: int | None, as_json: bool) -> None:
    answer = engine.ask(question, top_k=top_k)
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        click.echo(render_answer(answer, color=sys.stdout.isatty()))


@cli.command()
@click.argument("question")
@click.option("--top-k", "-k", type=click.IntRange(min=1), default=None, help="How many citations (default 3).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question.")
@common_options
@click.pass_context
def ask(ctx: click.Context, question: str, top_k: int | None, as_json: bool) -> None:
    """Answer QUESTION with cited excerpts; QUESTION "-" reads one question per line from stdin.

    \b
    Examples:
      citebot ask "what did the US say about Tomahawk missiles?"
      citebot ask "open door policy" --top-k 5 --json
      printf 'question one\\nquestion two\\n' | citebot ask - --json
    """
    if question != "-" and not question.strip():
        raise click.UsageError("the question is empty; ask something, e.g. " + repr(EXAMPLE_QUESTION))
    engine, _ = open_engine(ctx)
    if question != "-":
        _print_answer(engine, question, top_k, as_json)
        return
    first = True
    for line in sys.stdin:
        if not line.strip():
            continue
        if not as_json and not first:
            click.echo("\n" + "─" * 40 + "\n")
        first = False
        _print_answer(engine, line.strip(), top_k, as_json)


@cli.command()
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


@cli.command()
@click.option("--force", is_flag=True, help="Rebuild even if the index is up to date.")
@common_options
@click.pass_context
def index(ctx: click.Context, force: bool) -> None:
    """Build or refresh the index for the corpus.

    \b
    Example:
      citebot index --corpus ./seeds --force
    """
    started = time.perf_counter()
    engine, _ = open_engine(ctx, force=force, progress=sys.stderr.isatty())
    s = engine.stats
    action = "built" if s.rebuilt else "reused (up to date)"
    line = (f"index {action}: {s.documents} documents, {s.paragraphs} paragraphs, "
            f"{s.vocabulary} terms in {time.perf_counter() - started:.2f} s")
    if s.rebuilt:
        line += f" ({s.parsed} files parsed, {s.reused} reused from cache, {s.removed} removed)"
    click.echo(line)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines instead of tab-separated text.")
@common_options
@click.pass_context
def sources(ctx: click.Context, as_json: bool) -> None:
    """List the documents: source, title, date, paragraphs (tab-separated).

    \b
    Example:
      citebot sources
    """
    engine, _ = open_engine(ctx)
    for d in engine.documents:
        if as_json:
            click.echo(json.dumps({"source": d.source, "title": d.title, "date": d.date,
                                   "paragraphs": d.paragraphs}, ensure_ascii=False))
        else:
            click.echo("\t".join([d.source, d.title or "-", d.date or "-", str(d.paragraphs)]))


@cli.command("eval")
@click.argument("golden", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--top-k", "-k", type=click.IntRange(min=1), default=None, help="Cutoff k (default 3).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@common_options
@click.pass_context
def eval_command(ctx: click.Context, golden: Path, top_k: int | None, as_json: bool) -> None:
    """Score retrieval on GOLDEN (JSON Lines of {"q": ..., "rel": [...]}).

    \b
    Example:
      citebot eval tests/data/golden.jsonl --top-k 3
    """
    try:
        questions = read_golden(golden)
    except CitebotError as exc:
        raise click.UsageError(str(exc)) from None
    engine, config = open_engine(ctx)
    report = evaluate(engine, questions, top_k or config.settings.answer.top_k)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
        return
    k = report.k
    click.echo(f"questions: {report.questions} ({report.answerable} answerable, {report.unanswerable} unanswerable)")
    click.echo(f"recall@{k}: {report.recall_at_k:.3f}")
    click.echo(f"MRR@{k}: {report.mrr_at_k:.3f}")
    click.echo(f"no-answer accuracy: {report.no_answer_accuracy:.3f}")
    for failure in report.failures:
        click.echo(f"  miss: {failure['q']!r}: {failure['problem']}")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (used by the console script)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    try:
        result = cli.main(args=argv, prog_name="citebot", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:  # one line: what is wrong, and where to look
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        click.echo(f"citebot: error: {exc.format_message()}{hint}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"citebot: error: {exc.format_message()}", err=True)
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the one place unexpected errors become one line
        if debug:
            traceback.print_exc()
        click.echo(f"citebot: error: {type(exc).__name__}: {exc}" + ("" if debug else " (use --debug for details)"),
                   err=True)
        return 1
