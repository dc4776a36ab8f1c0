"""Typo tolerance: unknown question words are corrected to corpus words, shown, and answered."""

from __future__ import annotations

import pytest

from retrieval import Engine
from retrieval.spelling import Speller, count_words

from .support import write_corpus

TEXT = (
    "To rebase a branch, run git rebase main. Releases are tagged weekly and definitely signed. "
    "The neural tube closes during neurulation. The Maastricht Treaty founded the European Union. "
    "DNA methyltransferase adds methyl groups. The User Datagram Protocol does not guarantee delivery. "
    "Define the rest of the settings before the release."
)


@pytest.mark.parametrize(("typed", "meant"), [
    ("rebsae", "rebase"), ("definately", "definitely"), ("relases", "releases"),
    ("neuralation", "neurulation"), ("Maastrich", "maastricht"), ("methyltrasnferase", "methyltransferase"),
    ("gaurentee", "guarantee"), ("UserDatagram", "User Datagram"),
])
def test_typos_are_corrected_to_corpus_words(typed, meant):
    assert Speller(count_words([TEXT])).correct(typed) == meant


@pytest.mark.parametrize("word", ["rebase", "Rebase", "reset", "xylophone", "rsync"])
def test_known_short_or_far_words_are_left_alone(word):
    assert Speller(count_words([TEXT])).correct(word) is None


def test_same_term_needs_no_correction():
    speller = Speller(count_words(["the releases are out"]))
    assert speller.correct("released", lambda a, b: a[:6] == b[:6]) is None  # same stem as "releases"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    folder = tmp_path_factory.mktemp("typo-corpus")
    write_corpus(folder, {
        "git.md": "# Git guide\n\nTo rebase a branch onto main, run git rebase main and resolve conflicts.\n\n"
                  "Releases are tagged every Friday after the tests pass.\n",
        "net.md": "# Networking\n\nThe User Datagram Protocol does not guarantee delivery or ordering.\n\n"
                  "TCP retransmits lost segments until they are acknowledged.\n",
        "deploy.md": "# Deploying\n\n## Rollback\n\n1. Drain the node pool\n2. Undo the last deployment\n",
    })
    return Engine.open(folder, tmp_path_factory.mktemp("typo-index"))


@pytest.mark.parametrize(("question", "fixed", "expect"), [
    ("how do I rebsae a branch?", {"from": "rebsae", "to": "rebase"}, "rebase"),
    ("when are relases tagged?", {"from": "relases", "to": "releases"}, "Friday"),
    ("WHat does UserDatagram Protocol gaurentee", {"from": "UserDatagram", "to": "User Datagram"}, "Datagram"),
    ("how do I rollbak?", {"from": "rollbak", "to": "rollback"}, "Drain"),  # a word only its section heading has
])
def test_typo_questions_are_answered_as_if_spelt_right(engine, question, fixed, expect):
    answer = engine.ask(question)
    assert answer.answered and expect in answer.text
    assert fixed in answer.to_json()["corrections"]


def test_a_question_without_typos_has_no_corrections(engine):
    answer = engine.ask("how do I rebase a branch?")
    assert answer.answered and answer.corrections == ()


def test_a_word_the_corpus_uses_in_another_form_is_not_swapped_for_another_word(tmp_path):
    folder = tmp_path / "docs"
    write_corpus(folder, {
        "style.md": "# Style\n\nIndent code blocks with four spaces; never indent with tabs.\n",
        "magic.md": "# Magic\n\nThe incantation must be spoken before the incantation circle is drawn.\n",
    })
    engine = Engine.open(folder, tmp_path / "index")
    answer = engine.ask("what indentation should code blocks use?")
    assert answer.corrections == ()  # "indentation" is searched as "indent", not corrected to "incantation"
    assert answer.answered and answer.citations[0].source == "style.md"
