"""``citebot index`` (build or refresh the index) and ``citebot sources`` (list the documents)."""

from __future__ import annotations

import sys
import time
from collections import Counter

import click

from .options import common_options, open_engine
from .terminal import json_text, visible


def _reason_kind(reason: str) -> str:
    """The category of a skip reason ("unsupported format: .png" -> "unsupported format")."""
    return reason.split(":", 1)[0]


@click.command()
@click.option("--force", is_flag=True, help="Rebuild from scratch (every file parsed afresh), even if up to date.")
@click.option("--verify", is_flag=True,
              help="Check every byte and value of the index; rebuild it (exit 1) if damaged.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: counts, seconds, skipped files with reasons, formats.")
@common_options
@click.pass_context
def index(ctx: click.Context, force: bool, verify: bool, as_json: bool) -> int | None:
    """Build or refresh the index for the corpus.

    Files that are not indexed (unsupported format, too large, special file,
    link outside the corpus, unreadable, no text layer, ...) are reported.

    \b
    Examples:
      citebot index --corpus ./seeds --force
      citebot index --verify
      citebot index --json
    """
    started = time.perf_counter()
    engine, _ = open_engine(ctx, force=force, clean=force, progress=sys.stderr.isatty() and not as_json)
    if verify:
        problems = engine.verify()
        if problems:
            for problem in problems:
                click.echo(f"citebot: damaged: {visible(problem)}", err=True)
            engine.repair()
        if as_json:
            click.echo(json_text({"verified": not problems, "problems": list(problems), "rebuilt": bool(problems),
                                  "documents": engine.stats.documents, "paragraphs": engine.stats.paragraphs}))
        elif problems:
            click.echo(f"index was damaged and has been rebuilt: {engine.stats.documents} documents, "
                       f"{engine.stats.paragraphs} paragraphs")
        else:
            click.echo(f"index verified: {engine.stats.documents} documents, {engine.stats.paragraphs} paragraphs; "
                       "every checksum and value is sound")
        return 1 if problems else 0
    s = engine.stats
    seconds = time.perf_counter() - started
    if as_json:
        click.echo(json_text({
            "documents": s.documents, "paragraphs": s.paragraphs, "vocabulary": s.vocabulary,
            "seconds": round(seconds, 3), "rebuilt": s.rebuilt, "files": s.files, "reused": s.reused,
            "parsed": s.parsed, "removed": s.removed,
            "skipped": [{"source": f.source, "reason": f.reason} for f in s.skipped],
            "formats": dict(sorted(s.formats.items())), "dropped_chrome": s.dropped,
        }))
        return None
    action = "built" if s.rebuilt else "reused (up to date)"
    line = (f"index {action}: {s.documents} documents, {s.paragraphs} paragraphs, "
            f"{s.vocabulary} terms in {seconds:.2f} s")
    if s.rebuilt:
        line += f" ({s.parsed} files parsed, {s.reused} reused from cache, {s.removed} removed)"
    click.echo(line)
    if s.formats:
        click.echo("formats: " + ", ".join(f"{n} {visible(fmt)}" for fmt, n in sorted(s.formats.items())))
    if s.skipped:
        by_reason = Counter(_reason_kind(f.reason) for f in s.skipped)
        click.echo(f"skipped {len(s.skipped)} file{'s' if len(s.skipped) != 1 else ''}: "
                   + ", ".join(f"{n} {visible(reason)}" for reason, n in by_reason.most_common())
                   + " (--json lists them)")
    return None


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines instead of tab-separated text.")
@common_options
@click.pass_context
def sources(ctx: click.Context, as_json: bool) -> None:
    """List the documents: source, title, date, paragraphs, format (tab-separated).

    \b
    Example:
      citebot sources
    """
    engine, _ = open_engine(ctx)
    for d in engine.documents:
        if as_json:
            click.echo(json_text({"source": d.source, "title": d.title, "date": d.date,
                                  "paragraphs": d.paragraphs, "format": d.format}))
        else:
            click.echo("\t".join([_field(d.source), _field(d.title or "-"), _field(d.date or "-"),
                                   str(d.paragraphs), _field(d.format)]))


def _field(text: str) -> str:
    """A tab-separated column: control characters visible, and no tab or newline to break the row."""
    return visible(text).replace("\t", "\\t").replace("\n", "\\n")
