"""The assessment wizard, driven through its editors: both templates end to end, autosave,
versions, the risk grid, overrides, suggestions, jumping, and the rules that block
"Complete".

Runs on the shipped ICO templates and worked examples; answers are typed generically from
each question's type, so the tests follow the templates whatever their wording.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session, sessionmaker

from shopguard.assessments import rules
from shopguard.assessments.answers import missing
from shopguard.assessments.service import AssessmentService
from shopguard.assessments.suggestions import ShopFacts, read_facts
from shopguard.assessments.templates import Column, Question, load_template
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import stores as store_repo
from shopguard.ui.assessment_editors import (
    ChecklistEditor,
    ChoiceEditor,
    DateEditor,
    PersonEditor,
    TextEditor,
    YesNoEditor,
)
from shopguard.ui.assessment_fields import DateField, GrowingTextEdit, PersonField, parse_date
from shopguard.ui.assessment_tables import TableEditor
from shopguard.ui.assessment_wizard import AUTOSAVE_MS, AssessmentWizard
from shopguard.ui.assessments_page import AssessmentsPage
from shopguard.ui.models.assessment_rows_model import ROW_ID_ROLE, AnswerRowsModel
from shopguard.ui.tasks import TaskRunner
from tests.helpers.factories import make_order

pytestmark = pytest.mark.gui

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PERSON = ("Μαρία Παπαδοπούλου", "Owner", "2026-11-25")


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
    """The service over a store with a few orders, so suggestions have figures."""
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url="https://shop.example").id
        order_repo.upsert_orders(
            session,
            store_id,
            [make_order(n, billing_email=f"c{n}@example.com") for n in range(1, 6)],
        )
    facts: Callable[[], ShopFacts] = lambda: read_facts(sessions, None, clock())  # noqa: E731
    return AssessmentService(sessions, facts, organisation=lambda: "Anna's Shop", clock=clock)


@pytest.fixture
def page(
    qtbot: QtBot, service: AssessmentService, sync_runner: TaskRunner
) -> Iterator[AssessmentsPage]:
    page = AssessmentsPage(service=service, db_tasks=sync_runner, work_tasks=sync_runner)
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    yield page
    if page.wizard is not None:
        page.wizard.close()


def start(page: AssessmentsPage, template: str, example: str | None = None) -> AssessmentWizard:
    """Start an assessment the way the New… dialog does; returns the wizard it opens."""
    page.start_assessment(template, example, "Test assessment")
    assert page.wizard is not None
    return page.wizard


def reopen(page: AssessmentsPage, assessment_id: int) -> AssessmentWizard:
    page.open_assessment(assessment_id)
    assert page.wizard is not None
    return page.wizard


# --- typing answers through the editors ---------------------------------------------------------


def type_answer(qtbot: QtBot, wizard: AssessmentWizard, question: Question) -> None:
    """Answer a question through its editor, as the owner would."""
    editor = wizard.editor(question.key)
    if isinstance(editor, TextEditor):
        editor.text_edit.setPlainText(f"Ανάπτυξη: answer to {question.key}")
    elif isinstance(editor, YesNoEditor):
        qtbot.mouseClick(editor.yes_button, Qt.MouseButton.LeftButton)
    elif isinstance(editor, ChoiceEditor):
        editor.combo.setCurrentIndex(0)
    elif isinstance(editor, DateEditor):
        qtbot.keyClicks(editor.field.line_edit, "2026-11-25")
    elif isinstance(editor, PersonEditor):
        type_person(qtbot, editor.field)
    elif isinstance(editor, ChecklistEditor):
        for box in editor.boxes.values():
            box.setChecked(True)
    elif isinstance(editor, TableEditor):
        qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
        fill_row(qtbot, editor)
    else:
        raise AssertionError(f"no way to type into {editor!r}")


def type_person(qtbot: QtBot, field: PersonField) -> None:
    name, role, day = PERSON
    field.name_edit.insert(name)  # typed as an input method would (keyClicks is Latin-1 only)
    qtbot.keyClicks(field.role_edit, role)
    qtbot.keyClicks(field.date_field.line_edit, day)


def fill_row(qtbot: QtBot, editor: TableEditor, **values: str) -> None:
    """Fill the selected row's required cells (``values`` by column id overrides)."""
    for column in editor.question.columns:
        widget = editor.fields.get(column.id)
        if widget is None or not (column.required or column.id in values):
            continue
        set_field(qtbot, widget, column, values.get(column.id))


