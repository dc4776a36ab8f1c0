"""Readers on documents as teams keep them (found by QA passes): manuals, PDF tables, README titles."""

from __future__ import annotations

from retrieval import Engine
from retrieval.formats import html
from retrieval.settings import CorpusSettings

SETTINGS = CorpusSettings()

# One node of a texinfo manual (makeinfo 6.8 / 7.x markup): a navigation line above and below the text.
TEXINFO_PAGE = """\
<!DOCTYPE html><html><!-- Created by GNU Texinfo 6.8 --><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>Closure Example (libffi: the portable foreign function interface library)</title>
<link href="Using-libffi.html" rel="up" title="Using libffi"></head>
<body lang="en"><div class="section" id="Closure-Example">
<div class="header"><p>
Next: <a href="Thread-Safety.html" accesskey="n" rel="next">Thread Safety</a>, Previous: <a href="The-Closure-API.html"
accesskey="p" rel="prev">The Closure API</a>, Up: <a href="Using-libffi.html" accesskey="u" rel="up">Using libffi</a>
&nbsp; [<a href="index.html#SEC_Contents" title="Table of contents" rel="contents">Contents</a>][<a href="Index.html"
title="Index" rel="index">Index</a>]</p></div>
<hr><span id="Closure-Example-1"></span><h3 class="section">2.6 Closure Example</h3>
<p>A trivial example that creates a new <code>puts</code> by binding <code>fputs</code> with <code>stdout</code>.</p>
<div class="example"><pre class="example">closure = ffi_closure_alloc(sizeof(ffi_closure), &amp;bound_puts);
ffi_prep_closure_loc(closure, &amp;cif, puts_binding, stdout, bound_puts);</pre></div>
<dl class="def"><dt id="index-ffi_005fclosure_005falloc"><span class="category">Function: </span><span><em>void *</em>
<strong>ffi_closure_alloc</strong> <em>(size_t size, void **code)</em><a href="#index-x" class="copiable-anchor">
&para;</a></span></dt><dd><p>Allocate a closure of <var>size</var> bytes; <var>code</var> receives its address.</p></dd></dl>
<p>Next: read the section on thread safety, Up to you whether the closure is freed.</p>
</div>
<div class="nav-panel"><p>
Next: <a href="Thread-Safety.html">Thread Safety</a>, Previous: <a href="The-Closure-API.html">The Closure API</a>,
Up: <a href="Using-libffi.html">Using libffi</a> &nbsp; [<a href="Index.html">Index</a>]</p></div>
</body></html>
"""


def test_texinfo_navigation_lines_are_dropped_and_section_headings_kept():
    doc = html.read(TEXINFO_PAGE.encode(), SETTINGS)
    texts = [b.text for b in doc.blocks]
    assert not any(t.startswith("Next: Thread Safety") for t in texts), texts
    assert doc.dropped == 2  # counted as page chrome (index --json: dropped_chrome)
    assert texts[0].startswith("A trivial example that creates a new puts")
    assert all(b.section == ("2.6 Closure Example",) for b in doc.blocks)
    # a definition keeps its term, without the permalink sign
    assert any(t.startswith("Function: void * ffi_closure_alloc (size_t size, void **code): Allocate a closure")
               for t in texts), texts
    # a sentence that merely starts like a navigation line is content
    assert "Next: read the section on thread safety, Up to you whether the closure is freed." in texts


def test_a_manual_page_answers_from_its_text_not_its_navigation_line(tmp_path):
    corpus = tmp_path / "manual"
    corpus.mkdir()
    (corpus / "Closure-Example.html").write_text(TEXINFO_PAGE, encoding="utf-8")
    (corpus / "Thread-Safety.html").write_text(
        TEXINFO_PAGE.replace("2.6 Closure Example", "2.7 Thread Safety").replace(
            "A trivial example that creates a new", "Closures are thread safe once prepared; an example of a"),
        encoding="utf-8")
    answer = Engine.open(corpus, tmp_path / "idx").ask("How do I define a closure with libffi?")
    assert answer.answered
    top = answer.citations[0]
    assert "Next:" not in answer.text and "Previous:" not in top.text
    assert top.section == "2.6 Closure Example"


