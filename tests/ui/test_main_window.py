"""MainWindow: navigation, Settings, and a demo-style run against the demo store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session, sessionmaker

from shopguard.demo.server import DemoStore
from shopguard.paths import AppPaths
from shopguard.scoring.alert_settings import load_seen
from shopguard.store.repositories import stores as store_repo
from shopguard.store.repositories.orders import get_order
from shopguard.store.repositories.scores import ScoreRecord, write_scores
from shopguard.ui.connect_dialog import ConnectDialog
from shopguard.ui.main_window import SCREENS, MainWindow
from shopguard.ui.models.orders_model import COLUMNS
from shopguard.ui.placeholder_page import PlaceholderPage
from shopguard.woo.credentials import ENV_KEY, ENV_SECRET, Credentials
from tests.ui.conftest import Runners, open_window

pytestmark = pytest.mark.gui

ORDERS = 600
COLUMN = {c.title: i for i, c in enumerate(COLUMNS)}


@pytest.fixture
def store() -> Iterator[DemoStore]:
    with DemoStore(orders=ORDERS, seed=3) as demo:
        yield demo


@pytest.fixture
def window(
    qtbot: QtBot,
    paths: AppPaths,
    sessions: sessionmaker[Session],
    runners: Runners,
    store: DemoStore,
) -> Iterator[MainWindow]:
    demo_credentials = Credentials(*store.credentials)
    window = open_window(qtbot, paths, sessions, runners, credentials=demo_credentials, demo=True)
    yield window
    window.close()
    runners.wait_until_idle()


def _connect_demo(qtbot: QtBot, window: MainWindow, store: DemoStore, runners: Runners) -> None:
    with qtbot.waitSignal(window.orders_page.sync_finished, timeout=60_000):
        window.connect_store(
            store.url, Credentials(*store.credentials), name="Demo shop", save=False
        )
    assert runners.wait_until_idle()


def test_window_basics(window: MainWindow) -> None:
    assert window.windowTitle().startswith("ShopGuard")
    assert window.width() >= 1000 and window.height() >= 700
    names = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert names == list(SCREENS)
    assert names == [
        "Dashboard",
        "Orders",
        "Opt-outs",
        "Newsletter",
        "Age gate",
        "Assessments",
        "Settings",
    ]
    # No store connected yet: it opens on Orders, where the "Connect your store" button is.
    assert window.pages.currentWidget() is window.orders_page


def test_sidebar_switches_screens(qtbot: QtBot, window: MainWindow) -> None:
    for row, name in enumerate(SCREENS):
        item = window.sidebar.item(row)
        rect = window.sidebar.visualItemRect(item)
        qtbot.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert window.pages.currentIndex() == row
        page = window.pages.currentWidget()
        if name not in ("Dashboard", "Orders", "Assessments", "Settings"):
            assert isinstance(page, PlaceholderPage)
            assert "Not available yet" in " ".join(lbl.text() for lbl in page.findChildren(QLabel))


def test_settings_shows_folder_keyring_and_version(
    qtbot: QtBot, window: MainWindow, paths: AppPaths
) -> None:
    window.show_screen("Settings")
    settings = window.settings_page
    assert str(paths.data) in settings.data_label.text()
    assert settings.keyring_label.tone == "ok"
    assert "MemoryKeyring" in settings.keyring_label.text()
    assert settings.version_label.text().startswith("ShopGuard ")
    qtbot.mouseClick(settings.connect_button, Qt.MouseButton.LeftButton)
    assert isinstance(window.connect_dialog, ConnectDialog)
    assert window.connect_dialog.isVisible()
    window.connect_dialog.reject()


def test_demo_style_run_syncs_sorts_and_searches(
    qtbot: QtBot, window: MainWindow, store: DemoStore, runners: Runners
) -> None:
    page = window.orders_page
    assert page.stack.currentWidget() is page.empty_state
    _connect_demo(qtbot, window, store, runners)

    assert page.stack.currentWidget() is not page.empty_state  # the table shows
    assert page.store_title.text() == "Demo shop"
    assert page.model.total == ORDERS
    assert page.count_label.text() == f"{ORDERS} orders"
    assert window.settings_page.stores_view.model().rowCount() == 1
    assert "Full sync done" in window.statusBar().currentMessage()

    # Clicking the Total header sorts by total, cheapest first; again, dearest first.
    header = page.table.horizontalHeader()
    x = header.sectionViewportPosition(COLUMN["Total"]) + 10
    with qtbot.waitSignal(page.model.total_changed, timeout=10_000):
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert runners.wait_until_idle()
    totals = [page.model.order_at(r).total for r in range(page.model.rowCount())]  # type: ignore[union-attr]
    assert page.model.sort_column == COLUMN["Total"]
    ascending = totals == sorted(totals)
    with qtbot.waitSignal(page.model.total_changed, timeout=10_000):
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert runners.wait_until_idle()
    totals = [page.model.order_at(r).total for r in range(page.model.rowCount())]  # type: ignore[union-attr]
    assert ascending != (totals == sorted(totals))
    assert totals == sorted(totals, reverse=ascending)

    # Email cannot be sorted: the arrow goes back to Total.
    x_email = header.sectionViewportPosition(COLUMN["Email"]) + 10
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x_email, 5))
    assert header.sortIndicatorSection() == COLUMN["Total"]
    assert runners.wait_until_idle()

    # Searching for one customer's email shows only their orders.
    email = page.model.order_at(0).billing_email  # type: ignore[union-attr]
    with qtbot.waitSignal(page.model.total_changed, timeout=10_000):
        qtbot.keyClicks(page.search_edit, email)
    assert runners.wait_until_idle()
    shown = {page.model.order_at(r).billing_email for r in range(page.model.rowCount())}  # type: ignore[union-attr]
    assert shown == {email}
    assert page.model.total < ORDERS


def test_closing_during_a_sync_cancels_it(
    qtbot: QtBot, window: MainWindow, store: DemoStore, runners: Runners
) -> None:
    _connect_demo(qtbot, window, store, runners)
    store.faults.latency = 0.2
    page = window.orders_page
    with qtbot.waitSignal(page.sync_finished, timeout=30_000) as finished:
        assert page.start_sync()
        window.close()
    assert runners.wait_until_idle()
    assert finished.args[0].startswith("Cancelled")


def test_connecting_from_the_dialog_saves_the_key_and_syncs(
    qtbot: QtBot,
    paths: AppPaths,
    sessions: sessionmaker[Session],
    runners: Runners,
    store: DemoStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV_KEY, raising=False)
    monkeypatch.delenv(ENV_SECRET, raising=False)
    # The app's own credentials provider: the key must come back out of the keyring.
    window = open_window(qtbot, paths, sessions, runners)
    page = window.orders_page
    qtbot.mouseClick(page.empty_connect_button, Qt.MouseButton.LeftButton)
    dialog = window.connect_dialog
    assert dialog is not None
    key, secret = store.credentials
    qtbot.keyClicks(dialog.url_edit, store.url)
    qtbot.keyClicks(dialog.key_edit, key)
    qtbot.keyClicks(dialog.secret_edit, secret)
    with qtbot.waitSignal(page.sync_finished, timeout=60_000) as finished:
        qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    assert runners.wait_until_idle()
    assert finished.args[0].startswith("Full sync done")
    assert page.model.total == ORDERS
    assert window.connect_dialog is None  # closed and released
    window.close()


def test_opens_on_the_dashboard_once_a_store_is_connected(
    qtbot: QtBot, paths: AppPaths, sessions: sessionmaker[Session], runners: Runners
) -> None:
    with sessions.begin() as session:
        store_repo.get_or_create_store(session, url="https://shop.example")
    window = open_window(qtbot, paths, sessions, runners, tray_available=False)
    assert window.pages.currentWidget() is window.dashboard_page
    assert window.sidebar.currentRow() == SCREENS.index("Dashboard")
    assert window.dashboard_page.data is not None  # loaded when shown
    assert window.outbox_label.text() == "Risk scoring on this computer (no scoring service set up)"
    window.close()
    assert runners.wait_until_idle()


def test_after_a_sync_the_status_bar_dashboard_and_alerts_follow(
    qtbot: QtBot,
    paths: AppPaths,
    sessions: sessionmaker[Session],
    runners: Runners,
    store: DemoStore,
) -> None:
    demo_credentials = Credentials(*store.credentials)
    window = open_window(
        qtbot, paths, sessions, runners, credentials=demo_credentials, tray_available=False
    )
    alerts: list[str] = []
    window.alerted.connect(alerts.append)
    with qtbot.waitSignal(window.outbox_status_changed, timeout=60_000) as status:
        _connect_demo(qtbot, window, store, runners)
    assert status.args == ["Risk scoring on this computer (no scoring service set up)"]
    assert runners.wait_until_idle()
    # The first check after the first sync only notes what is there: old orders are not news.
    assert alerts == []
    seen = load_seen(paths.config)
    assert list(seen) == [window.stores.stores[0].id]

    # Two new orders arrive and the second sync scores them on this computer. Whatever the
    # embedded scorer says, say the first one is High now: it is announced exactly once.
    new_ids = store.add_orders(2)
    with qtbot.waitSignal(window.orders_page.sync_finished, timeout=60_000):
        assert window.orders_page.start_sync()
    assert runners.wait_until_idle()
    store_id = window.stores.stores[0].id
    with sessions.begin() as session:
        order = get_order(session, store_id, new_ids[0])
        assert order is not None
        write_scores(
            session,
            store_id,
            [ScoreRecord(new_ids[0], 91, "high", None, [], "sg-2", datetime.now(UTC), "local")],
        )
    window.check_alerts()
    assert runners.wait_until_idle()
    window.check_alerts()  # never the same order twice
    assert runners.wait_until_idle()
    mentions = [line for line in alerts if f"#{order.number} (High" in line]
    assert len(mentions) == 1
    assert mentions[0].endswith("Open ShopGuard to see why.")
    # No tray here: the status bar said it (until the next message).
    assert "high-risk order" in mentions[0]

    # The Dashboard, when shown, counts the new orders.
    with qtbot.waitSignal(window.dashboard_page.refreshed, timeout=15_000):
        window.show_screen("Dashboard")
    data = window.dashboard_page.data
    assert data is not None and data.has_orders
    assert data.weeks[-1].counts["high"] >= 1
    window.close()
    assert runners.wait_until_idle()
