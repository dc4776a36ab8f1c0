"""Question-style answerability: questions about a set of articles, asked of a corpus holding half of them.

tests/data/articles.jsonl holds 24 short encyclopedia-style articles in four
families (rivers, scientists, cities, inventions) with questions about each.
The corpus holds every other article of each family, so a missing article's
neighbours share its vocabulary ("river", "capital", "discovered"). Questions
about held articles must be answered from them; questions about the others
must get no answer.
"""

from __future__ import annotations

import json

import pytest

from retrieval import Engine

from .support import REPO_ROOT, write_corpus

ARTICLES = [json.loads(line) for line in (REPO_ROOT / "tests" / "data" / "articles.jsonl")
            .read_text(encoding="utf-8").splitlines() if line.strip()]


def _held(position: int) -> bool:
    return position % 2 == 0


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("half-articles")
    write_corpus(folder, {f"{a['id']}.md": f"# {a['title']}\n\n{a['text']}\n"
                          for i, a in enumerate(ARTICLES) if _held(i)})
    engine = Engine.open(folder, tmp_path_factory.mktemp("half-index"))
    out = []
    for i, article in enumerate(ARTICLES):
        for question in article["questions"]:
            answer = engine.ask(question)
            right = answer.answered and answer.citations[0].source == f"{article['id']}.md"
            out.append((_held(i), answer.answered, right, question))
    answerable = [r for r in out if r[0]]
    unanswerable = [r for r in out if not r[0]]
    refused = sum(not r[1] for r in answerable) / len(answerable)
    false_answers = sum(r[1] for r in unanswerable) / len(unanswerable)
    right = sum(r[2] for r in answerable) / len(answerable)
    print(f"\nquestion-style check: {len(answerable)} answerable, {len(unanswerable)} unanswerable; "
          f"refused {refused:.1%}, false answers {false_answers:.1%}, top citation right {right:.1%}")
    return out, refused, false_answers, right


def test_questions_about_missing_articles_get_no_answer(results):
    out, refused, false_answers, right = results
    assert false_answers <= 0.10, [r[3] for r in out if not r[0] and r[1]]


def test_questions_about_held_articles_are_answered_from_them(results):
    out, refused, false_answers, right = results
    assert refused <= 0.04, [r[3] for r in out if r[0] and not r[1]]
    assert right >= 0.9, [r[3] for r in out if r[0] and not r[2]]
