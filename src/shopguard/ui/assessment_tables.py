"""The table editor: a list of rows and a form for the selected one.

Used for every table question; two get more help. In the DPIA's risk register the overall
level follows the ICO grid (``rules.grid``) as the owner picks likelihood and severity, and
choosing a different level asks for the reason. In the measures table, each measure points
to a risk by its number; the wizard keeps that list of risks up to date.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from shopguard.assessments import rules
from shopguard.assessments.templates import Column, Question
from shopguard.ui.assessment_editors import AnswerEditor
from shopguard.ui.assessment_fields import DateField, GrowingTextEdit, PersonField, choice_combo
from shopguard.ui.models.assessment_rows_model import AnswerRowsModel, overall_level
from shopguard.ui.widgets import MessageLabel

REASON_NEEDED = "Required: say why you chose a different level than the grid gives."
ROW_HEIGHT = 28
VISIBLE_ROWS = 6


class OverallField(QWidget):
    """A risk's overall level: the grid's, shown live, or another one the owner picks.

    The table editor listens to ``override_box`` and ``level_combo`` directly.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid_label = QLabel()
        self.grid_label.setObjectName("gridLevel")
        self.override_box = QCheckBox("Use a different level:")
        self.override_box.setToolTip(
            "The ICO's grid sets the level from likelihood and severity. If you judge it "
            "differently, choose the level here and say why."
        )
        self.level_combo = choice_combo(rules.LEVELS)
        self.level_combo.setEnabled(False)
        override = QHBoxLayout()
        override.addWidget(self.override_box)
        override.addWidget(self.level_combo)
        override.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.grid_label)
        layout.addLayout(override)

    def show_row(self, row: dict[str, Any]) -> None:
        """Show the row's levels (without emitting anything)."""
        level, from_grid = overall_level(row)
        self.grid_label.setText(
            f"From the ICO grid: <b>{from_grid}</b>"
            if from_grid
            else "From the ICO grid: choose likelihood and severity first"
        )
        chosen = str(row.get("overall") or "")
        for widget in (self.override_box, self.level_combo):
            widget.blockSignals(True)
        self.override_box.setChecked(bool(chosen))
        self.level_combo.setCurrentIndex(self.level_combo.findText(chosen) if chosen else -1)
        self.level_combo.setEnabled(bool(chosen) and self.override_box.isEnabled())
        for widget in (self.override_box, self.level_combo):
            widget.blockSignals(False)


