"""The rows of one table question (the DPIA risk register, its measures, any other table).

Rows are the answer's own JSON objects (``{"id": ..., <column id>: value}``). The view shows
them read-only; the row form under the table edits them through ``set_cell``. For the risk
register the "Overall" column shows the level the ICO grid gives (``rules.grid``) unless the
owner chose another, and says so.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from shopguard.assessments import rules
from shopguard.assessments.templates import Column, Question

AnyIndex = QModelIndex | QPersistentModelIndex

ROW_ID_ROLE = Qt.ItemDataRole.UserRole + 1
"""``data(index, ROW_ID_ROLE)`` is the row's id."""

LEVEL_COLOURS = {"Low": "#e8f4ec", "Medium": "#fff4e0", "High": "#fdecea"}
_ID_PREFIX = {"risks": "risk", "measures": "measure"}


def cell_text(column: Column, value: Any) -> str:
    """A cell's value as text: a person as "name (role), date", others as they are."""
    if value is None:
        return ""
    if column.type == "person" and isinstance(value, Mapping):
        name = str(value.get("name") or "")
        role = str(value.get("role") or "")
        day = str(value.get("date") or "")
        text = f"{name} ({role})" if role else name
        return f"{text}, {day}" if day else text
    return str(value)


class AnswerRowsModel(QAbstractTableModel):
    """The rows of one table answer; the vertical header numbers them (Risk 1, 2, …).

    ``set_risk_labels`` tells a measures table what to call the risks it points to.
    """

    def __init__(self, question: Question, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.question = question
        self.columns: tuple[Column, ...] = question.columns
        self._rows: list[dict[str, Any]] = []
        self._risk_labels: dict[str, tuple[str, str]] = {}

    # --- the answer ---------------------------------------------------------------------------

    def rows(self) -> list[dict[str, Any]]:
        """A deep copy of the rows, as the answer stores them."""
        return copy.deepcopy(self._rows)

    def row(self, row: int) -> dict[str, Any]:
        """One row (a copy); empty when out of range."""
        return dict(self._rows[row]) if 0 <= row < len(self._rows) else {}

    def set_rows(self, rows: Iterable[Mapping[str, Any]] | None) -> None:
        """Replace every row."""
        self.beginResetModel()
        self._rows = [copy.deepcopy(dict(r)) for r in rows or []]
        self.endResetModel()

    def add_row(self) -> int:
        """Append an empty row with a fresh id; returns its row number (from 0)."""
        prefix = _ID_PREFIX.get(self.question.role, "row")
        taken = {r.get("id") for r in self._rows}
        n = len(self._rows) + 1
        while f"{prefix}-{n}" in taken:
            n += 1
        position = len(self._rows)
        self.beginInsertRows(QModelIndex(), position, position)
        self._rows.append({"id": f"{prefix}-{n}"})
        self.endInsertRows()
        return position

    def remove_row(self, row: int) -> str | None:
        """Remove a row; returns its id (None when out of range)."""
        if not 0 <= row < len(self._rows):
            return None
        self.beginRemoveRows(QModelIndex(), row, row)
        removed = self._rows.pop(row)
        self.endRemoveRows()
        # Rows below it moved up: their numbers (the vertical header) changed.
        if row < len(self._rows):
            self.headerDataChanged.emit(Qt.Orientation.Vertical, row, len(self._rows) - 1)
        return str(removed.get("id"))

    def set_cell(self, row: int, column_id: str, value: Any) -> None:
        """Set (or, with None or "", clear) one cell."""
        if not 0 <= row < len(self._rows):
            return
        current = self._rows[row]
        if value is None or value == "":
            if column_id not in current:
                return
            del current[column_id]
        else:
            if current.get(column_id) == value:
                return
            current[column_id] = copy.deepcopy(value)
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def set_risk_labels(self, labels: Mapping[str, tuple[str, str]]) -> None:
        """What to show for each risk id in a ``risk`` column: (in the cell, in its tooltip)."""
        if dict(labels) == self._risk_labels:
            return
        self._risk_labels = dict(labels)
        if self._rows:
            last = self.index(len(self._rows) - 1, len(self.columns) - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    # --- Qt model interface ------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if orientation == Qt.Orientation.Vertical:
            if role != Qt.ItemDataRole.DisplayRole:
                return None
            return str(section + 1) if 0 <= section < len(self._rows) else None
        if 0 <= section < len(self.columns):
            return self.columns[section].title  # whole in the tooltip where a narrow column cuts it
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if not 0 <= index.column() < len(self.columns):
            return None
        row = self._rows[index.row()]
        if role == ROW_ID_ROLE:
            return row.get("id")
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(row, column, tooltip=role == Qt.ItemDataRole.ToolTipRole)
        if role == Qt.ItemDataRole.BackgroundRole:
            level = self._level(row, column)
            return QColor(LEVEL_COLOURS[level]) if level in LEVEL_COLOURS else None
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # --- helpers -----------------------------------------------------------------------------

    def _is_overall(self, column: Column) -> bool:
        return self.question.role == "risks" and column.id == "overall"

    def _level(self, row: Mapping[str, Any], column: Column) -> str:
        if self._is_overall(column):
            return overall_level(row)[0]
        if column.type == "choice" and set(column.options) == set(rules.LEVELS):
            return str(row.get(column.id) or "")
        return ""

    def _text(self, row: Mapping[str, Any], column: Column, *, tooltip: bool) -> str:
        if self._is_overall(column):
            level, from_grid = overall_level(row)
            if not level:
                return "Choose likelihood and severity" if tooltip else ""
            if from_grid is None or level == from_grid:
                return f"{level} (from the ICO grid)" if tooltip else level
            return f"{level} (changed from {from_grid})"
        value = row.get(column.id)
        if column.type == "risk":
            short, full = self._risk_labels.get(str(value or ""), ("", ""))
            return full if tooltip else short
        return cell_text(column, value)


def overall_level(row: Mapping[str, Any]) -> tuple[str, str | None]:
    """A risk row's overall level, and the level the grid gives (None while not rated)."""
    from_grid = rules.grid(str(row.get("likelihood") or ""), str(row.get("severity") or ""))
    chosen = str(row.get("overall") or "")
    return chosen or from_grid or "", from_grid
