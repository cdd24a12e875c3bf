"""Plain-text building blocks of the assessment PDF: escaping, dates, answers as HTML.

Qt-free: ``pdf_html`` and ``pdf_risks`` assemble the document body from these pieces and
``pdf`` lays it out with Qt. Every answer type of ``templates`` has one formatter here, so
the wording ("Not answered", the suggestion note, ☑/☐) is the same wherever it appears.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from shopguard.assessments.answers import is_answered
from shopguard.assessments.templates import Column, Question

NOT_ANSWERED = "Not answered"
SUGGESTED = "(suggested by ShopGuard from your shop's data)"
TICKED = "\u2611"  # ☑
UNTICKED = "\u2610"  # ☐
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
KIND_NAMES = {
    "lia": "Legitimate Interests Assessment (LIA)",
    "dpia": "Data Protection Impact Assessment (DPIA)",
}


def esc(text: object) -> str:
    """HTML-escaped text (quotes too, so it may go into attributes)."""
    return html.escape(str(text), quote=True)


def paragraphs(text: str, css: str = "answer") -> str:
    """Free text as paragraphs: a blank line starts a new one, a newline breaks the line."""
    parts = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n")]
    return "".join(
        f'<p class="{css}">{"<br/>".join(esc(line) for line in p.split(chr(10)))}</p>'
        for p in parts
        if p
    )


def lines(text: str) -> str:
    """Text for a table cell: escaped, its line breaks kept."""
    return "<br/>".join(esc(line) for line in text.replace("\r\n", "\n").split("\n"))


def long_date(value: str | date | None) -> str:
    """``2025-03-14`` as "14 March 2025" (English month names whatever the locale)."""
    if value is None or value == "":
        return ""
    day = value if isinstance(value, date) else _parse_date(value)
    if day is None:
        return str(value)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def long_datetime(value: datetime | None) -> str:
    """A moment as "14 March 2025, 10:32 UTC" (aware times are shown in UTC)."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
        zone = " UTC"
    else:
        zone = ""
    return f"{long_date(value.date())}, {value:%H:%M}{zone}"


def person_text(value: Any) -> str:
    """A person answer as "name, role, date" (empty parts left out)."""
    if not isinstance(value, Mapping):
        return ""
    parts = [str(value.get("name") or "").strip(), str(value.get("role") or "").strip()]
    parts.append(long_date(str(value.get("date") or "")))
    return ", ".join(p for p in parts if p)


def not_answered() -> str:
    """The marker for an unanswered question."""
    return f'<p class="missing">{NOT_ANSWERED}</p>'


def suggestion_note() -> str:
    """The note under an answer that is still ShopGuard's suggestion."""
    return f'<p class="note">{esc(SUGGESTED)}</p>'


def cell_text(column: Column, value: Any, risk_numbers: Mapping[str, int]) -> str:
    """One table cell as plain text, by the column's type."""
    if value is None or value == "":
        return ""
    if column.type == "person":
        return person_text(value)
    if column.type == "date":
        return long_date(str(value))
    if column.type == "risk":
        number = risk_numbers.get(str(value))
        return f"R{number}" if number else str(value)
    return str(value)


def answer_html(question: Question, value: Any, risk_numbers: Mapping[str, int]) -> str:
    """The answer to ``question`` as HTML, "Not answered" when there is none."""
    if question.type == "checklist":
        return checklist_html(question, value)
    if not is_answered(question, value):
        return not_answered()
    if question.type == "text":
        return paragraphs(str(value))
    if question.type == "yesno":
        return f'<p class="answer">{"Yes" if value else "No"}</p>'
    if question.type == "date":
        return f'<p class="answer">{esc(long_date(str(value)))}</p>'
    if question.type == "person":
        return f'<p class="answer">{esc(person_text(value))}</p>'
    if question.type == "table":
        return table_html(question.columns, value, risk_numbers)
    return f'<p class="answer">{esc(value)}</p>'  # choice


def checklist_html(question: Question, value: Any) -> str:
    """Every item of a checklist, ticked ☑ or not ☐, in template order."""
    ticked = set(value or [])
    rows = "".join(
        f'<tr><td width="6%" class="box">{TICKED if item.id in ticked else UNTICKED}</td>'
        f"<td>{esc(item.text)}</td></tr>"
        for item in question.items
    )
    out = f'<table class="checklist" width="100%" cellpadding="2" cellspacing="0">{rows}</table>'
    if not ticked:
        out += '<p class="missing">None ticked.</p>'
    return out


def table_html(
    columns: Iterable[Column], rows: Any, risk_numbers: Mapping[str, int], *, number: bool = True
) -> str:
    """A table answer as an HTML table with a header row (repeated on each page)."""
    cols = list(columns)
    head = "".join(f"<th>{esc(c.title)}</th>" for c in cols)
    if number:
        head = '<th width="5%">No.</th>' + head
    body = []
    for n, row in enumerate(rows or [], start=1):
        cells = "".join(
            f"<td>{lines(cell_text(c, row.get(c.id), risk_numbers))}</td>" for c in cols
        )
        body.append(f"<tr>{f'<td>{n}</td>' if number else ''}{cells}</tr>")
    return grid_table(head, body)


def grid_table(head: str, body: list[str], css: str = "grid") -> str:
    """A bordered table: ``head`` is the ``<th>`` cells, ``body`` the ``<tr>`` rows."""
    return (
        f'<table class="{css}" width="100%" cellspacing="0" cellpadding="4" border="1">'
        f"<thead><tr>{head}</tr></thead>{''.join(body)}</table>"
    )


def hash_groups(content_hash: str) -> str:
    """A SHA-256 hex digest in groups of eight, easier to compare by eye."""
    return " ".join(content_hash[i : i + 8] for i in range(0, len(content_hash), 8))


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
