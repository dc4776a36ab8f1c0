"""Follow-up questions: context weighting, small talk, and what the seeds answer with context."""

from __future__ import annotations

import json

import pytest

from bot.cli.chat import Conversation
from retrieval.conversation import (MAX_PREVIOUS, build_query, context_scale, distance_weight, is_elliptical,
                                    is_small_talk, recent, weigh_terms)

from .support import LINES_SOURCE, TOMAHAWK_SOURCE

US_TOMAHAWK = "what did the US say about Tomahawk missiles"
TRANSPARENCY_PARAGRAPH = (TOMAHAWK_SOURCE, 17)  # Tomahawk missiles at NATO bases
EL_PAIS_PARAGRAPHS = {(TOMAHAWK_SOURCE, 1), (LINES_SOURCE, 1)}  # "El Pais said…", "…a publication by El Pais"


def cited(answer) -> list[tuple[str, int]]:
    return [(c.source, c.paragraph) for c in answer.citations]


# --- weighting (pure) ---------------------------------------------------------------------------

def test_new_terms_weigh_one_and_earlier_ones_decay_with_distance():
    weights = weigh_terms(["nato"], [["oldest"], ["middle"], ["us", "tomahawk"]])
    assert weights == {"nato": 1.0, "us": 0.5, "tomahawk": 0.5, "middle": pytest.approx(0.3),
                       "oldest": pytest.approx(0.18)}
    assert distance_weight(1) > distance_weight(2) > distance_weight(3) > 0


def test_at_most_the_last_three_questions_count_and_a_term_keeps_its_largest_weight():
    weights = weigh_terms(["nato"], [["fourth"], ["missil"], ["x"], ["missil", "nato"]])
    assert "fourth" not in weights  # four questions back
    assert weights["nato"] == 1.0  # the question's own term is never lowered
    assert weights["missil"] == 0.5  # asked twice: the nearer (heavier) weight
    assert recent(["a", " ", "b", "c", "d"]) == ("b", "c", "d") and len(recent(list("abcdef"))) == MAX_PREVIOUS


def test_elliptical_questions_take_full_context_self_contained_ones_only_what_they_miss():
    assert is_elliptical("and NATO?", ["nato"])
    assert is_elliptical("what about Russia and the bases", ["russia", "base"])
    assert is_elliptical("who leaked them?", ["leak"])
    assert is_elliptical("when was it published?", ["publish"])
    assert not is_elliptical("who published the documents?", ["publish", "document"])
    assert context_scale("who published the documents?", ["publish", "document"], own_share=1.0) == 0.0
    assert context_scale("who published the documents?", ["publish", "document"], own_share=0.6) == \
        pytest.approx(0.16)  # (1 - 0.6) squared
    assert context_scale("and NATO?", ["nato"], own_share=1.0) == 1.0


def test_a_self_contained_follow_up_uses_no_context():
    query = build_query("who published the documents?", ["publish", "document"], ["and NATO?"], [["nato"]], 1.0)
    assert query.weights == {"publish": 1.0, "document": 1.0} and query.previous == ()


@pytest.mark.parametrize("text", ["thanks!", "Thank you so much", "ok", "OK thanks", "👍", "🙏🙏", "thx :)",
                                  "cool, thanks", "got it", ":thumbsup:", "<:pepe:123456789>", "ty citebot"])
def test_small_talk_is_recognised(text):
    assert is_small_talk(text)


@pytest.mark.parametrize("text", ["and NATO?", "thanks to whom did the documents leak?", "who published it",
                                  "ok so what did NATO say?", "", "   "])
def test_questions_are_not_small_talk(text):
    assert not is_small_talk(text)


# --- retrieval on the seeds -----------------------------------------------------------------------

def test_and_nato_after_the_tomahawk_question_cites_nato_and_tomahawk(seeds_engine):
    alone = seeds_engine.ask("and what did NATO say?")
    assert TRANSPARENCY_PARAGRAPH not in cited(alone)[:1]  # NATO alone: Putin on NATO, Stoltenberg…
    follow_up = seeds_engine.ask("and what did NATO say?", context=[US_TOMAHAWK])
    assert cited(follow_up)[0] == TRANSPARENCY_PARAGRAPH
    top = follow_up.citations[0].text
    assert "NATO" in top and "Tomahawk" in top
    assert follow_up.context.used == (US_TOMAHAWK,)
    assert dict(follow_up.context.terms)["=nato"] == 1.0
    assert dict(follow_up.context.terms)["tomahawk"] == 0.5


def test_who_leaked_them_after_a_question_about_the_documents_finds_el_pais(seeds_engine):
    answer = seeds_engine.ask("who leaked them?", context=["which documents did the newspaper publish?"])
    assert answer.answered and cited(answer)[0] in EL_PAIS_PARAGRAPHS
    assert "El Pais" in answer.text
    assert answer.context.used == ("which documents did the newspaper publish?",)


