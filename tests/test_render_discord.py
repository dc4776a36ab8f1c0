"""The Discord renderer: escaping, highlights, truncation and every embed limit."""

from __future__ import annotations

import re

import discord
import pytest

from bot.discord import render
from retrieval.models import Answer, Citation, ParagraphRef

HOSTILE = "@everyone @here <@123> <@!123> <@&456> <#789> [click](https://evil.example) and [x](<https://e.vil>)"


def unescaped(text: str) -> str:
    """``text`` with every backslash-escaped character removed (what markdown acts on)."""
    return re.sub(r"\\.", "", text, flags=re.DOTALL)


def assert_safe(text: str) -> None:
    """No mention can ping or render, no masked link, no dangling bold."""
    live = unescaped(text)
    assert "@everyone" not in live and "@here" not in live
    assert "<@" not in live and "<#" not in live
    assert not re.search(r"\[[^\]]*\]\(", live), "masked link survived"
    assert live.count("**") % 2 == 0, f"dangling ** in {text!r}"


def cite(n: int = 1, text: str = "The US offered talks on Tomahawk missiles.", **kw) -> Citation:
    defaults = dict(n=n, source="000_a.txt", paragraph=n, title="Talks", date="2022-02-02T13:29", text=text,
                    excerpt=text, highlights=(), score=5.0 - n / 10)
    defaults.update(kw)
    return Citation(**defaults)


def answer(*citations: Citation, question: str = "what about Tomahawk missiles?", more: tuple = ()) -> Answer:
    return Answer(question=question, answered=True, text="The US offered talks [1].", citations=citations,
                  elapsed_ms=12.3, more=more)


def assert_within_limits(embed: dict) -> None:
    assert len(embed.get("title", "")) <= 256
    assert 0 < len(embed.get("description", "x")) <= 4096
    assert len(embed.get("fields", [])) <= 25
    for field in embed.get("fields", []):
        assert 0 < len(field["name"]) <= 256
        assert 0 < len(field["value"]) <= 1024
        assert_safe(field["name"])
        assert_safe(field["value"])
    assert len(embed.get("footer", {}).get("text", "")) <= 2048
    assert render.embed_length(embed) <= 6000
    assert len(discord.Embed.from_dict(embed)) <= 6000  # discord.py's own count agrees


def test_escape_neutralises_mentions_links_and_markdown() -> None:
    out = render.escape(HOSTILE + " **bold** __u__ ~~s~~ ||spoiler|| `code`")
    assert_safe(out)
    assert "@\u200beveryone" in out and "@\u200bhere" in out
    assert "\\<@123>" in out
    assert "\\*\\*bold\\*\\*" in out and "\\|\\|spoiler\\|\\|" in out


@pytest.mark.parametrize("line", ["# Heading", "> quote", "- item", "-# small"])
def test_escape_line_start_markdown(line: str) -> None:
    assert render.escape(line).startswith("\\")


def test_escape_keeps_plain_urls_clickable() -> None:
    assert render.escape("see https://example.com/a_b_c now") == "see https://example.com/a_b_c now"


def test_highlights_are_bold_and_merged() -> None:
    text = "Tomahawk cruise missiles"
    assert render.render_highlighted(text, [(0, 8), (16, 24)]) == "**Tomahawk** cruise **missiles**"
    assert render.render_highlighted(text, [(0, 9), (3, 8)]) == "**Tomahawk** cruise missiles"  # trimmed, merged


def test_fit_cuts_at_sentence_end_with_ellipsis() -> None:
    text = "First sentence is here. Second sentence is a good deal longer than the first one."
    out = render.fit(text, 40)
    assert out == "First sentence is here. …"


def test_fit_cuts_at_word_end_when_no_sentence_fits() -> None:
    out = render.fit("alpha beta gamma delta epsilon", 18)
    assert out == "alpha beta gamma…"


def test_fit_never_breaks_markup_at_any_limit() -> None:
    text = "The **US** said [x](y) <@1> about Tomahawk_missiles, @everyone. " * 3
    spans = [(m.start(), m.end()) for m in re.finditer(r"Tomahawk_missiles|said", text)]
    for limit in range(1, 260):
        out = render.fit(text, limit, spans)
        assert len(out) <= limit
        assert_safe(out)


def test_fit_hard_cuts_a_giant_word() -> None:
    out = render.fit("x" * 5000, 100)
    assert len(out) == 100 and out.endswith("…")


