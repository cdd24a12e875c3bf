"""The ICO's rules: the risk grid, a measure for every Medium/High risk, Art. 36, screening."""

from __future__ import annotations

from typing import Any

import pytest

from shopguard.assessments import rules
from shopguard.assessments.answers import AnswerError, check_answers, missing
from shopguard.assessments.templates import Template, load_template, parse_template

LEVEL = ["Low", "Medium", "High"]


def _template() -> Template:
    """A small DPIA-shaped template: screening, risks, measures, sign-off."""
    return parse_template(
        {
            "format": 1,
            "id": "mini-dpia",
            "kind": "dpia",
            "title": "Mini DPIA",
            "version": 1,
            "review_months": 12,
            "source": {
                "publisher": "Test",
                "title": "Test template",
                "url": "https://example.org",
                "licence": "none",
                "credit": "Test credit",
            },
            "sections": [
                {
                    "id": "screening",
                    "title": "Screening",
                    "questions": [
                        {
                            "id": "criteria",
                            "prompt": "Which apply?",
                            "type": "checklist",
                            "required": False,
                            "items": [{"id": f"c{i}", "text": f"Criterion {i}"} for i in range(9)],
                        }
                    ],
                },
                {
                    "id": "need",
                    "title": "Need",
                    "questions": [{"id": "why", "prompt": "Why?", "type": "text"}],
                },
                {
                    "id": "risks",
                    "title": "Risks",
                    "questions": [
                        {
                            "id": "register",
                            "prompt": "Risks",
                            "type": "table",
                            "role": "risks",
                            "required": False,
                            "columns": [
                                {
                                    "id": "description",
                                    "title": "Risk",
                                    "type": "text",
                                    "required": True,
                                },
                                {
                                    "id": "likelihood",
                                    "title": "Likelihood",
                                    "type": "choice",
                                    "options": list(rules.LIKELIHOODS),
                                    "required": True,
                                },
                                {
                                    "id": "severity",
                                    "title": "Severity",
                                    "type": "choice",
                                    "options": list(rules.SEVERITIES),
                                    "required": True,
                                },
                                {
                                    "id": "overall",
                                    "title": "Overall",
                                    "type": "choice",
                                    "options": LEVEL,
                                },
                                {"id": "override_reason", "title": "Why", "type": "text"},
                            ],
                        }
                    ],
                },
                {
                    "id": "measures",
                    "title": "Measures",
                    "questions": [
                        {
                            "id": "plan",
                            "prompt": "Measures",
                            "type": "table",
                            "role": "measures",
                            "ref": "risks.register",
                            "required": False,
                            "columns": [
                                {"id": "risk", "title": "Risk", "type": "risk", "required": True},
                                {
                                    "id": "options",
                                    "title": "Options",
                                    "type": "text",
                                    "required": True,
                                },
                                {
                                    "id": "effect",
                                    "title": "Effect",
                                    "type": "choice",
                                    "options": ["Eliminated", "Reduced", "Accepted"],
                                },
                                {
                                    "id": "residual",
                                    "title": "Residual",
                                    "type": "choice",
                                    "options": LEVEL,
                                    "required": True,
                                },
                            ],
                        }
                    ],
                },
                {
                    "id": "signoff",
                    "title": "Sign-off",
                    "questions": [
                        {"id": "by", "prompt": "Approved by", "type": "person"},
                        {
                            "id": "prior_consultation",
                            "prompt": "We will consult",
                            "type": "yesno",
                            "required": False,
                        },
                    ],
                },
            ],
        },
        "mini.json",
    )


def _risk(rid: str, likelihood: str, severity: str, **extra: str) -> dict[str, Any]:
    return {
        "id": rid,
        "description": f"risk {rid}",
        "likelihood": likelihood,
        "severity": severity,
        **extra,
    }


BASE = {
    "need.why": "Because.",
    "signoff.by": {"name": "Maria", "role": "Owner", "date": "2026-11-25"},
}


@pytest.mark.parametrize(
    ("likelihood", "severity", "overall"),
    [
        ("Remote", "Minimal", "Low"),
        ("Possible", "Minimal", "Low"),
        ("Probable", "Minimal", "Low"),
        ("Remote", "Significant", "Low"),
        ("Possible", "Significant", "Medium"),
        ("Probable", "Significant", "High"),
        ("Remote", "Severe", "Medium"),
        ("Possible", "Severe", "High"),
        ("Probable", "Severe", "High"),
    ],
)
def test_the_grid(likelihood: str, severity: str, overall: str) -> None:
    assert rules.grid(likelihood, severity) == overall
    [risk] = rules.risks(_template(), {"risks.register": [_risk("r1", likelihood, severity)]})
    assert risk.overall == overall and not risk.overridden


