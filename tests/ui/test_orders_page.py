"""OrdersPage against the demo store: sync with progress, cancel, and plain error banners."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from shopguard.demo.server import DemoStore
from shopguard.services import OrderQueryService, StoreService
from shopguard.ui.models.stores_model import StoresModel
from shopguard.ui.orders_page import EMPTY_TEXT, OrdersPage
from shopguard.woo.credentials import ENV_KEY, ENV_SECRET, Credentials, resolve_credentials
from tests.ui.conftest import Runners

pytestmark = pytest.mark.gui

ORDERS = 730


@pytest.fixture
def store() -> Iterator[DemoStore]:
    with DemoStore(orders=ORDERS, seed=11) as demo:
        yield demo


@pytest.fixture
def credentials(store: DemoStore) -> Credentials:
    return Credentials(*store.credentials)


@pytest.fixture
def env(credentials: Credentials) -> dict[str, str]:
    """Where the page's credentials provider looks first (a test may empty it)."""
    return {ENV_KEY: credentials.consumer_key, ENV_SECRET: credentials.consumer_secret}


@pytest.fixture
def page(
    qtbot: QtBot,
    queries: OrderQueryService,
    store_service: StoreService,
    runners: Runners,
    store: DemoStore,
    credentials: Credentials,
    env: dict[str, str],
) -> Iterator[OrdersPage]:
    stores = StoresModel()
    page = OrdersPage(
        queries=queries,
        store_service=store_service,
        stores=stores,
        network_tasks=runners.network,
        db_tasks=runners.db,
        credentials_provider=functools.partial(resolve_credentials, env=env),
    )
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    record, _info = store_service.connect(store.url, credentials, save=False)
    stores.set_stores([record])
    assert runners.wait_until_idle()
    yield page
    page.shutdown()
    runners.wait_until_idle()


def _sync(qtbot: QtBot, page: OrdersPage, runners: Runners) -> str:
    with qtbot.waitSignal(page.sync_finished, timeout=60_000) as finished:
        qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
        assert page.syncing
        assert page.cancel_button.isVisible() and not page.sync_button.isEnabled()
    assert runners.wait_until_idle()
    line: str = finished.args[0]
    return line


def test_empty_state_invites_to_connect(
    qtbot: QtBot, queries: OrderQueryService, store_service: StoreService, runners: Runners
) -> None:
    page = OrdersPage(
        queries=queries,
        store_service=store_service,
        stores=StoresModel(),
        network_tasks=runners.network,
        db_tasks=runners.db,
        credentials_provider=lambda _url: Credentials("ck_x", "cs_y"),
    )
    qtbot.addWidget(page)
    page.show()
    assert page.stack.currentWidget() is page.empty_state
    assert not page.sync_button.isEnabled()
    texts = [label.text() for label in page.empty_state.findChildren(type(page.store_title))]
    assert EMPTY_TEXT in texts
    with qtbot.waitSignal(page.connect_requested):
        qtbot.mouseClick(page.empty_connect_button, Qt.MouseButton.LeftButton)


def test_sync_fills_the_table_with_progress(
    qtbot: QtBot, page: OrdersPage, runners: Runners, store: DemoStore
) -> None:
    assert page.stack.currentWidget() is page.table
    assert page.model.total == 0
    assert "No orders yet" in page.count_label.text()
    values: list[int] = []
    page.progress_bar.valueChanged.connect(values.append)

    line = _sync(qtbot, page, runners)

    assert line.startswith(f"Full sync done: {ORDERS} orders checked ({ORDERS} new")
    assert page.banner.text().startswith("Full sync done")
    assert page.banner.tone == "ok"
    assert values and values[-1] == page.progress_bar.maximum() == ORDERS
    assert page.model.total == ORDERS
    assert page.model.rowCount() > 0
    assert page.count_label.text() == f"{ORDERS} orders"
    assert page.sync_button.isEnabled() and not page.cancel_button.isVisible()

    store.touch_orders(5)
    again = _sync(qtbot, page, runners)
    assert again.startswith("Sync done:")
    assert "5 changed" in again


def test_cancel_stops_the_sync_and_keeps_what_was_saved(
    qtbot: QtBot, page: OrdersPage, runners: Runners, store: DemoStore
) -> None:
    store.faults.latency = 0.15
    with qtbot.waitSignal(page.sync_finished, timeout=60_000) as finished:
        qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.progress_bar.value() > 0, timeout=30_000)
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
        assert not page.cancel_button.isEnabled()
    assert runners.wait_until_idle()
    assert finished.args[0].startswith("Cancelled")
    assert page.banner.tone == "info"
    assert 0 < page.model.total < ORDERS
    store.faults.latency = 0.0
    line = _sync(qtbot, page, runners)
    assert "sync done" in line.lower()  # the first full sync resumes where it stopped
    assert page.model.total == ORDERS


def test_a_blocked_rest_api_is_a_plain_red_banner(
    qtbot: QtBot, page: OrdersPage, runners: Runners, store: DemoStore
) -> None:
    store.faults.html_next = 1000
    line = _sync(qtbot, page, runners)
    assert page.banner.tone == "error"
    assert "web page" in line
    assert "Traceback" not in page.banner.text()
    assert page.sync_button.isEnabled()
    assert not page.progress_bar.isVisible()


def test_missing_key_is_explained(
    qtbot: QtBot, page: OrdersPage, runners: Runners, env: dict[str, str]
) -> None:
    env.clear()  # and the (in-memory) keyring has no key either
    line = _sync(qtbot, page, runners)
    assert page.banner.tone == "error"
    assert "No WooCommerce key is saved" in line


def test_search_is_debounced_and_filters(qtbot: QtBot, page: OrdersPage, runners: Runners) -> None:
    _sync(qtbot, page, runners)
    first = page.model.order_at(0)
    assert first is not None
    with qtbot.waitSignal(page.model.total_changed, timeout=5000):
        qtbot.keyClicks(page.search_edit, first.billing_email)
        assert page.model.search == ""  # not yet: the page waits for typing to pause
    assert runners.wait_until_idle()
    assert page.model.search == first.billing_email
    assert 1 <= page.model.total < ORDERS
    assert f"match “{first.billing_email}”" in page.count_label.text()
    emails = {page.model.order_at(r).billing_email for r in range(page.model.rowCount())}  # type: ignore[union-attr]
    assert emails == {first.billing_email}
