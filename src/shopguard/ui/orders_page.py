"""The Orders screen: one store's orders with their risk badges, search, a band filter, the
selected order's detail pane, and Sync with progress."""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from shopguard.store.records import OrderRecord, StoreRecord
from shopguard.ui.messages import HEADER_STRIPPED_NOTE, error_text
from shopguard.ui.models.order_columns import (
    COLUMN_SAMPLES,
    COLUMNS,
    RISK_COLUMN,
    count_text,
)
from shopguard.ui.models.orders_model import OrdersTableModel
from shopguard.ui.models.risk_format import BadgeSpec
from shopguard.ui.models.stores_model import STORE_ROLE, StoresModel, store_title
from shopguard.ui.models.sync_run import CredentialsProvider, SyncRun
from shopguard.ui.order_detail import OrderDetailPane
from shopguard.ui.risk_badge import BandFilterCombo, RiskBadgeDelegate, badge_size
from shopguard.ui.tasks import TaskRunner
from shopguard.ui.widgets import MessageLabel, Tone
from shopguard.woo.errors import Cancelled
from shopguard.woo.sync import SyncProgress, SyncSummary

if TYPE_CHECKING:
    from shopguard.services import OrderQueryService, StoreService

SEARCH_DELAY_MS = 250
LIVE_RELOAD_SECONDS = 1.0
EMPTY_TEXT = "Connect your WooCommerce store to see orders here"

_CELL_PADDING = 20  # the style sheet's item padding and the style's text margins
_HEADER_PADDING = 28  # the section's padding and room for the sort arrow