class TableEditor(AnswerEditor):
    """Rows of a table question: the table, Add/Remove, and a form for the selected row."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = question
        self.noun = rules.ROW_NOUNS.get(question.role, "row")
        self.model = AnswerRowsModel(question, self)
        self._read_only = False
        self._loading = False
        self.confirm_box: QMessageBox | None = None

        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(False)
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        numbers = self.view.verticalHeader()
        numbers.setDefaultSectionSize(ROW_HEIGHT)
        numbers.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        numbers.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        header = self.view.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for number, column in enumerate(question.columns):
            if column.type in ("text", "risk", "person"):
                header.setSectionResizeMode(number, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(36)
        self.view.setMinimumHeight(ROW_HEIGHT * VISIBLE_ROWS + 32)

        self.add_button = QPushButton(f"Add a {self.noun}")
        self.remove_button = QPushButton(f"Remove this {self.noun}…")
        self.remove_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)

        self.problems_label = MessageLabel()
        self.problems_label.setObjectName("banner")

        # The form for the selected row.
        self.form_box = QGroupBox()
        self.form = QFormLayout(self.form_box)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.fields: dict[str, QWidget] = {}
        self.overall_field: OverallField | None = None
        self.reason_warning = QLabel(REASON_NEEDED)
        self.reason_warning.setObjectName("fieldError")
        self.reason_warning.setWordWrap(True)
        self.reason_warning.hide()
        first_text = next((c.id for c in question.columns if c.type == "text"), "")
        for column in question.columns:
            self._add_field(column, multi_line=column.id == first_text)
        self.empty_label = QLabel(f"Add a {self.noun}, or pick one in the table, to edit it here.")
        self.empty_label.setObjectName("subtle")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.view)
        layout.addLayout(buttons)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.form_box)

        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.model.dataChanged.connect(self._on_model_changed)
        self.model.rowsInserted.connect(self._on_model_changed)
        self.model.rowsRemoved.connect(self._on_model_changed)
        self._show_row(-1)

    # --- AnswerEditor --------------------------------------------------------------------------

    def value(self) -> Any:
        rows = self.model.rows()
        return rows or None

    def set_value(self, value: Any) -> None:
        self._loading = True
        try:
            self.model.set_rows(value if isinstance(value, list) else [])
        finally:
            self._loading = False
        self._show_row(-1)

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.add_button.setVisible(not read_only)
        self.remove_button.setVisible(not read_only)
        for widget in self.fields.values():
            _set_widget_read_only(widget, read_only)
        if self.overall_field is not None:
            self.overall_field.override_box.setEnabled(not read_only)
            self.overall_field.level_combo.setEnabled(
                not read_only and self.overall_field.override_box.isChecked()
            )

    def focus_editor(self) -> None:
        self.view.setFocus()

    # --- what the wizard calls -----------------------------------------------------------------

    @property
    def current_row(self) -> int:
        """The selected row, or -1."""
        rows = self.view.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def select_row(self, row: int) -> None:
        """Select a row (its values show in the form)."""
        self.view.selectRow(row)

    def add_row(self) -> int:
        """Append a row, select it and put the focus in its first field; returns its row."""
        row = self.model.add_row()
        self.select_row(row)
        first = next(iter(self.fields.values()), None)
        if first is not None:
            first.setFocus()
        return row

    def remove_row(self, row: int) -> None:
        """Remove a row at once (the button asks first)."""
        if self.model.remove_row(row) is not None:
            self._show_row(self.current_row)

    def set_problems(self, messages: Sequence[str]) -> None:
        """Show what still blocks "Complete" in this table (empty: nothing)."""
        text = "\n".join(f"• {m}" for m in messages)
        self.problems_label.show_message(text, "warning")

    def set_risk_choices(self, choices: Sequence[tuple[str, str]]) -> None:
        """The risks a ``risk`` column may point to: ``(id, label)`` in register order."""
        self.model.set_risk_labels(
            {risk_id: (f"Risk {n}", label) for n, (risk_id, label) in enumerate(choices, start=1)}
        )
        for column in self.question.columns:
            combo = self.fields.get(column.id)
            if column.type != "risk" or not isinstance(combo, QComboBox):
                continue
            blocked = combo.blockSignals(True)
            combo.clear()
            for risk_id, label in choices:
                combo.addItem(label, risk_id)
            combo.setCurrentIndex(-1)
            combo.blockSignals(blocked)
        self._show_row(self.current_row)

    def drop_missing_risks(self, known: set[str]) -> bool:
        """Clear ``risk`` cells that point to removed risks; True if any changed."""
        changed = False
        for row, values in enumerate(self.model.rows()):
            for column in self.question.columns:
                target = values.get(column.id)
                if column.type == "risk" and target and target not in known:
                    self.model.set_cell(row, column.id, None)
                    changed = True
        return changed

    # --- slots -----------------------------------------------------------------------------------

    @Slot()
    def _on_add_button_clicked(self) -> None:
        self.add_row()

    @Slot()
    def _on_remove_button_clicked(self) -> None:
        row = self.current_row
        if row < 0:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            f"Remove {self.noun} {row + 1}?",
            f"Remove {self.noun} {row + 1} from the table? What you wrote in it will be lost.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.button(QMessageBox.StandardButton.Yes).setText("Remove")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(functools.partial(self._on_confirm_box_finished, row))
        self.confirm_box = box
        box.open()

    def _on_confirm_box_finished(self, row: int, result: int) -> None:
        self.confirm_box = None
        if result == QMessageBox.StandardButton.Yes:
            self.remove_row(row)

    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, _selected: QItemSelection, _old: QItemSelection) -> None:
        self._show_row(self.current_row)

    @Slot()
    def _on_model_changed(self) -> None:
        if not self._loading:
            self.edited.emit()

    def _on_field_changed(self, column: Column, *_args: object) -> None:
        row = self.current_row
        if row < 0 or self._read_only:
            return
        self.model.set_cell(row, column.id, self._field_value(column))
        if self.question.role == "risks":
            self._show_row(row, keep_fields=True)

    @Slot()
    def _on_override_changed(self) -> None:
        field = self.overall_field
        row = self.current_row
        if field is None or row < 0:
            return
        values = self.model.row(row)
        if field.override_box.isChecked():
            field.level_combo.setEnabled(True)
            if field.level_combo.currentIndex() < 0:
                start = overall_level(values)[1] or rules.LEVELS[1]
                blocked = field.level_combo.blockSignals(True)
                field.level_combo.setCurrentIndex(field.level_combo.findText(start))
                field.level_combo.blockSignals(blocked)
            self.model.set_cell(row, "overall", field.level_combo.currentText())
        else:
            self.model.set_cell(row, "overall", None)
            self.model.set_cell(row, "override_reason", None)
        self._show_row(row)

    # --- helpers ---------------------------------------------------------------------------------

    def _add_field(self, column: Column, *, multi_line: bool) -> None:
        label = f"{column.title}:" if column.required else f"{column.title} (optional):"
        if self.question.role == "risks" and column.id == "overall":
            field = OverallField()
            field.override_box.toggled.connect(self._on_override_changed)
            field.level_combo.currentIndexChanged.connect(self._on_override_changed)
            self.overall_field = field
            self.form.addRow("Overall risk:", field)
            return
        widget = self._make_field(column, multi_line=multi_line)
        if column.help:
            widget.setToolTip(column.help)
        self.fields[column.id] = widget
        if self.question.role == "risks" and column.id == "override_reason":
            holder = QWidget()
            box = QVBoxLayout(holder)
            box.setContentsMargins(0, 0, 0, 0)
            box.addWidget(widget)
            box.addWidget(self.reason_warning)
            self.form.addRow("Why a different level?", holder)
            return
        self.form.addRow(label, widget)

    def _make_field(self, column: Column, *, multi_line: bool) -> QWidget:
        changed = functools.partial(self._on_field_changed, column)
        if column.type == "choice":
            combo = choice_combo(column.options)
            combo.currentIndexChanged.connect(changed)
            return combo
        if column.type == "risk":
            combo = QComboBox()
            combo.setPlaceholderText("Choose the risk this measure reduces…")
            combo.setMinimumContentsLength(30)
            combo.currentIndexChanged.connect(changed)
            return combo
        if column.type == "date":
            date_field = DateField()
            date_field.changed.connect(changed)
            return date_field
        if column.type == "person":
            person = PersonField()
            person.changed.connect(changed)
            return person
        if multi_line:
            text = GrowingTextEdit(min_lines=2, max_lines=6)
            text.textChanged.connect(changed)
            return text
        line = QLineEdit()
        line.textEdited.connect(changed)
        return line

    def _field_value(self, column: Column) -> Any:
        widget = self.fields[column.id]
        if isinstance(widget, QComboBox):
            if widget.currentIndex() < 0:
                return None
            return widget.currentData() if column.type == "risk" else widget.currentText()
        if isinstance(widget, DateField):
            return widget.text() or None
        if isinstance(widget, PersonField):
            return widget.value()
        if isinstance(widget, GrowingTextEdit):
            return widget.toPlainText() or None
        if isinstance(widget, QLineEdit):
            return widget.text() or None
        return None

    def _show_row(self, row: int, *, keep_fields: bool = False) -> None:
        has_row = row >= 0
        self.form_box.setVisible(has_row)
        self.empty_label.setVisible(not has_row)
        self.remove_button.setEnabled(has_row and not self._read_only)
        if not has_row:
            return
        values = self.model.row(row)
        self.form_box.setTitle(f"{self.noun.capitalize()} {row + 1}")
        if not keep_fields:
            for column in self.question.columns:
                widget = self.fields.get(column.id)
                if widget is not None:
                    _show_value(widget, column, values.get(column.id))
        if self.overall_field is not None:
            self.overall_field.show_row(values)
            level, from_grid = overall_level(values)
            overriding = bool(values.get("overall"))
            reason = self.fields.get("override_reason")
            if reason is not None:
                reason.setEnabled(overriding)
            missing = overriding and level != from_grid and not values.get("override_reason")
            self.reason_warning.setVisible(bool(missing))


def _show_value(widget: QWidget, column: Column, value: Any) -> None:
    blocked = widget.blockSignals(True)
    if isinstance(widget, QComboBox):
        if column.type == "risk":
            widget.setCurrentIndex(widget.findData(value) if value else -1)
        else:
            widget.setCurrentIndex(widget.findText(str(value)) if value else -1)
    elif isinstance(widget, DateField):
        widget.set_text(str(value or ""))
    elif isinstance(widget, PersonField):
        widget.set_value(value)
    elif isinstance(widget, GrowingTextEdit):
        widget.setPlainText(str(value or ""))
    elif isinstance(widget, QLineEdit):
        widget.setText(str(value or ""))
    widget.blockSignals(blocked)


def _set_widget_read_only(widget: QWidget, read_only: bool) -> None:
    if isinstance(widget, (QLineEdit, GrowingTextEdit)):
        widget.setReadOnly(read_only)
    elif isinstance(widget, (DateField, PersonField)):
        widget.set_read_only(read_only)
    else:
        widget.setEnabled(not read_only)