def set_field(qtbot: QtBot, widget: Any, column: Column, value: str | None) -> None:
    if isinstance(widget, QComboBox):
        index = 0
        if value:
            index = widget.findData(value) if column.type == "risk" else widget.findText(value)
        assert index >= 0, f"{value!r} is not offered for {column.id}"
        widget.setCurrentIndex(index)
    elif isinstance(widget, GrowingTextEdit):
        widget.setPlainText(value or f"Text for {column.title}")
    elif isinstance(widget, DateField):
        qtbot.keyClicks(widget.line_edit, value or "2026-12-31")
    elif isinstance(widget, PersonField):
        type_person(qtbot, widget)
    else:
        qtbot.keyClicks(widget, value or f"Text for {column.title}")


def fill_required(qtbot: QtBot, wizard: AssessmentWizard) -> None:
    """Answer every required question still unanswered, page by page."""
    for question in missing(wizard.template, wizard.answers):
        wizard.go_to(wizard.section_index(question.key))
        type_answer(qtbot, wizard, question)
    assert missing(wizard.template, wizard.answers) == []


def complete_through_dialog(wizard: AssessmentWizard) -> None:
    """Click "Check and complete…" and confirm."""
    wizard.complete_button.click()
    box = wizard.confirm_box
    assert box is not None, problem_texts(wizard)
    box.button(QMessageBox.StandardButton.Yes).click()


def problem_texts(wizard: AssessmentWizard) -> list[str]:
    items = wizard.problems_panel.list_widget
    return [items.item(i).text() for i in range(items.count())]


# --- both wizards end to end ------------------------------------------------------------------


def test_lia_from_blank_to_version_two(
    qtbot: QtBot, page: AssessmentsPage, service: AssessmentService, clock: Clock
) -> None:
    wizard = start(page, "ico-lia")
    assessment_id = wizard.assessment_id
    assert wizard.step_label.text() == f"Section 1 of {len(wizard.template.sections)}"
    assert wizard.progress_bar.value() < wizard.progress_bar.maximum()
    fill_required(qtbot, wizard)
    assert wizard.progress_bar.value() == wizard.progress_bar.maximum()

    # Autosave after the pause, without closing.
    qtbot.wait(AUTOSAVE_MS + 300)
    saved = service.open(assessment_id).draft.answers
    assert missing(wizard.template, saved) == []
    typed = wizard.answers

    # Close without finishing, reopen: every answer is there, in the editors too.
    wizard.close()
    assert page.wizard is None
    wizard = reopen(page, assessment_id)
    assert wizard.answers == typed
    key = "purpose.why"
    assert wizard.editor(key).value() == typed[key]
    assert not wizard.read_only

    complete_through_dialog(wizard)
    assert [v.number for v in wizard.versions] == [1]
    assert wizard.read_only
    assert "Version 1 completed; review due 25 May 2027" in wizard.banner.text()
    editor = wizard.editor(key)
    assert isinstance(editor, TextEditor) and editor.text_edit.isReadOnly()

    # Reopened later: read-only, with "Edit (start version 2)".
    wizard.close()
    wizard = reopen(page, assessment_id)
    assert wizard.read_only
    assert wizard.edit_button.isVisible()
    assert wizard.edit_button.text() == "Edit (start version 2)"
    assert "Version 1" in wizard.status_label.text()
    assert not wizard.complete_button.isEnabled()

    clock.now = NOW + timedelta(days=40)
    qtbot.mouseClick(wizard.edit_button, Qt.MouseButton.LeftButton)
    assert not wizard.read_only and not wizard.edit_button.isVisible()
    editor = wizard.editor(key)
    assert isinstance(editor, TextEditor)
    editor.text_edit.setPlainText("A changed reason")
    wizard.close()
    assert service.open(assessment_id).has_draft
    wizard = reopen(page, assessment_id)
    assert not wizard.read_only
    assert "Draft of version 2" in wizard.status_label.text()
    complete_through_dialog(wizard)
    assert [v.number for v in wizard.versions] == [1, 2]
    assert service.summaries()[0].latest_version.number == 2  # type: ignore[union-attr]
    assert service.document(assessment_id).answers[key] == "A changed reason"


