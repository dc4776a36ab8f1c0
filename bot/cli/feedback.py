"""``citebot feedback``: the recent 👍/👎 from Discord, per question and per cited paragraph."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import click

from .options import common_options, load_config_from_ctx
from .terminal import visible


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M")


@click.command("feedback")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many of the most recently voted answers to show.")
@click.option("--export", "export", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              metavar="FILE.jsonl", help="Write the answers with more 👎 than 👍 as golden questions for "
                                         "`citebot eval`.")
@common_options
@click.pass_context
def feedback(ctx: click.Context, limit: int, export: Path | None) -> None:
    """Show the recent 👍/👎 votes from Discord, per question and per cited paragraph.

    Votes come from the bot's database (citebot.sqlite3 in [discord] state_dir).
    With --export, each answer voted down on balance becomes one line
    {"q": question, "rel": []} (plus the "cited" paragraphs voters rejected):
    fill "rel" with words from the paragraph that does answer it, or leave it
    empty if the documents cannot answer it, then run `citebot eval FILE`.

    \b
    Example:
      citebot feedback --limit 10 --export negatives.jsonl
    """
    from bot.discord.state import StateDB, StateError, database_path  # sqlite3 and the bot: not for --help

    config = load_config_from_ctx(ctx)
    if export is not None:
        _check_writable(export)
    path = database_path(config.discord.state_dir)
    if not path.exists():
        click.echo(f"No votes yet (no database at {path}; the bot creates it when it starts).")
        if export is not None:
            _write(export, [])
        return
    try:
        db = StateDB(path)
    except StateError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        rows = db.feedback(limit)
        paragraphs = db.paragraph_feedback([r.question_id for r in rows])
    finally:
        db.close()
    if not rows:
        click.echo("No votes yet.")
    else:
        click.echo(f"Recent votes ({len(rows)} answer{'s' if len(rows) != 1 else ''}, newest first):")
        for r in rows:
            question = visible(r.question) if r.question else "(question deleted)"
            click.echo(f"  👍 {r.up:>3}  👎 {r.down:>3}  {_when(r.last_vote)}  {question}")
        click.echo("Per cited paragraph (most 👎 first):")
        for pid, up, down in paragraphs:
            click.echo(f"  👍 {up:>3}  👎 {down:>3}  {visible(str(pid))}")
    if export is not None:
        negative = [{"q": r.question, "rel": [], "cited": list(r.paragraphs), "up": r.up, "down": r.down}
                    for r in rows if r.down > r.up and r.question]  # a deleted question has no text left
        _write(export, negative)
        click.echo(f"Wrote {len(negative)} question{'s' if len(negative) != 1 else ''} voted down to {export}.")


def _check_writable(path: Path) -> None:
    """A usage error, before anything is printed, when --export names a file in a folder that cannot take it."""
    folder = path.parent
    if not folder.is_dir():
        raise click.UsageError(f"--export: cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) and not (path.exists() and os.access(path, os.W_OK)):
        raise click.UsageError(f"--export: cannot write {path}: no permission to write in {folder}")


def _write(path: Path, lines: list[dict]) -> None:
    try:
        path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
