"""The Orders table: a lazily loaded Qt model over the local store's orders and their risk.

Rows arrive in blocks as the view scrolls (``canFetchMore``/``fetchMore``); every query runs
on the database runner's pool, never on the GUI thread, because sorting or searching 100,000
orders can take a few hundred milliseconds. While a reload is under way the old rows stay
on screen and are swapped in one reset when the new ones arrive. Each row carries the
order's latest risk score (``OrderRiskRow``); the rows can be narrowed to one risk band.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from shopguard.store.records import OrderRecord, StoreRecord
from shopguard.ui.messages import error_text
from shopguard.ui.models.order_columns import (
    COLUMNS,
    DEFAULT_SORT_COLUMN,
    RISK_COLUMN,
    TOTAL_COLUMN,
    order_tooltip,
)
from shopguard.ui.models.risk_format import badge_spec, badge_tooltip
from shopguard.ui.risk_badge import BADGE_ROLE, RISK_ROW_ROLE
from shopguard.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from shopguard.services import OrderQueryService
    from shopguard.store.repositories.order_risk import BandFilter, OrderRiskRow, RiskSortKey

__all__ = [
    "BADGE_ROLE",
    "COLUMNS",
    "DEFAULT_SORT_COLUMN",
    "ORDER_ROLE",
    "RISK_COLUMN",
    "RISK_ROW_ROLE",
    "TOTAL_COLUMN",
    "OrdersTableModel",
]

AnyIndex = QModelIndex | QPersistentModelIndex

ORDER_ROLE = Qt.ItemDataRole.UserRole + 1
"""``data(index, ORDER_ROLE)`` is the row's ``OrderRecord``."""

FIRST_BLOCK = 200
MAX_BLOCK = 2000
MAX_RELOAD = 2000


@dataclass(frozen=True)
class _Query:
    store_id: int
    search: str
    band: BandFilter
    sort: RiskSortKey
    descending: bool


class _Generation:
    """A counter the GUI bumps on every reload; workers read it to skip stale requests."""

    def __init__(self) -> None:
        self.value = 0


def _load(
    queries: OrderQueryService,
    query: _Query,
    *,
    offset: int,
    limit: int,
    with_count: bool,
    generation: _Generation,
    wanted: int,
) -> tuple[int | None, list[OrderRiskRow]] | None:
    """Runs on the database pool: one slice (and the count when reloading)."""
    if generation.value != wanted:
        return None  # superseded while it waited in the queue (e.g. fast typing)
    total = (
        queries.risk_count(query.store_id, search=query.search, band=query.band)
        if with_count
        else None
    )
    rows = queries.risk_page(
        query.store_id,
        search=query.search,
        band=query.band,
        unscored=total if query.band == "unscored" and not query.search else None,
        sort=query.sort,
        descending=query.descending,
        offset=offset,
        limit=limit,
    )
    return total, rows