def test_dpia_from_the_worked_example(
    qtbot: QtBot, page: AssessmentsPage, service: AssessmentService
) -> None:
    wizard = start(page, "ico-dpia", "risk-scoring-dpia")
    template = wizard.template

    # The screening result is shown on its page.
    wizard.go_to(wizard.section_index("screening.criteria"))
    notice = wizard.page(wizard.current_index).notice
    assert notice.isVisible()
    assert "a DPIA is needed" in notice.text()

    fill_required(qtbot, wizard)
    risks = wizard.table_editor("risks")
    measures = wizard.table_editor("measures")
    assert risks is not None and measures is not None

    # A new High risk without a measure blocks "Complete", and the problem names it.
    wizard.go_to(wizard.section_index(risks.question.key))
    qtbot.mouseClick(risks.add_button, Qt.MouseButton.LeftButton)
    number = risks.model.rowCount()
    fill_row(
        qtbot,
        risks,
        description="Parcels refused on purpose to harm a rival",
        likelihood="Probable",
        severity="Severe",
    )
    new_risk = risks.model.rows()[-1]["id"]
    assert rules.risks(template, wizard.answers)[-1].overall == "High"
    wizard.complete_button.click()
    assert wizard.confirm_box is None
    named = [t for t in problem_texts(wizard) if f"Risk {number} is High" in t]
    assert named, problem_texts(wizard)
    assert any(f"Risk {number} is High" in m for m in measures.problems_label.text().splitlines())

    # Clicking the problem goes to the measures page.
    items = wizard.problems_panel.list_widget
    row = next(i for i in range(items.count()) if f"Risk {number} is High" in items.item(i).text())
    items.itemClicked.emit(items.item(row))
    assert wizard.current_index == wizard.section_index(measures.question.key)

    # A measure that leaves it High: blocked until prior consultation is confirmed.
    qtbot.mouseClick(measures.add_button, Qt.MouseButton.LeftButton)
    fill_row(qtbot, measures, risk=new_risk, effect="Accepted", residual="High", approved="Yes")
    assert rules.needs_prior_consultation(template, wizard.answers)
    page_notice = wizard.page(wizard.current_index).notice
    assert "Article 36" in page_notice.text() and page_notice.tone == "error"
    wizard.complete_button.click()
    assert wizard.confirm_box is None
    texts = problem_texts(wizard)
    assert len(texts) == 1 and "consult the regulator" in texts[0]
    items.itemClicked.emit(items.item(0))
    signoff = wizard.page(wizard.current_index)
    assert rules.PRIOR_CONSULTATION_KEY in signoff.blocks
    assert "Article 36" in signoff.notice.text()

    consult = wizard.editor(rules.PRIOR_CONSULTATION_KEY)
    assert isinstance(consult, YesNoEditor)
    qtbot.mouseClick(consult.yes_button, Qt.MouseButton.LeftButton)
    assert signoff.notice.tone == "warning"
    complete_through_dialog(wizard)
    assert [v.number for v in wizard.versions] == [1]
    document = service.document(wizard.assessment_id)
    assert document.prior_consultation
    assert document.answers[rules.PRIOR_CONSULTATION_KEY] is True


