"""The Assessments list: one row per assessment, with its status in words.

The page loads the summaries off the GUI thread (``AssessmentService.summaries``) and hands
them to ``set_summaries``; the model only formats them. Status is always written out
("Review overdue"); its colour is a second cue, never the only one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from shopguard.ui.models.order_format import local_time

if TYPE_CHECKING:
    from shopguard.assessments.service import Summary

AnyIndex = QModelIndex | QPersistentModelIndex

SUMMARY_ROLE = Qt.ItemDataRole.UserRole + 1
"""``data(index, SUMMARY_ROLE)`` is the row's ``Summary``."""

COLUMNS = ("Title", "Type", "Version", "Status", "Review by", "Last changed")
STATUS_COLUMN = COLUMNS.index("Status")

KIND_LABELS = {"lia": "LIA", "dpia": "DPIA"}
KIND_NAMES = {
    "lia": "Legitimate interests assessment",
    "dpia": "Data protection impact assessment",
}
STATUS_LABELS = {
    "draft": "Draft",
    "complete": "Complete",
    "review due": "Review due",
    "review overdue": "Review overdue",
}
STATUS_COLOURS = {
    "draft": "#5c6470",
    "complete": "#1b7a36",
    "review due": "#8a5300",
    "review overdue": "#b3261e",
}


def long_date(day: date) -> str:
    """A date as people write it: "25 May 2027"."""
    return f"{day.day} {day:%B %Y}"


def status_text(summary: Summary) -> str:
    """The status in words, with a note when a new version is being edited."""
    label = STATUS_LABELS.get(summary.status, summary.status.capitalize())
    if summary.latest_version is not None and summary.has_draft:
        return f"{label} · changes not completed"
    return label


def status_tooltip(summary: Summary) -> str:
    """What the status means and what to do about it."""
    version = summary.latest_version
    if version is None:
        return "Not completed yet. Open it to carry on; your answers are saved as you type."
    done = f"Version {version.number} was completed on {long_date(version.completed_at.date())}."
    due = long_date(version.review_due)
    if summary.status == "review overdue":
        advice = (
            f"The review date ({due}) has passed: open it, check the answers still hold, and "
            "complete a new version."
        )
    elif summary.status == "review due":
        advice = f"Due for review by {due}: open it and check the answers still hold."
    else:
        advice = f"Next review by {due}."
    if summary.has_draft:
        advice += f" You have started changes that will become version {version.number + 1}."
    return f"{done} {advice}"


def review_reminder(summaries: Iterable[Summary]) -> str:
    """A line about reviews that are overdue or due soon ("" when none are)."""
    statuses = [s.status for s in summaries]
    overdue, due = statuses.count("review overdue"), statuses.count("review due")
    parts = []
    if overdue:
        parts.append(f"{overdue} assessment{'s are' if overdue > 1 else ' is'} overdue for review")
    if due:
        what = "" if overdue else f" assessment{'s' if due > 1 else ''}"
        parts.append(f"{due}{what} {'are' if due > 1 else 'is'} due for review within 30 days")
    if not parts:
        return ""
    them = "them" if overdue + due > 1 else "it"
    return (
        f"{' and '.join(parts)}. Open {them}, check the answers still hold, and complete a "
        "new version."
    )


class AssessmentsTableModel(QAbstractTableModel):
    """Every assessment, in the order the service lists them (most recently changed first)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Summary] = []

    @property
    def summaries(self) -> list[Summary]:
        """A copy of the rows."""
        return list(self._rows)

    def set_summaries(self, summaries: Iterable[Summary]) -> None:
        """Replace every row."""
        self.beginResetModel()
        self._rows = list(summaries)
        self.endResetModel()

    def summary_at(self, row: int) -> Summary | None:
        """The summary on this row, if there is one."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, assessment_id: int) -> int:
        """The row of the assessment with this id, or -1."""
        return next((r for r, s in enumerate(self._rows) if s.id == assessment_id), -1)

    # --- Qt model interface ------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        summary = self._rows[index.row()]
        column = COLUMNS[index.column()] if 0 <= index.column() < len(COLUMNS) else ""
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell_text(summary, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == "Status":
                return status_tooltip(summary)
            if column == "Type":
                return KIND_NAMES.get(summary.kind, summary.kind)
            return _cell_text(summary, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == "Status":
            return QColor(STATUS_COLOURS.get(summary.status, "#1d2229"))
        if role == SUMMARY_ROLE:
            return summary
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def _cell_text(summary: Summary, column: str) -> str:
    version = summary.latest_version
    if column == "Title":
        return summary.title
    if column == "Type":
        return KIND_LABELS.get(summary.kind, summary.kind.upper())
    if column == "Version":
        return f"Version {version.number}" if version else "Not completed yet"
    if column == "Status":
        return status_text(summary)
    if column == "Review by":
        return long_date(version.review_due) if version else "—"
    if column == "Last changed":
        return local_time(summary.updated_at) if isinstance(summary.updated_at, datetime) else ""
    return ""
