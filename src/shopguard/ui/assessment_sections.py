"""The parts of the assessment wizard: a page per template section, header, problems, footer.

A ``SectionPage`` shows the section's title and intro, a notice for what the rules say
about this page (the DPIA screening result, a residual High risk), and one
``QuestionBlock`` per question with the editor its answer type needs. The header, the list
of problems and the footer are plain layouts the wizard wires up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRect, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from shopguard.assessments import rules
from shopguard.assessments.templates import Question, Section, Template
from shopguard.ui.assessment_editors import AnswerEditor, QuestionBlock, basic_editor
from shopguard.ui.assessment_notices import status_line
from shopguard.ui.assessment_tables import TableEditor
from shopguard.ui.widgets import MessageLabel, Tone

if TYPE_CHECKING:
    from shopguard.assessments.service import VersionInfo

PROBLEM_ROLE = Qt.ItemDataRole.UserRole + 1
PROBLEM_ROWS = 6  # the list of problems scrolls beyond this many
WIZARD_STYLE = """
QLabel#questionPrompt { font-weight: 600; color: #1d2229; }
QLabel#helpText { color: #4a5260; }
QLabel#suggestion {
    background: #eaf2fb; color: #1f4f86; border-left: 3px solid #2f6fb5;
    padding: 3px 8px;
}
QLabel#fieldError { color: #b3261e; }
QToolButton#helpToggle { border: 1px solid #c9ced6; border-radius: 9px; min-width: 18px;
    max-width: 18px; min-height: 18px; max-height: 18px; font-weight: 600; color: #2f6fb5; }
QToolButton#helpToggle:checked { background: #dce8f6; }
QWidget[suggested="true"] QTextEdit { background: #f3f8fd; }
QFrame#questionRule { color: #e6e9ee; }
QListWidget#sections {
    background: #f1f3f6; border: none; border-right: 1px solid #d9dde3; outline: 0;
}
QListWidget#sections::item { padding: 7px 10px; }
QListWidget#sections::item:selected { background: #2f6fb5; color: white; }
QFrame#problemsPanel { background: #fff4e0; border: 1px solid #f0d9a8; border-radius: 6px; }
QListWidget#problems { background: white; border: 1px solid #f0d9a8; }
QListWidget#problems::item { color: #1f4f86; padding: 2px; }
QLabel#saveState { color: #5c6470; }
QLineEdit#titleEdit { font-size: 13pt; font-weight: 600; padding: 2px 4px; }
"""

_TONE_ORDER: tuple[Tone, ...] = ("info", "ok", "busy", "warning", "error")


def section_icons() -> tuple[QIcon, QIcon]:
    """A green tick for a finished section, and a blank of the same size for the others."""
    size = 32  # drawn at twice the size shown, for sharp edges on high-DPI screens
    done = QPixmap(size, size)
    done.fill(Qt.GlobalColor.transparent)
    painter = QPainter(done)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#1b7a36"))
    painter.drawEllipse(2, 2, size - 4, size - 4)
    tick = QPainterPath(QPointF(9, 16.5))
    tick.lineTo(QPointF(14, 21.5))
    tick.lineTo(QPointF(23, 11))
    painter.setPen(QPen(QColor("white"), 3.5))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(tick)
    painter.end()
    blank = QPixmap(size, size)
    blank.fill(Qt.GlobalColor.transparent)
    return QIcon(done), QIcon(blank)


def make_editor(question: Question) -> AnswerEditor:
    """The editor a question's answer type needs."""
    return TableEditor(question) if question.type == "table" else basic_editor(question)


