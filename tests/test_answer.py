"""Answers: the right paragraph cited, the right sentences, excerpts, highlights, duplicates, no-answer."""

from __future__ import annotations

import re

import pytest

from retrieval import AnswerSettings, Engine, Settings
from retrieval.answer import make_excerpt

from .support import EXAMPLE_QUESTION, LINES_SOURCE, TOMAHAWK_SOURCE, write_corpus


def test_example_question_cites_the_tomahawk_paragraph(seeds_engine):
    answer = seeds_engine.ask(EXAMPLE_QUESTION)
    assert answer.answered
    first = answer.citations[0]
    assert (first.source, first.paragraph) == (TOMAHAWK_SOURCE, 17)
    assert "Tomahawk cruise missiles" in first.text
    assert "transparency mechanism" in answer.text and "two bases in Russia" in answer.text
    assert answer.text.index("transparency mechanism") < answer.text.index("[1]")
    assert len(answer.citations) == 3


def test_answer_sentences_are_exact_words_with_markers(seeds_engine):
    answer = seeds_engine.ask(EXAMPLE_QUESTION)
    by_n = {c.n: c for c in answer.citations}
    pieces = answer.text.split("] ")
    assert 1 <= len(pieces) <= 3
    for piece in pieces:
        sentence, marker = piece.rstrip("]").rsplit(" [", 1)
        assert sentence in by_n[int(marker)].text


def test_highlights_mark_question_words_in_the_excerpt(seeds_engine):
    first = seeds_engine.ask(EXAMPLE_QUESTION).citations[0]
    marked = [first.excerpt[a:b] for a, b in first.highlights]
    assert "Tomahawk" in marked and "missiles" in marked and "Washington" in marked
    assert all(0 <= a < b <= len(first.excerpt) for a, b in first.highlights)


def test_excerpt_is_about_300_chars_cut_at_words():
    words = " ".join(f"word{i}" for i in range(200))
    text = words + " The answer sentence sits right here. " + words
    focus_start = text.index("The answer")
    excerpt = make_excerpt(text, (focus_start, focus_start + 36), 300)
    assert excerpt.startswith("…") and excerpt.endswith("…")
    assert "The answer sentence sits right here." in excerpt
    assert len(excerpt) <= 302
    inner = excerpt.strip("…")
    assert all(token.startswith("word") or token in "The answer sentence sits right here." for token in inner.split())


def test_short_paragraph_is_its_own_excerpt():
    assert make_excerpt("Short.", (0, 6), 300) == "Short."


def test_near_duplicates_from_both_documents_become_one_citation(seeds_engine):
    answer = seeds_engine.ask("Russia's efforts to diversify its nuclear arsenal near NATO borders")
    first = answer.citations[0]
    refs = {(r.source, r.paragraph) for r in first.also_in}
    assert {first.source, *(s for s, _ in refs)} == {TOMAHAWK_SOURCE, LINES_SOURCE}
    cited = [(c.source, c.paragraph) for c in answer.citations] + sorted(refs)
    assert len(cited) == len(set(cited))  # the same fact is not cited twice
    assert answer.text.count("diversify") == 1


@pytest.mark.parametrize(("question", "reason"), [
    ("What did China say about Taiwan?", "no_match"),
    ("What is the recipe for chocolate cake?", "no_match"),
    ("rsync --delete", "no_match"),
    ("🙂🙂🙂", "too_vague"),
    ("the of and", "too_vague"),
    ("?!?!", "too_vague"),
    ("what is the default?", "too_vague"),
    ("Thanks!", "too_vague"),
    ("can you help me with something?", "too_vague"),
])
def test_no_answer_when_the_corpus_has_nothing(seeds_engine, question, reason):
    answer = seeds_engine.ask(question)
    assert not answer.answered and answer.text is None and answer.citations == ()
    assert answer.to_json() == {"question": question, "answered": False, "answer": None, "citations": [],
                                "reason": reason, "corrections": []}


def test_gate_threshold_is_a_setting(tmp_path, seeds_dir):
    strict = Engine.open(seeds_dir, tmp_path / "idx", Settings(answer=AnswerSettings(min_matched_share=1.0)))
    assert strict.ask(EXAMPLE_QUESTION).answered  # every term is in the Tomahawk paragraph
    assert not strict.ask("Tomahawk missiles in Japan").answered  # "Japan" is not
    lax = Engine.open(seeds_dir, tmp_path / "idx", Settings(answer=AnswerSettings(
        min_matched_share=0.0, min_distinctive_share=0.0, refuse_unknown_names=False)))
    assert lax.ask("What did China propose about Taiwan?").answered  # "propose" alone is enough when lax