def make_expenses_pdf(path) -> None:
    """A policy PDF with a table (bold header row, a cell that wraps) between justified paragraphs."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Travel policy", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 10, "Expense limits", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 6, "Every expense is claimed in the travel portal within thirty days of the trip. The limits "
                         "below apply per person and per day, and the finance team checks them every month.",
                   align="J")
    pdf.ln(3)
    with pdf.table(col_widths=(30, 30, 40)) as table:
        for row in (("Category", "Limit per day", "Receipt needed"), ("Hotel", "180 EUR", "yes"),
                    ("Meals", "45 EUR", "yes"), ("Taxi", "60 EUR", "only above 20 EUR, and always for rides "
                                                              "to the airport")):
            cells = table.row()
            for text in row:
                cells.cell(text)
    pdf.ln(3)
    pdf.multi_cell(0, 6, "Receipts are scanned and attached to the claim; the originals are kept for a year.",
                   align="J")
    pdf.output(str(path))


def test_pdf_table_rows_stay_rows_with_their_header_names(tmp_path):
    from retrieval.formats import pdf

    make_expenses_pdf(tmp_path / "travel.pdf")
    doc = pdf.read((tmp_path / "travel.pdf").read_bytes(), SETTINGS)
    rows = [b.text for b in doc.blocks if b.kind == "table"]
    assert rows == ["Category: Hotel; Limit per day: 180 EUR; Receipt needed: yes",
                    "Category: Meals; Limit per day: 45 EUR; Receipt needed: yes",
                    "Category: Taxi; Limit per day: 60 EUR; Receipt needed: only above 20 EUR, and always for "
                    "rides to the airport"]
    assert all(b.section == ("Expense limits",) and b.page == 1 for b in doc.blocks if b.kind == "table")
    prose = [b.text for b in doc.blocks if b.kind == "prose"]
    assert prose[0].startswith("Every expense is claimed") and prose[-1].startswith("Receipts are scanned")


def test_a_question_about_a_pdf_table_cell_cites_its_row(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    make_expenses_pdf(corpus / "travel.pdf")
    answer = Engine.open(corpus, tmp_path / "idx").ask("Do I need a receipt for a taxi?")
    assert answer.answered
    assert answer.citations[0].text.startswith("Category: Taxi; Limit per day: 60 EUR")


PYTEST_LIKE_README = """\
.. image:: https://example.org/logo.svg
   :target: https://docs.example.org/
   :alt: swiftcheck

------

.. image:: https://img.shields.io/pypi/v/swiftcheck.svg
    :target: https://pypi.org/project/swiftcheck/

The ``swiftcheck`` framework makes it easy to write small checks, yet scales to large suites.

Features
--------

- Detailed info on failing assert statements.

Support
-------

