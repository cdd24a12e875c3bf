"""The DPIA parts of the assessment PDF: screening, risk register, heat maps, action plan.

Qt-free HTML, laid out by ``pdf``. The heat maps are 3 x 3 tables (likelihood across,
severity up) coloured by the ICO grid with the level word printed in every cell, so they
read the same in greyscale and for colour-blind readers; the risk numbers (R1, R2, ...)
sit in their cells.

After measures the ICO template records only a residual level, not a new likelihood and
severity, so each risk moves to the nearest cell of its residual level (on a tie, the one
with the same severity: measures usually make harm less likely rather than less severe);
the caption says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shopguard.assessments import rules
from shopguard.assessments.document import Document
from shopguard.assessments.pdf_text import esc, grid_table, lines, long_date
from shopguard.assessments.templates import Question

# Colour-blind-safe (Okabe-Ito based) fills, dark text on all three; the word is printed too.
LEVEL_COLOURS: Mapping[str, str] = {"Low": "#a6d5f0", "Medium": "#f0e442", "High": "#e07b39"}
_NO_LEVEL = "#ffffff"


def risk_numbers(document: Document) -> dict[str, int]:
    """Risk row id -> its number in the register (R1, R2, ...)."""
    return {r.id: r.number for r in rules.risks(document.template, document.answers)}


def screening_html(document: Document) -> str:
    """The screening result: how many criteria apply and whether a DPIA is needed."""
    count = rules.screening_count(document.template, document.answers)
    if count is None:
        return ""
    needed = count >= rules.SCREENING_THRESHOLD
    verdict = "A DPIA is needed." if needed else "A DPIA is not required by the screening."
    criteria = "criterion applies" if count == 1 else "criteria apply"
    return (
        f'<p class="result"><b>Screening result:</b> {count} {criteria} '
        f"(two or more means a DPIA is needed). {verdict}</p>"
    )


def level_cell(level: str, extra: str = "") -> str:
    """A table cell coloured by risk level, with the level word in it."""
    colour = LEVEL_COLOURS.get(level, _NO_LEVEL)
    return f'<td bgcolor="{colour}"><b>{esc(level or "—")}</b>{extra}</td>'


def register_html(document: Document) -> str:
    """The risk register: number, description, likelihood, severity, overall, override."""
    found = rules.risks(document.template, document.answers)
    if not found:
        return '<p class="missing">No risks recorded.</p>'
    head = (
        '<th width="6%">No.</th><th width="34%">Source of risk and potential impact</th>'
        '<th width="13%">Likelihood of harm</th><th width="13%">Severity of harm</th>'
        '<th width="12%">Overall risk</th><th width="22%">Override reason</th>'
    )
    body = []
    for r in found:
        note = ""
        if r.overridden:
            note = f"<br/>(grid: {esc(rules.grid(r.likelihood, r.severity))})"
        body.append(
            f"<tr><td><b>R{r.number}</b></td><td>{lines(r.description)}</td>"
            f"<td>{esc(r.likelihood)}</td><td>{esc(r.severity)}</td>"
            f"{level_cell(r.overall, note)}<td>{lines(r.override_reason)}</td></tr>"
        )
    return grid_table(head, body)


def heat_maps_html(document: Document) -> str:
    """Two likelihood x severity heat maps side by side: before and after measures."""
    found = rules.risks(document.template, document.answers)
    if not found:
        return ""
    by_risk = _measures_by_risk(document)
    before = {r.number: _cell_of(r) for r in found}
    after = {
        r.number: residual_cell(r, rules.residual_level(r, by_risk.get(r.id, []))) for r in found
    }
    overridden = {r.number for r in found if r.overridden}
    left = _heat_map("Before measures", before, overridden)
    right = _heat_map("After measures (residual risk)", after, set())
    unplaced = [f"R{r.number}" for r in found if before[r.number] is None]
    notes = (
        "Likelihood runs across, severity up; colours follow the ICO grid and every cell "
        "names its level. After measures, a risk moves to the nearest cell of its residual "
        "level (the template records the residual level, not a new likelihood and severity)."
    )
    if overridden:
        notes += " * overall risk overridden (the register gives the reason)."
    if unplaced:
        notes += f" Not placed (likelihood or severity not set): {', '.join(unplaced)}."
    return (
        '<table class="maps" width="100%" cellspacing="0" cellpadding="0"><tr>'
        f'<td width="50%">{left}</td><td width="50%">{right}</td></tr>'
        f'<tr><td colspan="2"><p class="caption">{esc(notes)}</p></td></tr></table>'
    )


def actions_html(document: Document, question: Question) -> str:
    """The action plan: measure, risk, effect, residual risk, owner, due date, approved."""
    numbers = risk_numbers(document)
    found = rules.measures(document.template, document.answers)
    if not found:
        return '<p class="missing">No measures recorded.</p>'
    titles = {c.id: c.title for c in question.columns}
    head = (
        f'<th width="6%">Risk</th><th width="35%">{esc(titles.get("options", "Measure"))}</th>'
        f'<th width="11%">{esc(titles.get("effect", "Effect on risk"))}</th>'
        f'<th width="10%">{esc(titles.get("residual", "Residual risk"))}</th>'
        f'<th width="17%">{esc(titles.get("owner", "Owner"))}</th>'
        f'<th width="10%">{esc(titles.get("due", "Due"))}</th>'
        f'<th width="11%">{esc(titles.get("approved", "Approved"))}</th>'
    )
    rows = {str(row.get("id")): row for row in document.answers.get(question.key) or []}
    body = []
    for m in found:
        number = numbers.get(m.risk)
        owner = _owner_text(rows.get(m.id, {}).get("owner"))
        body.append(
            f"<tr><td><b>{f'R{number}' if number else '—'}</b></td><td>{lines(m.options)}</td>"
            f"<td>{esc(m.effect)}</td>{level_cell(m.residual) if m.residual else '<td></td>'}"
            f"<td>{esc(owner)}</td><td>{esc(long_date(m.due))}</td>"
            f"<td>{esc(m.approved)}</td></tr>"
        )
    return grid_table(head, body)


def prior_consultation_html(document: Document) -> str:
    """The Art. 36 statement, boxed, when a risk stays High after its measures."""
    if not document.prior_consultation:
        return ""
    org = esc(document.organisation)
    return (
        '<table class="alert" width="100%" cellspacing="0" cellpadding="8" border="2"><tr><td>'
        "<p><b>Prior consultation with the regulator is required (UK GDPR / GDPR "
        "Article 36).</b></p>"
        f"<p>At least one risk remains High after the measures in this assessment. {org} "
        "must consult the data protection regulator (in the UK, the Information "
        "Commissioner's Office) before the processing starts, and must not start it until "
        "the regulator has responded.</p></td></tr></table>"
    )


def risk_summary(document: Document) -> str:
    """One line for the title page: how many risks at each level, before and after."""
    found = rules.risks(document.template, document.answers)
    if not found:
        return ""
    by_risk = _measures_by_risk(document)
    before = [r.overall for r in found]
    after = [rules.residual_level(r, by_risk.get(r.id, [])) for r in found]
    return (
        f"{len(found)} risks. Before measures: {_counts(before)}. After measures: {_counts(after)}."
    )


def _counts(levels: Sequence[str]) -> str:
    return ", ".join(f"{level} {levels.count(level)}" for level in rules.LEVELS)


def _heat_map(title: str, cells: Mapping[int, tuple[int, int] | None], starred: set[int]) -> str:
    rows = [f'<tr><td colspan="4" class="maptitle"><b>{esc(title)}</b></td></tr>']
    for s_index in reversed(range(len(rules.SEVERITIES))):
        severity = rules.SEVERITIES[s_index]
        cols = [f'<td class="axis"><b>{esc(severity)}</b></td>']
        for l_index, likelihood in enumerate(rules.LIKELIHOODS):
            level = rules.GRID[severity][likelihood]
            here = [
                f"R{n}{'*' if n in starred else ''}"
                for n, cell in sorted(cells.items())
                if cell == (l_index, s_index)
            ]
            numbers = f'<br/><span class="risks">{esc(", ".join(here))}</span>' if here else ""
            cols.append(
                f'<td class="map" width="26%" height="62" bgcolor="{LEVEL_COLOURS[level]}">'
                f'<span class="level">{esc(level)}</span>{numbers}</td>'
            )
        rows.append("<tr>" + "".join(cols) + "</tr>")
    axis = "".join(f'<td class="axis"><b>{esc(x)}</b></td>' for x in rules.LIKELIHOODS)
    rows.append(f'<tr><td class="axis">Severity ↑<br/>Likelihood →</td>{axis}</tr>')
    return (
        '<table class="heat" width="96%" cellspacing="0" cellpadding="4" border="1">'
        + "".join(rows)
        + "</table>"
    )


def _cell_of(risk: rules.Risk) -> tuple[int, int] | None:
    if risk.likelihood not in rules.LIKELIHOODS or risk.severity not in rules.SEVERITIES:
        return None
    return rules.LIKELIHOODS.index(risk.likelihood), rules.SEVERITIES.index(risk.severity)


def residual_cell(risk: rules.Risk, residual: str) -> tuple[int, int] | None:
    """Where a risk sits after its measures: (likelihood, severity) indexes, or None.

    The nearest cell whose grid level is the residual level; on a tie, the one with the
    same severity. Unchanged level (or an override): the risk stays in its own cell.
    """
    start = _cell_of(risk)
    if start is None or residual not in rules.LEVELS or residual == risk.overall:
        return start
    candidates = [
        (li, si)
        for si, severity in enumerate(rules.SEVERITIES)
        for li, likelihood in enumerate(rules.LIKELIHOODS)
        if rules.GRID[severity][likelihood] == residual
    ]
    # Nearest cell; on a tie keep the severity (move along the likelihood axis).
    return min(
        candidates,
        key=lambda c: (abs(c[0] - start[0]) + abs(c[1] - start[1]), abs(c[1] - start[1])),
    )


def _measures_by_risk(document: Document) -> dict[str, list[rules.Measure]]:
    out: dict[str, list[rules.Measure]] = {}
    for m in rules.measures(document.template, document.answers):
        out.setdefault(m.risk, []).append(m)
    return out


def _owner_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(str(value.get(k) or "") for k in ("name", "role") if value.get(k))
    return str(value or "")
