"""The Assessments screen: the list and its statuses, New, Open, Duplicate, Delete, JSON
import and export, the PDF preview, and the screen inside the main window."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session, sessionmaker

from shopguard.assessments.service import AssessmentService
from shopguard.assessments.templates import Question, Template, load_template
from shopguard.paths import AppPaths
from shopguard.ui.assessments_page import ICO_CREDIT, AssessmentsPage
from shopguard.ui.models.assessments_model import (
    COLUMNS,
    STATUS_COLUMN,
    SUMMARY_ROLE,
    AssessmentsTableModel,
)
from shopguard.ui.tasks import TaskRunner
from tests.ui.conftest import Runners, open_window

pytestmark = pytest.mark.gui

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
HAS_PDF = importlib.util.find_spec("shopguard.assessments.pdf") is not None


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
    return AssessmentService(sessions, organisation=lambda: "Anna's Shop", clock=clock)


@pytest.fixture
def page(
    qtbot: QtBot, service: AssessmentService, sync_runner: TaskRunner
) -> Iterator[AssessmentsPage]:
    page = AssessmentsPage(service=service, db_tasks=sync_runner, work_tasks=sync_runner)
    qtbot.addWidget(page)
    page.resize(1100, 650)
    page.show()
    yield page
    if page.wizard is not None:
        page.wizard.close()


def answer(question: Question) -> Any:
    """A valid answer for any non-table question."""
    return {
        "text": f"Answer to {question.key}",
        "yesno": True,
        "choice": question.options[0] if question.options else "",
        "date": "2026-11-25",
        "person": {"name": "Anna", "role": "Owner", "date": "2026-11-25"},
        "checklist": [i.id for i in question.items],
    }[question.type]


def completed_lia(service: AssessmentService, title: str) -> int:
    """An LIA completed now (the service's clock)."""
    template: Template = load_template("ico-lia")
    new_id = service.create("ico-lia", title=title)
    service.save_draft(new_id, {q.key: answer(q) for q in template.questions()}, frozenset())
    service.complete(new_id)
    return new_id


def column_texts(page: AssessmentsPage, column: str) -> dict[str, str]:
    """Title -> the text in ``column``, for every row."""
    model = page.model
    number = COLUMNS.index(column)
    return {
        model.index(r, 0).data(): model.index(r, number).data() for r in range(model.rowCount())
    }


# --- the list ---------------------------------------------------------------------------------


def test_statuses_follow_the_review_dates(
    page: AssessmentsPage, service: AssessmentService, clock: Clock
) -> None:
    assert page.stack.currentWidget() is page.empty_state
    clock.now = NOW - timedelta(days=200)
    completed_lia(service, "Overdue one")  # review due 6 months later: passed
    clock.now = NOW - timedelta(days=160)
    completed_lia(service, "Due soon")  # due within 30 days
    clock.now = NOW - timedelta(days=10)
    fresh = completed_lia(service, "Fresh")
    service.save_draft(fresh, {"purpose.why": "Changed"}, frozenset())  # editing version 2
    clock.now = NOW
    service.create("ico-dpia", title="Just started")
    page.reload()

    assert page.stack.currentWidget() is page.table
    status = column_texts(page, "Status")
    assert status == {
        "Overdue one": "Review overdue",
        "Due soon": "Review due",
        "Fresh": "Complete · changes not completed",
        "Just started": "Draft",
    }
    assert column_texts(page, "Type")["Just started"] == "DPIA"
    assert column_texts(page, "Version") == {
        "Overdue one": "Version 1",
        "Due soon": "Version 1",
        "Fresh": "Version 1",
        "Just started": "Not completed yet",
    }
    review = column_texts(page, "Review by")
    assert review["Just started"] == "—"
    assert review["Fresh"] == "15 May 2027"
    # Colour is a second cue: each status has its own.
    colours = {
        page.model.index(r, STATUS_COLUMN).data(Qt.ItemDataRole.ForegroundRole).name()
        for r in range(page.model.rowCount())
    }
    assert len(colours) == 4
    tip = page.model.index(page.model.row_of(fresh), STATUS_COLUMN).data(
        Qt.ItemDataRole.ToolTipRole
    )
    assert "version 2" in tip
    assert page.credit_label.text() == ICO_CREDIT
    assert page.review_notice.text() == (
        "1 assessment is overdue for review and 1 is due for review within 30 days. Open them, "
        "check the answers still hold, and complete a new version."
    )


def test_the_model_follows_qt_rules(
    qtmodeltester: ModelTester, service: AssessmentService, clock: Clock
) -> None:
    completed_lia(service, "Done")
    service.create("ico-dpia", title="Started")
    model = AssessmentsTableModel()
    qtmodeltester.check(model)
    model.set_summaries(service.summaries())
    qtmodeltester.check(model)
    assert model.rowCount() == 2 and model.columnCount() == len(COLUMNS)
    assert model.index(0, 0).data(SUMMARY_ROLE).title == "Started"
    assert isinstance(model.index(1, STATUS_COLUMN).data(Qt.ItemDataRole.ForegroundRole), QColor)
    model.set_summaries([])
    qtmodeltester.check(model)


def test_buttons_follow_the_selection(page: AssessmentsPage, service: AssessmentService) -> None:
    done = completed_lia(service, "Done")
    draft = service.create("ico-lia", title="Draft")
    page.reload()
    assert not page.open_button.isEnabled() and not page.delete_button.isEnabled()
    page.select(done)
    assert page.open_button.isEnabled() and page.export_pdf_button.isEnabled()
    assert not page.delete_button.isEnabled()
    assert "cannot be deleted" in page.delete_button.toolTip()
    page.select(draft)
    assert page.delete_button.isEnabled()


# --- New, Open, Duplicate, Delete ---------------------------------------------------------------


def test_new_lia_offers_blank_or_an_example_and_opens_the_wizard(
    qtbot: QtBot, page: AssessmentsPage, service: AssessmentService
) -> None:
    page.reload()
    assert page.new_lia_button.isEnabled() and page.new_dpia_button.isEnabled()
    qtbot.mouseClick(page.new_lia_button, Qt.MouseButton.LeftButton)
    dialog = page.new_dialog
    assert dialog is not None and dialog.isVisible()
    assert "legitimate interests assessment" in dialog.windowTitle()
    assert dialog.example_slug is None and dialog.blank_button.isChecked()
    examples = dict(dialog.example_buttons)
    assert examples and all(slug for slug in examples)  # only LIA examples are offered
    slug = next(iter(examples))
    dialog.choose(slug)
    assert dialog.example_slug == slug
    title = dialog.title
    assert title != load_template("ico-lia").title  # the example's title
    dialog.start_button.click()
    wizard = page.wizard
    assert wizard is not None and wizard.isVisible()
    assert wizard.template.id == "ico-lia"
    assert wizard.answers  # the example's answers
    wizard.close()
    assert [s.title for s in page.model.summaries] == [title]
    assert page.selected_summary() is not None


def test_new_dpia_dialog_explains_it(qtbot: QtBot, page: AssessmentsPage) -> None:
    page.reload()
    dialog = page.new_assessment("dpia")
    assert dialog is not None
    assert "risk-scoring-dpia" in dialog.example_buttons
    assert "risk-scoring-lia" not in dialog.example_buttons
    dialog.reject()
    assert page.wizard is None


def test_open_with_enter_and_double_click(
    qtbot: QtBot, page: AssessmentsPage, service: AssessmentService
) -> None:
    new_id = service.create("ico-dpia", title="Scoring")
    page.reload()
    page.select(new_id)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert page.wizard is not None and page.wizard.assessment_id == new_id
    page.wizard.close()
    assert page.wizard is None
    qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    assert page.wizard is not None
    page.wizard.close()


def test_duplicate_and_delete(
    qtbot: QtBot, page: AssessmentsPage, service: AssessmentService
) -> None:
    done = completed_lia(service, "Marketing emails")
    page.reload()
    page.select(done)
    qtbot.mouseClick(page.duplicate_button, Qt.MouseButton.LeftButton)
    copy = page.selected_summary()
    assert copy is not None and copy.title == "Copy of Marketing emails"
    assert copy.latest_version is None
    assert page.banner.tone == "ok"
    assert service.open(copy.id).draft.answers == service.open(done).draft.answers

    # Only the never-completed copy may be deleted, after a confirmation.
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    box = page.message_box
    assert box is not None and "Delete the draft" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert len(page.model.summaries) == 2
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    assert page.message_box is not None
    page.message_box.button(QMessageBox.StandardButton.Yes).click()
    assert [s.id for s in page.model.summaries] == [done]


# --- JSON and PDF -------------------------------------------------------------------------------


def test_export_and_import_json(
    page: AssessmentsPage, service: AssessmentService, tmp_path: Path
) -> None:
    done = completed_lia(service, "Ελληνικά: email offers")
    page.reload()
    page.select(done)
    target = tmp_path / "export.json"
    page.export_json_to(done, target)
    assert page.banner.tone == "ok" and str(target) in page.banner.text()
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["title"] == "Ελληνικά: email offers" and data["version"] == 1

    page.import_json_from(target)
    assert page.message_box is None
    imported = page.selected_summary()
    assert imported is not None and imported.id != done
    assert imported.title == "Ελληνικά: email offers" and imported.status == "draft"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "is not a valid JSON file (line 1"),
        ('{"hello": "world"}', "not a ShopGuard assessment export"),
        (
            '{"format": "shopguard-assessment", "format_version": 1, "template": "ico-lia",'
            ' "answers": {"purpose.why": 42}}',
            "purpose.why",
        ),
    ],
)
def test_importing_a_broken_file_says_why(
    page: AssessmentsPage, tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    page.import_json_from(path)
    box = page.message_box
    assert box is not None and box.isVisible()
    assert box.windowTitle() == "Could not import the assessment"
    assert expected in box.text()
    assert box.informativeText() == "Nothing was imported."
    box.button(QMessageBox.StandardButton.Ok).click()
    assert page.message_box is None
    assert page.model.rowCount() == 0


def test_importing_a_missing_file_says_so(page: AssessmentsPage, tmp_path: Path) -> None:
    page.import_json_from(tmp_path / "gone.json")
    assert page.message_box is not None
    assert "could not read gone.json" in page.message_box.text()


@pytest.mark.skipif(not HAS_PDF, reason="the PDF renderer is not there yet")
def test_export_pdf_shows_a_preview_and_saves(
    qtbot: QtBot, page: AssessmentsPage, service: AssessmentService, tmp_path: Path
) -> None:
    done = completed_lia(service, "Marketing emails")
    page.reload()
    page.select(done)
    qtbot.mouseClick(page.export_pdf_button, Qt.MouseButton.LeftButton)
    dialog = page.preview_dialog
    assert dialog is not None and dialog.isVisible(), page.banner.text()
    assert dialog.document.pageCount() >= 2
    assert "LIA version 1" in dialog.windowTitle()
    target = tmp_path / "out.pdf"
    dialog.save_to(target)
    assert target.read_bytes().startswith(b"%PDF")
    assert "Saved" in page.banner.text()
    temporary = dialog.pdf_path
    dialog.accept()
    assert not temporary.exists()
    assert page.preview_dialog is None


# --- inside the main window ---------------------------------------------------------------------


def test_the_main_window_shows_the_real_screen(
    qtbot: QtBot, paths: AppPaths, sessions: sessionmaker[Session], runners: Runners
) -> None:
    window = open_window(qtbot, paths, sessions, runners, settle=False)
    window.show_screen("Assessments")
    assert window.pages.currentWidget() is window.assessments_page
    page = window.assessments_page
    assert runners.wait_until_idle()
    assert page.new_dpia_button.isEnabled()
    page.start_assessment("ico-dpia", "risk-scoring-dpia", "Scoring")
    qtbot.waitUntil(lambda: page.wizard is not None, timeout=10_000)
    assert page.wizard is not None
    window.close()  # saves what the wizard holds
    assert runners.wait_until_idle()
    assert page.model.rowCount() == 1
