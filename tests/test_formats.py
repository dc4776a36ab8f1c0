"""Format readers on their own: plain-text structure and chrome, Markdown, encodings, long lines, file names."""

from __future__ import annotations

import codecs
import os

import pytest

from retrieval import Engine
from retrieval.corpus import read_corpus, scan_folder
from retrieval.formats import Skip, markdown, text
from retrieval.formats.encoding import decode
from retrieval.formats.model import split_long
from retrieval.settings import CorpusSettings

SETTINGS = CorpusSettings()


def blocks(reader, source: str):
    doc = reader.read(source.encode("utf-8"), SETTINGS)
    return doc, [(b.kind, b.section, b.text) for b in doc.blocks]


def test_hard_wrapped_prose_is_joined_even_when_lines_end_sentences():
    memo = ("The committee met on Tuesday. It agreed to publish the\n"
            "report before the end of the month. Members asked for a\n"
            "summary. The chair will circulate a draft on Friday.\n")
    _, got = blocks(text, "Weekly notes\n\n" + memo)
    assert got == [("prose", (), " ".join(memo.split()))]


def test_one_paragraph_per_line_stays_per_line():
    lines = [f"Paragraph {i} is a long line that was written as one paragraph, as news sites save them, "
             f"and it goes on well past any hard-wrap width of seventy-two columns." for i in range(3)]
    _, got = blocks(text, "\n".join(lines))
    assert [t for _, _, t in got] == lines


def test_text_headings_become_sections_and_short_lines_are_not_deleted():
    doc, got = blocks(text, "Service notes\n\nDEPLOYMENT\n\nThe deploy runs nightly from the main branch.\n\n"
                            "Rollback steps\n\n- Drain node pool\n- Restore the previous tag\n\n"
                            "3.2 Monitoring\n\nDashboards live in the ops folder.\n\nContacts\n=======\n\n"
                            "Ask the platform team.\n\nSee you\n")
    assert doc.title == "Service notes"
    assert got == [
        ("prose", ("DEPLOYMENT",), "The deploy runs nightly from the main branch."),
        ("list", ("DEPLOYMENT", "Rollback steps"), "- Drain node pool\n- Restore the previous tag"),
        ("prose", ("DEPLOYMENT", "3.2 Monitoring"), "Dashboards live in the ops folder."),
        ("prose", ("Contacts",), "Ask the platform team."),
        ("prose", ("Contacts",), "See you"),  # a short last line is kept, never deleted
    ]


def test_chrome_phrases_only_remove_lines_that_are_only_chrome():
    doc, got = blocks(text, "Field notes on reader habits\n\nShare on Facebook\n\n"
                            "Readers who subscribe to the idea that all rights reserved notices deter copying are "
                            "wrong, the study found.\n\nShare this article\n\n"
                            "Most people share this kind of link with friends.\n\n"
                            "A closing paragraph that mentions a newsletter and a cookie policy in passing is prose "
                            "because it is long, written in full sentences and well past the limit for a short line.\n")
    assert [t for _, _, t in got] == [
        "Readers who subscribe to the idea that all rights reserved notices deter copying are wrong, the study found.",
        "Most people share this kind of link with friends.",
        "A closing paragraph that mentions a newsletter and a cookie policy in passing is prose because it is long, "
        "written in full sentences and well past the limit for a short line.",
    ]
    assert doc.dropped == 2  # "Share on Facebook" above the text, the "Share this article" label in it


# One chrome line per default pattern, in mixed case: each must still be found with the literal pre-filter.
CHROME_LINES = ["Press CTRL + Enter", "Found a Spelling Mistake?", "It will be sent to our Editors",
                "2024 Example Ltd. ALL RIGHTS RESERVED", "Subscribe for updates", "Sign Up For alerts",
                "Our NewsLetter", "Cookies: see our Privacy POLICY", "Follow Us", "Click Here",
                "Share This", "Read More:", "ADVERTISEMENT", "Photo: Jane Doe"]


