"""OrdersPage against the demo store: sync with progress, cancel, plain error banners, and
the risk badges, band filter, keyboard and detail pane after a sync scored on this computer."""

from __future__ import annotations

import functools
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session, sessionmaker

from shopguard.demo.server import DemoStore
from shopguard.paths import AppPaths
from shopguard.scoring.settings import make_settings, save_settings
from shopguard.services import (
    ClientOptions,
    OrderQueryService,
    StoreService,
    default_client_factory,
)
from shopguard.sharing import SharingPipeline
from shopguard.store.repositories import scores as score_repo
from shopguard.store.repositories.scores import ScoreRecord
from shopguard.ui.models.orders_model import RISK_COLUMN
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
    page = _connected_page(qtbot, queries, store_service, runners, store, credentials, env)
    page.resize(1000, 600)
    yield page
    page.shutdown()
    runners.wait_until_idle()


def _connected_page(
    qtbot: QtBot,
    queries: OrderQueryService,
    service: StoreService,
    runners: Runners,
    store: DemoStore,
    credentials: Credentials,
    env: dict[str, str],
) -> OrdersPage:
    """An Orders page over ``service``, shown, with the demo store connected (not synced)."""
    stores = StoresModel()
    page = OrdersPage(
        queries=queries,
        store_service=service,
        stores=stores,
        network_tasks=runners.network,
        db_tasks=runners.db,
        credentials_provider=functools.partial(resolve_credentials, env=env),
    )
    qtbot.addWidget(page)
    page.show()
    record, _info = service.connect(store.url, credentials, save=False)
    stores.set_stores([record])
    assert runners.wait_until_idle()
    return page


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
    assert (
        f"match{'es' if page.model.total == 1 else ''} “{first.billing_email}”"
        in page.count_label.text()
    )
    emails = {page.model.order_at(r).billing_email for r in range(page.model.rowCount())}  # type: ignore[union-attr]
    assert emails == {first.billing_email}


# --- risk: badges after a sync scored on this computer, filter, keyboard, the detail pane ---


@pytest.fixture
def scored_page(
    qtbot: QtBot,
    sessions: sessionmaker[Session],
    paths: AppPaths,
    queries: OrderQueryService,
    runners: Runners,
    store: DemoStore,
    credentials: Credentials,
    env: dict[str, str],
) -> Iterator[OrdersPage]:
    """The page as the app builds it with no scoring service: every sync ends with the
    embedded scorer, so the orders come back with "this shop only" scores."""
    service = StoreService(
        sessions,
        default_client_factory(ClientOptions(timeout=(5.0, 30.0))),
        sharing=SharingPipeline(sessions, paths),
    )
    page = _connected_page(qtbot, queries, service, runners, store, credentials, env)
    page.resize(1400, 700)
    _sync(qtbot, page, runners)
    yield page
    page.shutdown()
    runners.wait_until_idle()


def _risk_texts(page: OrdersPage) -> list[str]:
    return [page.model.index(r, RISK_COLUMN).data() for r in range(page.model.rowCount())]


