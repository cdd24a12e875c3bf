"""The assessment wizard: one page per template section, autosaved, checked, completed.

A stepper rather than a ``QWizard`` (which cannot jump to any page): a side list of the
sections, Back and Next, a progress bar of the required questions answered. Every edit is
saved as the draft 800 ms after typing stops, when the page changes and when the window
closes, through ``AssessmentService.save_draft`` on the database runner. "Complete" asks the
service what is still missing (``problems``); each problem in the list jumps to its place.
A completed version opens read-only; "Edit" starts the next version's draft.
"""

from __future__ import annotations

import copy
import functools
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QListWidgetItem,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from shopguard.assessments import rules
from shopguard.assessments.answers import missing
from shopguard.assessments.service import CannotComplete, Opened, VersionInfo
from shopguard.ui.assessment_editors import AnswerEditor, QuestionBlock
from shopguard.ui.assessment_fields import DATE_FORMS, DateField
from shopguard.ui.assessment_notices import (
    confirm_text,
    frozen_notice,
    page_notices,
    risk_choices,
    unlink_risks,
)
from shopguard.ui.assessment_sections import (
    WIZARD_STYLE,
    ProblemsPanel,
    SectionList,
    SectionPage,
    WizardFooter,
    WizardHeader,
    section_icons,
)
from shopguard.ui.assessment_tables import TableEditor
from shopguard.ui.messages import error_text
from shopguard.ui.models.assessments_model import KIND_LABELS, long_date
from shopguard.ui.tasks import TaskRunner
from shopguard.ui.widgets import MessageLabel

if TYPE_CHECKING:
    from shopguard.assessments.service import AssessmentService

AUTOSAVE_MS = 800


