"""The main window: a sidebar of screens, the screens, and a status bar."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Signal, Slot
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

from shopguard.paths import AppPaths
from shopguard.store.records import StoreRecord
from shopguard.ui.assessments_page import AssessmentsPage
from shopguard.ui.connect_dialog import ConnectDialog, connection_notes
from shopguard.ui.messages import error_text
from shopguard.ui.models.stores_model import StoresModel, store_title
from shopguard.ui.orders_page import CredentialsProvider, OrdersPage
from shopguard.ui.placeholder_page import PlaceholderPage
from shopguard.ui.settings_page import SettingsPage
from shopguard.ui.tasks import TaskRunner
from shopguard.woo.credentials import Credentials

if TYPE_CHECKING:
    from shopguard.assessments.service import AssessmentService
    from shopguard.services import OrderQueryService, StoreService
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

SCREENS = ("Orders", *(name for name, _ in PLANNED_SCREENS), "Assessments", "Settings")


class MainWindow(QMainWindow):
    """ShopGuard's window: sidebar navigation over Orders, the planned screens, Assessments
    and Settings.

    Signals:
        store_added(object): a store was connected from the window (a ``StoreRecord``).
    """

    store_added = Signal(object)

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
        demo: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._queries = queries
        self._store_service = store_service
        self._network = network_tasks
        self._db = db_tasks
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
        self.settings_page = SettingsPage(
            paths=paths, stores=self.stores, tasks=network_tasks, demo=demo
        )
        self.assessments_page = AssessmentsPage(
            service=assessments, db_tasks=db_tasks, work_tasks=network_tasks
        )
        self.pages = QStackedWidget()
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

        self.sidebar.currentRowChanged.connect(self._on_sidebar_current_row_changed)
        self.orders_page.connect_requested.connect(self._on_page_connect_requested)
        self.orders_page.sync_finished.connect(self._on_orders_page_sync_finished)
        self.settings_page.connect_requested.connect(self._on_page_connect_requested)
        self.sidebar.setCurrentRow(0)

    # --- what the composition root calls ------------------------------------------------

    def show_screen(self, name: str) -> None:
        """Switch to the screen called ``name`` (as in the sidebar)."""
        self.sidebar.setCurrentRow(SCREENS.index(name))

    def refresh(self) -> None:
        """Load the connected stores and check the keyring (both off the GUI thread)."""
        self.settings_page.refresh_keyring_status()
        self._db.run(self._queries.stores, done=self._on_stores_loaded, owner=self)

    def add_store(self, store: StoreRecord, *, sync: bool = True) -> None:
        """A store was connected: list it, show its orders, and (by default) sync it."""
        self.stores.add_or_update(store)
        self.orders_page.select_store(store.id)
        self.show_screen("Orders")
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

    @Slot(int)
    def _on_connect_dialog_finished(self, _result: int) -> None:
        if self.connect_dialog is not None:
            self.connect_dialog.deleteLater()
            self.connect_dialog = None

    @Slot(str)
    def _on_orders_page_sync_finished(self, line: str) -> None:
        self.statusBar().showMessage(line.splitlines()[0] if line else "")

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

    # --- Qt events --------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.orders_page.shutdown()
        self.assessments_page.shutdown()
        super().closeEvent(event)
