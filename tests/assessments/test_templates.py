"""The shipped assessment templates and worked examples: their shape, the ICO's counts, and
clear errors for broken files."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from shopguard.assessments import rules, templates
from shopguard.assessments.templates import Template, TemplateError

SUGGESTIONS = {
    "data_categories",
    "recipients",
    "retention",
    "volumes",
    "relationship",
    "safeguards",
    "optout",
    "source_of_data",
}
ICO_CREDIT = (
    "Contains public sector information published by the Information Commissioner's Office, "
    "licensed under the Open Government Licence v3.0."
)
DPIA_STEPS = ["need", "processing", "consultation", "necessity", "risks", "measures", "signoff"]


def _raw(folder: str, name: str) -> dict[str, Any]:
    root = resources.files("shopguard.resources") / "assessments" / folder
    data: dict[str, Any] = json.loads((root / name).read_text(encoding="utf-8"))
    return data


def _section(template: Template, section_id: str) -> templates.Section:
    return next(s for s in template.sections if s.id == section_id)


def _questions(raw: dict[str, Any], section_id: str) -> list[dict[str, Any]]:
    section = next(s for s in raw["sections"] if s["id"] == section_id)
    questions: list[dict[str, Any]] = section["questions"]
    return questions


@pytest.fixture(scope="module")
def lia() -> Template:
    return templates.load_template("ico-lia")


@pytest.fixture(scope="module")
def dpia() -> Template:
    return templates.load_template("ico-dpia")


def test_both_templates_ship_and_load() -> None:
    ids = templates.template_ids()
    assert {"ico-lia", "ico-dpia"} <= set(ids)
    for template_id in ids:
        template = templates.load_template(template_id)
        assert template.id == template_id
        assert template.source.credit.startswith(ICO_CREDIT)
        assert template.source.url.startswith("https://ico.org.uk/")
        assert "Open Government Licence" in template.source.licence
        for q in template.questions():
            assert q.prompt.strip() and q.help.strip(), q.key
            assert not q.suggest or q.suggest in SUGGESTIONS, q.key


def test_lia_follows_the_ico_template(lia: Template) -> None:
    assert (lia.kind, lia.review_months) == ("lia", 6)
    assert [s.id for s in lia.sections] == [
        "purpose",
        "necessity",
        "balancing",
        "decision",
        "checklist",
    ]
    assert len(_section(lia, "purpose").questions) == 10
    assert len(_section(lia, "necessity").questions) == 4
    # Nature of the data (4), reasonable expectations (9), likely impact and safeguards (6),
    # and the opt-out.
    assert len(_section(lia, "balancing").questions) == 20
    assert lia.question("purpose.why").prompt == "Why do you want to process the data?"
    assert lia.question("balancing.optout").type == "yesno"
    decision = lia.question("decision.can_rely")
    assert decision.type == "yesno"
    assert decision.prompt == "Can you rely on legitimate interests for this processing?"
    assert not lia.question("decision.justification").required
    assert lia.question("decision.completed_by").type == "person"
    (checklist,) = _section(lia, "checklist").questions
    assert checklist.type == "checklist"
    assert len(checklist.items) == 14
    assert checklist.items[0].text == (
        "We have checked that legitimate interests is the most appropriate basis."
    )
    assert checklist.items[-1].text == (
        "We include information about our legitimate interests in our privacy notice."
    )


def test_dpia_has_screening_and_the_seven_steps(dpia: Template) -> None:
    assert (dpia.kind, dpia.review_months) == ("dpia", 12)
    assert [s.id for s in dpia.sections] == ["controller", "screening", *DPIA_STEPS]
    (screening,) = _section(dpia, "screening").questions
    assert screening.type == "checklist"
    assert len(screening.items) == 9
    assert "two or more" in _section(dpia, "screening").intro.lower()
    assert [q.id for q in _section(dpia, "processing").questions] == [
        "nature",
        "scope",
        "context",
        "purposes",
    ]
    assert len(_section(dpia, "necessity").questions) == 9
    prior = dpia.question(rules.PRIOR_CONSULTATION_KEY)
    assert prior.type == "yesno"
    assert not prior.required
    assert "If accepting any residual high risk, consult the ICO before going ahead" in (
        dpia.question("signoff.residual_approved_by").help
    )


def test_risk_and_measure_tables_have_the_columns_the_rules_read(dpia: Template) -> None:
    risks = dpia.table("risks")
    assert risks is not None
    assert risks.section == "risks"
    assert [q.id for q in _section(dpia, "risks").questions] == [risks.id]
    columns = {c.id: c for c in risks.columns}
    assert list(columns) == ["description", "likelihood", "severity", "overall", "override_reason"]
    assert columns["description"].type == "text"
    assert columns["likelihood"].options == rules.LIKELIHOODS
    assert columns["severity"].options == rules.SEVERITIES
    assert columns["overall"].options == rules.LEVELS
    assert columns["override_reason"].type == "text"
    required = {c.id for c in risks.columns if c.required}
    assert required == {"description", "likelihood", "severity"}

    measures = dpia.table("measures")
    assert measures is not None
    assert measures.section == "measures"
    assert measures.ref == risks.key
    columns = {c.id: c for c in measures.columns}
    assert list(columns) == ["risk", "options", "effect", "residual", "approved", "owner", "due"]
    assert columns["risk"].type == "risk"
    assert columns["effect"].options == ("Eliminated", "Reduced", "Accepted")
    assert columns["residual"].options == rules.LEVELS
    assert columns["approved"].options == ("Yes", "No")
    assert columns["due"].type == "date"
    required = {c.id for c in measures.columns if c.required}
    assert required == {"risk", "options", "effect", "residual", "approved"}


def test_every_example_validates_against_its_template() -> None:
    shipped = {e.slug: e for e in templates.examples()}
    assert set(shipped) >= {"marketing-emails", "risk-scoring-lia", "risk-scoring-dpia"}
    assert shipped["marketing-emails"].template == "ico-lia"
    assert shipped["risk-scoring-lia"].template == "ico-lia"
    assert shipped["risk-scoring-dpia"].template == "ico-dpia"
    assert templates.example("marketing-emails").title == (
        "Marketing emails to existing customers (soft opt-in)"
    )


@pytest.mark.parametrize("slug", ["marketing-emails", "risk-scoring-lia"])
def test_lia_examples_leave_only_the_signature_to_the_owner(slug: str) -> None:
    example = templates.example(slug)
    template = templates.load_template(example.template)
    keys = [p.key for p in rules.problems(template, example.answers)]
    assert keys == ["decision.completed_by"]
    assert example.answers["decision.can_rely"] is True


def test_risk_scoring_dpia_is_complete_but_for_the_owners_details(dpia: Template) -> None:
    example = templates.example("risk-scoring-dpia")
    found = rules.problems(dpia, example.answers)
    assert found, "the owner signs off and names the controller"
    assert {p.section for p in found} <= {"signoff", "controller"}, found
    assert "controller.name" not in example.answers
    assert rules.dpia_needed(dpia, example.answers) is True
    register = rules.risks(dpia, example.answers)
    assert len(register) >= 5
    assert {r.overall for r in register} == set(rules.LEVELS)
    assert not any(r.overridden for r in register)
    assert not rules.needs_prior_consultation(dpia, example.answers)


# Broken files: the message names the file and the place.


def test_missing_prompt_is_named() -> None:
    raw = _raw("templates", "ico-lia.json")
    del raw["sections"][0]["questions"][2]["prompt"]
    with pytest.raises(TemplateError) as caught:
        templates.parse_template(raw, "ico-lia.json")
    assert str(caught.value) == "ico-lia.json: sections[0].questions[2].prompt: expected text"


def test_unknown_answer_type_is_named() -> None:
    raw = _raw("templates", "ico-lia.json")
    raw["sections"][1]["questions"][0]["type"] = "essay"
    with pytest.raises(TemplateError) as caught:
        templates.parse_template(raw, "ico-lia.json")
    message = str(caught.value)
    assert message.startswith("ico-lia.json: sections[1].questions[0]: 'type' must be one of")


def test_duplicate_question_id_is_named() -> None:
    raw = _raw("templates", "ico-dpia.json")
    necessity = _questions(raw, "necessity")
    necessity[3]["id"] = necessity[0]["id"]
    with pytest.raises(TemplateError) as caught:
        templates.parse_template(raw, "ico-dpia.json")
    message = str(caught.value)
    assert message.startswith("ico-dpia.json: sections[5].questions[3]:")
    assert "'lawful_basis' is used twice" in message


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("risks.nowhere", "'ref' must name the risks table ('risks.nowhere' is unknown)"),
        ("need.aims", "a measures table must 'ref' the risks table"),
    ],
)
def test_bad_measures_ref_is_named(ref: str, expected: str) -> None:
    raw = _raw("templates", "ico-dpia.json")
    (measures,) = _questions(raw, "measures")
    measures["ref"] = ref
    with pytest.raises(TemplateError) as caught:
        templates.parse_template(raw, "ico-dpia.json")
    assert str(caught.value) == f"ico-dpia.json: measures.plan: {expected}"


def test_example_answer_of_the_wrong_type_is_named() -> None:
    raw = _raw("examples", "marketing-emails-lia.json")
    raw["answers"]["balancing.optout"] = "yes"
    with pytest.raises(TemplateError) as caught:
        templates.parse_example(raw, "marketing-emails-lia.json")
    assert str(caught.value) == "marketing-emails-lia.json: balancing.optout: expected yes or no"


def test_example_row_pointing_to_a_missing_risk_is_named() -> None:
    raw = _raw("examples", "risk-scoring-dpia.json")
    rows = copy.deepcopy(raw["answers"]["measures.plan"])
    rows[1]["risk"] = "r99"
    raw["answers"]["measures.plan"] = rows
    with pytest.raises(TemplateError) as caught:
        templates.parse_example(raw, "risk-scoring-dpia.json")
    message = str(caught.value)
    assert message.startswith("risk-scoring-dpia.json: measures.plan, row 2:")
    assert "not in the risk register" in message


def test_example_for_an_unknown_question_is_named() -> None:
    raw = _raw("examples", "risk-scoring-lia.json")
    raw["answers"]["purpose.nonsense"] = "text"
    with pytest.raises(TemplateError) as caught:
        templates.parse_example(raw, "risk-scoring-lia.json")
    assert str(caught.value).startswith("risk-scoring-lia.json: purpose.nonsense:")
