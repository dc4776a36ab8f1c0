"""``citebot eval``: retrieval quality on a golden set."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .options import common_options, open_engine


@click.command("eval")
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
    from retrieval import CitebotError
    from retrieval.evaluate import evaluate, read_golden

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