class SectionPage(QWidget):
    """A template section as a scrollable page of questions.

    (The wizard is a stepper with a side list of sections rather than a ``QWizard``: a
    ``QWizard`` cannot jump to any page, and owners come back to one section at a time.)
    """

    def __init__(self, section: Section, number: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.section = section
        self.number = number
        self.blocks: dict[str, QuestionBlock] = {}

        self.title_label = QLabel(section.title)
        self.title_label.setObjectName("pageTitle")
        self.title_label.setWordWrap(True)
        self.intro_label = QLabel(section.intro)
        self.intro_label.setWordWrap(True)
        self.intro_label.setVisible(bool(section.intro))
        self.intro_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice = MessageLabel()
        self.notice.setObjectName("banner")

        content = QWidget()
        content.setObjectName("sectionContent")
        column = QVBoxLayout(content)
        column.setContentsMargins(24, 16, 24, 24)
        column.setSpacing(6)
        column.addWidget(self.title_label)
        column.addWidget(self.intro_label)
        column.addWidget(self.notice)
        for question in section.questions:
            line = QFrame()
            line.setFrameShape(QFrame.Shape.HLine)
            line.setObjectName("questionRule")
            column.addWidget(line)
            block = QuestionBlock(question, make_editor(question))
            self.blocks[question.key] = block
            column.addWidget(block)
        column.addStretch(1)

        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll_area)

    def load(
        self,
        answers: Mapping[str, Any],
        suggested: set[str],
        read_only: bool,
        risk_choices: Sequence[tuple[str, str]],
    ) -> None:
        """Show the answers in the editors (none of this counts as an edit)."""
        for key, block in self.blocks.items():
            editor = block.editor
            if isinstance(editor, TableEditor):
                editor.set_risk_choices(risk_choices)
            editor.set_value(answers.get(key))
            editor.set_read_only(read_only)
            block.set_suggested(key in suggested)

    def refresh(
        self, problems: Sequence[rules.Problem], notices: Mapping[str, list[tuple[str, Tone]]]
    ) -> None:
        """Show the rules' notices for this page and each table's own problems."""
        for block in self.blocks.values():
            if isinstance(block.editor, TableEditor):
                block.editor.set_problems([p.message for p in problems if p.key == block.key])
        self.show_notices(notices.get(self.section.id, []))

    def show_notices(self, notices: list[tuple[str, Tone]]) -> None:
        """Show what the rules say about this page (the most serious tone colours it)."""
        if not notices:
            self.notice.clear_message()
            return
        tone = max((t for _, t in notices), key=_TONE_ORDER.index)
        self.notice.show_message("\n\n".join(text for text, _ in notices), tone)

    def scroll_to(self, key: str) -> None:
        """Scroll the question with this key into view."""
        block = self.blocks.get(key)
        if block is not None:
            self.scroll_area.ensureWidgetVisible(block, 0, 40)


class WrappingList(QListWidget):
    """A list whose long lines wrap onto more lines instead of running off its edge.

    Each row's height is worked out here from the list's width: ``QListView`` sizes wrapped
    rows once and elides them when the width changes afterwards. Call ``fit_rows`` after
    adding items.
    """

    PADDING = (10, 7)  # the style sheet's item padding (horizontal, vertical)

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setIconSize(QSize(16, 16))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_rows()

    def fit_rows(self) -> None:
        """Give every row the height its wrapped title needs at the current width."""
        across, down = self.PADDING
        # Err on the narrow side: a spare line costs less than a cut-off title.
        width = self.viewport().width() - 2 * across - self.iconSize().width() - 16
        metrics = self.fontMetrics()
        for row in range(self.count()):
            item = self.item(row)
            text = metrics.boundingRect(
                QRect(0, 0, max(width, 40), 1000), Qt.TextFlag.TextWordWrap, item.text()
            )
            item.setSizeHint(QSize(self.viewport().width(), text.height() + 2 * down + 2))