Open an issue on the tracker.
"""


def test_rst_readme_that_opens_with_prose_is_not_titled_after_its_first_section(tmp_path):
    from retrieval.corpus import parse_file

    assert parse_file("README.rst", PYTEST_LIKE_README.encode(), SETTINGS).title == "swiftcheck"  # the logo's alt
    no_logo = PYTEST_LIKE_README.split("------\n", 1)[1]
    title = parse_file("README.rst", no_logo.encode(), SETTINGS).title
    assert title.startswith("The swiftcheck framework makes it easy") and title != "Features"


def test_text_title_is_a_title_like_line_not_a_url_or_a_row_of_badges():
    from retrieval.corpus import parse_file

    readme = ("[![Build Status](https://ci.example.org/x.svg?branch=main)](https://ci.example.org/x) "
              "[![Coverage](https://cov.example.org/badge.svg)](https://cov.example.org/x)\n\n"
              "![sodiumlike](https://example.org/logo.png)\n============\n\n"
              "Sodiumlike is an easy-to-use software library for encryption and signatures.\n\n"
              "It is a portable fork of an older library.\n")
    doc = parse_file("README.markdown.txt", readme.encode(), SETTINGS)
    assert doc.title == "sodiumlike" and doc.blocks[0].text.startswith("Sodiumlike is an easy-to-use")
    assert doc.dropped == 1  # the badges, as counted page chrome

    notes = ("Copyright 2000-2023 Example Foundation, Inc.\nContributed by the Example project.\n\n"
             "This file is part of the Example Math Library.\n\n"
             "The library is free software; you can redistribute it under the licence.\n\n"
             "Official website:\n\n  https://www.example.org/\n\n\n"
             "You can get the latest source code from the project's git server.\n")
    doc = parse_file("README.txt", notes.encode(), SETTINGS)
    assert doc.title == "This file is part of the Example Math Library."
    assert all("https://" not in " ".join(b.section) for b in doc.blocks)  # a URL line is text, not a heading
    # never lost: it says what it is, with the line that introduces it
    assert any(b.text == "Official website: https://www.example.org/" for b in doc.blocks)


def test_text_two_column_listing_keeps_one_row_per_line():
    from retrieval.corpus import parse_file

    notes = ("EXAMPLE LIBRARY\n\nThe distribution contains the following files.\n\n"
             "AUTHORS         - the authors of the library\nBUGS            - known bugs, please read this file!\n"
             "COPYING         - the GNU General Public License, version 3\n"
             "INSTALL         - how to install the library\n\n"
             "The autotools files are distributed under the same licence.\n")
    blocks = parse_file("README.txt", notes.encode(), SETTINGS).blocks
    assert blocks[1].kind == "list" and blocks[1].section == ()
    assert blocks[1].text.split("\n") == ["AUTHORS - the authors of the library",
                                          "BUGS - known bugs, please read this file!",
                                          "COPYING - the GNU General Public License, version 3",
                                          "INSTALL - how to install the library"]


SPHINX_SINGLE_PAGE = """\
<!DOCTYPE html><html lang="en"><head><meta charset="utf-8" />
<title>Team Packaging Policy 0.12.0.0 documentation</title></head><body>
<div class="related" role="navigation"><h3>Navigation</h3><ul><li><a href="#">Team Packaging Policy</a></li></ul></div>
<div class="document"><div class="body" role="main">
<section id="abstract"><h1>Abstract<a class="headerlink" href="#abstract" title="Permalink">¶</a></h1>
<p>This document describes how the team packages Python programs and the requirements every package must meet
before it is uploaded to the internal archive.</p></section>
<section id="contents"><h1>Contents<a class="headerlink" href="#contents">¶</a></h1>
<section id="copyright"><h2>1. Copyright<a class="headerlink" href="#copyright">¶</a></h2>
<p>2019-2025, the packaging team of Example GmbH, with contributions from many engineers.</p>
<dl class="simple"><dt>Authors:</dt><dd><ul class="simple">
<li><p>Neil Example &lt;neil@example.org&gt;</p></li><li><p>Ana Example &lt;ana@example.org&gt;</p></li>
</ul></dd></dl>
<p>The policy is reviewed every year by the packaging team and changes are announced on the mailing list.</p>
</section></section></div></div></body></html>
"""


def test_sphinx_single_page_title_and_a_definition_holding_a_list():
    doc = html.read(SPHINX_SINGLE_PAGE.encode(), SETTINGS)
    assert doc.title == "Team Packaging Policy 0.12.0.0 documentation"  # not "Abstract¶"
    texts = [b.text for b in doc.blocks]
    assert "Authors: Neil Example <neil@example.org>; Ana Example <ana@example.org>" in texts
    assert "Neil Example <neil@example.org>" not in texts  # each author once, inside the entry


def test_markdown_h1_repeating_the_front_matter_title_is_not_a_section_of_every_paragraph():
    from retrieval.formats import markdown

    page = ("---\ntitle: Deploying the billing service\nurl: https://wiki.example.org/deploy\n---\n\n"
            "# Deploying the *billing* service\n\nDeploys happen on weekdays only.\n\n## Rolling back\n\n"
            "Run the undo command.\n")
    doc = markdown.read(page.encode(), SETTINGS)
    assert doc.title == "Deploying the billing service"
    assert [b.section for b in doc.blocks] == [(), ("Rolling back",)]
    other = page.replace("# Deploying the *billing* service", "# Overview")  # a different H1 is a section
    assert markdown.read(other.encode(), SETTINGS).blocks[0].section == ("Overview",)


MENU_NODE = """\
<!DOCTYPE html><html><!-- Created by GNU Texinfo 6.8 --><head><title>Using libffi (libffi)</title></head>
<body lang="en"><div class="chapter" id="Using-libffi"><div class="header"><p>
Next: <a href="Memory-Usage.html">Memory Usage</a>, Previous: <a href="Introduction.html">What is libffi?</a>,
Up: <a href="index.html">libffi</a> &nbsp; [<a href="Index.html">Index</a>]</p></div><hr>
<h2 class="chapter">2 Using libffi</h2>
<ul class="section-toc"><li><a href="The-Basics.html">The Basics</a></li>
<li><a href="The-Closure-API.html">The Closure API</a></li><li><a href="Closure-Example.html">Closure Example</a></li>
</ul></div></body></html>
"""
INDEX_NODE = """\
<!DOCTYPE html><html><!-- Created by GNU Texinfo 6.8 --><head><title>Index (libffi)</title></head>
<body lang="en"><div class="unnumbered" id="Index"><h2 class="unnumbered">Index</h2>
<table><tr><th>Jump to:</th><td><a class="summary-letter" href="#I_cp_letter-A"><b>A</b></a></td></tr></table>
<table class="index-cp"><tr><td></td><th>Index Entry</th><th>Section</th></tr>
<tr><td></td><td><a href="Primitive-Types.html#index-ffi_005ftype_005fsint16"><code>ffi_type_sint16</code></a>:</td>
<td><a href="Primitive-Types.html">Primitive Types</a></td></tr></table></div></body></html>
"""


def test_texinfo_menu_and_index_nodes_are_navigation_not_answers(tmp_path):
    corpus = tmp_path / "manual"
    corpus.mkdir()
    (corpus / "Using-libffi.html").write_text(MENU_NODE, encoding="utf-8")
    (corpus / "Index.html").write_text(INDEX_NODE, encoding="utf-8")
    (corpus / "Closure-Example.html").write_text(TEXINFO_PAGE, encoding="utf-8")
    engine = Engine.open(corpus, tmp_path / "idx")
    assert [d.source for d in engine.documents] == ["Closure-Example.html"]
    skipped = {s.source: s.reason for s in engine.stats.skipped}
    assert skipped == {"Index.html": "no text found: the page has only navigation and headings",
                       "Using-libffi.html": "no text found: the page has only navigation and headings"}
    answer = engine.ask("How do I define a closure with libffi?")
    assert answer.citations[0].text.startswith("A trivial example that creates a new puts")


def test_sphinx_directives_read_as_sphinx_shows_them():
    from retrieval.formats import rst

    page = ("Guide\n=====\n\nIntro paragraph here.\n\n.. toctree::\n   :maxdepth: 2\n   :caption: Contents\n\n"
            "   install\n   usage\n\n.. automodule:: mypkg.core\n   :members:\n\n.. deprecated:: 2.0\n"
            "   Use the new API.\n\n.. versionchanged:: 3.1\n\n   The default timeout is now 30 seconds.\n")
    texts = [b.text for b in rst.read(page.encode(), SETTINGS).blocks]
    assert texts == ["Intro paragraph here.", "mypkg.core", "Deprecated since version 2.0: Use the new API.",
                     "Changed in version 3.1: The default timeout is now 30 seconds."]  # no ":maxdepth: 2"


def test_a_damaged_pdf_is_skipped_with_its_reason_and_no_anonymous_library_warning(tmp_path, caplog):
    from retrieval.corpus import read_corpus

    make_expenses_pdf(tmp_path / "travel.pdf")
    (tmp_path / "cut.pdf").write_bytes((tmp_path / "travel.pdf").read_bytes()[:1500])
    with caplog.at_level("WARNING"):
        docs = read_corpus(tmp_path, SETTINGS)
    assert [d.source for d in docs] == ["travel.pdf"]
    messages = [r.getMessage() for r in caplog.records]
    assert any("cut.pdf" in m and "damaged PDF" in m for m in messages), messages
    assert all("cut.pdf" in m for m in messages), messages  # every warning names the file it is about


GITHUB_README = """\
<p align="center">
  <img src="logo.png" alt="Fluxgate" width="200">