def test_a_sync_scores_on_this_computer_and_the_badges_say_so(
    qtbot: QtBot, scored_page: OrdersPage, runners: Runners
) -> None:
    page = scored_page
    texts = _risk_texts(page)
    assert texts and all(t.endswith("this shop only") or t == "Unknown" for t in texts), texts[:5]
    assert page.table.itemDelegateForColumn(RISK_COLUMN) is page.badge_delegate
    tip = page.model.index(0, RISK_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    assert "Scored on this computer from your shop's own history" in tip

    # The first click on the Risk header shows the riskiest first; the next, the safest.
    header = page.table.horizontalHeader()
    x = header.sectionViewportPosition(RISK_COLUMN) + 10
    with qtbot.waitSignal(page.model.total_changed, timeout=10_000):
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert runners.wait_until_idle()
    assert page.model.sort_column == RISK_COLUMN
    assert page.model.sort_order == Qt.SortOrder.DescendingOrder
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    scores = [
        row.score.score
        for r in range(page.model.rowCount())
        if (row := page.model.row_at(r)) is not None and row.score is not None
        if row.score.score is not None
    ]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    with qtbot.waitSignal(page.model.total_changed, timeout=10_000):
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert runners.wait_until_idle()
    assert page.model.sort_order == Qt.SortOrder.AscendingOrder
    upwards = [
        row.score.score
        for r in range(page.model.rowCount())
        if (row := page.model.row_at(r)) is not None and row.score is not None
        if row.score.score is not None
    ]
    assert upwards == sorted(upwards) and upwards[0] <= min(scores)


def test_band_filter_by_keyboard_with_the_search(
    qtbot: QtBot, scored_page: OrdersPage, runners: Runners
) -> None:
    page = scored_page
    page.activateWindow()
    page.table.setFocus()
    qtbot.keyClick(page, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.search_edit.hasFocus()
    qtbot.keyClick(page, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)  # "&Risk:"
    assert page.band_picker.hasFocus()
    band_counts: dict[str, int] = {}
    for label in ("High", "Medium", "Low", "Unknown", "Not scored yet"):
        with qtbot.waitSignal(page.model.total_changed, timeout=10_000) as total:
            page.band_picker.setCurrentText(label)
        assert runners.wait_until_idle()
        band_counts[label] = total.args[0]
        words = {t.split(",")[0].split(" ")[0] for t in _risk_texts(page)}
        assert words <= {label.split(" ")[0]}
    assert sum(band_counts.values()) == ORDERS
    assert band_counts["Not scored yet"] == 0
    busiest = max(("High", "Medium", "Low"), key=band_counts.__getitem__)
    page.band_picker.setCurrentText(busiest)
    assert runners.wait_until_idle()
    first = page.model.order_at(0)
    assert first is not None
    with qtbot.waitSignal(page.model.total_changed, timeout=10_000):
        qtbot.keyClicks(page.search_edit, first.billing_email)
    assert runners.wait_until_idle()
    assert 1 <= page.model.total <= band_counts[busiest]
    assert page.model.band_filter == busiest.lower()


def test_selecting_by_keyboard_fills_the_detail_pane_and_refresh_reloads_it(
    qtbot: QtBot, scored_page: OrdersPage, runners: Runners, sessions: sessionmaker[Session]
) -> None:
    page = scored_page
    assert page.detail.stack.currentWidget() is page.detail.empty_label
    page.table.setFocus()
    with (
        qtbot.waitSignal(page.selected_order_changed) as selected,
        qtbot.waitSignal(page.detail.detail_loaded, timeout=10_000),
    ):
        qtbot.keyClick(page.table, Qt.Key.Key_Down)
    first = page.model.order_at(page.table.currentIndex().row())
    assert first is not None and selected.args == [first.woo_id]
    assert page.selected_woo_id == first.woo_id and page.selected_order == first
    assert page.detail.title_label.text() == f"Order #{first.number}"
    assert "Nothing about this order has left this computer" in page.detail.sent_note.text()
    assert page.detail.history_model.rowCount() >= 1
    assert "Kept on this computer (never sent)" in page.detail.identifiers_label.text()
    panel = QLabel("actions")
    page.set_actions_widget(panel)
    assert panel.parent() is page.detail.actions_area

    # An outcome or action elsewhere changed the score: refresh_selected shows it.
    assert page.model.store is not None
    with sessions.begin() as session:
        score_repo.write_scores(
            session,
            page.model.store.id,
            [ScoreRecord(first.woo_id, 99, "high", 0.99, [], "sg-2", datetime.now(UTC), "local")],
        )
    with (
        qtbot.waitSignal(page.model.rows_refreshed, timeout=10_000),
        qtbot.waitSignal(page.detail.detail_loaded, timeout=10_000),
    ):
        page.refresh_selected()
    row = page.model.row_of(first.woo_id)
    assert page.model.index(row, RISK_COLUMN).data() == "High 99, this shop only"
    assert page.detail.badge.spec is not None and page.detail.badge.spec.text == "High 99"
    assert runners.wait_until_idle()

    # A new search that hides the order empties the pane.
    with qtbot.waitSignal(page.selected_order_changed, timeout=10_000) as cleared:
        page.search_edit.setText("no such customer at all")
    assert cleared.args == [None]
    assert page.detail.stack.currentWidget() is page.detail.empty_label
    assert runners.wait_until_idle()


def test_an_unreachable_scoring_service_is_a_warning_with_advice(
    qtbot: QtBot,
    sessions: sessionmaker[Session],
    paths: AppPaths,
    queries: OrderQueryService,
    runners: Runners,
    store: DemoStore,
    credentials: Credentials,
    env: dict[str, str],
) -> None:
    """The orders are synced all the same; the banner says the service was not used."""
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    save_settings(paths.config, make_settings(f"http://127.0.0.1:{dead}", "shop-1"))
    service = StoreService(
        sessions,
        default_client_factory(ClientOptions(timeout=(5.0, 30.0))),
        sharing=SharingPipeline(sessions, paths, secret_provider=lambda _s: "s3cret"),
    )
    page = _connected_page(qtbot, queries, service, runners, store, credentials, env)
    line = _sync(qtbot, page, runners)
    assert line.startswith(f"Full sync done: {ORDERS} orders checked")
    assert "Scoring service not used this time" in page.banner.text()
    assert page.banner.tone == "warning"
    assert page.model.total == ORDERS
    page.shutdown()
    runners.wait_until_idle()
