"""The stored paragraph terms are exactly the terms of each paragraph's text, and answers do not depend on them."""

from __future__ import annotations

import pytest

from retrieval import Engine, Settings
from retrieval.answer import _Paragraph
from retrieval.duplicates import stored_terms

from .support import write_corpus

# Headings, titles and file names are indexed with paragraphs but are not their text; "United States"
# is a multi-word alias that can join a heading (or a text's last word and its title) when indexed.
FILES = {
    "guides/install-united.md": "# Installing on servers in the United\n\n## States of readiness\n\n"
                                "States differ: the United States mirror is faster. Dr. Smith tested it.\n\n"
                                "Run the installer. Then reboot the U.S. mirror host.\n",
    "notes/mirror-report.md": "---\ntitle: Mirror report\n---\n\nThe mirror host was rebooted on 3 May. "
                              "It is faster now (1,000 requests a second, v2.4).\n\n"
                              "- first item about the mirror\n- second item: reboot it\n",
    "plain/faq.txt": "Frequently asked questions\n\nHow fast is the mirror? Faster than the old one. "
                     "The installer reboots the host.\n\nWho tested it? Dr. Smith tested the mirror in the United\n",
    "plain/copy.txt": "A copy\n\nThe mirror host was rebooted on 3 May. It is faster now (1,000 requests a "
                      "second, v2.4).\n",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    corpus = write_corpus(tmp_path_factory.mktemp("corpus"), FILES)
    return Engine.open(corpus, tmp_path_factory.mktemp("index"), Settings())


def test_stored_terms_are_the_terms_of_each_paragraph_text(engine):
    index, analyzer = engine.index, engine.analyzer
    stored = stored_terms(index)
    assert stored is not None
    exact = 0
    for pid in range(index.n_paragraphs):
        ids = stored.of(pid)
        if ids is None:
            continue  # not stored exactly: the answer analyses the text
        exact += 1
        assert {index.terms[i] for i in ids.tolist()} == analyzer.term_set(index.paragraph_text(pid))
    assert exact >= index.n_paragraphs - 1


QUESTIONS = ["How fast is the mirror?", "When was the mirror host rebooted?", "Who tested the United States mirror?",
             "What does the installer do?", "How many requests a second?", "reboot it"]


def test_answers_are_the_same_without_the_stored_terms_or_the_relevant_word_scan(engine):
    before = [engine.ask(q, top_k=3, more=2) for q in QUESTIONS]
    assert any(c.also_in for a in before for c in a.citations)  # the copy merges with its original
    plain = Engine.open(engine.corpus_dir, engine.index_dir, Settings())
    plain.index._paragraph_terms = None  # as an index built without them: candidates' texts are analysed
    plain.analyzer.relevance = lambda terms: None  # and every word of a cited paragraph, not only the question's
    after = [plain.ask(q, top_k=3, more=2) for q in QUESTIONS]
    for a, b in zip(before, after):
        assert (a.to_json() | {"elapsed_ms": 0}) == (b.to_json() | {"elapsed_ms": 0})
        assert a.more == b.more


@pytest.mark.parametrize("text", [
    "The United States mirror. Dr. Smith tested it (1,000 times) in the U.S. on 3 May.",
    "Installing on servers in the United\nStates of readiness: reboot.",
    "COVID-19 cases rose 2.5% — see v2.4. It's \u201cfast\u201d. Really?! Yes.",
    "- item one\n- item two about the United\n- States item",
])
def test_sentence_terms_from_one_pass_equal_analysing_each_sentence(engine, text):
    analyzer = engine.analyzer
    wanted = {"unit", "state", "mirror", "smith", "test", "1000", "=unit_state", "rise", "covid19", "19", "item"}
    for kind in ("prose", "list"):
        for relevant in (None, analyzer.relevance(wanted - {"=unit_state"})):
            paragraph = _Paragraph(analyzer, text, kind, relevant)
            known = (lambda terms: terms) if relevant is None else (lambda terms: terms & wanted - {"=unit_state"})
            for start, end, terms in paragraph.sentences:
                assert known(terms) == known(analyzer.term_set(text[start:end]))
            for start in range(0, len(text), 7):
                for end in range(start, len(text) + 1, 11):
                    assert known(paragraph.terms_between(start, end)) == known(analyzer.term_set(text[start:end]))


TEXTS = [
    "The United States mirror. Dr. Smith tested it (1,000 times) in the U.S. on 3 May; it's faster.",
    "Installing on servers in the United\nStates of readiness: reboot. IL-6 and COVID-19 rose 2.5% (v2.4).",
    "p16INK4a, 1,000abc and 2.38x: codes' parts; long-term testing of the mirrors` host, the U.S.A. and NATO.",
    "Caf\u00e9 owners in S\u00e3o Paulo tested \u201cmirrors\u201d \u2014 the host rebooted. Really?! Yes.",
    "Proceeding, dying, lying and abilities: generously, ugly, early; news of the Andes.",
]
WANTED = [["mirror", "test", "host"], ["state", "unit", "il6", "covid", "19"], ["ink", "code", "part", "1000", "usa"],
          ["cafe", "test", "host"], ["proceed", "die", "lie", "abil", "generous", "ugli", "news"], ["=unit_state", "us"]]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("wanted", WANTED)
def test_terms_of_relevant_words_only_are_the_wanted_terms_of_all_words(engine, text, wanted):
    analyzer = engine.analyzer
    relevant = analyzer.relevance(wanted)
    full = [(t, a, b) for t, a, b in analyzer.word_and_term_spans(text)[1] if t in wanted]
    if relevant is None:
        assert any(w.startswith("=") for w in wanted)
        return
    filtered = [(t, a, b) for t, a, b in analyzer.word_and_term_spans(text, relevant)[1] if t in wanted]
    assert filtered == full
    for exact_prefixes in (False, True):
        scanned = analyzer.relevant_term_spans(text, relevant, exact_prefixes)
        if scanned is not None:
            assert [(t, a, b) for t, a, b in scanned if t in wanted] == full


def test_a_snowball_stem_keeps_all_but_the_last_two_letters_of_its_word(engine):
    """What relevance() relies on, over words built from every suffix Snowball rewrites."""
    import random

    stem = engine.analyzer._stem
    suffixes = ("s es ies ied ed ing ingly edly eed eedly y ly ably ibly ability ization izer ational tional ation "
                "ator alism aliti alli fulness ousli ousness iveness iviti biliti bli ogi fulli lessli li enci anci "
                "abli entli alize icate iciti ical ful ness ative al ance ence er ic able ible ant ement ment ent "
                "ism ate iti ous ive ize ion e ll sses ss us ys yed ying yly iest ier ily").split()
    rng = random.Random(7)
    words = ["dying", "lying", "tying", "skies", "idly", "gently", "ugly", "early", "only", "singly", "news"]
    for _ in range(20000):
        root = "".join(rng.choice("bcdfghlmnprstvaeiouy") for _ in range(rng.randint(1, 6)))
        words.append(root + "".join(rng.choice(suffixes) for _ in range(rng.randint(0, 3))))
    for word in words:
        s = stem(word)
        assert word.startswith(s[:max(1, len(s) - 2)]), (word, s)