def test_answer_embed_has_answer_fields_and_footer() -> None:
    c = cite(1, highlights=((24, 32),), also_in=(ParagraphRef("001_b.txt", 4),))
    embed = render.answer_embed(answer(c))
    assert embed["description"] == "The US offered talks \\[1\\]."
    (field,) = embed["fields"]
    assert field["name"] == "[1] Talks · 2022-02-02 13:29"
    assert field["value"].splitlines()[0] == "000\\_a.txt ¶1"
    assert "**Tomahawk**" in field["value"]
    assert "also in 001\\_b.txt ¶4" in field["value"]
    assert embed["footer"]["text"] == "1 result · 12 ms"
    assert_within_limits(embed)


def test_footer_counts_pages() -> None:
    more = tuple(cite(n) for n in range(4, 10))
    embed = render.answer_embed(answer(cite(1), cite(2), cite(3), more=more))
    assert embed["footer"]["text"].startswith("results 1–3 of 9")


def test_ten_thousand_character_paragraph_fits_every_limit() -> None:
    words = ("Tomahawk missiles **were** discussed at [length](https://x.y) by @everyone and <@123>. " * 120)[:10_000]
    spans = tuple((m.start(), m.end()) for m in re.finditer("Tomahawk", words))
    c = cite(1, text=words, excerpt=words, highlights=spans, title="T" * 400)
    a = Answer(question="q" * 3000, answered=True, text=words, citations=(c,), elapsed_ms=3)
    embed = render.answer_embed(a)
    assert_within_limits(embed)
    assert_safe(embed["description"])
    assert embed["fields"][0]["value"].endswith("…")


def test_many_huge_citations_share_the_6000_budget() -> None:
    huge = "word " * 2000
    citations = tuple(cite(n, text=huge, excerpt=huge, title="x" * 300, source="s" * 300,
                           also_in=tuple(ParagraphRef("o" * 200, i) for i in range(6))) for n in range(1, 26))
    embed = render.answer_embed(answer(*citations))
    assert len(embed["fields"]) == 25
    assert_within_limits(embed)


def test_hostile_question_and_paragraph_are_escaped() -> None:
    c = cite(1, text=HOSTILE, excerpt=HOSTILE, title=HOSTILE)
    embed = render.answer_embed(answer(c, question=HOSTILE))
    assert_safe(embed["title"])
    assert_within_limits(embed)


def test_not_answered_is_a_friendly_non_empty_embed() -> None:
    a = Answer(question="What did China say about Taiwan?", answered=False, text=None, citations=())
    embed = render.answer_embed(a)
    assert embed["title"] == "What did China say about Taiwan?"
    assert "couldn't find anything" in embed["description"] and "/sources" in embed["description"]
    assert_within_limits(embed)


def test_more_results_page() -> None:
    page = [cite(4), cite(5)]
    embed = render.more_results_embed(answer(cite(1)), page, total=5, first=4)
    assert [f["name"][:3] for f in embed["fields"]] == ["[4]", "[5]"]
    assert embed["footer"]["text"].startswith("results 4–5 of 5")
    assert_within_limits(embed)


class Doc:
    def __init__(self, i: int):
        self.source, self.title, self.date, self.paragraphs = f"{i:03}_doc.txt", f"Document {i} " + "t" * 200, None, i


def test_sources_are_paginated_within_limits() -> None:
    pages = render.sources_embeds([Doc(i) for i in range(40)])
    assert len(pages) == 3
    assert pages[0]["footer"]["text"] == "page 1/3 · 40 documents · 780 paragraphs"
    assert "000\\_doc.txt" in pages[0]["description"]
    for page in pages:
        assert_within_limits(page)


def test_empty_corpus_sources() -> None:
    (page,) = render.sources_embeds([])
    assert page["description"]


def test_notice_respects_content_limit() -> None:
    assert len(render.notice("x" * 5000)) == 2000


def test_too_vague_and_corrections_are_shown() -> None:
    vague = Answer(question="what is the default?", answered=False, text=None, citations=(), reason="too_vague")
    embed = render.answer_embed(vague)
    assert "more specific" in embed["description"] and "couldn't find" not in embed["description"]
    typo = Answer(question="how to rebsae", answered=False, text=None, citations=(), reason="no_match",
                  corrections=({"from": "rebsae", "to": "rebase"},))
    assert "searched for *rebase* (you typed *rebsae*)" in render.answer_embed(typo)["description"]