class OrdersPage(QWidget):
    """Orders of the selected store: risk badges, search, band filter, sort, lazy scrolling,
    the selected order's detail, and Sync with Cancel.

    Signals:
        connect_requested(): the person wants to connect a store.
        sync_finished(str): a sync ended; the argument is the line shown in the banner.
        selected_order_changed(object): another order was selected; its WooCommerce id,
            or None when none is.
    """

    connect_requested = Signal()
    sync_finished = Signal(str)
    selected_order_changed = Signal(object)

    def __init__(
        self,
        *,
        queries: OrderQueryService,
        store_service: StoreService,
        stores: StoresModel,
        network_tasks: TaskRunner,
        db_tasks: TaskRunner,
        credentials_provider: CredentialsProvider,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._stores = stores
        self.sync_run = SyncRun(store_service, network_tasks, credentials_provider, self)
        self._last_live_reload = 0.0
        self._keep_scroll: int | None = None
        self._selected: int | None = None
        self.model = OrdersTableModel(queries, db_tasks, self)

        # Top bar: which store, search, sync.
        self.store_title = QLabel()
        self.store_title.setObjectName("pageTitle")
        self.store_url = QLabel()
        self.store_url.setObjectName("subtle")
        self.store_url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.store_picker = QComboBox()
        self.store_picker.setModel(stores)
        self.store_picker.setToolTip("Which store's orders to show")
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search name, email, city, postcode, order #")
        self.search_edit.setClearButtonEnabled(True)
        # Narrow enough to leave room for the risk filter and "Sync now" in the smallest
        # window; it grows with the window (the placeholder shows whole from about 320).
        self.search_edit.setMinimumWidth(200)
        self.search_edit.setMaximumWidth(420)
        self.search_edit.setToolTip("Search the orders (Ctrl+F)")
        self.band_picker = BandFilterCombo()
        band_label = QLabel("&Risk:")
        band_label.setBuddy(self.band_picker)
        self.sync_button = QPushButton("Sync now")
        self.sync_button.setObjectName("primary")
        self.sync_button.setToolTip("Fetch new and changed orders from your store")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the sync; what was fetched so far is kept")
        self.cancel_button.hide()

        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.store_title)
        titles.addWidget(self.store_url)
        top = QHBoxLayout()
        top.addLayout(titles)
        top.addWidget(self.store_picker)
        top.addStretch(0)  # takes only what the search box, at its widest, leaves
        top.addWidget(band_label)
        top.addWidget(self.band_picker)
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.sync_button)
        top.addWidget(self.cancel_button)

        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(True)
        self.progress_bar.hide()
        self.banner = MessageLabel()
        self.banner.setObjectName("banner")

        # The table, or an invitation to connect a store.
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(30)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        header.setMinimumSectionSize(60)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, spec in enumerate(COLUMNS):
            if spec.title not in COLUMN_SAMPLES and column != RISK_COLUMN:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self._columns_fitted = False
        header.setSortIndicator(self.model.sort_column, self.model.sort_order)
        self._sorted_by = self.model.sort_column
        self.table.setSortingEnabled(True)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table for the detail pane
        self.badge_delegate = RiskBadgeDelegate(self.table)
        self.table.setItemDelegateForColumn(RISK_COLUMN, self.badge_delegate)
        self.detail = OrderDetailPane(queries, db_tasks)
        self.detail.setMinimumWidth(300)

        self.empty_state = QWidget()
        empty_label = QLabel(EMPTY_TEXT)
        empty_label.setObjectName("emptyTitle")
        empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_help = QLabel(
            "You need your shop's address and a WooCommerce REST API key. ShopGuard keeps a "
            "copy of your orders on this computer; nothing is sent anywhere else."
        )
        empty_help.setWordWrap(True)
        empty_help.setFixedWidth(520)
        self._empty_help = empty_help
        empty_help.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_help.setObjectName("subtle")
        self.empty_connect_button = QPushButton("Connect a store…")
        self.empty_connect_button.setObjectName("primary")
        empty_layout = QVBoxLayout(self.empty_state)
        empty_layout.addStretch(1)
        empty_layout.addWidget(empty_label)
        empty_layout.addWidget(empty_help, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addSpacing(12)
        empty_layout.addWidget(self.empty_connect_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(2)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_state)
        self.stack.addWidget(self.table)
        self.table_and_detail = QSplitter(Qt.Orientation.Horizontal)
        self.table_and_detail.setChildrenCollapsible(False)
        self.table_and_detail.addWidget(self.stack)
        self.table_and_detail.addWidget(self.detail)
        self.table_and_detail.setStretchFactor(0, 1)
        self.table_and_detail.setStretchFactor(1, 0)

        self.count_label = QLabel()
        self.count_label.setObjectName("subtle")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 8)
        layout.addLayout(top)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.table_and_detail, 1)
        layout.addWidget(self.count_label)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)

        self.sync_run.progressed.connect(self._on_sync_run_progressed)
        self.sync_run.finished.connect(self._on_sync_run_finished)
        self.search_shortcut = QShortcut(QKeySequence.StandardKey.Find, self)
        self.search_shortcut.activated.connect(self._on_search_shortcut_activated)
        self.search_edit.textChanged.connect(self._on_search_edit_text_changed)
        self.band_picker.currentIndexChanged.connect(self._on_band_picker_current_index_changed)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        self._search_timer.timeout.connect(self._on_search_timer_timeout)
        self.sync_button.clicked.connect(self._on_sync_button_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.empty_connect_button.clicked.connect(self.connect_requested)
        self.store_picker.currentIndexChanged.connect(self._on_store_picker_current_index_changed)
        header.sortIndicatorChanged.connect(self._on_header_sort_indicator_changed)
        self.model.total_changed.connect(self._on_model_total_changed)
        self.model.load_failed.connect(self._on_model_load_failed)
        self.model.modelAboutToBeReset.connect(self._on_model_about_to_be_reset)
        self.model.modelReset.connect(self._on_model_reset)
        stores.modelReset.connect(self._on_stores_model_reset)
        stores.rowsInserted.connect(self._on_stores_rows_inserted)
        stores.dataChanged.connect(self._on_stores_data_changed)
        self._show_store(None)

    # --- what the window calls ---------------------------------------------------------------

    @property
    def syncing(self) -> bool:
        """True while a sync runs."""
        return self.sync_run.running

    @property
    def store(self) -> StoreRecord | None:
        """The store whose orders are shown."""
        return self.model.store

    @property
    def selected_woo_id(self) -> int | None:
        """The selected order's WooCommerce id, or None."""
        return self._selected

    @property
    def selected_order(self) -> OrderRecord | None:
        """The selected order as last read, or None."""
        row = self.model.row_of(self._selected) if self._selected is not None else -1
        return self.model.order_at(row) if row >= 0 else None

    def set_actions_widget(self, widget: QWidget | None) -> None:
        """Put the actions panel for the selected order in the detail pane."""
        self.detail.set_actions_widget(widget)

    def refresh_selected(self) -> None:
        """Read the selected order and its row again (after an outcome or an action)."""
        if self._selected is None:
            return
        self.model.refresh_orders([self._selected])
        self.detail.reload()

    def select_store(self, store_id: int) -> None:
        """Show the orders of the store with this id (if the stores model has it)."""
        row = self._stores.row_of(store_id)
        if row < 0:
            return
        if self.store_picker.currentIndex() == row:
            self._show_store(self._stores.stores[row])
        else:
            self.store_picker.setCurrentIndex(row)

    def show_notice(self, text: str, tone: Tone = "info") -> None:
        """Show a message in the banner above the table."""
        self.banner.show_message(text, tone)

    def start_sync(self) -> bool:
        """Start syncing the shown store; False if there is none or a sync is running."""
        store = self.model.store
        if store is None or not self.sync_run.start(store.id, store.url):
            return False
        self._last_live_reload = time.monotonic()
        self._set_syncing(True)
        self.banner.clear_message()
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat("Contacting your store…")
        self.progress_bar.show()
        return True

    def cancel_sync(self) -> None:
        """Ask a running sync to stop (it stops after the page in flight)."""
        if self.sync_run.cancel():
            self.cancel_button.setEnabled(False)
            self.progress_bar.setFormat("Stopping…")

    def shutdown(self) -> None:
        """The window is closing: stop background work."""
        self._search_timer.stop()
        self.cancel_sync()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._columns_fitted:
            # Only now are the style sheet's fonts applied.
            self._columns_fitted = True
            self._fit_columns()
            detail = min(480, max(340, self.width() * 2 // 5))
            self.table_and_detail.setSizes([max(self.width() - detail, 300), detail])
            # A wrapped label is only as tall as its layout allows: ask for its lines.
            self._empty_help.setMinimumHeight(self._empty_help.heightForWidth(520))

    # --- slots -----------------------------------------------------------------------------

    @Slot(str)
    def _on_search_edit_text_changed(self, _text: str) -> None:
        self._search_timer.start()

    @Slot()
    def _on_search_shortcut_activated(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    @Slot(int)
    def _on_band_picker_current_index_changed(self, _index: int) -> None:
        self.model.set_band_filter(self.band_picker.band)

    @Slot(QModelIndex, QModelIndex)
    def _on_table_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        order = self.model.order_at(current.row()) if current.isValid() else None
        self._select(order.woo_id if order is not None else None)

    @Slot()
    def _on_search_timer_timeout(self) -> None:
        self.model.set_search(self.search_edit.text())

    @Slot()
    def _on_sync_button_clicked(self) -> None:
        self.start_sync()

    @Slot()
    def _on_cancel_button_clicked(self) -> None:
        self.cancel_sync()

    @Slot(int)
    def _on_store_picker_current_index_changed(self, row: int) -> None:
        index = self._stores.index(row, 0)
        self._show_store(index.data(STORE_ROLE) if index.isValid() else None)

    @Slot()
    def _on_stores_model_reset(self) -> None:
        self._follow_stores()

    @Slot(QModelIndex, int, int)
    def _on_stores_rows_inserted(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        self._follow_stores()

    @Slot(QModelIndex, QModelIndex, "QList<int>")
    def _on_stores_data_changed(
        self, _top_left: QModelIndex, _bottom_right: QModelIndex, _roles: list[int]
    ) -> None:
        self._follow_stores()

    @Slot(int, Qt.SortOrder)
    def _on_header_sort_indicator_changed(self, column: int, order: Qt.SortOrder) -> None:
        header = self.table.horizontalHeader()
        before, self._sorted_by = self._sorted_by, column
        if column == RISK_COLUMN and before != column and order == Qt.SortOrder.AscendingOrder:
            # The first click on Risk shows the riskiest orders first.
            header.setSortIndicator(column, Qt.SortOrder.DescendingOrder)
            return
        if not self.model.is_sortable(column):
            # The store cannot sort by this column: put the arrow back where the rows are.
            self._sorted_by = self.model.sort_column
            blocked = header.blockSignals(True)
            header.setSortIndicator(self.model.sort_column, self.model.sort_order)
            header.blockSignals(blocked)

    @Slot(int)
    def _on_model_total_changed(self, total: int) -> None:
        self._update_count(total)

    @Slot(str)
    def _on_model_load_failed(self, message: str) -> None:
        self.banner.show_message(message, "error")

    @Slot()
    def _on_model_about_to_be_reset(self) -> None:
        if self._keep_scroll is not None:
            self._keep_scroll = self.table.verticalScrollBar().value()

    @Slot()
    def _on_model_reset(self) -> None:
        if self._keep_scroll:
            QTimer.singleShot(0, functools.partial(self._restore_scroll, self._keep_scroll))
        self._keep_scroll = None
        # Keep the selected order selected if it is still shown; else the pane empties.
        row = self.model.row_of(self._selected) if self._selected is not None else -1
        if row >= 0:
            selection = self.table.selectionModel()
            blocked = selection.blockSignals(True)
            selection.setCurrentIndex(
                self.model.index(row, 0),
                selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows,
            )
            selection.blockSignals(blocked)
            shown = self.detail.detail
            if shown is None or shown.row != self.model.row_at(row):
                self.detail.reload()  # its score or details moved
        else:
            self._select(None)

    # --- sync results (GUI thread) ---------------------------------------------------------

    @Slot(object)
    def _on_sync_run_progressed(self, progress: SyncProgress) -> None:
        total = max(progress.orders_total, progress.orders_done)
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(progress.orders_done if total else 1)
        if self.sync_run.running and not self.sync_run.stopping:
            self.progress_bar.setFormat(
                f"Fetched {progress.orders_done:,} of {total:,} orders "
                f"(page {progress.pages_done} of {progress.pages_total})"
            )
        now = time.monotonic()
        if now - self._last_live_reload >= LIVE_RELOAD_SECONDS:
            # Let the table fill in while the sync runs, without resetting it on every page.
            self._last_live_reload = now
            self._reload_keeping_place()

    @Slot(int, object, object)
    def _on_sync_run_finished(
        self, store_id: int, summary: SyncSummary | None, error: BaseException | None
    ) -> None:
        self._set_syncing(False)
        self.progress_bar.hide()
        tone: Tone
        if error is not None or summary is None:
            if isinstance(error, Cancelled):
                line, tone = error.message, "info"
            else:
                line, tone = error_text(error or RuntimeError("no result")), "error"
        else:
            notes = list(summary.warnings)
            if summary.header_stripped:
                notes.append(HEADER_STRIPPED_NOTE)
            # What the scoring did: a problem with the service (offline, a rejected secret,
            # orders still queued) is a warning the owner must see, with its advice.
            if summary.sharing_trouble:
                notes.append(summary.sharing)
            line, tone = "\n".join([summary.line(), *notes]), "warning" if notes else "ok"
            self.progress_bar.setValue(self.progress_bar.maximum())
        self.banner.show_message(line, tone)
        if self.model.store is not None and self.model.store.id == store_id:
            self._reload_keeping_place()
        self.sync_finished.emit(line)

    # --- helpers ----------------------------------------------------------------------------

    def _follow_stores(self) -> None:
        """The stores changed: keep showing the picked one, or pick the first."""
        if self.store_picker.currentIndex() < 0 and self._stores.rowCount() > 0:
            self.store_picker.setCurrentIndex(0)
        else:
            index = self._stores.index(self.store_picker.currentIndex(), 0)
            self._show_store(index.data(STORE_ROLE) if index.isValid() else None)

    def _select(self, woo_id: int | None) -> None:
        if woo_id == self._selected:
            return
        self._selected = woo_id
        store = self.model.store
        self.detail.show_order(store.id if store is not None else None, woo_id)
        self.selected_order_changed.emit(woo_id)

    def _show_store(self, store: StoreRecord | None) -> None:
        shown = self.model.store
        if (store.id if store else None) != (shown.id if shown else None):
            self._select(None)
        self.model.set_store(store)
        self.store_picker.setVisible(self._stores.rowCount() > 1)
        if store is None:
            self.store_title.setText("Orders")
            self.store_url.setText("No store connected yet")
            self.stack.setCurrentWidget(self.empty_state)
            self.search_edit.setEnabled(False)
            self.band_picker.setEnabled(False)
            self.detail.hide()
            self.count_label.clear()
        else:
            self.store_title.setText(store_title(store))
            self.store_url.setText(store.url)
            self.stack.setCurrentWidget(self.table)
            self.search_edit.setEnabled(True)
            self.band_picker.setEnabled(True)
            self.detail.show()
        self.sync_button.setEnabled(store is not None and not self.syncing)

    def _set_syncing(self, syncing: bool) -> None:
        self.sync_button.setEnabled(not syncing and self.model.store is not None)
        self.sync_button.setText("Syncing…" if syncing else "Sync now")
        self.cancel_button.setVisible(syncing)
        self.cancel_button.setEnabled(syncing)
        self.store_picker.setEnabled(not syncing)

    def _fit_columns(self) -> None:
        cells = self.table.fontMetrics()
        header = self.table.horizontalHeader()
        titles = header.fontMetrics()
        widest = BadgeSpec("medium", "Medium 100", local=True, stale=True)
        risk = badge_size(self.table.font(), widest).width() + _CELL_PADDING
        self.table.setColumnWidth(RISK_COLUMN, risk)
        for column, spec in enumerate(COLUMNS):
            sample = COLUMN_SAMPLES.get(spec.title)
            if sample is None:
                continue
            width = max(
                cells.horizontalAdvance(sample) + _CELL_PADDING,
                titles.horizontalAdvance(spec.title) + _HEADER_PADDING,
            )
            self.table.setColumnWidth(column, width)

    def _reload_keeping_place(self) -> None:
        self._keep_scroll = self.table.verticalScrollBar().value()
        self.model.reload(keep_loaded=True)

    def _restore_scroll(self, value: int) -> None:
        self.table.verticalScrollBar().setValue(value)

    def _update_count(self, total: int) -> None:
        self.count_label.setText(count_text(total, self.model.search, self.model.band_filter))
