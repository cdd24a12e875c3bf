"""Editors for one answer of an assessment, one per answer type, and the block around them.

Every editor is an ``AnswerEditor``: ``value()`` gives the answer as the template's JSON
(see ``assessments.templates``), ``set_value()`` shows one without counting as an edit, and
``edited`` fires when the owner changes it. A ``QuestionBlock`` puts the prompt, the help,
the "suggested by ShopGuard" mark and the editor together.
"""

from __future__ import annotations

import functools
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from shopguard.assessments.templates import Question
from shopguard.ui.assessment_fields import (
    ClickableLabel,
    DateField,
    GrowingTextEdit,
    PersonField,
    choice_combo,
)

SUGGESTION_TEXT = "Suggested by ShopGuard from your shop's data — edit freely"
SHORT_HELP = 280  # longer help starts folded away behind its "?" button


class AnswerEditor(QWidget):
    """Base of the answer editors.

    Signals:
        edited(): the owner changed the answer (not emitted by ``set_value``).
    """

    edited = Signal()

    def value(self) -> Any:
        """The answer as stored (None while unanswered)."""
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        """Show ``value`` (without emitting ``edited``)."""
        raise NotImplementedError

    def set_read_only(self, read_only: bool) -> None:
        """Show the answer without letting it change."""
        self.setEnabled(not read_only)

    def focus_editor(self) -> None:
        """Put the keyboard focus where typing starts."""
        self.setFocus()


class TextEditor(AnswerEditor):
    """Free text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text_edit = GrowingTextEdit()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text_edit)
        self.text_edit.textChanged.connect(self.edited)

    def value(self) -> Any:
        text = self.text_edit.toPlainText()
        return text if text.strip() else None

    def set_value(self, value: Any) -> None:
        blocked = self.text_edit.blockSignals(True)
        self.text_edit.setPlainText(str(value) if value is not None else "")
        self.text_edit.blockSignals(blocked)

    def set_read_only(self, read_only: bool) -> None:
        self.text_edit.setReadOnly(read_only)

    def focus_editor(self) -> None:
        self.text_edit.setFocus()


class YesNoEditor(AnswerEditor):
    """Yes or no (neither while unanswered)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.yes_button = QRadioButton("Yes")
        self.no_button = QRadioButton("No")
        self._group = QButtonGroup(self)
        self._group.addButton(self.yes_button)
        self._group.addButton(self.no_button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.yes_button)
        layout.addWidget(self.no_button)
        layout.addStretch(1)
        self._group.buttonClicked.connect(self._on_group_button_clicked)

    def value(self) -> Any:
        if self.yes_button.isChecked():
            return True
        if self.no_button.isChecked():
            return False
        return None

    def set_value(self, value: Any) -> None:
        self._group.setExclusive(False)
        self.yes_button.setChecked(value is True)
        self.no_button.setChecked(value is False)
        self._group.setExclusive(True)

    def focus_editor(self) -> None:
        self.yes_button.setFocus()

    @Slot()
    def _on_group_button_clicked(self) -> None:
        self.edited.emit()


