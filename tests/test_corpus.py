"""Ingestion: documents, paragraphs, page chrome, titles and dates."""

from __future__ import annotations

import logging

import pytest

from retrieval import CorpusError, CorpusSettings
from retrieval.corpus import parse_date, read_corpus

from .support import LINES_SOURCE, SEEDS, TOMAHAWK_SOURCE, write_corpus

CHROME = ("fbpx", "Photo Reuters", "Spelling error report", "If you have found a spelling error",
          "The following text will be sent to our editors:")


@pytest.fixture(scope="module")
def seeds():
    return {d.source: d for d in read_corpus(SEEDS)}


def test_seed_documents_paragraph_counts(seeds):
    assert list(seeds) == [TOMAHAWK_SOURCE, LINES_SOURCE]
    assert len(seeds[TOMAHAWK_SOURCE].paragraphs) == 18
    # One paragraph per line in the second seed: 15 lines, 15 paragraphs.
    assert len(seeds[LINES_SOURCE].paragraphs) == 15


def test_page_chrome_is_not_a_paragraph(seeds):
    texts = [p.text for d in seeds.values() for p in d.paragraphs]
    for chrome in CHROME:
        assert not any(chrome in text for text in texts), chrome


def test_headline_and_dateline_are_metadata(seeds):
    doc = seeds[TOMAHAWK_SOURCE]
    assert doc.title == 'Media revealed US and NATO responses to Russia\'s so-called "security guarantees"'
    assert doc.date == "2022-02-02T13:29"
    assert doc.paragraphs[0].text.startswith("The Spanish newspaper El Pais said")
    assert all(doc.title != p.text and "13:29" not in p.text for p in doc.paragraphs)


def test_title_falls_back_to_first_sentence(seeds):
    doc = seeds[LINES_SOURCE]
    assert doc.title.startswith("Leaked documents allegedly representing NATO")
    assert len(doc.title) <= 101 and doc.title.endswith("…")
    assert doc.date is None


def test_display_text_keeps_curly_quotes_and_normalises_whitespace(seeds):
    text = seeds[LINES_SOURCE].paragraphs[2].text
    assert "“where they are deployed without host-nation consent”" in text
    assert "  " not in text and "\n" not in text


def test_paragraph_identity_is_stable(seeds):
    again = {d.source: d for d in read_corpus(SEEDS)}
    assert again == seeds
    tomahawk = [p for p in seeds[TOMAHAWK_SOURCE].paragraphs if "Tomahawk" in p.text]
    assert [(p.source, p.number) for p in tomahawk] == [(TOMAHAWK_SOURCE, 17)]


def test_general_chrome_rules_on_another_site(tmp_path):
    article = (
        "Share on Facebook\n\nSubscribe to our newsletter for daily updates\n\n"
        "Ministers met in Brussels on Monday to discuss the budget.\n\n"
        "The talks will resume next week, officials said.\n\n"
        "© 2024 Example News. All rights reserved.\n"
    )
    other = "Menu\n\nSubscribe to our newsletter for daily updates\n\nA different story about trade tariffs.\n"
    write_corpus(tmp_path, {"a.txt": article, "b.txt": other})  # chrome rules are for text saved from web pages
    docs = read_corpus(tmp_path)
    texts = [p.text for d in docs for p in d.paragraphs]
    assert texts == [
        "Ministers met in Brussels on Monday to discuss the budget.",
        "The talks will resume next week, officials said.",
        "A different story about trade tariffs.",
    ]


def test_configurable_boilerplate_pattern(tmp_path):
    write_corpus(tmp_path, {"a.txt": "Real news about harbours.\n\nBrought to you by ACME Corp today.\n"})
    assert len(read_corpus(tmp_path)[0].paragraphs) == 2
    settings = CorpusSettings(boilerplate_patterns=(r"^brought to you by",))
    assert [p.text for p in read_corpus(tmp_path, settings)[0].paragraphs] == ["Real news about harbours."]


def test_front_matter_overrides_heuristics(tmp_path):
    text = "---\ntitle: Harbour report\ndate: 2024-03-05\nurl: https://example.org/h\n---\nShips came in.\n\nThen left.\n"
    write_corpus(tmp_path, {"h.md": text})
    doc = read_corpus(tmp_path)[0]
    assert (doc.title, doc.date, doc.url) == ("Harbour report", "2024-03-05", "https://example.org/h")
    assert [p.text for p in doc.paragraphs] == ["Ships came in.", "Then left."]


def test_hard_wrapped_block_is_one_paragraph(tmp_path):
    text = "The committee met on Tuesday and\nagreed to publish the report\nbefore the end of the month.\n"
    write_corpus(tmp_path, {"w.txt": text})
    assert len(read_corpus(tmp_path)[0].paragraphs) == 1


def test_recursive_sorted_and_only_text_files(tmp_path):
    write_corpus(tmp_path, {"b/z.md": "Zebra text here.", "a.txt": "Apple text here.", "c.pdf": "nope",
                            ".hidden/x.txt": "Hidden text here."})
    assert [d.source for d in read_corpus(tmp_path)] == ["a.txt", "b/z.md"]


def test_bad_files_are_skipped_with_warnings_and_legacy_text_decoded(tmp_path, caplog):
    write_corpus(tmp_path, {"bin.txt": b"\x00\x01binary", "empty.txt": "  \n", "latin.txt": b"Caf\xe9 culture is strong.",
                            "ok.txt": "Fine text."})
    with caplog.at_level(logging.WARNING):
        docs = read_corpus(tmp_path)
    assert [d.source for d in docs] == ["latin.txt", "ok.txt"]
    assert docs[0].paragraphs[0].text == "Café culture is strong."
    messages = caplog.text
    assert "bin.txt: binary file" in messages and "empty.txt: empty file" in messages


def test_missing_or_empty_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="not found: .*nowhere"):
        read_corpus(tmp_path / "nowhere")
    with pytest.raises(CorpusError, match="no documents"):
        read_corpus(tmp_path)


@pytest.mark.parametrize("line,iso", [
    ("13:29 02 Feb 2022", "2022-02-02T13:29"),
    ("2 February 2022", "2022-02-02"),
    ("Feb. 2, 2022", "2022-02-02"),
    ("Published: 2022-02-02 09:05", "2022-02-02T09:05"),
    ("The meeting was on 2 Feb 2022.", None),
    ("31 Feb 2022", None),
])
def test_parse_date(line, iso):
    assert parse_date(line) == iso
