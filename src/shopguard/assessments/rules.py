"""The ICO's rules for completing an assessment, and the DPIA risk grid.

* Screening: two or more of the likely-high-risk criteria ticked means a DPIA is needed.
* Overall risk comes from likelihood x severity on the grid below; the owner may override
  it, with a reason.
* Every risk rated Medium or High needs at least one measure (DPIA step 6).
* A residual High risk blocks "Complete" until the owner confirms that the regulator must
  be consulted before the processing starts (UK GDPR / GDPR Art. 36).

The grid is the ICO's example risk matrix (likelihood: remote, possible, probable;
severity: minimal, significant, severe), as in its DPIA guidance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shopguard.assessments.answers import missing
from shopguard.assessments.templates import Question, Template

LIKELIHOODS = ("Remote", "Possible", "Probable")
SEVERITIES = ("Minimal", "Significant", "Severe")
LEVELS = ("Low", "Medium", "High")
# GRID[severity][likelihood]
GRID: Mapping[str, Mapping[str, str]] = {
    "Minimal": {"Remote": "Low", "Possible": "Low", "Probable": "Low"},
    "Significant": {"Remote": "Low", "Possible": "Medium", "Probable": "High"},
    "Severe": {"Remote": "Medium", "Possible": "High", "Probable": "High"},
}
SCREENING_THRESHOLD = 2
PRIOR_CONSULTATION_KEY = "signoff.prior_consultation"


@dataclass(frozen=True)
class Problem:
    """Something that blocks "Complete": where (section, question key) and what to do."""

    section: str
    key: str
    message: str


@dataclass(frozen=True)
class Risk:
    """One row of the risk register, with its overall level settled."""

    id: str
    number: int
    description: str
    likelihood: str
    severity: str
    overall: str
    overridden: bool
    override_reason: str


@dataclass(frozen=True)
class Measure:
    """One row of the measures table."""

    id: str
    risk: str
    options: str
    effect: str
    residual: str
    approved: str
    owner: str
    due: str


def grid(likelihood: str, severity: str) -> str | None:
    """Overall risk for this likelihood and severity; None while either is unset."""
    return GRID.get(severity, {}).get(likelihood)


def risks(template: Template, answers: Mapping[str, Any]) -> list[Risk]:
    """The risk register, numbered from 1, each with its overall level (grid or override)."""
    table = template.table("risks")
    if table is None:
        return []
    out = []
    for n, row in enumerate(answers.get(table.key) or [], start=1):
        likelihood = str(row.get("likelihood") or "")
        severity = str(row.get("severity") or "")
        from_grid = grid(likelihood, severity) or ""
        chosen = str(row.get("overall") or "")
        out.append(
            Risk(
                id=row["id"],
                number=n,
                description=str(row.get("description") or ""),
                likelihood=likelihood,
                severity=severity,
                overall=chosen or from_grid,
                overridden=bool(chosen) and bool(from_grid) and chosen != from_grid,
                override_reason=str(row.get("override_reason") or ""),
            )
        )
    return out


def measures(template: Template, answers: Mapping[str, Any]) -> list[Measure]:
    """The measures table, in the owner's order."""
    table = template.table("measures")
    if table is None:
        return []
    return [
        Measure(
            id=row["id"],
            risk=str(row.get("risk") or ""),
            options=str(row.get("options") or ""),
            effect=str(row.get("effect") or ""),
            residual=str(row.get("residual") or ""),
            approved=str(row.get("approved") or ""),
            owner=str(row.get("owner") or ""),
            due=str(row.get("due") or ""),
        )
        for row in answers.get(table.key) or []
    ]


def residual_level(risk: Risk, risk_measures: list[Measure]) -> str:
    """The risk left after its measures: the highest residual they give, else unchanged."""
    given = [m.residual for m in risk_measures if m.residual in LEVELS]
    if not given:
        return risk.overall
    return max(given, key=LEVELS.index)