# --- the risk grid and overrides --------------------------------------------------------------


def test_every_grid_cell_shows_its_overall_level(qtbot: QtBot, page: AssessmentsPage) -> None:
    wizard = start(page, "ico-dpia")
    risks = wizard.table_editor("risks")
    assert risks is not None and risks.overall_field is not None
    wizard.go_to(wizard.section_index(risks.question.key))
    overall_column = [c.id for c in risks.question.columns].index("overall")
    qtbot.mouseClick(risks.add_button, Qt.MouseButton.LeftButton)
    assert risks.overall_field.grid_label.text().endswith("choose likelihood and severity first")
    for likelihood in rules.LIKELIHOODS:
        for severity in rules.SEVERITIES:
            fill_row(qtbot, risks, likelihood=likelihood, severity=severity)
            expected = rules.GRID[severity][likelihood]
            assert risks.overall_field.grid_label.text() == f"From the ICO grid: <b>{expected}</b>"
            cell = risks.model.index(0, overall_column)
            assert cell.data() == expected, (likelihood, severity)
            assert "overall" not in risks.model.rows()[0]  # the grid's level is not stored


def test_overriding_the_grid_needs_a_reason(qtbot: QtBot, page: AssessmentsPage) -> None:
    wizard = start(page, "ico-dpia")
    risks = wizard.table_editor("risks")
    assert risks is not None and risks.overall_field is not None
    wizard.go_to(wizard.section_index(risks.question.key))
    field = risks.overall_field
    qtbot.mouseClick(risks.add_button, Qt.MouseButton.LeftButton)
    fill_row(qtbot, risks, likelihood="Possible", severity="Significant")  # Medium
    reason = risks.fields["override_reason"]
    assert not field.level_combo.isEnabled() and not reason.isEnabled()

    field.override_box.setChecked(True)
    assert field.level_combo.isEnabled() and reason.isEnabled()
    field.level_combo.setCurrentIndex(field.level_combo.findText("High"))
    assert risks.model.rows()[0]["overall"] == "High"
    assert risks.reason_warning.isVisible()
    overall = risks.model.index(0, [c.id for c in risks.question.columns].index("overall"))
    assert overall.data() == "High (changed from Medium)"
    assert "say why the overall risk is High" in risks.problems_label.text()

    qtbot.keyClicks(reason, "Refusals cost us the goods and the postage")
    assert not risks.reason_warning.isVisible()
    assert "say why" not in risks.problems_label.text()

    # Back to the grid: the level and the reason go.
    field.override_box.setChecked(False)
    row = risks.model.rows()[0]
    assert "overall" not in row and "override_reason" not in row


# --- suggestions, navigation, validation, autosave ----------------------------------------------


def test_suggestions_are_marked_until_edited(
    qtbot: QtBot, page: AssessmentsPage, service: AssessmentService
) -> None:
    wizard = start(page, "ico-lia")
    suggested = sorted(wizard.suggested)
    assert len(suggested) >= 2
    first, second = suggested[0], suggested[1]
    wizard.go_to(wizard.section_index(first))
    block = wizard.blocks[first]
    assert block.suggested and block.suggestion_label.isVisible()
    assert "Suggested by ShopGuard" in block.suggestion_label.text()

    editor = wizard.editor(first)
    assert isinstance(editor, TextEditor)
    qtbot.keyClicks(editor.text_edit, " And more.")
    assert not block.suggested and not block.suggestion_label.isVisible()
    assert first not in wizard.suggested and second in wizard.suggested
    wizard.close()
    draft = service.open(wizard.assessment_id).draft
    assert first not in draft.suggested and second in draft.suggested

    wizard = reopen(page, wizard.assessment_id)
    wizard.editor(second)
    assert wizard.blocks[second].suggested and not wizard.blocks[first].suggested


