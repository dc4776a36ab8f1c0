"""The golden set holds its scores (a drop in retrieval quality fails here)."""

from __future__ import annotations

import json

import pytest

from retrieval import Engine
from retrieval.evaluate import evaluate, lead_sentence, quoted_sentences, read_golden

from .support import REPO_ROOT

GOLDEN = REPO_ROOT / "tests" / "data" / "golden.jsonl"


def test_golden_set_is_substantial():
    questions = read_golden(GOLDEN)
    assert len(questions) >= 50
    assert sum(1 for q in questions if not q.rel) >= 15


def test_golden_scores_hold(seeds_engine):
    report = evaluate(seeds_engine, read_golden(GOLDEN), k=3)
    # 54 questions (typos, numbers, no-answer and too-vague ones included): recall@3 1.0, MRR@3 0.968.
    assert report.recall_at_k >= 0.97, report.failures
    assert report.mrr_at_k >= 0.95, report.failures
    assert report.no_answer_accuracy == 1.0, report.failures
    assert report.too_vague_accuracy == 1.0, report.failures  # "what's new?", "Thanks!", ... ask for more


def test_eval_counts_a_miss(seeds_engine, tmp_path):
    golden = tmp_path / "g.jsonl"
    golden.write_text('{"q": "Tomahawk missiles", "rel": ["a sentence that is nowhere"]}\n'
                      '{"q": "Tomahawk missiles", "rel": []}\n', encoding="utf-8")
    report = evaluate(seeds_engine, read_golden(golden), k=3)
    assert report.recall_at_k == 0.0 and report.no_answer_accuracy == 0.0 and len(report.failures) == 2


READING = {name: REPO_ROOT / "tests" / "data" / f"reading_{name}.jsonl" for name in ("seeds", "articles")}


@pytest.fixture(scope="module")
def articles_engine(tmp_path_factory):
    """Every article of tests/data/articles.jsonl, one Markdown file each."""
    folder = tmp_path_factory.mktemp("articles")
    for line in (REPO_ROOT / "tests" / "data" / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            article = json.loads(line)
            (folder / f"{article['id']}.md").write_text(f"# {article['title']}\n\n{article['text']}\n",
                                                          encoding="utf-8")
    return Engine.open(folder, tmp_path_factory.mktemp("articles-index"))


def test_reading_comprehension_the_lead_holds_the_answer(seeds_engine, articles_engine):
    # Questions written for this check (not the ones the answer builder was tuned on), each with its answer.
    # Measured: seeds 22 questions, articles 57: answer in the lead 0.955 / 0.982, in the answer text 1.0 / 1.0.
    for name, engine in (("seeds", seeds_engine), ("articles", articles_engine)):
        questions = read_golden(READING[name])
        report = evaluate(engine, questions, k=3)
        print(f"\nreading ({name}): {report.reading}")
        assert report.recall_at_k == 1.0, report.failures
        assert report.reading["questions"] == len(questions)
        assert report.reading["answer_in_lead"] >= 0.95, report.failures
        assert report.reading["answer_in_text"] == 1.0, report.failures


def test_reading_scores_count_answers_in_the_lead_and_in_the_text(seeds_engine, tmp_path):
    golden = tmp_path / "r.jsonl"
    golden.write_text(
        '{"q": "what did the US say about Tomahawk missiles?", "rel": ["absence of Tomahawk"], '
        '"answer": ["transparency mechanism"]}\n'
        '{"q": "what did the US say about Tomahawk missiles?", "rel": ["absence of Tomahawk"], '
        '"answer": ["identical approach"]}\n'
        '{"q": "what did the US say about Tomahawk missiles?", "rel": ["absence of Tomahawk"], '
        '"answer": ["words nowhere in the answer"]}\n', encoding="utf-8")
    report = evaluate(seeds_engine, read_golden(golden), k=3)
    assert report.reading == {"questions": 3, "answer_in_first_sentence": pytest.approx(1 / 3, abs=1e-3),
                              # "In turn, Washington calls for an identical approach…" refers back to the first
                              "answer_in_lead": pytest.approx(2 / 3, abs=1e-3),
                              "answer_in_text": pytest.approx(2 / 3, abs=1e-3)}
    assert "reading" not in evaluate(seeds_engine, read_golden(GOLDEN), k=3).to_json()  # golden files without answers


def test_the_lead_is_the_first_quoted_sentence_with_the_one_that_refers_back_to_it():
    assert quoted_sentences("A b. [1] C d. [2]") == [("A b.", 1), ("C d.", 2)]
    assert lead_sentence("The Danube is long. [1] It rises in the Black Forest. [1] Other. [2]") == \
        "The Danube is long. It rises in the Black Forest."
    assert lead_sentence("The Danube is long. [1] It rises in the Black Forest. [2]") == "The Danube is long."
    assert lead_sentence(None) == "" and lead_sentence("no markers") == "no markers"


def test_source_lines_are_answerable_only_when_their_document_is_indexed(seeds_engine, tmp_path):
    held = seeds_engine.index.documents[0].source
    golden = tmp_path / "g.jsonl"
    golden.write_text(
        json.dumps({"q": "what did the US say about Tomahawk missiles?", "source": [held, "missing.md"]}) + "\n"
        + json.dumps({"q": "How do I bake sourdough bread?", "source": "missing.md"}) + "\n"
        + json.dumps({"q": "what is the default?", "rel": [], "vague": True}) + "\n", encoding="utf-8")
    report = evaluate(seeds_engine, read_golden(golden), k=3)
    assert (report.answerable, report.unanswerable) == (1, 2)
    assert report.refused == 0.0 and report.false_answers == 0.0 and report.too_vague_accuracy == 1.0
    assert report.to_json()["too_vague_accuracy"] == 1.0


@pytest.mark.parametrize("line", ['{"q": "x", "source": 3}', '{"q": "x", "source": [""]}',
                                  '{"q": "x", "rel": [], "vague": "yes"}', '{"q": "x", "source": "a.md", "vague": true}'])
def test_malformed_source_or_vague_is_a_clear_error(tmp_path, line):
    golden = tmp_path / "g.jsonl"
    golden.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(Exception, match="g.jsonl:1"):
        read_golden(golden)
