"""Small dialogs of the Assessments screen: starting a new one, and the PDF preview."""

from __future__ import annotations

import functools
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from shopguard.assessments.document import Document
from shopguard.assessments.templates import Example, Template
from shopguard.ui.assessment_files import render_preview
from shopguard.ui.messages import error_text
from shopguard.ui.tasks import TaskRunner
from shopguard.ui.widgets import MessageLabel

if TYPE_CHECKING:
    from shopguard.assessments.service import AssessmentService

EXPLANATIONS = {
    "lia": (
        "A legitimate interests assessment (LIA) is a short written check you keep for one "
        "use of your customers' data that they did not explicitly agree to, for example "
        "emailing offers to past customers. It shows that you have a real reason, that you "
        "need the data for it, and that it does not harm your customers' interests. The "
        "ICO (the UK data protection regulator) expects you to have one and to review it."
    ),
    "dpia": (
        "A data protection impact assessment (DPIA) is a written review of a use of "
        "customers' data that could put them at high risk, for example scoring orders for "
        "delivery risk. You describe what you do with the data, list what could go wrong for "
        "your customers, and decide how to reduce each risk. The law requires one before "
        "such processing starts; ShopGuard's first page helps you check whether you need it."
    ),
}


class NewAssessmentDialog(QDialog):
    """Start an assessment: what it is, then a blank form or a worked example, and a title."""

    def __init__(
        self, template: Template, examples: Sequence[Example], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.template = template
        name = template.title[:1].lower() + template.title[1:]
        self.setWindowTitle(f"New {name}")
        self.setMinimumWidth(560)
        heading = QLabel(f"New {name}")
        heading.setObjectName("dialogTitle")
        heading.setWordWrap(True)
        explanation = QLabel(EXPLANATIONS.get(template.kind, template.description))
        explanation.setWordWrap(True)

        self._group = QButtonGroup(self)
        self.blank_button = QRadioButton("A blank form")
        self.blank_button.setChecked(True)
        self._group.addButton(self.blank_button)
        choices = QVBoxLayout()
        choices.setSpacing(2)
        choices.addWidget(self.blank_button)
        choices.addWidget(
            _note("ShopGuard fills in what it knows about your shop; you write the rest.")
        )
        self.example_buttons: dict[str, QRadioButton] = {}
        self._titles: dict[str, str] = {}
        for example in examples:
            button = QRadioButton(f"Worked example: {example.title}")
            self._group.addButton(button)
            self.example_buttons[example.slug] = button
            self._titles[example.slug] = example.title
            choices.addSpacing(6)
            choices.addWidget(button)
            choices.addWidget(_note(example.summary))
        if not examples:
            choices.addWidget(_note("No worked examples are available for this kind."))

        self.title_edit = QLineEdit(template.title)
        self.title_edit.setPlaceholderText("What this assessment is about")
        form = QFormLayout()
        form.addRow("Title:", self.title_edit)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.start_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.start_button.setText("Start")
        self.start_button.setObjectName("primary")

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(explanation)
        layout.addWidget(QLabel("<b>Start from:</b>"))
        layout.addLayout(choices)
        layout.addLayout(form)
        layout.addWidget(buttons)

        self._title_touched = False
        self.title_edit.textEdited.connect(self._on_title_edit_text_edited)
        self._group.buttonToggled.connect(self._on_group_button_toggled)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

    @property
    def example_slug(self) -> str | None:
        """The worked example chosen, or None for a blank form."""
        return next((s for s, b in self.example_buttons.items() if b.isChecked()), None)

    @property
    def title(self) -> str:
        """The title the owner gave (the template's or the example's by default)."""
        return self.title_edit.text().strip() or self.template.title

    def choose(self, slug: str | None) -> None:
        """Pick a worked example (None: the blank form)."""
        button = self.example_buttons.get(slug or "", self.blank_button)
        button.setChecked(True)

    @Slot(str)
    def _on_title_edit_text_edited(self, _text: str) -> None:
        self._title_touched = True

    @Slot(QRadioButton, bool)
    def _on_group_button_toggled(self, _button: QRadioButton, checked: bool) -> None:
        if checked and not self._title_touched:
            slug = self.example_slug
            self.title_edit.setText(self._titles[slug] if slug else self.template.title)


class PdfPreviewDialog(QDialog):
    """A rendered PDF, page by page, with "Save as…".

    The PDF lives in a temporary folder that is removed when the dialog closes.

    Signals:
        saved(str): the PDF was saved to this path.
    """

    saved = Signal(str)

    def __init__(
        self,
        pdf_path: Path,
        suggested_name: str,
        tasks: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.pdf_path = pdf_path
        self._suggested = suggested_name
        self._tasks = tasks
        self.file_dialog: QFileDialog | None = None
        self.setWindowTitle(f"Preview — {suggested_name}")
        self.resize(860, 900)

        self.document = QPdfDocument(self)
        self.document.load(str(pdf_path))
        self.view = QPdfView()
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        pages = self.document.pageCount()
        self.info_label = QLabel(
            f"{pages} page{'s' if pages != 1 else ''}, A4. Save it, then send or print it as it is."
        )
        self.info_label.setObjectName("subtle")
        self.message = MessageLabel()
        self.save_button = QPushButton("Save as…")
        self.save_button.setObjectName("primary")
        self.close_button = QPushButton("Close")
        bottom = QHBoxLayout()
        bottom.addWidget(self.info_label)
        bottom.addWidget(self.message, 1)
        bottom.addStretch(1)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)

        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.close_button.clicked.connect(self.accept)
        self.finished.connect(self._on_finished)

    def save_to(self, path: str | Path) -> None:
        """Copy the PDF to ``path`` (off the GUI thread)."""
        target = Path(path)
        self.save_button.setEnabled(False)
        self.message.show_message("Saving…", "busy")
        self._tasks.run(
            functools.partial(shutil.copyfile, self.pdf_path, target),
            done=functools.partial(self._on_copied, target),
            owner=self,
        )

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.save_button.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def _on_save_button_clicked(self) -> None:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        dialog = QFileDialog(self, "Save the PDF", str(Path(folder) / self._suggested))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("PDF documents (*.pdf)")
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(self._on_file_dialog_file_selected)
        self.file_dialog = dialog
        dialog.open()

    @Slot(str)
    def _on_file_dialog_file_selected(self, path: str) -> None:
        self.file_dialog = None
        if path:
            self.save_to(path)

    def _on_copied(self, target: Path, _result: object, error: BaseException | None) -> None:
        self.save_button.setEnabled(True)
        if error is not None:
            reason = error.strerror if isinstance(error, OSError) else error_text(error)
            self.message.show_message(
                f"Could not save to {target}: {reason}. Choose another folder.", "error"
            )
            return
        self.message.show_message(f"Saved as {target.name}", "ok")
        self.saved.emit(str(target))

    @Slot(int)
    def _on_finished(self, _result: int) -> None:
        self.document.close()
        self._tasks.run(functools.partial(shutil.rmtree, self.pdf_path.parent, True), done=_ignore)


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("subtle")
    label.setWordWrap(True)
    label.setContentsMargins(24, 0, 0, 0)
    return label


def _ignore(_result: object, _error: BaseException | None) -> None:
    """Removing a temporary folder may fail; nothing to tell anyone."""


class PdfExport(QObject):
    """Makes an assessment's PDF off the GUI thread, then shows it in a ``PdfPreviewDialog``.

    The document is read on the database runner and rendered on the work runner.

    Signals:
        previewed(object): the preview is open (the ``PdfPreviewDialog``).
        failed(str): the PDF could not be made; the message says why.
        saved(str): the owner saved the PDF to this path.
    """

    previewed = Signal(object)
    failed = Signal(str)
    saved = Signal(str)

    def __init__(
        self,
        service: AssessmentService,
        db_tasks: TaskRunner,
        work_tasks: TaskRunner,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._db = db_tasks
        self._work = work_tasks
        self._window = parent
        self.dialog: PdfPreviewDialog | None = None

    def start(self, assessment_id: int, name: str) -> None:
        """Read, render and preview the PDF of an assessment (its latest version or draft)."""
        self._db.run(
            functools.partial(self._service.document, assessment_id),
            done=functools.partial(self._on_document_read, name),
            owner=self,
        )

    def _on_document_read(
        self, name: str, document: Document | None, error: BaseException | None
    ) -> None:
        if error is not None or document is None:
            self.failed.emit(error_text(error or RuntimeError()))
            return
        self._work.run(
            functools.partial(render_preview, document),
            done=functools.partial(self._on_rendered, name),
            owner=self,
        )

    def _on_rendered(self, name: str, path: Path | None, error: BaseException | None) -> None:
        if error is not None or path is None:
            self.failed.emit(error_text(error or RuntimeError()))
            return
        dialog = PdfPreviewDialog(path, name, self._work, self._window)
        dialog.saved.connect(self.saved)
        dialog.finished.connect(self._on_dialog_finished)
        self.dialog = dialog
        dialog.open()
        self.previewed.emit(dialog)

    @Slot(int)
    def _on_dialog_finished(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None