def test_every_default_chrome_pattern_is_still_found():
    import re

    from retrieval.settings import DEFAULT_BOILERPLATE_PATTERNS

    chrome = text.ChromeRules(SETTINGS)
    for pattern, line in zip(DEFAULT_BOILERPLATE_PATTERNS, CHROME_LINES, strict=True):
        assert re.search(pattern, line, re.I), (pattern, line)
        assert chrome.has_phrase(line), line
    assert not chrome.has_phrase("Readers share notes")

def test_markdown_structure():
    doc, got = blocks(markdown, "<!-- YAML added: v1.2 -->\n\nGuide title\n===========\n\n"
                                "Intro with **bold**, `code` and a [link](http://x.org) ![alt text](i.png).\n\n"
                                "Setup\n-----\n\n* one\n* two\n  continued\n\nSample:\n\n    indented = True\n\n"
                                "| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted words\n")
    assert doc.title == "Guide title" and doc.dropped == 1
    assert got == [
        ("prose", (), "Intro with bold, code and a link alt text."),
        ("list", ("Setup",), "- one\n- two continued"),
        ("prose", ("Setup",), "Sample:"),
        ("code", ("Setup",), "indented = True"),
        ("table", ("Setup",), "a: 1; b: 2"),
        ("quote", ("Setup",), "quoted words"),
    ]


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                                        (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
                                        (codecs.BOM_UTF32_BE, "utf-32-be")])
def test_unicode_boms(bom, codec):
    assert decode(bom + "Crème brûlée, naïve café.".encode(codec)) == "Crème brûlée, naïve café."


@pytest.mark.parametrize("words", ["naïve café", "Café crème", "Zürich façade déjà vu", "señor año"])
def test_short_legacy_latin_text_is_cp1252(words):
    assert decode(words.encode("cp1252")) == words


def test_legacy_non_latin_text_is_detected():
    russian = "Резервные копии базы данных создаются каждую ночь и хранятся тридцать пять дней. " * 3
    assert decode(russian.encode("cp1251")) == russian


def test_binary_and_empty_files_are_skipped():
    with pytest.raises(Skip, match="binary"):
        decode(b"\x00\x01\x02binary")
    with pytest.raises(Skip, match="empty"):
        decode(b"  \n\t")


def test_enormous_line_is_split_at_sentences_or_words(tmp_path):
    sentence = "The archive grows by a few gigabytes every single day of the year. "
    (tmp_path / "one-line.txt").write_text(sentence * 20_000)  # 1.3 MB, one line
    (tmp_path / "one-word.txt").write_text("x" * 20_000 + " tail")
    docs = {d.source: d for d in read_corpus(tmp_path)}
    paragraphs = docs["one-line.txt"].paragraphs
    assert len(paragraphs) > 100 and all(len(p.text) <= SETTINGS.max_paragraph_chars for p in paragraphs)
    assert all(p.text.endswith("of the year.") for p in paragraphs)
    assert "".join(p.text + " " for p in paragraphs) == sentence * 20_000
    assert all(len(p.text) <= SETTINGS.max_paragraph_chars for p in docs["one-word.txt"].paragraphs)
    assert split_long("a b c", 2) == ["a", "b", "c"]