def needs_prior_consultation(template: Template, answers: Mapping[str, Any]) -> bool:
    """Whether any risk stays High after its measures (Art. 36 applies)."""
    by_risk = _measures_by_risk(template, answers)
    return any(residual_level(r, by_risk.get(r.id, [])) == "High" for r in risks(template, answers))


def screening_count(template: Template, answers: Mapping[str, Any]) -> int | None:
    """How many screening criteria are ticked; None when the template has no screening."""
    question = _screening(template)
    if question is None:
        return None
    return len(answers.get(question.key) or [])


def dpia_needed(template: Template, answers: Mapping[str, Any]) -> bool | None:
    """Two or more screening criteria: a DPIA is needed. None without a screening step."""
    count = screening_count(template, answers)
    return None if count is None else count >= SCREENING_THRESHOLD


def problems(template: Template, answers: Mapping[str, Any]) -> list[Problem]:
    """Everything that blocks "Complete", in template order; empty when it may complete."""
    found = [Problem(q.section, q.key, _missing_text(q)) for q in missing(template, answers)]
    found.extend(_table_problems(template, answers))
    found.extend(_risk_problems(template, answers))
    order = {s.id: n for n, s in enumerate(template.sections)}
    found.sort(key=lambda p: order.get(p.section, len(order)))
    return found


# What a table's rows are called, by its role (an empty table asks for one).
ROW_NOUNS = {"risks": "risk", "measures": "measure"}


def _missing_text(question: Question) -> str:
    if question.type == "table":
        noun = ROW_NOUNS.get(question.role, "row")
        return f"Add at least one {noun} to “{question.prompt}”"
    return f"Answer “{question.prompt}”"


def _table_problems(template: Template, answers: Mapping[str, Any]) -> list[Problem]:
    found = []
    for q in template.questions():
        if q.type != "table":
            continue
        for n, row in enumerate(answers.get(q.key) or [], start=1):
            for column in q.columns:
                if column.required and not _cell_answered(row.get(column.id)):
                    found.append(
                        Problem(q.section, q.key, f"{_title(q)}, row {n}: fill in “{column.title}”")
                    )
    return found


def _risk_problems(template: Template, answers: Mapping[str, Any]) -> list[Problem]:
    table = template.table("risks")
    if table is None:
        return []
    found = []
    by_risk = _measures_by_risk(template, answers)
    measures_table = template.table("measures")
    for risk in risks(template, answers):
        if risk.overridden and not risk.override_reason.strip():
            found.append(
                Problem(
                    table.section,
                    table.key,
                    f"Risk {risk.number}: say why the overall risk is {risk.overall} and not "
                    f"{grid(risk.likelihood, risk.severity)} as the grid gives",
                )
            )
        if risk.overall in ("Medium", "High") and not by_risk.get(risk.id):
            where = measures_table or table
            found.append(
                Problem(
                    where.section,
                    where.key,
                    f"Risk {risk.number} is {risk.overall}: add a measure to reduce or "
                    "eliminate it",
                )
            )
    if needs_prior_consultation(template, answers):
        confirmed = answers.get(PRIOR_CONSULTATION_KEY) is True
        if not confirmed:
            section = PRIOR_CONSULTATION_KEY.split(".")[0]
            found.append(
                Problem(
                    section,
                    PRIOR_CONSULTATION_KEY,
                    "A risk stays High after its measures: confirm that you will consult the "
                    "regulator before the processing starts (Art. 36)",
                )
            )
    return found


def _measures_by_risk(template: Template, answers: Mapping[str, Any]) -> dict[str, list[Measure]]:
    out: dict[str, list[Measure]] = {}
    for m in measures(template, answers):
        if m.risk:
            out.setdefault(m.risk, []).append(m)
    return out


def _screening(template: Template) -> Question | None:
    return next(
        (q for q in template.questions() if q.type == "checklist" and q.section == "screening"),
        None,
    )


def _cell_answered(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(str(value.get("name", "")).strip())
    return value is not None and bool(str(value).strip())


def _title(question: Question) -> str:
    return question.prompt.rstrip(".:")