def test_grid_is_unset_until_both_are_chosen() -> None:
    assert rules.grid("", "Severe") is None
    assert rules.grid("Possible", "") is None


def test_a_complete_low_risk_draft_has_no_problems() -> None:
    answers = {**BASE, "risks.register": [_risk("r1", "Remote", "Minimal")]}
    assert rules.problems(_template(), answers) == []


def test_missing_answers_are_named_in_template_order() -> None:
    found = rules.problems(_template(), {})
    assert [p.key for p in found] == ["need.why", "signoff.by"]
    assert found[0].message == "Answer “Why?”"


def test_an_empty_register_asks_for_a_row_not_an_answer() -> None:
    messages = [p.message for p in rules.problems(load_template("ico-dpia"), {})]
    assert "Add at least one risk to “Identify and assess risks”" in messages
    assert not any(m.startswith("Answer “Identify and assess risks") for m in messages)


def test_an_override_needs_a_reason() -> None:
    t = _template()
    answers = {**BASE, "risks.register": [_risk("r1", "Remote", "Minimal", overall="Medium")]}
    [problem, needs_measure] = rules.problems(t, answers)
    assert "say why the overall risk is Medium and not Low" in problem.message
    assert needs_measure.key == "measures.plan"
    answers["risks.register"][0]["override_reason"] = "Old customers' data"
    answers["measures.plan"] = [{"id": "m1", "risk": "r1", "options": "Delete", "residual": "Low"}]
    assert rules.problems(t, answers) == []


def test_every_medium_or_high_risk_needs_a_measure() -> None:
    t = _template()
    answers = {
        **BASE,
        "risks.register": [
            _risk("r1", "Possible", "Significant"),
            _risk("r2", "Possible", "Severe"),
        ],
        "measures.plan": [{"id": "m1", "risk": "r2", "options": "Pepper", "residual": "Low"}],
    }
    [problem] = rules.problems(t, answers)
    assert problem.message.startswith("Risk 1 is Medium: add a measure")
    assert problem.section == "measures"


def test_a_residual_high_risk_needs_the_art_36_confirmation() -> None:
    t = _template()
    answers: dict[str, Any] = {
        **BASE,
        "risks.register": [_risk("r1", "Probable", "Severe")],
        "measures.plan": [{"id": "m1", "risk": "r1", "options": "Try", "residual": "High"}],
    }
    assert rules.needs_prior_consultation(t, answers)
    [problem] = rules.problems(t, answers)
    assert problem.key == rules.PRIOR_CONSULTATION_KEY and "Art. 36" in problem.message
    answers[rules.PRIOR_CONSULTATION_KEY] = True
    assert rules.problems(t, answers) == []
    answers["measures.plan"][0]["residual"] = "Medium"
    assert not rules.needs_prior_consultation(t, answers)


def test_required_cells_of_a_row() -> None:
    answers = {**BASE, "risks.register": [{"id": "r1", "likelihood": "Remote"}]}
    messages = [p.message for p in rules.problems(_template(), answers)]
    assert messages == ["Risks, row 1: fill in “Risk”", "Risks, row 1: fill in “Severity”"]


@pytest.mark.parametrize(("ticked", "needed"), [(0, False), (1, False), (2, True), (5, True)])
def test_screening_two_or_more_means_a_dpia(ticked: int, needed: bool) -> None:
    answers = {"screening.criteria": [f"c{i}" for i in range(ticked)]}
    assert rules.screening_count(_template(), answers) == ticked
    assert rules.dpia_needed(_template(), answers) is needed


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"need.nope": "x"}, "need.nope: there is no such question"),
        ({"need.why": 3}, "need.why: expected text"),
        ({"signoff.prior_consultation": "yes"}, "expected yes or no"),
        (
            {"signoff.by": {"name": "A", "date": "25/11/2026"}},
            "expected a date (YYYY-MM-DD) or none",
        ),
        ({"screening.criteria": ["c1", "c1"]}, "ticked items among"),
        (
            {"risks.register": [{"id": "r1", "likelihood": "Sometimes"}]},
            "risks.register, row 1, 'Likelihood': expected one of",
        ),
        ({"risks.register": [{"id": "r1"}, {"id": "r1"}]}, "row 2: expected a unique id"),
        ({"risks.register": [{"id": "r1", "colour": "red"}]}, "there is no column 'colour'"),
        (
            {"measures.plan": [{"id": "m1", "risk": "r9"}]},
            "points to a risk that is not in the risk register",
        ),
    ],
)
def test_answers_of_the_wrong_shape_are_refused(answers: dict[str, Any], message: str) -> None:
    with pytest.raises(AnswerError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_answers(_template(), answers)


def test_unanswered_questions() -> None:
    t = _template()
    assert [q.key for q in missing(t, {"need.why": "  ", "signoff.by": {"name": ""}})] == [
        "need.why",
        "signoff.by",
    ]