</p>

<h1 align="center">Fluxgate</h1>

[![CI](https://github.com/x/fluxgate/actions/workflows/ci.yml/badge.svg)](https://github.com/x/fluxgate/actions) \
[![PyPI](https://img.shields.io/pypi/v/fluxgate)](https://pypi.org/project/fluxgate)

Fluxgate is a rate limiter for HTTP APIs. It keeps counters in Redis and
supports sliding windows.

## Table of Contents

- [Installation](#installation)
- [Usage](#usage)

## Installation

```
pip install fluxgate
```

## Usage

Set `FLUXGATE_REDIS_URL` to your Redis instance.

- [Redis](https://redis.io) holds the counters.
- ![Architecture diagram](docs/arch.png)
"""


def test_github_readme_html_title_badges_and_table_of_contents():
    from retrieval.formats import markdown

    doc = markdown.read(GITHUB_README.encode(), SETTINGS)
    assert doc.title == "Fluxgate"
    assert [(b.section, b.text) for b in doc.blocks] == [
        ((), "Fluxgate is a rate limiter for HTTP APIs. It keeps counters in Redis and supports sliding windows."),
        (("Installation",), "pip install fluxgate"),
        (("Usage",), "Set FLUXGATE_REDIS_URL to your Redis instance."),
        (("Usage",), "- Redis holds the counters.\n- Architecture diagram"),  # real links and images stay
    ]
    assert doc.dropped == 3  # the logo's empty HTML block, the badge row, the table of contents


def test_html_prose_outside_paragraph_tags_is_kept_between_listings(tmp_path):
    """Old hand-written pages (zlib's usage example) put their prose straight into <body> around <pre>."""
    prose = [f"Step {n}: the loop calls deflate() until the output buffer is no longer full, which tells "
             f"the caller that all pending input for chunk {n} has been consumed and written out." for n in range(8)]
    listings = [f"<pre><b>\n    ret = deflate(&amp;strm, flush{n});\n    assert(ret != Z_STREAM_ERROR);\n</b></pre>"
                for n in range(8)]
    body = "".join(f"\n{p}\n{code}<!-- -->" for p, code in zip(prose, listings))
    page = f"<html><head><title>zlib Usage Example</title></head><body><h2>zlib Usage Example</h2>{body}</body></html>"
    doc = html.read(page.encode(), SETTINGS)
    texts = [b.text for b in doc.blocks]
    assert all(p in texts for p in prose), texts[:4]
    code = [b for b in doc.blocks if b.kind == "code"]
    assert code and code[0].text.strip() == "ret = deflate(&strm, flush0);\n    assert(ret != Z_STREAM_ERROR);"
    answer = Engine.open(_folder(tmp_path, "zlib_how.html", page), tmp_path / "idx").ask(
        "when does the loop stop calling deflate for chunk 5?")
    assert answer.citations[0].text == prose[5]


def _folder(tmp_path, name: str, text: str):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / name).write_text(text, encoding="utf-8")
    return folder


SPHINX_API_PAGE = """\
<!DOCTYPE html><html><head><meta charset="utf-8" /><title>procs — Process management</title></head><body>
<div class="body" role="main"><section id="procs"><h1>procs — Process management<a class="headerlink" href="#procs">¶</a></h1>
<p>The procs module runs child processes and reports what they did. It replaces several older modules and
functions, and every function described here is safe to call from any thread of the program.</p>
<dl class="py class"><dt class="sig sig-object py" id="procs.Completed"><em class="property">class </em>
<span class="sig-prename descclassname">procs.</span><span class="sig-name descname">Completed</span>
<a class="headerlink" href="#procs.Completed" title="Permalink to this definition">¶</a></dt>
<dd><p>The return value from run(), representing a process that has finished.</p>
<dl class="py attribute"><dt class="sig sig-object py" id="procs.Completed.args"><span class="sig-name descname">args</span>
<a class="headerlink" href="#procs.Completed.args">¶</a></dt><dd><p>The arguments used to launch the process.</p></dd>
</dl>
<dl class="py attribute"><dt class="sig sig-object py" id="procs.Completed.returncode"><span class="sig-name descname">returncode</span>
<a class="headerlink" href="#procs.Completed.returncode">¶</a></dt><dd><p>Exit status of the child process.</p></dd>
</dl></dd></dl>
<p>Processes that run for longer than their timeout are killed, and the caller receives an exception that
names the command and the timeout that expired, so that it can decide whether to retry the command.</p>
</section></div></body></html>
"""


def test_sphinx_api_entries_keep_their_names_apart_from_their_text():
    texts = [b.text for b in html.read(SPHINX_API_PAGE.encode(), SETTINGS).blocks]
    entry = next(t for t in texts if "The return value from run()" in t)
    assert "¶" not in entry and "argsThe" not in entry
    assert entry.startswith("class procs.Completed: The return value from run()")
    assert "args: The arguments used to launch the process." in entry
    assert "returncode: Exit status of the child process." in entry


ASCIIDOC_MANPAGE = """\
git-stashlike(1)
================

NAME
----
git-stashlike - Keep changes of a dirty working directory away

[[OPTIONS]]
OPTIONS
-------
--keep-index::
	All changes already added to the index are left intact.
+
This option is only valid for push and save commands.

ENVIRONMENT
-----------
GIT_STASHLIKE_DIR::
GIT_STASHLIKE_HOME::
	Where the stashed changes are kept.

EXAMPLES
--------
To drop the newest entry, run

------------
% git stashlike drop
% git stashlike list
------------

Dropped entries can be recovered for a while with the reflog.
"""


def test_asciidoc_text_sources_keep_listings_as_code_and_markup_out_of_sections():
    from retrieval.corpus import parse_file

    doc = parse_file("git-stashlike.txt", ASCIIDOC_MANPAGE.encode(), SETTINGS)
    sections = {" › ".join(b.section) for b in doc.blocks}
    assert not any("[[" in s or "%" in s or "::" in s for s in sections), sections
    code = [b for b in doc.blocks if b.kind == "code"]
    assert [b.text for b in code] == ["% git stashlike drop\n% git stashlike list"]
    assert code[0].section[0] == "EXAMPLES"
    texts = [b.text for b in doc.blocks]
    assert "+" not in texts and any(t.startswith("GIT_STASHLIKE_DIR:: GIT_STASHLIKE_HOME:: Where") for t in texts)
    assert texts[-1] == "Dropped entries can be recovered for a while with the reflog."


def test_a_document_that_is_only_a_table_is_titled_by_its_file_name(tmp_path):
    from docx import Document

    from retrieval.corpus import parse_file

    doc = Document()
    table = doc.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "Key", (0, 1): "Value", (1, 0): "Port", (1, 1): "8443"}.items():
        table.cell(r, c).text = text
    doc.save(tmp_path / "gateway-ports.docx")
    parsed = parse_file("ops/gateway-ports.docx", (tmp_path / "gateway-ports.docx").read_bytes(), SETTINGS)
    assert parsed.title == "gateway-ports"  # not "Key: Port; Value: 8443"
    assert [b.text for b in parsed.blocks] == ["Key: Port; Value: 8443"]
