"""Assessments in the local store: start, autosave, complete, version, review, move.

Runs on the shipped ICO templates and worked examples, answers filled in generically
from each question's type (so the tests follow the templates, whatever their wording).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from shopguard.assessments import rules
from shopguard.assessments.service import (
    AssessmentError,
    AssessmentService,
    CannotComplete,
    add_months,
    status_of,
)
from shopguard.assessments.suggestions import ShopFacts, read_facts
from shopguard.assessments.templates import Question, Template, examples, load_template
from shopguard.store.models import Event
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import stores as store_repo
from tests.helpers.factories import make_order

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(sessions: sessionmaker[Session], clock: Clock) -> AssessmentService:
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url="https://shop.example").id
        order_repo.upsert_orders(
            session,
            store_id,
            [
                make_order(1, billing_email="Anna@Example.com", billing_country="GR"),
                make_order(2, billing_email="anna@example.com ", shipping_country="CY"),
                make_order(3, billing_email="bob@example.com", billing_country="GB"),
            ],
        )
    facts: Callable[[], ShopFacts] = lambda: read_facts(sessions, None, clock())  # noqa: E731
    return AssessmentService(sessions, facts, organisation=lambda: "Anna's Shop", clock=clock)


def answer_for(q: Question, template: Template, answers: dict[str, Any]) -> Any:
    """A valid, complete answer for any question."""
    if q.type == "text":
        return f"Answer to {q.key}"
    if q.type == "yesno":
        return True
    if q.type == "choice":
        return q.options[0]
    if q.type == "date":
        return "2026-11-25"
    if q.type == "person":
        return {"name": "Μαρία Παπαδοπούλου", "role": "Owner", "date": "2026-11-25"}
    if q.type == "checklist":
        return [q.items[0].id]
    if q.role == "risks":
        return [
            {"id": "r1", "description": "Low risk", "likelihood": "Remote", "severity": "Minimal"}
        ]
    if q.role == "measures":
        return []
    row: dict[str, Any] = {"id": "row1"}
    for c in q.columns:
        row[c.id] = c.options[0] if c.type == "choice" else "x"
    return [row]


def fill(template: Template) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for q in template.questions():
        answers[q.key] = answer_for(q, template, answers)
    return answers


def test_a_blank_lia_is_prefilled_from_the_shop_and_marked_as_suggestions(
    service: AssessmentService,
) -> None:
    new_id = service.create("ico-lia")
    opened = service.open(new_id)
    assert opened.status == "draft" and opened.has_draft and opened.versions == ()
    suggested = {q.key for q in opened.template.questions() if q.suggest and q.type == "text"}
    assert suggested and opened.draft.suggested == suggested
    everything = " ".join(str(opened.draft.answers[k]) for k in suggested)
    assert "2 customers" in everything  # distinct emails, case and spaces ignored
    evidence = {e.key: e.value for e in opened.draft.evidence}
    assert evidence["orders"] == "3" and evidence["countries"] == "CY, GB, GR"
    assert all(e.read_at == NOW for e in opened.draft.evidence)


def test_lia_draft_autosave_complete_and_a_new_version(
    service: AssessmentService, sessions: sessionmaker[Session], clock: Clock
) -> None:
    new_id = service.create("ico-lia", title="Newsletter to customers")
    template = load_template("ico-lia")
    with pytest.raises(CannotComplete) as refused:
        service.complete(new_id)
    assert refused.value.problems and refused.value.message.startswith("Not complete yet: Answer")

    answers = fill(template)
    service.save_draft(new_id, answers, frozenset())
    reopened = service.open(new_id)
    assert reopened.draft.answers == answers and reopened.draft.suggested == frozenset()

    first = service.complete(new_id)
    assert first.number == 1
    assert first.review_due == date(2027, 5, 25)  # LIA: six months
    assert len(first.content_hash) == 64
    summary = service.summaries()[0]
    assert (summary.status, summary.has_draft) == ("complete", False)
    with pytest.raises(AssessmentError, match="already complete and nothing has changed"):
        service.complete(new_id)

    clock.now = NOW + timedelta(days=3)
    edited = (
        {**answers, "purpose.why": "A better reason."}
        if "purpose.why" in answers
        else {**answers, next(iter(answers)): "Changed."}
    )
    service.save_draft(new_id, edited, frozenset())
    assert service.summaries()[0].has_draft
    second = service.complete(new_id)
    assert second.number == 2 and second.content_hash != first.content_hash
    assert [v.number for v in service.open(new_id).versions] == [1, 2]
    # Version 1 is still there as it was, and the database refuses to change it.
    assert service.document(new_id, version=1).answers == answers
    with sessions.begin() as session, pytest.raises(DatabaseError):
        session.execute(text("UPDATE assessment_versions SET content = '{}'"))
    with sessions() as session:
        kinds = [e.kind for e in session.query(Event).order_by(Event.id)]
    assert kinds.count("assessment.completed") == 2


def test_the_content_hash_covers_the_canonical_content(service: AssessmentService) -> None:
    new_id = service.create("ico-lia")
    service.save_draft(new_id, fill(load_template("ico-lia")), frozenset())
    version = service.complete(new_id)
    exported = service.export_json(new_id)
    assert exported["content_hash"] == version.content_hash
    assert exported["version"] == 1 and exported["status"] == "complete"


def test_the_dpia_example_passes_the_rules_once_signed_off(service: AssessmentService) -> None:
    slug = next(e.slug for e in examples() if e.template == "ico-dpia")
    new_id = service.create("ico-dpia", example_slug=slug)
    template = load_template("ico-dpia")
    answers = dict(service.open(new_id).draft.answers)
    left = {p.section for p in rules.problems(template, answers)}
    assert left <= {"signoff", "controller"}
    for q in template.questions():
        if q.section in {"signoff", "controller"} and q.key not in answers:
            answers[q.key] = answer_for(q, template, answers)
    service.save_draft(new_id, answers, frozenset())
    assert service.complete(new_id).review_due == date(2027, 11, 25)  # DPIA: twelve months


def test_a_residual_high_risk_blocks_complete_until_art_36_is_confirmed(
    service: AssessmentService,
) -> None:
    template = load_template("ico-dpia")
    answers = fill(template)
    risks, measures = template.table("risks"), template.table("measures")
    assert risks is not None and measures is not None
    answers[risks.key] = [
        {"id": "r1", "description": "Breach", "likelihood": "Probable", "severity": "Severe"}
    ]
    answers[measures.key] = [
        {
            "id": "m1",
            "risk": "r1",
            "options": "Encrypt",
            "effect": "Reduced",
            "residual": "High",
            "approved": "Yes",
        }
    ]
    answers.pop(rules.PRIOR_CONSULTATION_KEY, None)
    new_id = service.create("ico-dpia")
    service.save_draft(new_id, answers, frozenset())
    with pytest.raises(CannotComplete) as refused:
        service.complete(new_id)
    assert [p.key for p in refused.value.problems] == [rules.PRIOR_CONSULTATION_KEY]
    answers[rules.PRIOR_CONSULTATION_KEY] = True
    service.save_draft(new_id, answers, frozenset())
    service.complete(new_id)
    assert service.document(new_id).prior_consultation


def test_a_worked_example_keeps_its_own_answers_and_records_the_shop_s_figures(
    service: AssessmentService,
) -> None:
    example = next(e for e in examples() if e.template == "ico-lia")
    new_id = service.create("ico-lia", example_slug=example.slug)
    draft = service.open(new_id).draft
    assert service.summaries()[0].title == example.title
    for key, value in example.answers.items():
        assert draft.answers[key] == value
    assert all(not example.answers.get(key) for key in draft.suggested)
    assert {e.key for e in draft.evidence} >= {"orders", "customers", "countries"}


def test_wrong_starts_are_refused_with_what_to_do(service: AssessmentService) -> None:
    with pytest.raises(AssessmentError, match="no assessment template 'ico-pia'"):
        service.create("ico-pia")
    lia_example = next(e.slug for e in examples() if e.template == "ico-lia")
    with pytest.raises(AssessmentError, match="Start it with --template ico-lia"):
        service.create("ico-dpia", example_slug=lia_example)
    with pytest.raises(AssessmentError, match="no worked example 'nope'"):
        service.create("ico-lia", example_slug="nope")
    with pytest.raises(AssessmentError, match="There is no assessment 99"):
        service.open(99)


def test_an_answer_of_the_wrong_shape_is_not_saved(service: AssessmentService) -> None:
    new_id = service.create("ico-lia")
    before = service.open(new_id).draft
    yesno = next(q for q in load_template("ico-lia").questions() if q.type == "yesno")
    with pytest.raises(AssessmentError, match=f"{yesno.key}: expected yes or no"):
        service.save_draft(new_id, {**before.answers, yesno.key: "maybe"}, before.suggested)
    assert service.open(new_id).draft == before


def test_editing_a_suggestion_unmarks_it(service: AssessmentService) -> None:
    new_id = service.create("ico-lia")
    draft = service.open(new_id).draft
    edited = sorted(draft.suggested)[0]
    service.save_draft(
        new_id, {**draft.answers, edited: "My own words."}, draft.suggested - {edited}
    )
    assert edited not in service.open(new_id).draft.suggested


def test_review_status_moves_from_complete_to_due_to_overdue(
    service: AssessmentService, clock: Clock
) -> None:
    new_id = service.create("ico-lia")
    service.save_draft(new_id, fill(load_template("ico-lia")), frozenset())
    due = service.complete(new_id).review_due
    assert service.summaries()[0].status == "complete"
    clock.now = datetime.combine(due - timedelta(days=10), datetime.min.time(), UTC)
    assert service.summaries()[0].status == "review due"
    clock.now = datetime.combine(due + timedelta(days=1), datetime.min.time(), UTC)
    assert service.summaries()[0].status == "review overdue"
    service.update_settings(new_id, review_months=24)  # applies to the next version
    assert service.open(new_id).review_months == 24
    with pytest.raises(AssessmentError, match="between 1 and 60 months"):
        service.update_settings(new_id, review_months=0)


def test_add_months_and_status_edges() -> None:
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 11, 25), 12) == date(2027, 11, 25)
    assert status_of(None, date(2026, 1, 1)) == "draft"


def test_duplicate_delete_and_newest(service: AssessmentService) -> None:
    first = service.create("ico-lia", title="One")
    service.save_draft(first, fill(load_template("ico-lia")), frozenset())
    service.complete(first)
    copy = service.duplicate(first)
    assert service.open(copy).title == "Copy of One"
    assert service.open(copy).draft.answers == service.open(first).draft.answers
    assert service.newest("lia") == copy
    with pytest.raises(AssessmentError, match="cannot be deleted"):
        service.delete(first)
    service.delete(copy)
    assert [s.id for s in service.summaries()] == [first]
    assert service.newest("dpia") is None


def test_json_export_imports_as_a_new_draft(service: AssessmentService) -> None:
    new_id = service.create("ico-dpia", title="Scoring DPIA")
    exported = service.export_json(new_id)
    assert exported["version"] is None and exported["status"] == "draft"
    copy = service.import_json(json.loads(json.dumps(exported)))
    assert service.open(copy).draft.answers == service.open(new_id).draft.answers
    assert service.open(copy).draft.evidence == service.open(new_id).draft.evidence


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: [], "not a ShopGuard assessment export"),
        (lambda d: {**d, "format": "pia"}, "not a ShopGuard assessment export"),
        (lambda d: {**d, "format_version": 9}, "Update ShopGuard"),
        (lambda d: {**d, "template": "ico-xyz"}, "unknown template"),
        (lambda d: {k: v for k, v in d.items() if k != "template"}, "names no assessment"),
        (lambda d: {**d, "template_version": 7}, "made with version 7 of the"),
        (lambda d: {**d, "answers": "none"}, 'no "answers" object'),
        (lambda d: {**d, "answers": {"need.nope": "x"}}, "need.nope: there is no such question"),
        (lambda d: {**d, "evidence": [{"key": "x"}]}, "evidence or suggestions are damaged"),
    ],
)
def test_a_bad_import_is_refused_and_nothing_is_stored(
    service: AssessmentService, change: Callable[[dict[str, Any]], Any], message: str
) -> None:
    exported = service.export_json(service.create("ico-dpia"))
    before = len(service.summaries())
    with pytest.raises(AssessmentError, match=message):
        service.import_json(change(exported))
    assert len(service.summaries()) == before


def test_the_pdf_names_the_controller_the_owner_gave(service: AssessmentService) -> None:
    new_id = service.create("ico-dpia")
    assert service.document(new_id).organisation == "Anna's Shop"  # the connected store
    answers = dict(service.open(new_id).draft.answers)
    service.save_draft(new_id, {**answers, "controller.name": " Anna Shop Ltd "}, frozenset())
    assert service.document(new_id).organisation == "Anna Shop Ltd"