def test_non_utf8_file_names_index_and_show_escaped(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    with open(os.path.join(os.fsencode(corpus), b"caf\xe9-notes.txt"), "w") as fh:
        fh.write("The espresso machine is descaled every Friday.\n")
    (corpus / "tea.txt").write_text("The kettle on the third floor is new.\n")
    (corpus / "fridge.txt").write_text("The fridge is emptied on Thursdays.\n")
    engine = Engine.open(corpus, tmp_path / "idx")
    assert engine.ask("espresso machine descaled").citations[0].source == "caf\\xe9-notes.txt"


def test_files_over_the_size_limit_are_skipped_and_reported(tmp_path):
    (tmp_path / "big.txt").write_text("Large file. " * 200_000)
    (tmp_path / "small.txt").write_text("Small file.")
    scan = scan_folder(tmp_path, CorpusSettings(max_file_mb=1))
    assert [f.source for f in scan.files] == ["small.txt"]
    assert [(s.source, s.reason.split(":")[0]) for s in scan.skipped] == [("big.txt", "too large")]


def test_a_corpus_with_nothing_readable_says_what_was_left_out(tmp_path):
    (tmp_path / "minutes.odt").write_bytes(b"PK\x03\x04")
    (tmp_path / "blank.txt").write_text("   \n")
    from retrieval import CorpusError

    with pytest.raises(CorpusError, match=r"left out: 1 unsupported format"):
        Engine.open(tmp_path, tmp_path / "idx")
    (tmp_path / "minutes.odt").unlink()
    with pytest.raises(CorpusError, match=r"left out: 1 empty file"):
        Engine.open(tmp_path, tmp_path / "idx")


def test_codes_and_list_items_in_capitals_are_not_headings():
    doc, got = blocks(text, "Release notes\n=============\n\nThis release fixes the issues\n"
                            "CVE-2019-1348, CVE-2019-1349, CVE-2019-1350,\nand CVE-2019-1351 for everyone.\n\n"
                            " * CVE-2022-39253:\n   Symbolic links are no longer dereferenced.\n")
    assert doc.title == "Release notes"
    assert got == [
        ("prose", (), "This release fixes the issues CVE-2019-1348, CVE-2019-1349, CVE-2019-1350, "
                      "and CVE-2019-1351 for everyone."),
        ("list", (), "* CVE-2022-39253: Symbolic links are no longer dereferenced."),
    ]


def test_html_permalink_anchors_are_not_part_of_section_names():
    from retrieval.formats import html

    page = (b"<html><head><title>API docs</title></head><body><main><h1>API docs</h1>"
            b"<h2>Node-API<a href='#n'>#</a></h2><p>" + b"Node-API is an API for building native addons. " * 8
            + b"</p></main></body></html>")
    doc = html.read(page, SETTINGS)
    assert doc.blocks[0].section == ("Node-API",)


def test_html_fragment_without_main_content_is_still_read():
    from retrieval.formats import html

    doc = html.read(b"<p>Printers on floor two use the queue PRN-2.</p><ul><li>Toner is in the cupboard.</li></ul>"
                    b"<script>var x = 1;</script>", SETTINGS)
    assert [b.text for b in doc.blocks] == ["Printers on floor two use the queue PRN-2.", "Toner is in the cupboard."]
    with pytest.raises(Skip, match="no text"):
        html.read(b"<html><body><script>var x = 1;</script></body></html>", SETTINGS)


def test_short_html_page_keeps_its_paragraphs_and_headings():
    from retrieval.formats import html

    doc = html.read(b"<html><head><title>Office notes</title></head><body><h1>Office notes</h1>"
                    b"<p>Guest wifi is ACME-guest.</p><h2>Printers</h2><p>Queue PRN-2 prints in colour.</p>"
                    b"<ul><li>Toner is in the cupboard.</li></ul></body></html>", SETTINGS)
    assert doc.title == "Office notes"
    assert [(b.section, b.text) for b in doc.blocks] == [
        ((), "Guest wifi is ACME-guest."), (("Printers",), "Queue PRN-2 prints in colour."),
        (("Printers",), "Toner is in the cupboard.")]


def test_html_definition_list_keeps_its_terms_and_headings_when_definitions_hold_paragraphs():
    from retrieval.formats import html
    prose = "<p>" + "The base-passwd package holds the master copies of the account files on every system. " * 4 + "</p>"
    page = ("<html><head><title>Users and Groups</title></head><body><h1>Users and Groups</h1>" + prose +
            "<h2>Static ids</h2><dl><dt>mail</dt><dd><p>Mailboxes in /var/mail are owned and writable by this "
            "group, as policy explains.</p></dd><dt>news</dt><dd><p>Various news servers run as this user.</p>"
            "<p>They need their spool files.</p></dd><dt>ftp</dt><dd><p>Der Überblick für Benutzer.</p></dd></dl>"
            + prose + "</body></html>").encode()  # UTF-8 with no declared charset
    blocks = html.read(page, CorpusSettings()).blocks
    mail = next(b for b in blocks if "Mailboxes in /var/mail" in b.text)
    assert "mail: Mailboxes in /var/mail" in mail.text and mail.section == ("Static ids",)
    assert any("news: Various news servers run as this user. They need their spool files." in b.text for b in blocks)
    assert any("ftp: Der Überblick für Benutzer." in b.text for b in blocks)