class OrdersTableModel(QAbstractTableModel):
    """One store's orders with their risk, sorted, searched and filtered by band, loaded
    lazily in blocks off the GUI thread.

    Signals:
        total_changed(int): how many orders match the search, after each (re)load.
        busy_changed(bool): a query started (True) or the last one ended (False).
        load_failed(str): a query failed; the argument is a sentence for people.
        rows_refreshed(list): these orders' rows (WooCommerce ids) were read again.
    """

    total_changed = Signal(int)
    busy_changed = Signal(bool)
    load_failed = Signal(str)
    rows_refreshed = Signal(list)

    def __init__(
        self,
        queries: OrderQueryService,
        tasks: TaskRunner,
        parent: QObject | None = None,
        *,
        block_size: int = FIRST_BLOCK,
    ) -> None:
        super().__init__(parent)
        self._queries = queries
        self._tasks = tasks
        self._block = block_size
        self._store: StoreRecord | None = None
        self._search = ""
        self._band: BandFilter = "all"
        self._sort_column = DEFAULT_SORT_COLUMN
        self._sort_order = Qt.SortOrder.DescendingOrder
        self._rows: list[OrderRiskRow] = []
        self._total = 0
        self._generation = _Generation()
        self._shown_generation = 0
        self._reloading = False
        self._fetching = False

    # --- what the page reads and sets ---------------------------------------------------------

    @property
    def store(self) -> StoreRecord | None:
        """The store whose orders are shown, or None."""
        return self._store

    @property
    def total(self) -> int:
        """How many orders match the search (more than ``rowCount`` until all are fetched)."""
        return self._total

    @property
    def search(self) -> str:
        """The current search text."""
        return self._search

    @property
    def band_filter(self) -> BandFilter:
        """Which risk band is shown ("all": every order)."""
        return self._band

    @property
    def busy(self) -> bool:
        """True while a query runs."""
        return self._reloading or self._fetching

    @property
    def sort_column(self) -> int:
        """The column the rows are sorted by."""
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        """Ascending or descending."""
        return self._sort_order

    def is_sortable(self, column: int) -> bool:
        """Whether the store can sort by this column."""
        return 0 <= column < len(COLUMNS) and COLUMNS[column].sort_key is not None

    def order_at(self, row: int) -> OrderRecord | None:
        """The loaded order in ``row``, or None."""
        return self._rows[row].order if 0 <= row < len(self._rows) else None

    def row_at(self, row: int) -> OrderRiskRow | None:
        """The loaded order and its risk in ``row``, or None."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, woo_id: int) -> int:
        """The row showing this order, or -1 when it is not loaded."""
        for number, row in enumerate(self._rows):
            if row.order.woo_id == woo_id:
                return number
        return -1

    def set_band_filter(self, band: BandFilter) -> None:
        """Show only the orders of one risk band ("all": every order)."""
        if band == self._band:
            return
        self._band = band
        self.reload()

    def refresh_orders(self, woo_ids: list[int]) -> None:
        """Read these orders' rows again (after a score, an outcome or an action)."""
        if self._store is None or not woo_ids:
            return
        self._tasks.run(
            functools.partial(self._queries.risk_rows, self._store.id, list(woo_ids)),
            done=functools.partial(self._on_refresh_done, self._generation.value, self._store.id),
            owner=self,
        )

    def set_store(self, store: StoreRecord | None) -> None:
        """Show ``store``'s orders (None: nothing)."""
        if store == self._store:
            return
        self._store = store
        self.reload()

    def set_search(self, text: str) -> None:
        """Show only orders matching every word of ``text`` (debounce in the caller)."""
        text = " ".join(text.split())
        if text == self._search:
            return
        self._search = text
        self.reload()

    def reload(self, *, keep_loaded: bool = False) -> None:
        """Query again (after a sync, or a new search or sort).

        The current rows stay until the new ones arrive. With ``keep_loaded``, as many rows
        as are loaded now (up to a limit) are fetched again, so a view can keep its place.
        """
        self._generation.value += 1
        wanted = self._generation.value
        if self._store is None:
            self._set_busy(reloading=False, fetching=False)
            self._apply_reload(wanted, 0, [])
            return
        limit = self._block
        if keep_loaded:
            limit = min(max(len(self._rows), self._block), MAX_RELOAD)
        self._set_busy(reloading=True, fetching=False)
        self._tasks.run(
            functools.partial(
                _load,
                self._queries,
                self._query(),
                offset=0,
                limit=limit,
                with_count=True,
                generation=self._generation,
                wanted=wanted,
            ),
            done=functools.partial(self._on_reload_done, wanted),
            owner=self,
        )

    # --- Qt model interface ---------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if not 0 <= index.column() < len(COLUMNS):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return COLUMNS[column].text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return badge_tooltip(row) if column == RISK_COLUMN else order_tooltip(row.order)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == TOTAL_COLUMN:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == BADGE_ROLE and column == RISK_COLUMN:
            return badge_spec(row)
        if role == ORDER_ROLE:
            return row.order
        if role == RISK_ROW_ROLE:
            return row
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section].tooltip
        if role == Qt.ItemDataRole.TextAlignmentRole and section == TOTAL_COLUMN:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def canFetchMore(self, parent: AnyIndex) -> bool:
        if parent.isValid() or self._store is None:
            return False
        return self._shown_generation == self._generation.value and len(self._rows) < self._total

    def fetchMore(self, parent: AnyIndex) -> None:
        if self.busy or not self.canFetchMore(parent):
            return
        offset = len(self._rows)
        # Blocks grow with what is loaded: deep OFFSETs cost a scan each, so fewer, larger
        # queries keep scrolling through a big store from turning quadratic.
        limit = min(max(self._block, offset // 4), MAX_BLOCK)
        wanted = self._generation.value
        self._set_busy(fetching=True)
        self._tasks.run(
            functools.partial(
                _load,
                self._queries,
                self._query(),
                offset=offset,
                limit=limit,
                with_count=False,
                generation=self._generation,
                wanted=wanted,
            ),
            done=functools.partial(self._on_fetch_done, wanted, offset),
            owner=self,
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not self.is_sortable(column):
            return
        if column == self._sort_column and order == self._sort_order:
            return
        self._sort_column = column
        self._sort_order = order
        self.reload()

    # --- results (GUI thread) ---------------------------------------------------------------

    def _on_reload_done(
        self,
        wanted: int,
        result: tuple[int | None, list[OrderRiskRow]] | None,
        error: BaseException | None,
    ) -> None:
        if wanted != self._generation.value:
            return  # a newer reload is on its way
        if error is not None:
            self._set_busy(reloading=False)
            self.load_failed.emit(f"Could not read the orders: {error_text(error)}")
            return
        if result is None:
            self._set_busy(reloading=False)
            return
        total, rows = result
        self._apply_reload(wanted, total or 0, rows)

    def _apply_reload(self, generation: int, total: int, rows: list[OrderRiskRow]) -> None:
        # Still "busy" while views react to the reset, so a fetchMore they ask for from inside
        # the signal waits for the next round instead of nesting inside this reset.
        self.beginResetModel()
        self._rows = list(rows)
        self._total = max(total, len(self._rows))
        self._shown_generation = generation
        self.endResetModel()
        self._set_busy(reloading=False)
        self.total_changed.emit(self._total)

    def _on_fetch_done(
        self,
        wanted: int,
        offset: int,
        result: tuple[int | None, list[OrderRiskRow]] | None,
        error: BaseException | None,
    ) -> None:
        if wanted != self._generation.value or not self._fetching:
            return
        rows = [] if result is None or error is not None else result[1]
        if error is None and result is not None and offset == len(self._rows) and rows:
            self.beginInsertRows(QModelIndex(), offset, offset + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self._set_busy(fetching=False)
        if error is not None:
            self.load_failed.emit(f"Could not read more orders: {error_text(error)}")
        elif result is not None and not rows:
            # Fewer orders than counted (some were deleted meanwhile): stop asking.
            self._total = len(self._rows)
            self.total_changed.emit(self._total)
        elif len(self._rows) > self._total:
            self._total = len(self._rows)
            self.total_changed.emit(self._total)

    def _on_refresh_done(
        self,
        generation: int,
        store_id: int,
        result: list[OrderRiskRow] | None,
        error: BaseException | None,
    ) -> None:
        if error is not None:
            self.load_failed.emit(f"Could not read the order again: {error_text(error)}")
            return
        if generation != self._generation.value or self._store is None:
            return  # reloaded meanwhile: the new rows are newer than these
        if self._store.id != store_id or not result:
            return
        fresh = {row.order.woo_id: row for row in result}
        for number, row in enumerate(self._rows):
            if row.order.woo_id in fresh:
                self._rows[number] = fresh[row.order.woo_id]
                self.dataChanged.emit(self.index(number, 0), self.index(number, len(COLUMNS) - 1))
        self.rows_refreshed.emit(sorted(fresh))

    def _set_busy(self, *, reloading: bool | None = None, fetching: bool | None = None) -> None:
        was = self.busy
        if reloading is not None:
            self._reloading = reloading
        if fetching is not None:
            self._fetching = fetching
        if self.busy != was:
            self.busy_changed.emit(self.busy)

    def _query(self) -> _Query:
        assert self._store is not None
        key = COLUMNS[self._sort_column].sort_key
        assert key is not None
        return _Query(
            store_id=self._store.id,
            search=self._search,
            band=self._band,
            sort=key,
            descending=self._sort_order == Qt.SortOrder.DescendingOrder,
        )
