"""A small multi-format corpus of a team's documents, written (and for binary formats generated) for the tests.

Markdown runbook, saved web page with chrome, two-page PDF with a running
header and a hyphenated line break, DOCX with heading styles and a table, RST
release guide, hard-wrapped text memo, cp1252 and UTF-16 files, plus files
that must be skipped and reported.
"""

from __future__ import annotations

import datetime
from pathlib import Path

RUNBOOK_MD = """\
---
date: 2024-05-02
url: https://wiki.example.org/runbook
---
# Web service runbook

<!-- YAML added: reviewed by ops in April -->

This runbook covers deploying and rolling back the *web* service
described in [the architecture doc](arch.md).

## Deploying

Deploys go out from the `main` branch every weekday.

1. Drain node pool
2. Run the deploy job
3. Watch the error rate for ten minutes

### Rollback

If the error rate stays above two percent, roll back:

```bash
kubectl rollout undo deployment/web-frontend

kubectl rollout status deployment/web-frontend
```

| Environment | Owner | Pager channel |
|-------------|-------|---------------|
| staging     | Alice | web-staging   |
| production  | Bob   | web-oncall    |

Escalation contacts
-------------------

    escalation_matrix = load_matrix("oncall.yaml")
"""

PAGE_HTML = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Incident review: the March outage | Example Engineering Blog</title>
<meta property="og:title" content="Incident review: the March outage">
<meta property="article:published_time" content="2024-03-18T09:30:00Z">
<link rel="canonical" href="https://blog.example.org/2024/03/incident-review">
</head><body>
<div id="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
<nav><ul><li><a href="/">Home</a></li><li><a href="/blog">Blog</a></li><li><a href="/careers">Careers</a></li></ul></nav>
<header><p>Example Engineering: Subscribe to our newsletter</p></header>
<main><article>
<h1>Incident review: the March outage</h1>
<p>On 14 March the payment API returned errors for forty minutes after a certificate on the internal load
balancer expired without anyone noticing the renewal warnings.</p>
<h2>Timeline</h2>
<p>The first alert fired at 09:12 UTC, and the on-call engineer acknowledged it four minutes later from the
incident channel.</p>
<p>A replacement certificate was deployed at 09:52 UTC and error rates returned to normal within two minutes
of the deployment.</p>
<h2>What we are changing</h2>
<ul><li>Certificates are now renewed automatically thirty days before expiry.</li>
<li>Expiry dates are exported as metrics with an alert at fourteen days.</li></ul>
</article></main>
<div class="share">Share this on Twitter · Share on LinkedIn</div>
<section class="comments"><h3>Comments</h3><p>Great write-up, thanks for sharing it with everyone!</p></section>
<footer><p>© 2024 Example Inc. All rights reserved.</p><p>Privacy policy · Terms of use</p></footer>
</body></html>
"""

RELEASE_RST = """\
=====================
Release process guide
=====================

:Date: 2024-02-20

The release manager cuts a release branch every second Tuesday.

Preparing the branch
====================

Run the version bump script before tagging, see :ref:`tagging <tag-section>` and :func:`bump_version`.

.. code-block:: shell

   ./scripts/bump_version.py --minor

   git push origin release/2.4

.. versionadded:: 2.3
   The bump script also updates the changelog.

#. Freeze the branch
#. Announce the freeze in the release channel

.. _tag-section:

Tagging
=======

+-----------+-------------------+
| Artifact  | Signed by         |
+===========+===================+
| wheel     | release key 2024  |
+-----------+-------------------+
| container | build service     |
+-----------+-------------------+
"""

MEMO_TXT = """\
QUARTERLY STORAGE REVIEW

Background
----------

The storage cluster in the Frankfurt region reached eighty
percent of its capacity in February. The growth came mostly
from log archives that nobody reads after thirty days. We
propose a retention limit of ninety days for all archives.

2.1 Costs

