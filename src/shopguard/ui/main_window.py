"""The main window: a sidebar of screens, the screens, and a status bar.

The status bar keeps the scoring-service outbox in view ("N waiting…", refreshed after every
sync and every 30 s, off the GUI thread); new risky orders found after a sync are announced
by the ``Notifier`` (system tray, else the status bar).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from shopguard.dashboard import Alert, OutboxState, outbox_line
from shopguard.paths import AppPaths
from shopguard.store.records import StoreRecord
from shopguard.ui.assessments_page import AssessmentsPage
from shopguard.ui.connect_dialog import ConnectDialog, connection_notes
from shopguard.ui.dashboard_page import DashboardPage
from shopguard.ui.messages import error_text
from shopguard.ui.models.stores_model import StoresModel, store_title
from shopguard.ui.models.sync_run import CredentialsProvider
from shopguard.ui.notifier import Notifier
from shopguard.ui.order_actions_panel import OrderActionsPanel
from shopguard.ui.orders_page import OrdersPage
from shopguard.ui.placeholder_page import PlaceholderPage
from shopguard.ui.settings_page import SettingsPage
from shopguard.ui.tasks import TaskRunner
from shopguard.woo.credentials import Credentials

if TYPE_CHECKING:
    from shopguard.assessments.service import AssessmentService
    from shopguard.dashboard import AlertService, DashboardService
    from shopguard.order_actions import OrderActionService
    from shopguard.services import OrderQueryService, StoreService
    from shopguard.sharing import SharingPipeline
    from shopguard.woo.client import ConnectionInfo

# (sidebar label, page title, what the screen will do) for screens not built yet.
PLANNED_SCREENS: tuple[tuple[str, str], ...] = (
    (
        "Opt-outs",
        "Here you will record customers who asked not to receive marketing or not to be "
        "profiled, so ShopGuard can respect their choice everywhere.",
    ),
    (
        "Newsletter",
        "Here you will see how often each customer receives your newsletters and promotions, "
        "so the cadence stays within what they agreed to.",
    ),
    (
        "Age gate",
        "Here you will mark age-restricted products (such as alcohol) and see which orders "
        "need an age check before you ship them.",
    ),
)

SIDEBAR_WIDTH = 170
OUTBOX_REFRESH_MS = 30_000

SCREENS = (
    "Dashboard",
    "Orders",
    *(name for name, _ in PLANNED_SCREENS),
    "Assessments",
    "Settings",
)


class MainWindow(QMainWindow):
    """ShopGuard's window: sidebar navigation over the Dashboard, Orders, the planned
    screens, Assessments and Settings.

    It opens on Orders, and switches to the Dashboard as soon as it knows a store is
    connected: with no store yet, the Dashboard would be four empty cards, while Orders
    shows the "Connect your store" button.

    Signals:
        store_added(object): a store was connected from the window (a ``StoreRecord``).
        outbox_status_changed(str): the status bar's outbox sentence was refreshed.
        alerted(str): new risky orders were announced (the one-line text).
    """

    store_added = Signal(object)
    outbox_status_changed = Signal(str)
    alerted = Signal(str)

    def __init__(
        self,
        *,
        paths: AppPaths,
        queries: OrderQueryService,
        store_service: StoreService,
        assessments: AssessmentService,
        network_tasks: TaskRunner,
        db_tasks: TaskRunner,
        credentials_provider: CredentialsProvider,
        sharing: SharingPipeline,
        dashboard: DashboardService,
        alerts: AlertService,
        actions: OrderActionService,
        tray_available: bool | None = None,
        demo: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._queries = queries
        self._store_service = store_service
        self._network = network_tasks
        self._db = db_tasks
        self._dashboard = dashboard
        self._alerts = alerts
        self._outbox_loading = False
        self._first_screen_chosen = False
        self.connect_dialog: ConnectDialog | None = None
        self.setWindowTitle("ShopGuard — demo store" if demo else "ShopGuard")
        self.resize(1200, 760)
        self.setMinimumSize(QSize(900, 560))

        self.stores = StoresModel(self)
        self.orders_page = OrdersPage(
            queries=queries,
            store_service=store_service,
            stores=self.stores,
            network_tasks=network_tasks,
            db_tasks=db_tasks,
            credentials_provider=credentials_provider,
        )
        # Outcomes and actions back to WooCommerce, in the selected order's detail pane.
        self.order_actions = OrderActionsPanel(actions=actions, tasks=network_tasks)
        self.orders_page.set_actions_widget(self.order_actions)
        self.settings_page = SettingsPage(
            paths=paths, stores=self.stores, tasks=network_tasks, sharing=sharing, demo=demo
        )
        self.dashboard_page = DashboardPage(service=dashboard, db_tasks=db_tasks)
        self.assessments_page = AssessmentsPage(
            service=assessments, db_tasks=db_tasks, work_tasks=network_tasks
        )
        self.pages = QStackedWidget()
        self.pages.addWidget(self.dashboard_page)
        self.pages.addWidget(self.orders_page)
        for name, purpose in PLANNED_SCREENS:
            self.pages.addWidget(PlaceholderPage(name, purpose))
        self.pages.addWidget(self.assessments_page)
        self.pages.addWidget(self.settings_page)

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.addItems(list(SCREENS))
        self.sidebar.setFixedWidth(SIDEBAR_WIDTH)
        brand = QLabel("ShopGuard")
        brand.setObjectName("brand")
        brand.setFixedWidth(SIDEBAR_WIDTH)
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.setSpacing(0)
        side.addWidget(brand)
        side.addWidget(self.sidebar, 1)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(side)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Ready")
        self.outbox_label = QLabel("")
        self.outbox_label.setObjectName("subtle")
        self.statusBar().addPermanentWidget(self.outbox_label)
        self.outbox_timer = QTimer(self)
        self.outbox_timer.setInterval(OUTBOX_REFRESH_MS)
        self.outbox_timer.timeout.connect(self._on_outbox_timer_timeout)
        self.outbox_timer.start()
        self.notifier = Notifier(self.statusBar(), tray_available=tray_available, parent=self)

        self.sidebar.currentRowChanged.connect(self._on_sidebar_current_row_changed)
        self.orders_page.connect_requested.connect(self._on_page_connect_requested)
        self.orders_page.sync_finished.connect(self._on_orders_page_sync_finished)
        self.orders_page.selected_order_changed.connect(self._on_orders_page_selected_order_changed)
        self.order_actions.order_changed.connect(self._on_order_actions_order_changed)
        self.settings_page.connect_requested.connect(self._on_page_connect_requested)
        self.settings_page.scoring_box.service_changed.connect(self._on_scoring_box_service_changed)
        self.notifier.activated.connect(self._on_notifier_activated)
        self.sidebar.setCurrentRow(SCREENS.index("Orders"))

    # --- what the composition root calls ------------------------------------------------

    def show_screen(self, name: str) -> None:
        """Switch to the screen called ``name`` (as in the sidebar)."""
        self._first_screen_chosen = True
        self.sidebar.setCurrentRow(SCREENS.index(name))

    def refresh(self) -> None:
        """Load the connected stores, the settings and the outbox state (off the GUI thread)."""
        self.settings_page.refresh()
        self._db.run(self._queries.stores, done=self._on_stores_loaded, owner=self)
        self.refresh_outbox_status()

    def refresh_outbox_status(self) -> None:
        """Re-read the outbox for the status bar (skipped while a read is running)."""
        if self._outbox_loading:
            return
        self._outbox_loading = True
        self._db.run(self._dashboard.outbox_state, done=self._on_outbox_state_loaded, owner=self)

    def check_alerts(self) -> None:
        """Look for new risky orders in every connected store and announce them."""
        ids = [store.id for store in self.stores.stores]
        if ids:
            work = functools.partial(self._alerts.new_alerts_for, ids)
            self._db.run(work, done=self._on_alerts_checked, owner=self)

    def add_store(self, store: StoreRecord, *, sync: bool = True) -> None:
        """A store was connected: list it, show its orders, and (by default) sync it."""
        self.stores.add_or_update(store)
        self.orders_page.select_store(store.id)
        self.show_screen("Orders")  # where the first sync's progress shows
        self.statusBar().showMessage(f"Connected {store_title(store)}")
        if sync:
            self.orders_page.start_sync()

    def connect_store(
        self, url: str, credentials: Credentials, *, name: str = "", save: bool = True
    ) -> None:
        """Connect a store in the background (the demo does, with ``save=False``), then sync."""
        self.statusBar().showMessage(f"Connecting to {url}…")
        self._network.run(
            functools.partial(self._store_service.connect, url, credentials, name=name, save=save),
            done=self._on_store_connected,
            owner=self,
        )

    def open_connect_dialog(self) -> ConnectDialog:
        """Show the store-connection dialog (window-modal; returns at once)."""
        if self.connect_dialog is None:
            dialog = ConnectDialog(self._store_service, self._network, self)
            dialog.store_connected.connect(self._on_connect_dialog_store_connected)
            dialog.finished.connect(self._on_connect_dialog_finished)
            self.connect_dialog = dialog
        self.connect_dialog.open()
        return self.connect_dialog

    # --- slots ------------------------------------------------------------------------------

    @Slot(int)
    def _on_sidebar_current_row_changed(self, row: int) -> None:
        if row >= 0:
            self.pages.setCurrentIndex(row)

    @Slot()
    def _on_page_connect_requested(self) -> None:
        self.open_connect_dialog()

    @Slot(object, object)
    def _on_connect_dialog_store_connected(self, store: StoreRecord, info: ConnectionInfo) -> None:
        notes = connection_notes(info)
        self.add_store(store)
        if notes:
            self.orders_page.show_notice("\n".join(notes), "warning")
        self.store_added.emit(store)

    @Slot(object)
    def _on_orders_page_selected_order_changed(self, _woo_id: object) -> None:
        self.order_actions.set_order(self.orders_page.store, self.orders_page.selected_order)

    @Slot(int, int)
    def _on_order_actions_order_changed(self, _store_id: int, woo_id: int) -> None:
        # The outcome or action may have changed this order's status and, through its
        # customer's history, other orders' scores: reload the rows on screen.
        if self.orders_page.selected_woo_id == woo_id:
            self.orders_page.refresh_selected()
        self.refresh_outbox_status()

    @Slot(int)
    def _on_connect_dialog_finished(self, _result: int) -> None:
        if self.connect_dialog is not None:
            self.connect_dialog.deleteLater()
            self.connect_dialog = None

    @Slot(str)
    def _on_orders_page_sync_finished(self, line: str) -> None:
        self.statusBar().showMessage(line.splitlines()[0] if line else "")
        self.refresh_outbox_status()
        self.check_alerts()
        if self.dashboard_page.isVisible():
            self.dashboard_page.refresh()

    @Slot()
    def _on_outbox_timer_timeout(self) -> None:
        self.refresh_outbox_status()

    @Slot()
    def _on_scoring_box_service_changed(self) -> None:
        self.refresh_outbox_status()
        if self.dashboard_page.isVisible():
            self.dashboard_page.refresh()

    @Slot()
    def _on_notifier_activated(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()
        self.show_screen("Orders")

    def _on_outbox_state_loaded(
        self, state: OutboxState | None, error: BaseException | None
    ) -> None:
        self._outbox_loading = False
        if error is not None or state is None:
            line = "Could not read the outbox: " + error_text(error or RuntimeError())
        else:
            line = outbox_line(state)
            self.outbox_label.setToolTip(state.last_error if state.failing else "")
        self.outbox_label.setText(line)
        self.outbox_status_changed.emit(line)

    def _on_alerts_checked(self, alert: Alert | None, error: BaseException | None) -> None:
        if error is not None:
            self.statusBar().showMessage(
                "Could not check for new risky orders: " + error_text(error)
            )
            return
        if alert is not None:
            self.notifier.notify(alert)
            self.alerted.emit(alert.line)

    def _on_store_connected(
        self, result: tuple[StoreRecord, ConnectionInfo] | None, error: BaseException | None
    ) -> None:
        if error is not None or result is None:
            message = error_text(error or RuntimeError())
            self.orders_page.show_notice(message, "error")
            self.statusBar().showMessage("Could not connect the store")
            return
        self._on_connect_dialog_store_connected(*result)

    def _on_stores_loaded(
        self, stores: list[StoreRecord] | None, error: BaseException | None
    ) -> None:
        if error is not None or stores is None:
            self.orders_page.show_notice(error_text(error or RuntimeError()), "error")
            return
        loaded = {s.id for s in stores}
        # Keep stores added meanwhile (e.g. the demo store connecting while this query ran).
        merged = [*stores, *(s for s in self.stores.stores if s.id not in loaded)]
        if merged != self.stores.stores:
            self.stores.set_stores(merged)
        if not self._first_screen_chosen:
            self._first_screen_chosen = True
            if merged and self.pages.currentWidget() is self.orders_page:
                self.show_screen("Dashboard")

    # --- Qt events --------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.outbox_timer.stop()
        self.notifier.close()
        self.orders_page.shutdown()
        self.assessments_page.shutdown()
        super().closeEvent(event)
