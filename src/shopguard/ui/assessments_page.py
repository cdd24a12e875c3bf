"""The Assessments screen: every LIA and DPIA with its status, and what to do with them.

Start one (blank or from a worked example), open it in the wizard, duplicate it, export
it as a PDF (with a preview) or as JSON, import one, or delete a draft never completed.
Every service call runs on the database runner; the PDF is rendered on the work runner.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelection, QModelIndex, QStandardPaths, Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from shopguard.assessments.service import Opened
from shopguard.assessments.templates import Example, Template
from shopguard.ui.assessment_dialogs import NewAssessmentDialog, PdfExport, PdfPreviewDialog
from shopguard.ui.assessment_files import (
    Overview,
    file_name,
    import_file,
    load_overview,
    write_json,
)
from shopguard.ui.assessment_wizard import AssessmentWizard
from shopguard.ui.messages import error_text
from shopguard.ui.models.assessments_model import (
    COLUMNS,
    AssessmentsTableModel,
    review_reminder,
)
from shopguard.ui.tasks import TaskRunner
from shopguard.ui.widgets import MessageLabel

if TYPE_CHECKING:
    from shopguard.assessments.service import AssessmentService, Summary

log = logging.getLogger(__name__)

ICO_CREDIT = "Question wording from the ICO's templates, Open Government Licence v3.0."
INTRO = (
    "Written checks the law expects before you use customers' data in certain ways. "
    "ShopGuard fills in what it knows about your shop, saves as you type, and makes a PDF "
    "you can show a regulator."
)
CANNOT_DELETE = (
    "A completed assessment is a record you may need to show a regulator, so it cannot be "
    "deleted. Duplicate it to start a new one."
)


class AssessmentsPage(QWidget):
    """Every assessment, with New, Open, Duplicate, Export, Import and Delete.

    Signals:
        wizard_opened(object): the wizard for an assessment is shown (an ``AssessmentWizard``).
        list_loaded(): the list was (re)loaded.
    """

    wizard_opened = Signal(object)
    list_loaded = Signal()

    def __init__(
        self,
        *,
        service: AssessmentService,
        db_tasks: TaskRunner,
        work_tasks: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._db = db_tasks
        self._work = work_tasks
        self._templates: dict[str, Template] = {}
        self._examples: list[Example] = []
        self._select_after_load: int | None = None
        self.wizard: AssessmentWizard | None = None
        self.new_dialog: NewAssessmentDialog | None = None
        self.file_dialog: QFileDialog | None = None
        self.message_box: QMessageBox | None = None
        self.model = AssessmentsTableModel(self)
        self.pdf_export = PdfExport(service, db_tasks, work_tasks, self)

        heading = QLabel("Assessments")
        heading.setObjectName("pageTitle")
        intro = QLabel(INTRO)
        intro.setObjectName("subtle")
        intro.setWordWrap(True)
        self.new_lia_button = QPushButton("New LIA…")
        self.new_lia_button.setToolTip(
            "Legitimate interests assessment: for using customers' data without their "
            "explicit consent, such as marketing emails to past customers"
        )
        self.new_dpia_button = QPushButton("New DPIA…")
        self.new_dpia_button.setToolTip(
            "Data protection impact assessment: for uses of customers' data that could put "
            "them at high risk, such as delivery-risk scoring"
        )
        for button in (self.new_lia_button, self.new_dpia_button):
            button.setObjectName("primary")
            button.setEnabled(False)
        self.import_button = QPushButton("Import JSON…")
        self.import_button.setToolTip("Add an assessment exported from ShopGuard as JSON")
        top = QHBoxLayout()
        top.addWidget(self.new_lia_button)
        top.addWidget(self.new_dpia_button)
        top.addStretch(1)
        top.addWidget(self.import_button)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(30)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Title"), QHeaderView.ResizeMode.Stretch)

        empty = QWidget()
        empty_title = QLabel("No assessments yet")
        empty_title.setObjectName("emptyTitle")
        empty_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_help = QLabel(
            "Start with “New LIA…” if you email offers to past customers, or “New DPIA…” if "
            "you score orders for delivery risk. Each can start from a worked example written "
            "for a small online shop."
        )
        empty_help.setObjectName("subtle")
        empty_help.setWordWrap(True)
        empty_help.setMaximumWidth(560)
        empty_help.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(empty_title)
        empty_layout.addWidget(empty_help, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(2)
        self.empty_state = empty
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_state)
        self.stack.addWidget(self.table)

        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Carry on with it, or read a completed version")
        self.duplicate_button = QPushButton("Duplicate")
        self.duplicate_button.setToolTip("Start a new assessment from a copy of this one")
        self.export_pdf_button = QPushButton("Export PDF…")
        self.export_pdf_button.setToolTip(
            "Preview and save a PDF of the latest completed version (or of the draft)"
        )
        self.export_json_button = QPushButton("Export JSON…")
        self.export_json_button.setToolTip(
            "Save it as a file another ShopGuard can import (a backup, or to share)"
        )
        self.delete_button = QPushButton("Delete…")
        actions = QHBoxLayout()
        for button in (
            self.open_button,
            self.duplicate_button,
            self.export_pdf_button,
            self.export_json_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.delete_button)

        self.banner = MessageLabel()
        self.banner.setObjectName("banner")
        self.review_notice = MessageLabel()
        self.credit_label = QLabel(ICO_CREDIT)
        self.credit_label.setObjectName("subtle")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 12)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.review_notice)
        layout.addWidget(self.stack, 1)
        layout.addLayout(actions)
        layout.addWidget(self.credit_label)

        self.new_lia_button.clicked.connect(functools.partial(self.new_assessment, "lia"))
        self.new_dpia_button.clicked.connect(functools.partial(self.new_assessment, "dpia"))
        self.import_button.clicked.connect(self._on_import_button_clicked)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.duplicate_button.clicked.connect(self._on_duplicate_button_clicked)
        self.export_pdf_button.clicked.connect(self._on_export_pdf_button_clicked)
        self.export_json_button.clicked.connect(self._on_export_json_button_clicked)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        self.table.activated.connect(self._on_table_activated)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.model.modelReset.connect(self._on_model_reset)
        self.pdf_export.previewed.connect(self._on_pdf_export_previewed)
        self.pdf_export.failed.connect(self._on_pdf_export_failed)
        self.pdf_export.saved.connect(self._on_pdf_export_saved)
        self._update_buttons()

    # --- what the window and the tests call ----------------------------------------------------

    def reload(self, select_id: int | None = None) -> None:
        """Load the list again (off the GUI thread); select ``select_id`` when it arrives."""
        if select_id is not None:
            self._select_after_load = select_id
        elif (summary := self.selected_summary()) is not None:
            self._select_after_load = summary.id
        self._db.run(
            functools.partial(load_overview, self._service), done=self._on_loaded, owner=self
        )

    def selected_summary(self) -> Summary | None:
        """The assessment selected in the list."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.summary_at(rows[0].row()) if rows else None

    def select(self, assessment_id: int) -> None:
        """Select the assessment with this id in the list."""
        row = self.model.row_of(assessment_id)
        if row >= 0:
            self.table.selectRow(row)

    def new_assessment(self, kind: str) -> NewAssessmentDialog | None:
        """Ask how to start a new LIA or DPIA (window-modal; returns the dialog at once)."""
        template = self._templates.get(kind)
        if template is None:
            return None
        offered = [e for e in self._examples if e.template == template.id]
        dialog = NewAssessmentDialog(template, offered, self)
        dialog.accepted.connect(functools.partial(self._on_new_dialog_accepted, dialog))
        dialog.finished.connect(dialog.deleteLater)
        self.new_dialog = dialog
        dialog.open()
        return dialog

    def start_assessment(self, template_id: str, example_slug: str | None, title: str) -> None:
        """Start an assessment and open it in the wizard."""
        self.banner.show_message("Starting the assessment…", "busy")
        self._db.run(
            functools.partial(
                self._service.create, template_id, example_slug=example_slug, title=title
            ),
            done=self._on_created,
            owner=self,
        )

    def open_assessment(self, assessment_id: int) -> None:
        """Open an assessment in the wizard."""
        self._db.run(
            functools.partial(self._service.open, assessment_id),
            done=self._on_opened,
            owner=self,
        )

    def duplicate(self, assessment_id: int) -> None:
        """Copy an assessment as a new draft."""
        self._db.run(
            functools.partial(self._service.duplicate, assessment_id),
            done=functools.partial(self._on_changed, "Made a copy. It is selected below."),
            owner=self,
        )

    def delete(self, assessment_id: int) -> None:
        """Delete a draft that was never completed (without asking; the button asks)."""
        self._db.run(
            functools.partial(self._service.delete, assessment_id),
            done=functools.partial(self._on_changed, "Deleted the draft."),
            owner=self,
        )

    def export_pdf(self, assessment_id: int) -> None:
        """Render the PDF off the GUI thread, then show the preview with "Save as…"."""
        summary = self.model.summary_at(self.model.row_of(assessment_id))
        self.banner.show_message("Preparing the PDF…", "busy")
        self.export_pdf_button.setEnabled(False)
        self.pdf_export.start(
            assessment_id, file_name(summary, "pdf") if summary else "assessment.pdf"
        )

    @property
    def preview_dialog(self) -> PdfPreviewDialog | None:
        """The PDF preview, while it is open."""
        return self.pdf_export.dialog

    def export_json_to(self, assessment_id: int, path: str | Path) -> None:
        """Save an assessment as a JSON file."""
        self._db.run(
            functools.partial(write_json, self._service, assessment_id, Path(path)),
            done=self._on_json_written,
            owner=self,
        )

    def import_json_from(self, path: str | Path) -> None:
        """Import a JSON export as a new draft (a message box says why if it cannot)."""
        self._db.run(
            functools.partial(import_file, self._service, Path(path)),
            done=self._on_imported,
            owner=self,
        )

    def shutdown(self) -> None:
        """The window is closing: save what the wizard holds."""
        if self.wizard is not None:
            self.wizard.save_now()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.reload()

    # --- slots ---------------------------------------------------------------------------------

    @Slot()
    def _on_open_button_clicked(self) -> None:
        if (summary := self.selected_summary()) is not None:
            self.open_assessment(summary.id)

    @Slot(QModelIndex)
    def _on_table_activated(self, index: QModelIndex) -> None:
        summary = self.model.summary_at(index.row())
        if summary is not None:
            self.open_assessment(summary.id)

    @Slot()
    def _on_duplicate_button_clicked(self) -> None:
        if (summary := self.selected_summary()) is not None:
            self.duplicate(summary.id)

    @Slot()
    def _on_export_pdf_button_clicked(self) -> None:
        if (summary := self.selected_summary()) is not None:
            self.export_pdf(summary.id)

    @Slot()
    def _on_export_json_button_clicked(self) -> None:
        summary = self.selected_summary()
        if summary is None:
            return
        dialog = self._file_dialog("Export the assessment as JSON", file_name(summary, "json"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("json")
        dialog.fileSelected.connect(functools.partial(self._on_export_file_selected, summary.id))
        dialog.open()

    @Slot()
    def _on_import_button_clicked(self) -> None:
        dialog = self._file_dialog("Import an assessment", "")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self._onimport_file_selected)
        dialog.open()

    @Slot()
    def _on_delete_button_clicked(self) -> None:
        summary = self.selected_summary()
        if summary is None or summary.latest_version is not None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete this draft?",
            f"Delete the draft “{summary.title}”? Its answers will be gone for good.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.button(QMessageBox.StandardButton.Yes).setText("Delete")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(functools.partial(self._on_delete_box_finished, summary.id))
        self.message_box = box
        box.open()

    def _on_delete_box_finished(self, assessment_id: int, result: int) -> None:
        self.message_box = None
        if result == QMessageBox.StandardButton.Yes:
            self.delete(assessment_id)

    def _on_export_file_selected(self, assessment_id: int, path: str) -> None:
        self.file_dialog = None
        if path:
            self.export_json_to(assessment_id, path)

    @Slot(str)
    def _onimport_file_selected(self, path: str) -> None:
        self.file_dialog = None
        if path:
            self.import_json_from(path)

    def _on_new_dialog_accepted(self, dialog: NewAssessmentDialog) -> None:
        self.new_dialog = None
        self.start_assessment(dialog.template.id, dialog.example_slug, dialog.title)

    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, _selected: QItemSelection, _old: QItemSelection) -> None:
        self._update_buttons()

    @Slot()
    def _on_model_reset(self) -> None:
        self.stack.setCurrentWidget(self.table if self.model.rowCount() else self.empty_state)
        self._update_buttons()

    @Slot(int)
    def _on_wizard_finished(self, _result: int) -> None:
        wizard = self.wizard
        self.wizard = None
        if wizard is not None:
            self.reload(select_id=wizard.assessment_id)
            wizard.deleteLater()

    @Slot(object)
    def _on_wizard_completed(self, _info: object) -> None:
        if self.wizard is not None:
            self.reload(select_id=self.wizard.assessment_id)

    # --- results from the runners --------------------------------------------------------------

    def _on_loaded(
        self,
        loaded: Overview | None,
        error: BaseException | None,
    ) -> None:
        if error is not None or loaded is None:
            self.banner.show_message(error_text(error or RuntimeError()), "error")
            return
        summaries, templates, shipped = loaded
        self._templates = {t.kind: t for t in templates}
        self._examples = shipped
        self.new_lia_button.setEnabled("lia" in self._templates)
        self.new_dpia_button.setEnabled("dpia" in self._templates)
        if summaries != self.model.summaries:
            self.model.set_summaries(summaries)
        self.review_notice.show_message(review_reminder(summaries), "warning")
        if self._select_after_load is not None:
            self.select(self._select_after_load)
            self._select_after_load = None
        self.list_loaded.emit()

    def _on_created(self, new_id: int | None, error: BaseException | None) -> None:
        if error is not None or new_id is None:
            self.banner.show_message(error_text(error or RuntimeError()), "error")
            return
        self.banner.clear_message()
        self.reload(select_id=new_id)
        self.open_assessment(new_id)

    def _on_opened(self, opened: Opened | None, error: BaseException | None) -> None:
        if error is not None or opened is None:
            self.banner.show_message(error_text(error or RuntimeError()), "error")
            return
        wizard = AssessmentWizard(opened, self._service, self._db, self)
        wizard.finished.connect(self._on_wizard_finished)
        wizard.completed.connect(self._on_wizard_completed)
        self.wizard = wizard
        wizard.open()
        self.wizard_opened.emit(wizard)

    def _on_changed(self, message: str, result: Any, error: BaseException | None) -> None:
        if error is not None:
            self.banner.show_message(error_text(error), "error")
            return
        self.banner.show_message(message, "ok")
        self.reload(select_id=result if isinstance(result, int) else None)

    @Slot(object)
    def _on_pdf_export_previewed(self, _dialog: object) -> None:
        self._update_buttons()
        self.banner.clear_message()

    @Slot(str)
    def _on_pdf_export_failed(self, message: str) -> None:
        self._update_buttons()
        self.banner.show_message(f"The PDF could not be made: {message}", "error")

    @Slot(str)
    def _on_pdf_export_saved(self, path: str) -> None:
        self.banner.show_message(f"Saved the PDF as {path}", "ok")

    def _on_json_written(self, path: Path | None, error: BaseException | None) -> None:
        if error is not None or path is None:
            self.banner.show_message(error_text(error or RuntimeError()), "error")
            return
        self.banner.show_message(f"Saved as {path}", "ok")

    def _on_imported(self, new_id: int | None, error: BaseException | None) -> None:
        if error is not None or new_id is None:
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                "Could not import the assessment",
                error_text(error or RuntimeError()),
                QMessageBox.StandardButton.Ok,
                self,
            )
            box.setInformativeText("Nothing was imported.")
            box.finished.connect(self._on_message_box_finished)
            self.message_box = box
            box.open()
            return
        self.banner.show_message("Imported it as a new draft. It is selected below.", "ok")
        self.reload(select_id=new_id)

    @Slot(int)
    def _on_message_box_finished(self, _result: int) -> None:
        self.message_box = None

    # --- helpers -------------------------------------------------------------------------------

    def _file_dialog(self, caption: str, name: str) -> QFileDialog:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        dialog = QFileDialog(self, caption, str(Path(folder) / name) if name else folder)
        dialog.setNameFilter("ShopGuard assessments (*.json)")
        self.file_dialog = dialog
        return dialog

    def _update_buttons(self) -> None:
        summary = self.selected_summary()
        for button in (
            self.open_button,
            self.duplicate_button,
            self.export_pdf_button,
            self.export_json_button,
        ):
            button.setEnabled(summary is not None)
        deletable = summary is not None and summary.latest_version is None
        self.delete_button.setEnabled(deletable)
        self.delete_button.setToolTip(
            "Delete this draft (it was never completed)"
            if deletable
            else CANNOT_DELETE
            if summary is not None
            else "Select a draft to delete it"
        )
