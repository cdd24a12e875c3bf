"""The detail pane's score history: every score an order had, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from shopguard.ui.models.order_format import local_time
from shopguard.ui.models.risk_format import BAND_WORDS, scorer_words

if TYPE_CHECKING:
    from shopguard.store.repositories.scores import ScoreRecord

AnyIndex = QModelIndex | QPersistentModelIndex

# Short, to fit the order pane beside the table: who scored it, and with which version of
# the model, are in every cell's tooltip.
HISTORY_COLUMNS = ("When", "Score", "Band", "By")


def _cell(record: ScoreRecord, column: int) -> str:
    if column == 0:
        return local_time(record.scored_at)
    if column == 1:
        return "–" if record.score is None else str(record.score)
    if column == 2:
        return BAND_WORDS.get(record.band, record.band.capitalize() or "Unknown")
    return "This shop" if record.scored_by == "local" else "Network"


class ScoreHistoryModel(QAbstractTableModel):
    """A read-only table of ``ScoreRecord``s (given oldest first, shown newest first)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._records: list[ScoreRecord] = []

    def set_history(self, records: list[ScoreRecord]) -> None:
        """Show this history (oldest first, as the store returns it)."""
        self.beginResetModel()
        self._records = list(reversed(records))
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HISTORY_COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._records):
            return None
        if not 0 <= index.column() < len(HISTORY_COLUMNS):
            return None
        record = self._records[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell(record, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"Scored by {scorer_words(record.scored_by)}, with version "
                f"{record.model or 'unknown'} of the risk model"
            )
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HISTORY_COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HISTORY_COLUMNS[section]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