def test_ranking_on_a_tiny_corpus_with_common_terms(tmp_path):
    # Okapi gives "report" (in every paragraph) almost no weight; the rare words decide.
    write_corpus(tmp_path / "c", {
        "a.txt": "The report covers fishing quotas.\n\nThe report covers harbour fees.",
        "b.txt": "The report covers lighthouse keepers.\n\nThe report covers ferry timetables.",
    })
    engine = Engine.open(tmp_path / "c", tmp_path / "idx")
    answer = engine.ask("report on ferry timetables")
    assert answer.answered and answer.citations[0].text == "The report covers ferry timetables."
    assert not engine.ask("report about volcanoes and earthquakes").answered


def test_top_k_and_more(seeds_engine):
    answer = seeds_engine.ask("NATO security Russia", top_k=2, more=4)
    assert len(answer.citations) == 2 and len(answer.more) == 4
    assert [c.n for c in answer.citations + answer.more] == [1, 2, 3, 4, 5, 6]


def test_huge_and_odd_questions_complete(seeds_engine):
    assert seeds_engine.ask("Tomahawk " * 3000).answered
    assert not seeds_engine.ask("x" * 20000).answered
    assert seeds_engine.ask("\x00\ufffd Tomahawk \u202e missiles").answered


def test_a_sentence_that_refers_back_brings_its_antecedent(tmp_path):
    write_corpus(tmp_path / "c", {"bridge.md": (
        "The harbour authority presented the Northern Link bridge on Monday after years of planning. "
        "It is planned that it could open within five years, at a cost of two billion euros.\n")})
    answer = Engine.open(tmp_path / "c", tmp_path / "idx").ask("When could the bridge open and what will it cost?")
    assert answer.answered
    assert answer.text.startswith("The harbour authority presented the Northern Link bridge")
    assert "It is planned that it could open within five years" in answer.text


def test_answer_is_short_and_led_by_the_top_citation(tmp_path):
    files = {f"lake{i}.md": " ".join(f"Lake number {i} has clear water and trout fishing in sentence {j}."
                                     for j in range(8)) + "\n" for i in range(5)}
    files["top.md"] = "Trout fishing on clear lakes needs a permit. Lake trout fishing permits cost ten euros.\n"
    answer = Engine.open(write_corpus(tmp_path / "c", files), tmp_path / "idx").ask(
        "trout fishing permits on clear lakes", top_k=5)
    assert answer.answered and answer.citations[0].source == "top.md"
    assert answer.text.split(" [")[0] in answer.citations[0].text  # the lead quotes the top citation
    assert len(answer.text) <= 700
    markers = re.findall(r"\[(\d+)\]", answer.text)
    assert len(markers) <= 3 and len(set(markers)) <= 2


def test_near_duplicates_within_one_document_are_cited_once(tmp_path):
    para = "The backup job copies the database to the archive server every night at two o'clock."
    write_corpus(tmp_path / "c", {"ops.md": f"{para}\n\nThe weather was fine.\n\n{para}\n\n{para} Really.\n",
                                  "other.md": "Printers are on the second floor next to the kitchen.\n"})
    answer = Engine.open(tmp_path / "c", tmp_path / "idx").ask("when does the backup job copy the database?")
    assert answer.answered and len(answer.citations) == 1
    first = answer.citations[0]
    assert {first.paragraph, *(r.paragraph for r in first.also_in)} == {1, 3, 4}
    assert {r.source for r in first.also_in} == {"ops.md"}
    assert answer.text.count("backup job") == 1


def test_a_corpus_of_one_short_file_answers(tmp_path):
    write_corpus(tmp_path / "c", {"note.txt": "The office wifi password is changed every Monday by the IT team.\n"})
    answer = Engine.open(tmp_path / "c", tmp_path / "idx").ask("when is the wifi password changed?")
    assert answer.answered and "every Monday" in answer.text
    assert not Engine.open(tmp_path / "c", tmp_path / "idx").ask("Who won the Tour de France?").answered