class SectionList(WrappingList):
    """The side list of sections; long titles wrap onto a second line."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("sections")


class WizardHeader(QWidget):
    """The assessment's title (editable), kind, status, review period and "Edit"."""

    def __init__(self, template: Template, title: str, review_months: int) -> None:
        super().__init__()
        self.title_edit = QLineEdit(title)
        self.title_edit.setObjectName("titleEdit")
        self.title_edit.setToolTip("The assessment's title (shown in the list and the PDF)")
        self.kind_label = QLabel(template.title)
        self.kind_label.setObjectName("subtle")
        self.status_label = QLabel()
        self.status_label.setObjectName("subtle")
        self.review_spin = QSpinBox()
        self.review_spin.setRange(1, 60)
        self.review_spin.setValue(review_months)
        self.review_spin.setSuffix(" months")
        self.review_spin.setToolTip(
            "How long after completing it the assessment is due for review "
            f"(the ICO template suggests {template.review_months} months)"
        )
        self.edit_button = QPushButton()
        self.edit_button.setObjectName("primary")
        self.edit_button.setAutoDefault(False)
        about = QHBoxLayout()
        about.addWidget(self.kind_label)
        about.addWidget(QLabel("·"))
        about.addWidget(self.status_label)
        about.addStretch(1)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self.title_edit)
        titles.addLayout(about)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(titles, 1)
        layout.addSpacing(20)
        layout.addWidget(QLabel("Review every"))
        layout.addWidget(self.review_spin)
        layout.addSpacing(12)
        layout.addWidget(self.edit_button)

    def show_status(self, versions: Sequence[VersionInfo], *, read_only: bool) -> None:
        """Draft, or which version is shown and when it is due for review."""
        self.status_label.setText(status_line(versions, read_only=read_only))


class ProblemsPanel(QFrame):
    """What blocks "Complete", one line each; a click names the question to go to.

    Signals:
        question_clicked(str): the key of the question whose line was clicked.
    """

    question_clicked = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("problemsPanel")
        self.title_label = QLabel()
        self.title_label.setWordWrap(True)
        self.list_widget = WrappingList()
        self.list_widget.PADDING = (4, 2)  # items unpadded by the style sheet
        self.list_widget.setObjectName("problems")
        self.list_widget.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        self.list_widget.setToolTip("Click a line to go to that question")
        hide_button = QPushButton("Hide")
        hide_button.setAutoDefault(False)
        top = QHBoxLayout()
        top.addWidget(self.title_label, 1)
        top.addWidget(hide_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.list_widget)
        self.hide()
        hide_button.clicked.connect(self.hide)
        self.list_widget.itemClicked.connect(self._on_list_widget_item_clicked)
        self.list_widget.itemActivated.connect(self._on_list_widget_item_clicked)

    def show_problems(self, problems: Sequence[rules.Problem], template: Template) -> None:
        """List the problems (hidden when there are none)."""
        self.list_widget.clear()
        titles = {s.id: s.title for s in template.sections}
        for problem in problems:
            item = QListWidgetItem(f"→ {titles.get(problem.section, '')}: {problem.message}")
            item.setData(PROBLEM_ROLE, problem.key)
            item.setToolTip("Click to go to this question")
            self.list_widget.addItem(item)
        self.list_widget.fit_rows()
        count = len(problems)
        rows = min(count, PROBLEM_ROWS)
        frame = 2 * self.list_widget.frameWidth() + 2
        self.list_widget.setFixedHeight(rows * self.list_widget.sizeHintForRow(0) + frame)
        self.title_label.setText(
            f"<b>Not complete yet: {count} thing{'s' if count != 1 else ''} to do.</b> "
            "Click one to go there."
        )
        self.setVisible(bool(problems))

    @Slot(QListWidgetItem)
    def _on_list_widget_item_clicked(self, item: QListWidgetItem) -> None:
        self.question_clicked.emit(str(item.data(PROBLEM_ROLE)))


class WizardFooter(QWidget):
    """Where you are, how far along, whether it is saved, and the buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.step_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setFormat("%v of %m required questions answered")
        self.progress_bar.setMinimumWidth(300)
        self.save_label = QLabel("All changes saved")
        self.save_label.setObjectName("saveState")
        self.back_button = QPushButton("◀ &Back")
        self.next_button = QPushButton("&Next ▶")
        self.complete_button = QPushButton("Check and complete…")
        self.complete_button.setObjectName("primary")
        self.complete_button.setToolTip(
            "Check that everything needed is answered, then freeze this as a numbered version"
        )
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Your answers are saved; come back any time")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.step_label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.save_label, 1)
        for button in (self.back_button, self.next_button, self.complete_button):
            layout.addWidget(button)
        layout.addSpacing(12)
        layout.addWidget(self.close_button)
        for button in (
            self.back_button,
            self.next_button,
            self.complete_button,
            self.close_button,
        ):
            button.setAutoDefault(False)