def test_a_self_contained_question_is_not_hurt_by_context(seeds_engine):
    for question in ("who published the documents?", "what did Putin say about Crimea?"):
        alone = seeds_engine.ask(question)
        with_context = seeds_engine.ask(question, context=[US_TOMAHAWK, "and NATO?"])
        assert cited(with_context) == cited(alone) and with_context.text == alone.text
        assert with_context.context.used == ()
        assert with_context.context.previous == (US_TOMAHAWK, "and NATO?")


def test_no_context_leaves_the_answer_and_its_json_unchanged(seeds_engine):
    plain = seeds_engine.ask(US_TOMAHAWK)
    assert seeds_engine.ask(US_TOMAHAWK, context=[]).to_json() == plain.to_json()
    assert plain.context is None and "context" not in plain.to_json()


def test_json_exposes_previous_questions_terms_and_weights(seeds_engine):
    data = seeds_engine.ask("and NATO?", context=[US_TOMAHAWK]).to_json()
    assert data["context"]["previous"] == [US_TOMAHAWK] and data["context"]["used"] == [US_TOMAHAWK]
    assert {"term": "tomahawk", "weight": 0.5} in data["context"]["terms"]
    assert data["context"]["terms"][0] == {"term": "=nato", "weight": 1.0}
    json.dumps(data)


# --- citebot chat / ask ----------------------------------------------------------------------------

def test_chat_conversation_follows_up_and_starts_over(seeds_engine):
    chat = Conversation()
    assert "No earlier questions" in chat.respond(seeds_engine, ":context", None, False)
    first = chat.respond(seeds_engine, US_TOMAHAWK, None, False)
    assert "following up on" not in first
    assert US_TOMAHAWK in chat.respond(seeds_engine, ":context", None, False)
    second = chat.respond(seeds_engine, "and NATO?", None, False)
    assert second.startswith(f'following up on: "{US_TOMAHAWK}"')
    assert "Tomahawk cruise missiles capable of reaching Russian territory at NATO bases" in second
    assert chat.respond(seeds_engine, "thanks!", None, False).startswith("You're welcome")
    assert chat.questions == [US_TOMAHAWK, "and NATO?"]  # small talk is not a question
    third = chat.respond(seeds_engine, "who published the documents?", None, False)
    assert "following up on" not in third and "El Pais" in third
    assert "New conversation" in chat.respond(seeds_engine, ":new", None, False)
    assert chat.questions == []
    assert "following up on" not in chat.respond(seeds_engine, "and NATO?", None, False)


# --- follow-ups go through the same answer/no-answer decision ---------------------------------------

@pytest.mark.parametrize("follow_up", ["and Kubernetes?", "what about Zelensky?", "and rsync --delete?"])
def test_a_follow_up_about_something_the_corpus_lacks_is_refused(seeds_engine, follow_up):
    answer = seeds_engine.ask(follow_up, context=[US_TOMAHAWK])
    # The context alone would find the Tomahawk paragraph; the new subject is not in the corpus.
    assert not answer.answered and answer.reason == "no_match" and answer.citations == ()
    assert answer.context.used == (US_TOMAHAWK,)


@pytest.mark.parametrize("follow_up", ["and then?", "what else?", "and what is the default?"])
def test_a_vague_follow_up_still_uses_the_context(seeds_engine, follow_up):
    assert seeds_engine.ask(follow_up).reason == "too_vague"  # alone: nothing to search for
    answer = seeds_engine.ask(follow_up, context=[US_TOMAHAWK])
    assert answer.answered and answer.reason is None
    assert cited(answer)[0] == cited(seeds_engine.ask(US_TOMAHAWK))[0]
    assert answer.context.used == (US_TOMAHAWK,)


def test_small_talk_in_a_conversation_is_too_vague_not_answered_from_the_context(seeds_engine):
    answer = seeds_engine.ask("thanks!", context=[US_TOMAHAWK])
    assert answer.reason == "too_vague" and answer.citations == () and answer.context.used == ()


def test_context_does_not_let_through_a_follow_up_whose_own_subject_is_missing(seeds_engine):
    question = "what did they say about the backups?"  # "they" leans on the context; backups are not in the corpus
    assert seeds_engine.ask(question).reason == "no_match"
    answer = seeds_engine.ask(question, context=[US_TOMAHAWK])
    assert answer.reason == "no_match" and answer.context.used == (US_TOMAHAWK,)


def test_a_typo_in_an_earlier_question_is_corrected_in_the_context(seeds_engine):
    answer = seeds_engine.ask("and NATO?", context=["what did the US say about Tomahawk missles"])
    terms = dict(answer.context.terms)
    assert terms["missil"] == 0.5 and "missl" not in terms
    assert cited(answer)[0] == TRANSPARENCY_PARAGRAPH
    assert answer.corrections == ()  # only the question's own corrections are reported