def test_the_lead_is_the_sentence_that_answers_not_the_one_naming_the_topic(tmp_path):
    write_corpus(tmp_path / "c", {
        "kyoto.md": "# Kyoto\n\nKyoto was the imperial capital of Japan for more than a thousand years, until 1869. "
                    "The city has about 1,600 Buddhist temples and 400 Shinto shrines.\n",
        "venice.md": "# Venice\n\nVenice is built on 118 small islands in a lagoon of the Adriatic Sea.\n",
    })
    engine = Engine.open(tmp_path / "c", tmp_path / "idx")
    answer = engine.ask("How many Buddhist temples does Kyoto have?")
    assert answer.text.startswith("The city has about 1,600 Buddhist temples")
    answer = engine.ask("Until when was Kyoto the imperial capital of Japan?")
    assert answer.text.startswith("Kyoto was the imperial capital of Japan") and "[2]" not in answer.text


def test_a_list_is_answered_item_by_item(tmp_path):
    corpus = write_corpus(tmp_path / "docs", {
        "runbook.md": "# Runbook\n\n## Rollback\n\n1. Drain the node pool\n2. Undo the last deployment with kubectl\n"
                      "3. Check the health endpoint\n\n## Scaling\n\nAdd nodes to the pool when CPU stays high.\n",
    })
    engine = Engine.open(corpus, tmp_path / "index")
    answer = engine.ask("how do I undo the deployment?")
    assert answer.answered and answer.text.startswith("2. Undo the last deployment with kubectl [1]")
    # Only the section heading matches: the answer quotes the steps, not a lone "1."
    steps = engine.ask("rollback")
    assert steps.answered and "Drain the node pool" in steps.text and "Check the health endpoint" in steps.text


def test_a_paragraph_matched_only_through_its_heading_does_not_lead_over_a_sibling_that_answers(tmp_path):
    # A short lead-in line under the heading outranks the instructions (length normalisation),
    # but its own words say nothing: the answer must come from the sibling that does.
    corpus = write_corpus(tmp_path / "docs", {
        "runbook.md": "# Runbook\n\n## Rolling back\n\n"
                      "If error rates exceed two percent, roll back with deployctl rollback and open a ticket.\n\n"
                      "Quarterly load tests:\n\n- Simulate peak traffic.\n\n"
                      "## Scaling\n\nAdd nodes to the pool when CPU stays high for ten minutes.\n",
    })
    engine = Engine.open(corpus, tmp_path / "index")
    answer = engine.ask("How do I roll back?")
    assert answer.answered
    assert answer.text.startswith("If error rates exceed two percent, roll back with deployctl rollback"), answer.text
    cited = {c.n: c.text for c in answer.citations}
    marker = int(re.search(r"\[(\d+)\]", answer.text).group(1))
    assert cited[marker].startswith("If error rates exceed")


def test_the_answer_never_states_the_same_sentence_twice(tmp_path):
    # Repeated boilerplate (a sentence pasted twice, a PDF's repeated line) is quoted once.
    corpus = write_corpus(tmp_path / "docs", {
        "handbook.md": "# Handbook\n\n## Working hours\n\n"
                       "Core working hours are from ten to four. Outside core hours, plan freely around meetings. "
                       "Core working hours are from ten to four. Outside core hours, plan freely around meetings.\n\n"
                       "## Travel\n\nBook trains through the travel portal.\n",
    })
    answer = Engine.open(corpus, tmp_path / "index").ask("What are core working hours?")
    assert answer.answered
    sentences = [s.rsplit(" [", 1)[0] for s in answer.text.split("] ")]
    assert len(sentences) == len(set(sentences)), answer.text


def test_the_best_sentence_opens_the_answer_even_when_an_earlier_one_is_quoted_too(tmp_path):
    write_corpus(tmp_path / "c", {"mendel.md": (
        "# Mendel\n\nGregor Mendel was a friar who grew thousands of pea plants in the garden of his monastery. "
        "By counting the colours and shapes of peas across generations he found the basic rules of heredity.\n")})
    answer = Engine.open(tmp_path / "c", tmp_path / "idx").ask("What did Mendel find by counting peas?")
    assert answer.text.startswith("By counting the colours and shapes of peas")  # reading order would open with the friar


def test_a_pronoun_early_in_the_sentence_also_brings_its_antecedent(tmp_path):
    write_corpus(tmp_path / "c", {"lovelace.md": (
        "# Ada Lovelace\n\nAda Lovelace was an English mathematician. She wrote notes on the Analytical Engine "
        "that included an algorithm for computing Bernoulli numbers. Many consider it the first published "
        "computer program.\n")})
    answer = Engine.open(tmp_path / "c", tmp_path / "idx").ask("What is considered the first published computer program?")
    assert answer.text.startswith("She wrote notes on the Analytical Engine that included an algorithm")
    assert "Many consider it the first published computer program" in answer.text
