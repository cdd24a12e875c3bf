"""The body of the assessment PDF as rich text (Qt's HTML subset), built from a Document.

Qt-free; ``pdf`` lays it out on A4 pages. Order: title page, contents, one numbered section
per template section (each question and its answer; the DPIA's screening result, risk
register, heat maps, action plan and sign-off block in their sections), the record of
the version, Annex A (the evidence behind ShopGuard's suggestions) and the credits.

Headings carry anchors (``sec-N``) and the contents' page cells anchors (``page-sec-N``)
holding a placeholder; ``pdf`` fills in the page numbers once the layout is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shopguard.assessments import pdf_risks, rules
from shopguard.assessments.answers import is_answered
from shopguard.assessments.document import Document
from shopguard.assessments.pdf_text import (
    KIND_NAMES,
    NOT_ANSWERED,
    SUGGESTED,
    answer_html,
    esc,
    grid_table,
    hash_groups,
    long_date,
    long_datetime,
    paragraphs,
    suggestion_note,
)
from shopguard.assessments.templates import Question, Section

PAGE_PLACEHOLDER = "000"  # as wide as any page number the contents will show
SIGNOFF_SECTIONS = ("signoff", "sign_off")

STYLE = """
h1 { font-size: 22pt; font-weight: bold; margin-top: 0; margin-bottom: 8px; }
h2 { font-size: 14pt; font-weight: bold; margin-top: 19px; margin-bottom: 8px;
     color: #1f3b57; }
h3 { font-size: 11.5pt; font-weight: bold; margin-top: 18px; margin-bottom: 5px;
     color: #1f3b57; }
h4 { font-size: 10pt; font-weight: bold; margin-top: 12px; margin-bottom: 3px; }
p { margin-top: 0; margin-bottom: 5px; }
p.answer { margin-left: 19px; }
p.missing { margin-left: 19px; color: #6b6b6b; font-style: italic; }
p.note { margin-left: 19px; color: #555555; font-style: italic; font-size: 8.5pt; }
p.intro { color: #444444; font-style: italic; font-size: 9pt; margin-bottom: 8px; }
p.caption { color: #444444; font-size: 8pt; margin-top: 5px; }
p.result { margin-left: 19px; margin-top: 8px; }
p.kind { font-size: 13pt; color: #1f3b57; margin-bottom: 24px; }
p.org { font-size: 12pt; color: #444444; margin-top: 80px; margin-bottom: 5px; }
p.brand { font-size: 9pt; color: #6b6b6b; }
p.credit { font-size: 8.5pt; color: #444444; }
p.small { font-size: 8.5pt; color: #444444; }
table.grid { border-color: #7a7a7a; border-style: solid; border-collapse: collapse;
             font-size: 8.5pt; margin-bottom: 6px; }
table.grid th { background-color: #e4e9ef; text-align: left; font-size: 8pt; }
table.checklist { margin-left: 19px; }
td.box { font-size: 11pt; }
table.facts td { padding: 3px; }
table.alert { border-color: #b3261e; border-style: solid; border-collapse: collapse;
              margin-top: 11px; margin-bottom: 11px; background-color: #fdeceb; }
table.heat { border-color: #4a4a4a; border-style: solid; border-collapse: collapse;
             font-size: 8.5pt; }
td.map { text-align: center; vertical-align: middle; }
td.axis { font-size: 7.5pt; text-align: center; vertical-align: middle; }
td.maptitle { text-align: center; font-size: 9pt; }
span.level { font-size: 8pt; }
span.risks { font-size: 10pt; font-weight: bold; }
"""


@dataclass(frozen=True)
class Entry:
    """One line of the contents: its anchor, number and title."""

    anchor: str
    number: str
    title: str


def build(document: Document) -> tuple[str, list[Entry]]:
    """The whole body as HTML and the contents' entries, in order."""
    entries: list[Entry] = []
    sections = []
    for n, section in enumerate(document.template.sections, start=1):
        entry = Entry(f"sec-{n}", f"{n}.", section.title)
        entries.append(entry)
        sections.append(_section(document, section, entry, n))
    tail = [
        (Entry("sec-record", "", "Record of this version"), _record(document)),
        (Entry("sec-annex", "Annex A.", "Evidence behind the suggestions"), _evidence(document)),
        (Entry("sec-credits", "", "Sources and licence"), _credits(document)),
    ]
    body = [_title_page(document), _contents(entries + [e for e, _ in tail])]
    body.extend(sections)
    for entry, content in tail:
        entries.append(entry)
        body.append(_heading(entry, page_break=entry.anchor == "sec-annex") + content)
    return f"<html><body>{''.join(body)}</body></html>", entries


def kind_name(document: Document) -> str:
    """The type's full name, e.g. "Data Protection Impact Assessment (DPIA)"."""
    return KIND_NAMES.get(document.template.kind, document.template.kind.upper())


def version_text(document: Document) -> str:
    """The version as shown: "Version 3", or "Draft"."""
    return f"Version {document.version}" if document.version is not None else "Draft"


def _title_page(document: Document) -> str:
    facts = [
        ("Organisation (controller)", document.organisation),
        ("Assessment", document.title),
        ("Type", kind_name(document)),
        ("Version", version_text(document)),
        ("Status", document.status.capitalize()),
        ("Completed", long_datetime(document.completed_at) or "Not completed (draft)"),
        ("Review due", long_date(document.review_due) or "Set when completed"),
        ("Completed by", document.author or "—"),
        ("Template", f"{document.template.title} (template version {document.template.version})"),
        ("Content hash (SHA-256)", hash_groups(document.content_hash) or "None (drafts have none)"),
    ]
    rows = "".join(
        f'<tr><td width="30%"><b>{esc(k)}</b></td><td>{esc(v)}</td></tr>' for k, v in facts
    )
    summary = []
    screening = pdf_risks.screening_html(document)
    if screening:
        summary.append(screening.replace('class="result"', 'class="small"'))
    risks = pdf_risks.risk_summary(document)
    if risks:
        summary.append(f'<p class="small"><b>Risks:</b> {esc(risks)}</p>')
    source = document.template.source
    return (
        '<p class="brand">ShopGuard · assessment record</p>'
        f'<p class="org">{esc(document.organisation)}</p>'
        f"<h1>{esc(document.title)}</h1>"
        f'<p class="kind">{esc(kind_name(document))} · {esc(version_text(document))}</p>'
        '<table class="facts" width="100%" cellspacing="0" cellpadding="3">'
        f"{rows}</table><p></p>{''.join(summary)}"
        f"{pdf_risks.prior_consultation_html(document)}"
        f'<p class="credit" style="margin-top: 32px">{esc(source.credit)}</p>'
    )


def _contents(entries: list[Entry]) -> str:
    rows = "".join(
        f'<tr><td width="12%">{esc(e.number)}</td><td width="76%">{esc(e.title)}</td>'
        f'<td width="12%" align="right"><a name="page-{e.anchor}">{PAGE_PLACEHOLDER}</a></td></tr>'
        for e in entries
    )
    return (
        '<h2 style="page-break-before: always">Contents</h2>'
        f'<table width="100%" cellspacing="0" cellpadding="3">{rows}</table>'
    )


def _heading(entry: Entry, *, page_break: bool = False) -> str:
    style = ' style="page-break-before: always"' if page_break else ""
    label = f"{entry.number} {entry.title}" if entry.number else entry.title
    return f'<h2{style}><a name="{entry.anchor}">{esc(label)}</a></h2>'


def _section(document: Document, section: Section, entry: Entry, n: int) -> str:
    out = [_heading(entry, page_break=n == 1)]
    if section.intro:
        out.append(paragraphs(section.intro, "intro"))
    if section.id in SIGNOFF_SECTIONS:
        out.append(_signoff(document, section, n))
        return "".join(out)
    for m, question in enumerate(section.questions, start=1):
        out.append(_question(document, question, f"{n}.{m}"))
    if section.id == "screening":
        out.append(pdf_risks.screening_html(document))
    return "".join(out)


def _question(document: Document, question: Question, number: str) -> str:
    value = document.answers.get(question.key)
    out = [f"<h4>{esc(number)} {esc(question.prompt)}</h4>"]
    if question.role == "risks":
        out.append(pdf_risks.register_html(document))
        out.append("<h3>Risk heat map</h3>")
        out.append(pdf_risks.heat_maps_html(document))
    elif question.role == "measures":
        out.append("<h3>Action plan</h3>")
        out.append(pdf_risks.actions_html(document, question))
        if not any(s.id in SIGNOFF_SECTIONS for s in document.template.sections):
            out.append(pdf_risks.prior_consultation_html(document))
    else:
        out.append(answer_html(question, value, pdf_risks.risk_numbers(document)))
    if question.key in document.suggested and value not in (None, "", [], {}):
        out.append(suggestion_note())
    return "".join(out)


def _signoff(document: Document, section: Section, n: int) -> str:
    """The sign-off block: one row per item in template order; people as name, position
    and date, other answers across those three columns."""
    head = (
        '<th width="7%">No.</th><th width="33%">Item</th><th width="24%">Name</th>'
        '<th width="22%">Position</th><th width="14%">Date</th>'
    )
    body = []
    noted = False
    for m, q in enumerate(section.questions, start=1):
        value = document.answers.get(q.key)
        mark = ""
        if q.key in document.suggested and is_answered(q, value):
            mark, noted = " †", True
        if q.type == "person" and isinstance(value, Mapping) and is_answered(q, value):
            cells = "".join(
                f"<td>{esc(text)}</td>"
                for text in (
                    value.get("name", ""),
                    value.get("role", ""),
                    long_date(value.get("date")),
                )
            )
        elif q.type == "person":
            cells = f'<td colspan="3"><i>{NOT_ANSWERED}</i></td>'
        elif is_answered(q, value) or q.type == "checklist":
            shown = answer_html(q, value, {}).replace('class="answer"', 'class="cell"')
            cells = f'<td colspan="3">{shown}</td>'
        else:
            cells = f'<td colspan="3"><i>{NOT_ANSWERED}</i></td>'
        body.append(f"<tr><td>{n}.{m}</td><td>{esc(q.prompt)}{mark}</td>{cells}</tr>")
    out = [pdf_risks.prior_consultation_html(document), grid_table(head, body)]
    if noted:
        out.append(f'<p class="note">† {esc(SUGGESTED)}</p>')
    # One borderless cell around it all, so the block stays on one page when it fits.
    return (
        '<table width="100%" cellspacing="0" cellpadding="0"><tr><td>'
        f"{''.join(out)}</td></tr></table>"
    )


def _record(document: Document) -> str:
    problems = rules.problems(document.template, document.answers)
    status = f" · {document.status}" if document.version is not None else ""
    lines = [
        f"<p>{esc(document.organisation)} · {esc(document.title)} · "
        f"{esc(version_text(document))}{esc(status)}</p>",
    ]
    if document.version is not None:
        by = f" by {document.author}" if document.author else ""
        lines.append(
            f"<p>Completed {esc(long_datetime(document.completed_at))}{esc(by)}; review due "
            f"{esc(long_date(document.review_due))}. Content hash (SHA-256): "
            f"{esc(hash_groups(document.content_hash))}.</p>"
            "<p>This is a frozen, numbered version. Any change starts a new draft and, when "
            "completed, a new version with its own content hash.</p>"
        )
    else:
        lines.append(
            "<p><b>This is a draft, not a completed version.</b> It may change; only a "
            "completed version has a content hash.</p>"
        )
    if problems and document.version is None:
        items = "".join(f"<li>{esc(p.message)}</li>" for p in problems)
        lines.append(f"<p>Still open before it can be completed:</p><ul>{items}</ul>")
    return "".join(lines)


def _evidence(document: Document) -> str:
    intro = (
        '<p class="intro">The live figures ShopGuard read from the shop to suggest answers, '
        "and when each was read.</p>"
    )
    if not document.evidence:
        return intro + '<p class="missing">No live figures were used.</p>'
    head = '<th width="42%">Figure</th><th width="33%">Value</th><th width="25%">Read at</th>'
    body = [
        f"<tr><td>{esc(e.label)}</td><td>{esc(e.value)}</td>"
        f"<td>{esc(long_datetime(e.read_at))}</td></tr>"
        for e in document.evidence
    ]
    return intro + grid_table(head, body)


def _credits(document: Document) -> str:
    source = document.template.source
    return (
        f'<p class="credit">{esc(source.credit)}</p>'
        f'<p class="credit">Source: {esc(source.publisher)}, “{esc(source.title)}”, '
        f"{esc(source.url)}. Licence: {esc(source.licence)}.</p>"
        '<p class="credit">Produced with ShopGuard. Text set in DejaVu Sans (Bitstream Vera '
        "licence). PDF/A-1b.</p>"
    )
