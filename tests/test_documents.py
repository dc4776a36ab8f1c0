"""A team's documents in every supported format: answers come from the right block, section and page;
page chrome stays unanswerable; every file left out is reported with its reason."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.cli.render import render_answer
from bot.discord.render import citation_value
from retrieval import Engine, Settings
from retrieval.settings import CorpusSettings

from .docs_corpus import write_docs_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_docs_corpus(tmp_path_factory.mktemp("team"))


@pytest.fixture(scope="module")
def engine(corpus, tmp_path_factory):
    return Engine.open(corpus, tmp_path_factory.mktemp("team-index"))


def top(engine: Engine, question: str):
    answer = engine.ask(question)
    assert answer.answered, question
    return answer.citations[0]


def test_markdown_step_table_cell_and_code_identifier(engine):
    step = top(engine, "drain node pool")
    assert (step.source, step.section) == ("ops/runbook.md", "Deploying")
    assert "1. Drain node pool" in step.text and "2. Run the deploy job" in step.text  # the list, kept whole
    cell = top(engine, "who owns production environment")
    assert cell.text == "Environment: production; Owner: Bob; Pager channel: web-oncall"
    assert cell.section == "Deploying › Rollback"
    code = top(engine, "kubectl rollout undo web-frontend")
    assert code.section == "Deploying › Rollback"
    assert code.text.startswith("kubectl rollout undo deployment/web-frontend\n\nkubectl rollout status")
    assert code.url == "https://wiki.example.org/runbook"


def test_markdown_markup_comments_and_table_rules_are_not_indexed(engine):
    texts = [engine.index.paragraph_text(i) for i in range(engine.index.n_paragraphs)]
    assert not any("YAML added" in t or "|---" in t or "```" in t or "**" in t or "](" in t for t in texts)
    doc = next(d for d in engine.documents if d.source == "ops/runbook.md")
    assert (doc.title, doc.date, doc.format) == ("Web service runbook", "2024-05-02", "markdown")


def test_section_name_finds_its_paragraphs(engine):
    cited = top(engine, "what happens in the second week")
    assert (cited.source, cited.section) == ("onboarding.docx", "Second week")


def test_html_main_content_with_sections_and_metadata(engine):
    cited = top(engine, "when was the replacement certificate deployed")
    assert (cited.source, cited.section) == ("blog/incident.html", "Timeline")
    assert cited.url == "https://blog.example.org/2024/03/incident-review"
    assert cited.title == "Incident review: the March outage" and cited.date == "2024-03-18"


@pytest.mark.parametrize("chrome", ["Subscribe to our newsletter", "Share this on Twitter", "Great write-up",
                                    "All rights reserved", "Accept all cookies", "Careers", "Privacy policy"])
def test_web_page_chrome_is_unanswerable(engine, chrome):
    texts = [engine.index.paragraph_text(i) for i in range(engine.index.n_paragraphs)]
    assert not any(chrome in t for t in texts)


def test_pdf_pages_hyphenation_and_running_header(engine, corpus):
    from pypdf import PdfReader

    assert PdfReader(corpus / "handbook.pdf").pages[1].extract_text().split("\n")[1].startswith("public holidays")
    hyphenated = top(engine, "recovery objective checked against reality")
    assert hyphenated.source == "handbook.pdf" and hyphenated.page == 1 and hyphenated.section == "Backups"
    assert "recovery objective can be checked" in hyphenated.text
    crossing = top(engine, "failures page the infrastructure lead during planned maintenance windows")
    assert crossing.page == 1 and crossing.text.endswith("planned maintenance windows.")
    second = top(engine, "production credentials access broker")
    assert (second.page, second.section) == (2, "Access control")
    texts = [engine.index.paragraph_text(i) for i in range(engine.index.n_paragraphs)]
    assert not any("ACME Operations Handbook - internal" in t or t.startswith("Page ") for t in texts)
    doc = next(d for d in engine.documents if d.source == "handbook.pdf")
    assert (doc.title, doc.date) == ("ACME Operations Handbook", "2024-04-02")
    assert engine.stats.dropped["handbook.pdf"] == 4  # two running headers, two page numbers


def test_docx_headings_lists_and_tables(engine):
    cell = top(engine, "who approves payroll")
    assert (cell.source, cell.text, cell.section) == ("onboarding.docx", "System: Payroll; Approver: Dana Whitfield",
                                                      "First week › Accounts")
    step = top(engine, "two-factor authentication single sign-on")
    assert step.text.startswith("1. Request a laptop") and step.section == "First week › Accounts"
    doc = next(d for d in engine.documents if d.source == "onboarding.docx")
    assert (doc.title, doc.date, doc.format) == ("Onboarding guide", "2024-01-15T10:00", "docx")


def test_rst_sections_literal_blocks_roles_and_tables(engine):
    code = top(engine, "bump_version.py minor")
    assert (code.source, code.section) == ("release.rst", "Preparing the branch")
    assert code.text == "./scripts/bump_version.py --minor\n\ngit push origin release/2.4"
    role = top(engine, "version bump script before tagging")
    assert role.text == "Run the version bump script before tagging, see tagging and bump_version."
    row = top(engine, "who signs the wheel artifact")
    assert (row.text, row.section) == ("Artifact: wheel; Signed by: release key 2024", "Tagging")
    assert not any("versionadded" in engine.index.paragraph_text(i) for i in range(engine.index.n_paragraphs))


def test_hard_wrapped_memo_sentence_across_lines_and_headings(engine):
    cited = top(engine, "retention limit of ninety days for archives")
    assert (cited.source, cited.section) == ("memo.txt", "Background")
    assert "We propose a retention limit of ninety days for all archives." in cited.text
    costs = top(engine, "how much would keeping every archive cost")
    assert costs.section == "2.1 Costs"
    assert next(d for d in engine.documents if d.source == "memo.txt").title == "QUARTERLY STORAGE REVIEW"


def test_legacy_and_utf16_encodings(engine):
    cafe = top(engine, "café breakfast")
    assert cafe.source == "cafe.txt" and "naïve little breakfast menu with crêpes" in cafe.text
    parking = top(engine, "barrier code visitors parking")
    assert parking.source == "parking.txt" and parking.text.startswith("Visitors park on level minus two")


def test_every_skipped_file_is_reported_with_its_reason(engine):
    skipped = {s.source: s.reason for s in engine.stats.skipped}
    assert set(skipped) == {"diagram.png", "notes.txt", "pipe.txt", "scanned.pdf", "zero.txt"}
    assert skipped["diagram.png"] == "unsupported format: .png"
    assert skipped["notes.txt"].startswith("outside link") and skipped["zero.txt"].startswith("outside link")
    assert skipped["pipe.txt"].startswith("special file")
    assert skipped["scanned.pdf"].startswith("no text layer")
    assert engine.stats.formats == {"docx": 1, "html": 1, "markdown": 1, "pdf": 1, "rst": 1, "text": 3}


def test_outside_links_are_followed_only_when_allowed(corpus, tmp_path):
    engine = Engine.open(corpus, tmp_path / "idx", Settings(corpus=CorpusSettings(follow_outside_links=True)))
    skipped = {s.source: s.reason for s in engine.stats.skipped}
    assert "notes.txt" not in skipped and skipped["zero.txt"].startswith("special file: device")
    assert top(engine, "root bin bash").source == "notes.txt"


def test_outside_link_is_never_quoted_by_default(engine):
    texts = [engine.index.paragraph_text(i) for i in range(engine.index.n_paragraphs)]
    assert not any("root:x:0:0" in t for t in texts)


def test_cli_index_json_sources_and_ask_json(corpus, tmp_path, capsys):
    args = ["--corpus", str(corpus), "--index", str(tmp_path / "idx")]
    assert main(["index", "--json", *args]) == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("documents", "paragraphs", "vocabulary", "seconds", "files", "reused", "parsed", "removed"):
        assert isinstance(report[key], (int, float)), key
    assert report["documents"] == 8 and report["files"] == 9 and report["parsed"] == 9
    assert {s["source"]: s["reason"].split(":")[0] for s in report["skipped"]} == {
        "diagram.png": "unsupported format", "notes.txt": "outside link", "pipe.txt": "special file",
        "scanned.pdf": "no text layer", "zero.txt": "outside link"}
    assert report["formats"]["pdf"] == 1 and report["dropped_chrome"]["handbook.pdf"] == 4
    assert main(["index", *args]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-2].startswith("formats: 1 docx, 1 html, 1 markdown, 1 pdf, 1 rst, 3 text")
    assert out[-1].startswith("skipped 5 files: 2 outside link, ")
    assert main(["sources", "--json", *args]) == 0
    formats = {json.loads(line)["source"]: json.loads(line)["format"] for line in capsys.readouterr().out.splitlines()}
    assert formats["handbook.pdf"] == "pdf" and formats["release.rst"] == "rst"
    assert main(["ask", "--json", "production credentials access broker", *args]) == 0
    cited = json.loads(capsys.readouterr().out)["citations"][0]
    assert (cited["source"], cited["section"], cited["page"], cited["url"]) == ("handbook.pdf", "Access control", 2,
                                                                                 None)


def test_terminal_and_discord_show_where_to_look(engine):
    answer = engine.ask("who owns production environment")
    text = render_answer(answer)
    n = answer.citations[0].paragraph
    assert f"ops/runbook.md › Deploying › Rollback ¶{n}" in text
    assert "https://wiki.example.org/runbook" in text
    value = citation_value(answer.citations[0])
    assert value.startswith("[ops/runbook.md › Deploying › Rollback ¶")
    assert "](https://wiki.example.org/runbook)" in value
    pdf = engine.ask("production credentials access broker")
    assert f"handbook.pdf › Access control p. 2 ¶{pdf.citations[0].paragraph}" in render_answer(pdf)


def test_terminal_keeps_the_lines_of_a_code_block(engine):
    text = render_answer(engine.ask("kubectl rollout undo web-frontend"))
    assert ("    kubectl rollout undo deployment/web-frontend\n\n"
            "    kubectl rollout status deployment/web-frontend") in text
