"""Text analysis: acronyms, aliases, quotes, possessives, stemming, sentence splitting."""

from __future__ import annotations

from retrieval.analysis import Analyzer
from retrieval.settings import AnalyzerSettings

from .support import SEEDS

US = "=unit_state"


def test_us_acronym_survives_but_pronoun_us_is_a_stopword():
    analyzer = Analyzer()
    assert analyzer.terms("what did the US say about Tomahawk missiles?") == [US, "tomahawk", "missil"]
    assert analyzer.terms("tell us about it") == []


def test_acronym_kept_even_without_aliases():
    analyzer = Analyzer(AnalyzerSettings(aliases={}))
    assert analyzer.terms("What did the US propose") == ["us", "propos"]
    assert analyzer.terms("give it to us") == ["give"]


def test_aliases_map_every_spelling_to_one_term():
    analyzer = Analyzer()
    for text in ("US", "U.S.", "the United States", "Washington", "American", "Americans", "USA", "U.S.A."):
        assert analyzer.terms(text) == [US], text
    assert analyzer.terms("United Nations") == ["unit", "nation"]


def test_configured_aliases():
    analyzer = Analyzer(AnalyzerSettings(aliases={"United Kingdom": ("UK", "Britain", "London")}))
    assert analyzer.terms("UK") == analyzer.terms("Britain") == analyzer.terms("the United Kingdom")
    assert analyzer.terms("uk") != analyzer.terms("UK")  # acronym aliases are case-sensitive


def test_curly_quotes_and_possessives():
    analyzer = Analyzer()
    assert analyzer.terms("Russia’s proposals") == analyzer.terms("Russia's proposals") == ["russia", "propos"]
    assert analyzer.terms("“security guarantees”") == analyzer.terms('"security guarantees"')
    assert analyzer.terms("NATO’s open-door policy") == ["=nato", "open", "door", "polici"]


def test_stemming_and_accents():
    analyzer = Analyzer()
    assert analyzer.terms("missiles missile") == ["missil", "missil"]
    assert analyzer.terms("El País") == analyzer.terms("El Pais")


def test_spans_point_at_the_original_words():
    analyzer = Analyzer()
    text = "Washington’s view: the United States agrees."
    spans = [(t.term, text[t.start:t.end]) for t in analyzer.terms_with_spans(text)]
    assert spans == [(US, "Washington’s"), ("view", "view"), (US, "United States"), ("agre", "agrees")]


def test_garbage_input_gives_no_terms():
    analyzer = Analyzer()
    assert analyzer.terms("🙂🙂 ?!… ### ---") == []
    assert analyzer.terms("") == []


def test_sentence_splitting_respects_abbreviations():
    analyzer = Analyzer()
    text = ("The U.S. government met Mr. Lavrov on Dec. 17 in Geneva. Talks ended. "
            "“We are ready,” he said. Next step.")
    sentences = [text[a:b] for a, b in analyzer.sentences(text)]
    assert sentences == [
        "The U.S. government met Mr. Lavrov on Dec. 17 in Geneva.",
        "Talks ended.",
        "“We are ready,” he said.",
        "Next step.",
    ]


def test_fingerprint_changes_with_settings():
    assert Analyzer().fingerprint() == Analyzer().fingerprint()
    assert Analyzer().fingerprint() != Analyzer(AnalyzerSettings(extra_stopwords=("missile",))).fingerprint()


def test_fast_word_finder_splits_exactly_like_the_nltk_tokenizer():
    # terms() and terms_with_spans() skip nltk's per-call ReDoS timer; words and spans must not change.
    from nltk.tokenize import RegexpTokenizer

    from retrieval.analysis import _TOKEN_FLAGS, _TOKEN_PATTERN

    analyzer = Analyzer()
    tokenizer = RegexpTokenizer(_TOKEN_PATTERN, flags=_TOKEN_FLAGS)
    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.iterdir()) if path.is_file()]
    texts += ["U.S. and E.U. don't say 'no'", "naïve Zürich café 3.5 km_2 ½ ٣ 你好 rock'n'roll", "", "🚀🚀 --- ..."]
    for text in texts:
        assert analyzer._words(text) == tokenizer.tokenize(text)
        assert analyzer._word_spans(text) == list(tokenizer.span_tokenize(text))


def test_term_set_is_the_set_of_terms_with_aliases_and_phrases():
    analyzer = Analyzer(AnalyzerSettings(aliases={"United Kingdom": ("UK", "Britain")}))
    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.iterdir()) if path.is_file()]
    texts += ["The United Kingdom and the UK's envoy", "U.S. officials in Britain", ""]
    for text in texts:
        assert analyzer.term_set(text) == set(analyzer.terms(text))


def test_sentence_memo_returns_fresh_equal_lists():
    analyzer = Analyzer()
    text = "Mr. Smith arrived. He left on Jan. 5. Talks ended."
    first = analyzer.sentences(text)
    first.append((0, 0))  # a caller changing its list must not change the next answer
    assert analyzer.sentences(text) == first[:-1] and len(first[:-1]) == 3
