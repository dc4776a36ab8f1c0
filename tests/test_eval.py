"""The golden set holds its scores (a drop in retrieval quality fails here)."""

from __future__ import annotations

from retrieval.evaluate import evaluate, read_golden

from .support import REPO_ROOT

GOLDEN = REPO_ROOT / "tests" / "data" / "golden.jsonl"


def test_golden_set_is_substantial():
    questions = read_golden(GOLDEN)
    assert len(questions) >= 50
    assert sum(1 for q in questions if not q.rel) >= 15


def test_golden_scores_hold(seeds_engine):
    report = evaluate(seeds_engine, read_golden(GOLDEN), k=3)
    # 51 questions (typos, numbers, no-answer and too-vague ones included): recall@3 1.0, MRR@3 0.968.
    assert report.recall_at_k >= 0.97, report.failures
    assert report.mrr_at_k >= 0.95, report.failures
    assert report.no_answer_accuracy == 1.0, report.failures


def test_eval_counts_a_miss(seeds_engine, tmp_path):
    golden = tmp_path / "g.jsonl"
    golden.write_text('{"q": "Tomahawk missiles", "rel": ["a sentence that is nowhere"]}\n'
                      '{"q": "Tomahawk missiles", "rel": []}\n', encoding="utf-8")
    report = evaluate(seeds_engine, read_golden(golden), k=3)
    assert report.recall_at_k == 0.0 and report.no_answer_accuracy == 0.0 and len(report.failures) == 2
