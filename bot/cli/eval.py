"""``citebot eval``: retrieval quality on a golden set or a BEIR-format folder."""

from __future__ import annotations

from pathlib import Path

import click

from .options import TOP_K, common_options, load_config_from_ctx, open_engine
from .terminal import json_text, visible


@click.command("eval")
@click.argument("golden", metavar="GOLDEN|BEIR_DIR", type=click.Path(exists=True, path_type=Path))
@click.option("--top-k", "-k", type=TOP_K, default=None,
              help="Cutoff k (golden set; default 3) or citations asked for (BEIR; default 10).")
@click.option("--split", default=None, help="BEIR: the qrels split to score (default: the first in qrels/).")
@click.option("--answerability", is_flag=True,
              help="BEIR: also remove a fixed half of the queries' relevant documents and score refusals.")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="BEIR: folder for the written corpus and its indexes (default: ~/.cache/citebot/beir/...).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@common_options
@click.pass_context
def eval_command(ctx: click.Context, golden: Path, top_k: int | None, split: str | None, answerability: bool,
                 cache_dir: Path | None, as_json: bool) -> None:
    """Score retrieval on GOLDEN (JSON Lines of {"q": ..., "rel": [...]}) or a BEIR folder.

    A golden line may name its document instead ("source": "path" or a list):
    it is answerable only when the index holds it, so one file scores any half
    of a document set; "vague": true lines must get the too-vague reply.

    A BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) is written
    as files (title + text) into a cache folder, indexed, and scored with
    nDCG@10, Recall@100 and MRR@10.

    \b
    Examples:
      citebot eval tests/data/golden.jsonl --top-k 3
      citebot eval ../datasets/scifact --split train --answerability --json
    """
    if golden.is_dir():
        _eval_beir(ctx, golden, top_k, split, answerability, cache_dir, as_json)
        return
    from retrieval import CitebotError  # imported here so `citebot --help` stays light
    from retrieval.evaluate import evaluate, read_golden

    try:
        questions = read_golden(golden)
    except CitebotError as exc:
        raise click.UsageError(str(exc)) from None
    engine, config = open_engine(ctx)
    report = evaluate(engine, questions, top_k or config.settings.answer.top_k)
    if as_json:
        click.echo(json_text(report.to_json()))
        return
    k = report.k
    click.echo(f"questions: {report.questions} ({report.answerable} answerable, {report.unanswerable} unanswerable)")
    click.echo(f"recall@{k}: {_score(report.recall_at_k, 'answerable')}")
    click.echo(f"MRR@{k}: {_score(report.mrr_at_k, 'answerable')}")
    click.echo(f"no-answer accuracy: {_score(report.no_answer_accuracy, 'unanswerable')}")
    if report.answerable and report.unanswerable:
        click.echo(f"refused answerable: {report.refused:.1%}  answered unanswerable: {report.false_answers:.1%}")
    if report.too_vague_accuracy is not None:
        click.echo(f"vague questions told to be more specific: {report.too_vague_accuracy:.3f}")
    if report.reading is not None:
        reading = report.reading
        click.echo(f"answer in the lead sentence: {_score(reading['answer_in_lead'], 'cited')} "
                   f"(first sentence {_score(reading['answer_in_first_sentence'], 'cited')}, "
                   f"whole answer {_score(reading['answer_in_text'], 'cited')}; "
                   f"{reading['questions']} questions with the right paragraph cited)")
    for failure in report.failures:
        cited = f" (cited {failure['cited']})" if "cited" in failure else ""
        click.echo(visible(f"  miss: {failure['q']!r}: {failure['problem']}{cited}"))


def _score(value: float | None, kind: str) -> str:
    """A score, or why there is none (a vacuous 1.000 would claim a perfect result)."""
    return f"{value:.3f}" if value is not None else f"n/a (no {kind} questions)"


def _eval_beir(ctx: click.Context, folder: Path, top_k: int | None, split: str | None, answerability: bool,
               cache_dir: Path | None, as_json: bool) -> None:
    from retrieval import CitebotError
    from retrieval.beir import default_cache, evaluate_beir, is_beir_folder, load_dataset

    if not is_beir_folder(folder):
        raise click.UsageError(f"{folder} is a folder but not a BEIR dataset (no corpus.jsonl)")
    config = load_config_from_ctx(ctx)
    try:
        dataset = load_dataset(folder, split)
        report = evaluate_beir(dataset, cache_dir or default_cache(folder), config.settings, top_k=top_k or 10,
                               answerability=answerability, progress=not as_json)
    except CitebotError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        click.echo(json_text(report.to_json()))
    else:
        click.echo(_beir_text(report))


def _beir_text(report) -> str:
    lines = [
        f"split: {report.split}  queries: {report.queries}  documents: {report.documents}",
        f"nDCG@10: {report.ndcg_at_10:.4f}",
        f"Recall@100: {report.recall_at_100:.4f}",
        f"MRR@10: {report.mrr_at_10:.4f}",
        f"refused (ask --top-k {report.top_k}): {report.refused} of {report.queries}"
        f" ({report.refused / report.queries:.1%})",
    ]
    a = report.answerability
    if a is not None:
        lines += [
            f"answerability (top-k {a.top_k}; {a.removed_documents} relevant documents removed):",
            f"  refused answerable: {a.refusal_rate:.1%} of {a.answerable}",
            f"  answered unanswerable: {a.false_answer_rate:.1%} of {a.unanswerable}",
        ]
    return "\n".join(lines)