def test_jump_to_any_section_and_back_and_next(qtbot: QtBot, page: AssessmentsPage) -> None:
    wizard = start(page, "ico-dpia")
    total = len(wizard.template.sections)
    assert not wizard.back_button.isEnabled() and wizard.next_button.isEnabled()
    item = wizard.section_list.item(5)
    rect = wizard.section_list.visualItemRect(item)
    qtbot.mouseClick(wizard.section_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert wizard.current_index == 5
    assert wizard.step_label.text() == f"Section 6 of {total}"
    assert wizard.page(5).title_label.text() == wizard.template.sections[5].title
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.current_index == 6
    qtbot.mouseClick(wizard.back_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(wizard.back_button, Qt.MouseButton.LeftButton)
    assert wizard.current_index == 4
    wizard.go_to(total - 1)
    assert not wizard.next_button.isEnabled()


def test_validation_lists_what_is_missing_and_jumps_there(
    qtbot: QtBot, page: AssessmentsPage, service: AssessmentService
) -> None:
    wizard = start(page, "ico-lia")
    wizard.complete_button.click()
    assert wizard.confirm_box is None
    assert wizard.problems_panel.isVisible()
    expected = service.problems(wizard.assessment_id)
    texts = problem_texts(wizard)
    assert len(texts) == len(expected)
    assert "Not complete yet" in wizard.problems_panel.title_label.text()
    row = next(i for i, p in enumerate(expected) if p.key == "decision.completed_by")
    items = wizard.problems_panel.list_widget
    rect = items.visualItemRect(items.item(row))
    qtbot.mouseClick(items.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert wizard.current_index == wizard.section_index("decision.completed_by")

    # The list follows the answers as they come.
    editor = wizard.editor("decision.completed_by")
    assert isinstance(editor, PersonEditor)
    type_person(qtbot, editor.field)
    assert len(problem_texts(wizard)) == len(expected) - 1


@pytest.mark.parametrize(
    ("typed", "understood"),
    [
        ("2026-11-25", "2026-11-25"),
        ("25/11/2026", "2026-11-25"),
        ("5.1.2027", "2027-01-05"),
        (" 25-11-2026 ", "2026-11-25"),
        ("2026/1/5", "2026-01-05"),
        ("2026-02-30", None),  # no such day
        ("11/25/2026", None),  # month first: not how UK or EU owners write it
        ("25/11/26", None),  # which century?
        ("next Tuesday", None),
        ("", None),
    ],
)
def test_dates_are_read_day_first_or_year_first(typed: str, understood: str | None) -> None:
    day = parse_date(typed)
    assert (day.isoformat() if day else None) == understood


def test_a_date_that_is_not_one_is_kept_and_blocks_completing(
    qtbot: QtBot, page: AssessmentsPage, service: AssessmentService
) -> None:
    wizard = start(page, "ico-lia")
    fill_required(qtbot, wizard)
    editor = wizard.editor("decision.completed_by")
    assert isinstance(editor, PersonEditor)
    box = editor.field.date_field.line_edit
    box.clear()
    qtbot.keyClicks(box, "2026-02-30")
    assert editor.field.date_field.hint.isVisibleTo(editor.field)
    wizard.save_now()
    assert "“2026-02-30”: not a date" in wizard.save_label.text()

    wizard.go_to(0)
    wizard.complete_button.click()
    assert wizard.confirm_box is None  # not offered: the typed text would be lost
    assert "“2026-02-30” is not a date" in wizard.banner.text()
    assert wizard.current_index == wizard.section_index("decision.completed_by")
    assert box.text() == "2026-02-30"  # kept as typed
    assert service.open(wizard.assessment_id).versions == ()

    # Written the way the owner writes dates, it is understood and shown as understood.
    box.clear()
    qtbot.keyClicks(box, "25/11/2026")
    box.editingFinished.emit()
    assert box.text() == "2026-11-25"
    complete_through_dialog(wizard)
    opened = service.open(wizard.assessment_id)
    assert len(opened.versions) == 1 and not opened.has_draft
    assert opened.draft.answers["decision.completed_by"]["date"] == "2026-11-25"


def test_page_change_saves_at_once(
    qtbot: QtBot, page: AssessmentsPage, service: AssessmentService
) -> None:
    wizard = start(page, "ico-lia")
    editor = wizard.editor("purpose.why")
    assert isinstance(editor, TextEditor)
    editor.text_edit.setPlainText("To tell customers about new stock")
    assert "purpose.why" not in service.open(wizard.assessment_id).draft.answers
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    saved = service.open(wizard.assessment_id).draft.answers
    assert saved["purpose.why"] == "To tell customers about new stock"
    assert wizard.save_label.text().startswith("All changes saved")


def test_title_and_review_period_are_saved(
    qtbot: QtBot, page: AssessmentsPage, service: AssessmentService
) -> None:
    wizard = start(page, "ico-dpia")
    assert wizard.review_spin.value() == wizard.template.review_months == 12
    wizard.review_spin.setValue(6)
    wizard.title_edit.setText("Delivery-risk scoring")  # still typing when Esc is pressed
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert page.wizard is None
    opened = service.open(wizard.assessment_id)
    assert opened.review_months == 6
    assert opened.title == "Delivery-risk scoring"


def test_removing_a_risk_unlinks_its_measures(qtbot: QtBot, page: AssessmentsPage) -> None:
    wizard = start(page, "ico-dpia", "risk-scoring-dpia")
    risks = wizard.table_editor("risks")
    measures = wizard.table_editor("measures")
    assert risks is not None and measures is not None
    first = risks.model.rows()[0]["id"]
    linked = [m for m in measures.model.rows() if m.get("risk") == first]
    assert linked
    risks.select_row(0)
    qtbot.mouseClick(risks.remove_button, Qt.MouseButton.LeftButton)
    assert risks.confirm_box is not None
    risks.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    assert first not in {r["id"] for r in risks.model.rows()}
    assert not [m for m in measures.model.rows() if m.get("risk") == first]
    assert any("fill in “Risk”" in m for m in measures.problems_label.text().splitlines())
    wizard.close()  # the draft still saves: no measure points to a missing risk


def test_the_rows_model_follows_qt_rules(qtmodeltester: ModelTester) -> None:
    template = load_template("ico-dpia")
    risks = template.table("risks")
    measures = template.table("measures")
    assert risks is not None and measures is not None
    model = AnswerRowsModel(risks)
    qtmodeltester.check(model)
    model.set_rows([{"id": "a", "description": "Wrongly flagged", "likelihood": "Possible"}])
    first = model.add_row()
    model.set_cell(first, "severity", "Severe")
    model.set_cell(first, "likelihood", "Remote")
    qtmodeltester.check(model)
    assert model.rows()[first] == {"id": "risk-2", "severity": "Severe", "likelihood": "Remote"}
    assert model.headerData(1, Qt.Orientation.Vertical) == "2"
    reason = [c.id for c in risks.columns].index("override_reason")
    tip = model.headerData(reason, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip == risks.columns[reason].title  # a narrow column cuts the header's words
    overall = [c.id for c in risks.columns].index("overall")
    assert model.index(first, overall).data() == "Medium"
    assert model.index(0, overall).data() == ""  # not rated yet
    assert model.remove_row(0) == "a"
    assert model.headerData(0, Qt.Orientation.Vertical) == "1"
    assert model.index(0, 0).data(ROW_ID_ROLE) == "risk-2"
    qtmodeltester.check(model)

    plan = AnswerRowsModel(measures)
    plan.set_rows([{"id": "m", "risk": "risk-2"}])
    plan.set_risk_labels({"risk-2": ("Risk 1", "Risk 1: Wrongly flagged (Medium)")})
    cell = plan.index(0, [c.id for c in measures.columns].index("risk"))
    assert cell.data() == "Risk 1"
    assert cell.data(Qt.ItemDataRole.ToolTipRole) == "Risk 1: Wrongly flagged (Medium)"
    qtmodeltester.check(plan)