Keeping every archive forever would cost about forty thousand
euros per year by 2026, according to the finance estimate. The
estimate assumes that log volume keeps growing at the current
rate.
"""

LEGACY_TXT = ("Café opening hours\n\nThe café on the ground floor opens at eight and serves a naïve little "
              "breakfast menu with crêpes and brioche.\n")
UTF16_TXT = "Parking rules\n\nVisitors park on level minus two; the barrier code changes every Monday.\n"
SECRET = "root:x:0:0:root:/root:/bin/bash\n"


def make_pdf(path: Path) -> None:
    """A two-page handbook: running header, page-number footer, a hyphenated line break, a paragraph
    that runs from page 1 onto page 2."""
    from fpdf import FPDF

    class Handbook(FPDF):
        def header(self):
            self.set_font("Helvetica", "I", 9)
            self.cell(0, 8, "ACME Operations Handbook - internal", align="C")
            self.ln(12)

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", "", 9)
            self.cell(0, 10, f"Page {self.page_no()}", align="C")

    pdf = Handbook()
    pdf.set_title("ACME Operations Handbook")
    pdf.set_creation_date(datetime.datetime(2024, 4, 2, tzinfo=datetime.timezone.utc))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, "Operations Handbook", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, "Backups", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 6, "Nightly backups of the customer database are written to the object store in the second "
                         "region and kept for thirty-five days before the lifecycle policy deletes them.")
    pdf.ln(4)
    pdf.multi_cell(0, 6, "Restores are rehearsed every quarter by the on-call engineer, who records the measured "
                         "restoration time in the reliability log so that the recovery objec-\ntive can be checked "
                         "against reality.")
    pdf.ln(4)
    topics = ["archive tier", "snapshot catalogue", "replication lag", "storage quota", "retention report",
              "restore drill", "checksum audit", "cold storage", "vault access", "index rebuild"]
    for topic in topics:
        if pdf.get_y() > 225:
            break
        pdf.multi_cell(0, 6, f"The {topic} is reviewed by the storage team once a month, and its findings are "
                             f"filed with the quarterly report for the {topic}.")
        pdf.ln(4)
    pdf.set_y(262)
    pdf.multi_cell(0, 6, "The escalation policy says that a failed backup must be reported to the database owner "
                         "within one hour, and that two consecutive failures page the infrastructure lead at any "
                         "time of day or night, including weekends and public holidays, without any exception for "
                         "planned maintenance windows.")
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, "Access control", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 6, "Production credentials are issued for eight hours through the access broker.")
    pdf.output(str(path))


def make_scanned_pdf(path: Path) -> None:
    """A PDF whose page has no text layer (like a scan)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    pdf.output(str(path))


def make_docx(path: Path) -> None:
    """An onboarding guide with Title/Heading styles, a numbered list and a table."""
    import docx

    d = docx.Document()
    d.core_properties.title = "Onboarding guide"
    d.core_properties.created = datetime.datetime(2024, 1, 15, 10, 0)
    d.add_paragraph("Onboarding guide", style="Title")
    d.add_heading("First week", level=1)
    d.add_paragraph("New engineers pair with a buddy from their team for the whole first week.")
    d.add_heading("Accounts", level=2)
    d.add_paragraph("Request a laptop from the IT desk", style="List Number")
    d.add_paragraph("Enable two-factor authentication on the single sign-on portal", style="List Number")
    table = d.add_table(rows=3, cols=2)
    for r, (system, approver) in enumerate([("System", "Approver"), ("Payroll", "Dana Whitfield"),
                                            ("Source control", "Team lead")]):
        table.rows[r].cells[0].text = system
        table.rows[r].cells[1].text = approver
    d.add_heading("Second week", level=1)
    d.add_paragraph("In the second week new engineers ship a small change to production with their buddy.")
    d.save(str(path))


def write_docs_corpus(folder: Path) -> Path:
    """Write the corpus (documents plus files that must be skipped) and return the corpus folder."""
    corpus = folder / "docs"
    (corpus / "ops").mkdir(parents=True)
    (corpus / "ops" / "runbook.md").write_text(RUNBOOK_MD, encoding="utf-8")
    (corpus / "blog").mkdir()
    (corpus / "blog" / "incident.html").write_text(PAGE_HTML, encoding="utf-8")
    make_pdf(corpus / "handbook.pdf")
    make_docx(corpus / "onboarding.docx")
    (corpus / "release.rst").write_text(RELEASE_RST, encoding="utf-8")
    (corpus / "memo.txt").write_text(MEMO_TXT, encoding="utf-8")
    (corpus / "cafe.txt").write_bytes(LEGACY_TXT.encode("cp1252"))
    (corpus / "parking.txt").write_bytes(UTF16_TXT.encode("utf-16"))  # with a BOM
    # Files that are not indexed, each for a reason that must be reported.
    make_scanned_pdf(corpus / "scanned.pdf")
    (corpus / "diagram.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (folder / "secret.txt").write_text(SECRET, encoding="utf-8")
    (corpus / "notes.txt").symlink_to(folder / "secret.txt")  # leaves the corpus folder
    (corpus / "zero.txt").symlink_to("/dev/zero")  # a device outside the corpus
    import os

    os.mkfifo(corpus / "pipe.txt")
    return corpus