class ChoiceEditor(AnswerEditor):
    """One of the question's options."""

    def __init__(self, options: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = choice_combo(options)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addStretch(1)
        self.combo.currentIndexChanged.connect(self._on_combo_current_index_changed)

    def value(self) -> Any:
        return self.combo.currentText() if self.combo.currentIndex() >= 0 else None

    def set_value(self, value: Any) -> None:
        blocked = self.combo.blockSignals(True)
        self.combo.setCurrentIndex(self.combo.findText(str(value)) if value else -1)
        self.combo.blockSignals(blocked)

    def focus_editor(self) -> None:
        self.combo.setFocus()

    @Slot(int)
    def _on_combo_current_index_changed(self, _index: int) -> None:
        self.edited.emit()


class DateEditor(AnswerEditor):
    """A date."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = DateField()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field)
        self.field.changed.connect(self.edited)

    def value(self) -> Any:
        return self.field.text() or None

    def set_value(self, value: Any) -> None:
        self.field.set_text(str(value or ""))

    def set_read_only(self, read_only: bool) -> None:
        self.field.set_read_only(read_only)

    def focus_editor(self) -> None:
        self.field.line_edit.setFocus()


class PersonEditor(AnswerEditor):
    """A person: name, role, date."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = PersonField()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field)
        self.field.changed.connect(self.edited)

    def value(self) -> Any:
        return self.field.value()

    def set_value(self, value: Any) -> None:
        self.field.set_value(value)

    def set_read_only(self, read_only: bool) -> None:
        self.field.set_read_only(read_only)

    def focus_editor(self) -> None:
        self.field.name_edit.setFocus()


class ChecklistEditor(AnswerEditor):
    """Tick boxes; the answer is the ids ticked, in template order."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.boxes: dict[str, QCheckBox] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for item in question.items:
            box = QCheckBox()
            box.setAccessibleName(item.text)
            label = ClickableLabel(item.text)
            label.setWordWrap(True)
            row = QHBoxLayout()
            row.addWidget(box, 0, Qt.AlignmentFlag.AlignTop)
            row.addWidget(label, 1)
            layout.addLayout(row)
            self.boxes[item.id] = box
            box.toggled.connect(self._on_box_toggled)
            label.clicked.connect(functools.partial(self._on_label_clicked, box))

    def value(self) -> Any:
        return [item_id for item_id, box in self.boxes.items() if box.isChecked()]

    def set_value(self, value: Any) -> None:
        ticked = set(value or [])
        for item_id, box in self.boxes.items():
            blocked = box.blockSignals(True)
            box.setChecked(item_id in ticked)
            box.blockSignals(blocked)

    def focus_editor(self) -> None:
        next(iter(self.boxes.values())).setFocus()

    @Slot(bool)
    def _on_box_toggled(self, _checked: bool) -> None:
        self.edited.emit()

    def _on_label_clicked(self, box: QCheckBox) -> None:
        if box.isEnabled():
            box.toggle()


def basic_editor(question: Question) -> AnswerEditor:
    """The editor for a question that is not a table."""
    if question.type == "yesno":
        return YesNoEditor()
    if question.type == "choice":
        return ChoiceEditor(question.options)
    if question.type == "date":
        return DateEditor()
    if question.type == "person":
        return PersonEditor()
    if question.type == "checklist":
        return ChecklistEditor(question)
    return TextEditor()


class QuestionBlock(QFrame):
    """One question on a page: prompt, help (behind "?"), the suggestion mark, the editor."""

    def __init__(self, question: Question, editor: AnswerEditor, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("questionBlock")
        self.question = question
        self.editor = editor
        optional = "" if question.required else "  <span style='font-weight:400'>(optional)</span>"
        self.prompt_label = QLabel(f"{_escape(question.prompt)}{optional}")
        self.prompt_label.setObjectName("questionPrompt")
        self.prompt_label.setTextFormat(Qt.TextFormat.RichText)
        self.prompt_label.setWordWrap(True)
        self.help_button = QToolButton()
        self.help_button.setText("?")
        self.help_button.setObjectName("helpToggle")
        self.help_button.setCheckable(True)
        self.help_button.setToolTip("Show or hide help for this question")
        self.help_label = QLabel(question.help)
        self.help_label.setObjectName("helpText")
        self.help_label.setWordWrap(True)
        self.help_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.suggestion_label = QLabel(SUGGESTION_TEXT)
        self.suggestion_label.setObjectName("suggestion")
        self.suggestion_label.hide()

        top = QHBoxLayout()
        top.addWidget(self.prompt_label, 1)
        top.addWidget(self.help_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 10)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.help_label)
        layout.addWidget(self.suggestion_label)
        layout.addWidget(editor)

        has_help = bool(question.help.strip())
        self.help_button.setVisible(has_help)
        self.help_button.setChecked(has_help and len(question.help) <= SHORT_HELP)
        self.help_label.setVisible(self.help_button.isChecked())
        self.help_button.toggled.connect(self._on_help_button_toggled)

    @property
    def key(self) -> str:
        """The question's key."""
        return self.question.key

    def set_suggested(self, suggested: bool) -> None:
        """Mark the answer as ShopGuard's suggestion (or not)."""
        self.suggestion_label.setVisible(suggested)
        if bool(self.editor.property("suggested")) != suggested:
            self.editor.setProperty("suggested", suggested)
            for widget in (self.editor, *self.editor.findChildren(QWidget)):
                widget.style().unpolish(widget)
                widget.style().polish(widget)

    @property
    def suggested(self) -> bool:
        """Whether the suggestion mark shows."""
        return not self.suggestion_label.isHidden()

    @Slot(bool)
    def _on_help_button_toggled(self, checked: bool) -> None:
        self.help_label.setVisible(checked)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
