"""``citebot index`` (build or refresh the index) and ``citebot sources`` (list the documents)."""

from __future__ import annotations

import json
import time

import click

from .options import common_options, open_engine


@click.command()
@click.option("--force", is_flag=True, help="Rebuild from scratch (every file parsed afresh), even if up to date.")
@click.option("--verify", is_flag=True,
              help="Check every byte and value of the index; rebuild it (exit 1) if damaged.")
@common_options
@click.pass_context
def index(ctx: click.Context, force: bool, verify: bool) -> int | None:
    """Build or refresh the index for the corpus.

    \b
    Examples:
      citebot index --corpus ./seeds --force
      citebot index --verify
    """
    started = time.perf_counter()
    engine, _ = open_engine(ctx, force=force, clean=force)
    if verify:
        problems = engine.verify()
        if problems:
            for problem in problems:
                click.echo(f"citebot: damaged: {problem}", err=True)
            engine.repair()
            click.echo(f"index was damaged and has been rebuilt: {engine.stats.documents} documents, "
                       f"{engine.stats.paragraphs} paragraphs")
            return 1
        click.echo(f"index verified: {engine.stats.documents} documents, {engine.stats.paragraphs} paragraphs; "
                   "every checksum and value is sound")
        return 0
    s = engine.stats
    action = "built" if s.rebuilt else "reused (up to date)"
    line = (f"index {action}: {s.documents} documents, {s.paragraphs} paragraphs, "
            f"{s.vocabulary} terms in {time.perf_counter() - started:.2f} s")
    if s.rebuilt:
        line += f" ({s.parsed} files parsed, {s.reused} reused from cache, {s.removed} removed)"
    click.echo(line)


@click.command()
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
