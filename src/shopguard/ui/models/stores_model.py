"""The connected stores, as a small list model (store picker, Settings)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from shopguard.store.records import StoreRecord

AnyIndex = QModelIndex | QPersistentModelIndex

STORE_ROLE = Qt.ItemDataRole.UserRole + 1
"""``data(index, STORE_ROLE)`` is the row's ``StoreRecord``."""

_ACCESS = {"read_write": "read/write key", "read": "read-only key"}


def store_title(store: StoreRecord) -> str:
    """What to call a store on screen: its name, or its address without the scheme."""
    return store.name or store.url.split("://", 1)[-1]


class StoresModel(QAbstractListModel):
    """Every connected store, oldest first (the caller loads them off the GUI thread)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stores: list[StoreRecord] = []

    @property
    def stores(self) -> list[StoreRecord]:
        """A copy of the list."""
        return list(self._stores)

    def set_stores(self, stores: Iterable[StoreRecord]) -> None:
        """Replace the whole list."""
        self.beginResetModel()
        self._stores = list(stores)
        self.endResetModel()

    def add_or_update(self, store: StoreRecord) -> int:
        """Add ``store``, or replace the entry with its id; return its row."""
        for row, known in enumerate(self._stores):
            if known.id == store.id:
                self._stores[row] = store
                index = self.index(row, 0)
                self.dataChanged.emit(index, index)
                return row
        row = len(self._stores)
        self.beginInsertRows(QModelIndex(), row, row)
        self._stores.append(store)
        self.endInsertRows()
        return row

    def row_of(self, store_id: int) -> int:
        """The row of the store with this id, or -1."""
        return next((r for r, s in enumerate(self._stores) if s.id == store_id), -1)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._stores)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._stores):
            return None
        store = self._stores[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            title, host = store_title(store), store.url.split("://", 1)[-1]
            return title if title == host else f"{title} — {host}"
        if role == Qt.ItemDataRole.ToolTipRole:
            access = _ACCESS.get(store.permissions, "key permissions not checked yet")
            return f"{store.url}\n{access}"
        if role == STORE_ROLE:
            return store
        return None
