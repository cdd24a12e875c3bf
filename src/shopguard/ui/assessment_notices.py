"""What the wizard tells the owner about the rules, page by page, in plain words.

The rules themselves live in ``shopguard.assessments.rules``; this module only turns their
results (screening count, risks, measures, Art. 36) into sentences for the pages they
concern.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from shopguard.assessments import rules
from shopguard.assessments.templates import Question, Template
from shopguard.ui.models.assessments_model import long_date
from shopguard.ui.widgets import Tone

if TYPE_CHECKING:
    from shopguard.assessments.service import VersionInfo

SCREENING_SECTION = "screening"
_SHORT = 60

PRIOR_CONSULTATION = (
    "A risk stays High even after its measures. The law (UK GDPR Article 36) then says you "
    "must consult the ICO, or your own country's data protection regulator, before the "
    "processing starts. {where} ShopGuard cannot complete this assessment until you do, and "
    "the PDF will say so."
)
PRIOR_CONSULTATION_CONFIRMED = (
    "A risk stays High even after its measures, and you confirmed you will consult the ICO "
    "(or your regulator) before the processing starts (UK GDPR Article 36). The PDF says so."
)


def frozen_notice(version: VersionInfo) -> str:
    """What a read-only, completed version says at the top."""
    return (
        f"Version {version.number} was completed on {long_date(version.completed_at.date())} "
        "and is kept exactly as it was. To change anything, click "
        f"“Edit (start version {version.number + 1})”."
    )


def confirm_text(number: int, review_months: int) -> str:
    """The question before a version is frozen."""
    return (
        f"This freezes your answers as version {number}, with today's date and a "
        "fingerprint (hash), so you can show a regulator exactly what you decided.\n\n"
        f"It will be due for review in {review_months} months. You can still change things "
        f"later: that starts version {number + 1}."
    )


def status_line(versions: Sequence[VersionInfo], *, read_only: bool) -> str:
    """The wizard's status line: draft, or which version and when it is due for review."""
    if not versions:
        return "Draft: not completed yet"
    latest = versions[-1]
    completed = long_date(latest.completed_at.date())
    due = long_date(latest.review_due)
    if read_only:
        return f"Version {latest.number} · completed {completed} · review due {due}"
    return (
        f"Draft of version {latest.number + 1} · version {latest.number} was completed "
        f"{completed}, review due {due}"
    )


def risk_choices(template: Template, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(id, label)`` for each risk, e.g. ``("risk-2", "Risk 2: Parcel refused… (High)")``."""
    out = []
    for risk in rules.risks(template, answers):
        text = " ".join(risk.description.split())
        short = text if len(text) <= _SHORT else text[: _SHORT - 1].rstrip() + "…"
        level = risk.overall or "not rated yet"
        out.append((risk.id, f"Risk {risk.number}: {short or '(no description yet)'} ({level})"))
    return out


def unlink_risks(question: Question, row: Mapping[str, Any], known: set[str]) -> dict[str, Any]:
    """The row without ``risk`` cells that point to a risk no longer in the register."""
    dangling = {c.id for c in question.columns if c.type == "risk" and row.get(c.id) not in known}
    return {k: v for k, v in row.items() if k not in dangling}


def screening_result(template: Template, answers: Mapping[str, Any]) -> tuple[str, Tone] | None:
    """The DPIA screening result in words; None for a template without screening."""
    count = rules.screening_count(template, answers)
    if count is None:
        return None
    threshold = rules.SCREENING_THRESHOLD
    if rules.dpia_needed(template, answers):
        return (
            f"Result: you ticked {count} of the criteria, so a DPIA is needed "
            f"({threshold} or more means yes). Carry on with the steps below.",
            "warning",
        )
    ticked = "none of the criteria" if count == 0 else "1 criterion"
    return (
        f"Result: you ticked {ticked}. {threshold} or more means a DPIA is needed. With "
        "fewer, a DPIA is still good practice when the risk is obvious; if you decide not to "
        "do one, keep a note of why.",
        "info",
    )


def page_notices(
    template: Template, answers: Mapping[str, Any]
) -> dict[str, list[tuple[str, Tone]]]:
    """Notices per section id: the screening result, and the Art. 36 prior consultation."""
    notices: dict[str, list[tuple[str, Tone]]] = {}
    screening = screening_result(template, answers)
    if screening is not None:
        notices.setdefault(SCREENING_SECTION, []).append(screening)
    if rules.needs_prior_consultation(template, answers):
        signoff = rules.PRIOR_CONSULTATION_KEY.split(".")[0]
        confirmed = answers.get(rules.PRIOR_CONSULTATION_KEY) is True
        measures = template.table("measures")
        for section in {signoff, measures.section if measures else signoff}:
            if confirmed:
                notices.setdefault(section, []).append((PRIOR_CONSULTATION_CONFIRMED, "warning"))
                continue
            where = (
                f"Answer “Yes” to “{_prompt(template)}” below to confirm you will."
                if section == signoff
                else f"Confirm it in “{_title(template, signoff)}”."
            )
            notices.setdefault(section, []).append(
                (PRIOR_CONSULTATION.format(where=where), "error")
            )
    return notices


def _prompt(template: Template) -> str:
    try:
        text = template.question(rules.PRIOR_CONSULTATION_KEY).prompt
    except KeyError:
        return "we will consult the regulator"
    return text if len(text) <= _SHORT else text[: _SHORT - 1].rstrip() + "…"


def _title(template: Template, section_id: str) -> str:
    return next((s.title for s in template.sections if s.id == section_id), section_id)