class AssessmentWizard(QDialog):
    """Fill in, check and complete one assessment.

    Signals:
        saved(): an autosave reached the store.
        completed(object): a version was completed (a ``VersionInfo``).
    """

    saved = Signal()
    completed = Signal(object)

    def __init__(
        self,
        opened: Opened,
        service: AssessmentService,
        db_tasks: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.assessment_id = opened.id
        self.template = opened.template
        self._service = service
        self._db = db_tasks
        self._answers: dict[str, Any] = copy.deepcopy(dict(opened.draft.answers))
        self._suggested: set[str] = set(opened.draft.suggested)
        self.versions: list[VersionInfo] = list(opened.versions)
        self._title = opened.title
        self._dirty = False
        self._settings_dirty = False
        self._saving = 0
        self.read_only = bool(self.versions) and not opened.has_draft
        self.confirm_box: QMessageBox | None = None
        self.setStyleSheet(WIZARD_STYLE)
        self.setWindowTitle(f"{opened.title} — {KIND_LABELS.get(self.template.kind, '')}")
        self.resize(1180, 800)

        self.header = WizardHeader(self.template, opened.title, opened.review_months)
        self.title_edit = self.header.title_edit
        self.review_spin = self.header.review_spin
        self.status_label = self.header.status_label
        self.edit_button = self.header.edit_button
        self.banner = MessageLabel()
        self.banner.setObjectName("banner")

        # The sections: a side list and the pages.
        self.section_list = SectionList()
        self._done_icon, self._todo_icon = section_icons()
        self.pages = QStackedWidget()
        self.blocks: dict[str, QuestionBlock] = {}
        # Pages are built when first shown: with the style sheet, building all of a DPIA's
        # widgets at once would take most of a second.
        self._built: dict[int, SectionPage] = {}
        for section in self.template.sections:
            holder = QWidget()
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            self.pages.addWidget(holder)
            QListWidgetItem(section.title, self.section_list)
        splitter = QSplitter()
        splitter.addWidget(self.section_list)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([250, 930])
        splitter.setChildrenCollapsible(False)

        self.problems_panel = ProblemsPanel()
        self.footer = WizardFooter()
        self.progress_bar = self.footer.progress_bar
        self.step_label = self.footer.step_label
        self.save_label = self.footer.save_label
        self.back_button = self.footer.back_button
        self.next_button = self.footer.next_button
        self.complete_button = self.footer.complete_button
        self.close_button = self.footer.close_button

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(self.header)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.problems_panel)
        layout.addWidget(self.footer)

        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(AUTOSAVE_MS)
        self._settings_timer = QTimer(self)
        self._settings_timer.setSingleShot(True)
        self._settings_timer.setInterval(AUTOSAVE_MS)

        self.section_list.currentRowChanged.connect(self._on_section_list_current_row_changed)
        self.back_button.clicked.connect(self._on_back_button_clicked)
        self.next_button.clicked.connect(self._on_next_button_clicked)
        self.complete_button.clicked.connect(self._on_complete_button_clicked)
        self.close_button.clicked.connect(self._on_close_button_clicked)
        self.edit_button.clicked.connect(self._on_edit_button_clicked)
        self.problems_panel.question_clicked.connect(self._on_problems_panel_question_clicked)
        self.title_edit.editingFinished.connect(self._on_title_edit_editing_finished)
        self.review_spin.valueChanged.connect(self._on_review_spin_value_changed)
        self._save_timer.timeout.connect(self._on_save_timer_timeout)
        self._settings_timer.timeout.connect(self._on_settings_timer_timeout)

        self.section_list.setCurrentRow(0)
        self._apply_mode()
        self._refresh()
        self.section_list.setFocus()  # not the title: a stray key press must not rename it

    # --- what the page and the tests call ---------------------------------------------------------

    @property
    def answers(self) -> dict[str, Any]:
        """A copy of the answers as they stand in the wizard."""
        return copy.deepcopy(self._answers)

    @property
    def suggested(self) -> frozenset[str]:
        """Keys whose answers are still ShopGuard's untouched suggestions."""
        return frozenset(self._suggested)

    @property
    def current_index(self) -> int:
        """The page shown (from 0)."""
        return self.pages.currentIndex()

    def page(self, index: int) -> SectionPage:
        """The page of the section at ``index`` (built now if it was not yet)."""
        page = self._built.get(index)
        if page is not None:
            return page
        section = self.template.sections[index]
        page = SectionPage(section, index + 1)
        choices = risk_choices(self.template, self._answers)
        page.load(self._answers, self._suggested, self.read_only, choices)
        for key, block in page.blocks.items():
            block.editor.edited.connect(functools.partial(self._on_editor_edited, key))
        self._built[index] = page
        self.blocks.update(page.blocks)
        page.refresh(
            rules.problems(self.template, self._answers),
            page_notices(self.template, self._answers),
        )
        holder = self.pages.widget(index)
        layout = holder.layout() if holder is not None else None
        assert layout is not None
        layout.addWidget(page)
        return page

    def section_index(self, key: str) -> int:
        """The index of the section holding the question with this key (-1: none)."""
        sections = self.template.sections
        return next(
            (n for n, s in enumerate(sections) if any(q.key == key for q in s.questions)), -1
        )

    def editor(self, key: str) -> AnswerEditor:
        """The editor of the question with this key (its page is built if need be)."""
        if key not in self.blocks:
            self.page(self.section_index(key))
        return self.blocks[key].editor

    def table_editor(self, role: str) -> TableEditor | None:
        """The editor of the table with this role ("risks", "measures"), if any."""
        question = self.template.table(role)
        editor = self.editor(question.key) if question else None
        return editor if isinstance(editor, TableEditor) else None

    def go_to(self, index: int) -> None:
        """Show the section at ``index`` (saving first)."""
        if 0 <= index < self.pages.count():
            self.section_list.setCurrentRow(index)

    def go_to_question(self, key: str) -> None:
        """Show the question with this key and put the cursor in it."""
        index = self.section_index(key)
        if index < 0:
            return
        self.go_to(index)
        page = self.page(index)
        page.scroll_to(key)
        self.blocks[key].editor.focus_editor()

    def save_now(self) -> None:
        """Save the draft at once if anything changed (autosave does this by itself)."""
        self._save_timer.stop()
        typed = self.title_edit.text().strip()
        if self._settings_dirty or (typed and typed != self._title):
            self._save_settings()
        if not self._dirty or self.read_only:
            return
        self._dirty = False
        self._saving += 1
        self.save_label.setText("Saving…")
        self._db.run(
            functools.partial(
                self._service.save_draft,
                self.assessment_id,
                copy.deepcopy(self._answers),
                frozenset(self._suggested),
            ),
            done=self._on_draft_saved,
            owner=self,
        )

    def check_and_complete(self) -> None:
        """Save, ask the service what is still missing; show it, or offer to complete."""
        self.save_now()
        if self._stopped_by_unreadable_date():
            return
        self.complete_button.setEnabled(False)
        self._db.run(
            functools.partial(self._service.problems, self.assessment_id),
            done=self._on_problems_checked,
            owner=self,
        )

    def complete(self) -> None:
        """Save and freeze the draft as the next version (no questions asked)."""
        self.save_now()
        if self._stopped_by_unreadable_date():
            return
        self.complete_button.setEnabled(False)
        self._db.run(
            functools.partial(self._service.complete, self.assessment_id),
            done=self._on_completed,
            owner=self,
        )

    def start_new_version(self) -> None:
        """Make a completed assessment editable; the first edit starts the next draft."""
        if not self.read_only:
            return
        self.read_only = False
        number = self._next_number()
        self.banner.show_message(
            f"You are now editing version {number}. Version {number - 1} stays exactly as it "
            "was; complete this one when you are done.",
            "info",
        )
        self._apply_mode()

    def unreadable_dates(self) -> list[DateField]:
        """The date boxes holding text that is not a date (kept as typed, saved as none)."""
        return [field for field in self.findChildren(DateField) if not field.is_valid()]

    def _stopped_by_unreadable_date(self) -> bool:
        """Show the first date box that is not a date, and say so; False if there is none.
        A version is never completed over it: the text typed would be lost."""
        unreadable = self.unreadable_dates()
        if not unreadable:
            return False
        field = unreadable[0]
        for index, page in self._built.items():
            if page.isAncestorOf(field):
                self.go_to(index)
                page.scroll_area.ensureWidgetVisible(field, 0, 40)
        field.line_edit.setFocus()
        self.banner.show_message(
            f"“{field.typed()}” is not a date. Write it as {DATE_FORMS}, or pick it from the "
            "calendar; then check again.",
            "error",
        )
        return True

    def show_problems(self, problems: list[rules.Problem]) -> None:
        """List what blocks "Complete"; each line jumps to its question."""
        self.problems_panel.show_problems(problems, self.template)

    # --- Qt events -----------------------------------------------------------------------------

    def done(self, result: int) -> None:
        """Closing in any way saves first."""
        self.save_now()
        super().done(result)

    # --- slots ---------------------------------------------------------------------------------

    def _on_editor_edited(self, key: str) -> None:
        if self.read_only:
            return
        value = self.editor(key).value()
        if value is None:
            self._answers.pop(key, None)
        else:
            self._answers[key] = value
        if key in self._suggested:
            self._suggested.discard(key)
            self.blocks[key].set_suggested(False)
        risks = self.template.table("risks")
        if risks is not None and key == risks.key:
            self._follow_risks()
        self._dirty = True
        self.save_label.setText("Saving…")
        self._save_timer.start()
        self._refresh()

    @Slot(int)
    def _on_section_list_current_row_changed(self, row: int) -> None:
        if row < 0:
            return
        self.save_now()
        self.page(row)
        self.pages.setCurrentIndex(row)
        self._update_navigation()

    @Slot()
    def _on_back_button_clicked(self) -> None:
        self.go_to(self.current_index - 1)

    @Slot()
    def _on_next_button_clicked(self) -> None:
        self.go_to(self.current_index + 1)

    @Slot()
    def _on_complete_button_clicked(self) -> None:
        self.check_and_complete()

    @Slot()
    def _on_close_button_clicked(self) -> None:
        self.accept()

    @Slot()
    def _on_edit_button_clicked(self) -> None:
        self.start_new_version()

    @Slot(str)
    def _on_problems_panel_question_clicked(self, key: str) -> None:
        self.go_to_question(key)

    @Slot()
    def _on_title_edit_editing_finished(self) -> None:
        if self.title_edit.text().strip() and self.title_edit.text() != self._title:
            self._settings_dirty = True
            self._save_settings()
        elif not self.title_edit.text().strip():
            self.title_edit.setText(self._title)

    @Slot(int)
    def _on_review_spin_value_changed(self, _months: int) -> None:
        self._settings_dirty = True
        self._settings_timer.start()

    @Slot()
    def _on_save_timer_timeout(self) -> None:
        self.save_now()

    @Slot()
    def _on_settings_timer_timeout(self) -> None:
        self._save_settings()

    # --- results from the database runner ------------------------------------------------------

    def _on_draft_saved(self, _result: None, error: BaseException | None) -> None:
        self._saving -= 1
        if error is not None:
            self.save_label.setText("Not saved")
            self.banner.show_message(
                f"Your last changes could not be saved: {error_text(error)}", "error"
            )
            return
        if self._saving == 0 and not self._dirty:
            unreadable = self.unreadable_dates()
            self.save_label.setText(
                f"Saved at {datetime.now():%H:%M}, except “{unreadable[0].typed()}”: not a date"
                if unreadable
                else f"All changes saved at {datetime.now():%H:%M}"
            )
        self._update_status()
        self.saved.emit()

    def _on_settings_saved(self, _result: None, error: BaseException | None) -> None:
        if error is not None:
            self.banner.show_message(error_text(error), "error")

    def _on_problems_checked(
        self, problems: list[rules.Problem] | None, error: BaseException | None
    ) -> None:
        self.complete_button.setEnabled(not self.read_only)
        if error is not None or problems is None:
            self.banner.show_message(error_text(error or RuntimeError()), "error")
            return
        if problems:
            self.show_problems(problems)
            return
        self.problems_panel.hide()
        number = self._next_number()
        box = QMessageBox(
            QMessageBox.Icon.Question,
            f"Complete version {number}?",
            confirm_text(number, self.review_spin.value()),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.button(QMessageBox.StandardButton.Yes).setText(f"Complete version {number}")
        box.finished.connect(self._on_confirm_box_finished)
        self.confirm_box = box
        box.open()

    @Slot(int)
    def _on_confirm_box_finished(self, result: int) -> None:
        self.confirm_box = None
        if result == QMessageBox.StandardButton.Yes:
            self.complete()

    def _on_completed(self, info: VersionInfo | None, error: BaseException | None) -> None:
        self.complete_button.setEnabled(not self.read_only)
        if isinstance(error, CannotComplete):
            self.show_problems(error.problems)
            return
        if error is not None or info is None:
            self.banner.show_message(error_text(error or RuntimeError()), "error")
            return
        self.versions.append(info)
        self.read_only = True
        self.problems_panel.hide()
        self.banner.show_message(
            f"Version {info.number} completed; review due {long_date(info.review_due)}. "
            "Export it as a PDF from the Assessments list.",
            "ok",
        )
        self._apply_mode()
        self.completed.emit(info)

    # --- helpers -------------------------------------------------------------------------------

    def _next_number(self) -> int:
        return (self.versions[-1].number if self.versions else 0) + 1

    def _save_settings(self) -> None:
        self._settings_timer.stop()
        self._settings_dirty = False
        title = self.title_edit.text().strip() or self._title
        self._title = title
        self.setWindowTitle(f"{title} — {KIND_LABELS.get(self.template.kind, '')}")
        self._db.run(
            functools.partial(
                self._service.update_settings,
                self.assessment_id,
                title=title,
                review_months=self.review_spin.value(),
            ),
            done=self._on_settings_saved,
            owner=self,
        )

    def _follow_risks(self) -> None:
        """The risk register changed: renumber the risks, unlink measures of removed ones."""
        choices = risk_choices(self.template, self._answers)
        known = {risk_id for risk_id, _ in choices}
        for question in self.template.questions():
            if not any(c.type == "risk" for c in question.columns):
                continue
            rows = self._answers.get(question.key) or []
            cleaned = [unlink_risks(question, row, known) for row in rows]
            block = self.blocks.get(question.key)
            editor = block.editor if block else None
            if isinstance(editor, TableEditor):
                editor.set_risk_choices(choices)
            if cleaned != rows:
                self._answers[question.key] = cleaned
                if editor is not None:
                    editor.set_value(cleaned)

    def _apply_mode(self) -> None:
        for block in self.blocks.values():
            block.editor.set_read_only(self.read_only)
        self.edit_button.setVisible(self.read_only)
        self.edit_button.setText(f"Edit (start version {self._next_number()})")
        self.complete_button.setEnabled(not self.read_only)
        if self.read_only and self.versions and not self.banner.text():
            self.banner.show_message(frozen_notice(self.versions[-1]), "info")
        self._update_status()
        self._follow_risks()

    def _update_status(self) -> None:
        self.header.show_status(self.versions, read_only=self.read_only)

    def _refresh(self) -> None:
        """Progress, section marks and the rules' notices after an edit."""
        problems = rules.problems(self.template, self._answers)
        required = [q for q in self.template.questions() if q.required]
        unanswered = missing(self.template, self._answers)
        self.progress_bar.setRange(0, len(required))
        self.progress_bar.setValue(len(required) - len(unanswered))
        for row, section in enumerate(self.template.sections):
            todo = sum(1 for p in problems if p.section == section.id)
            item = self.section_list.item(row)
            item.setIcon(self._done_icon if not todo else self._todo_icon)
            item.setToolTip(
                "Everything needed here is done"
                if not todo
                else f"{todo} thing{'s' if todo != 1 else ''} still to do here"
            )
        notices = page_notices(self.template, self._answers)
        for page in self._built.values():
            page.refresh(problems, notices)
        if self.problems_panel.isVisible():
            self.show_problems(problems)

    def _update_navigation(self) -> None:
        index, total = self.current_index, self.pages.count()
        self.step_label.setText(f"Section {index + 1} of {total}")
        self.back_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < total - 1)
