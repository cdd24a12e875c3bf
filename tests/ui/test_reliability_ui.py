"""The window stays responsive while the scoring service is slow or down; --demo's window.

The real scoring service runs in this process (as in ``--demo``), behind the fault proxy;
the window connects and syncs the demo store, whose push meets a service that answers
late or not at all. Meanwhile a timer on the GUI thread must keep firing and the owner can
switch screens; afterwards nothing is lost and the owner is told what happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shopguard.app import (
    DEMO_ORDERS,
    DEMO_SEED,
    DemoConnection,
    connect_demo_store,
)
from shopguard.demo.server import DemoStore
from shopguard.demo_service import DemoScoringService
from shopguard.paths import AppPaths
from shopguard.scoring.settings import ENV_SECRET
from shopguard.services import OrderQueryService
from shopguard.sharing import SharingPipeline
from shopguard.store.models import OutboxItem
from shopguard.woo.credentials import Credentials
from tests.helpers.fault_proxy import Fault, FaultProxy
from tests.helpers.memory_keyring import MemoryKeyring
from tests.ui.conftest import Runners, open_window

pytestmark = pytest.mark.gui

ORDERS = 150


@pytest.fixture
def service(tmp_path: Path) -> Iterator[DemoScoringService]:
    running = DemoScoringService(tmp_path / "service")
    running.start()
    yield running
    running.stop()


@pytest.mark.parametrize("fault", [Fault.DELAY, Fault.DOWN])
def test_window_keeps_turning_while_the_service_is_slow_or_down(
    qtbot: QtBot,
    runners: Runners,
    paths: AppPaths,
    sessions: sessionmaker[Session],
    service: DemoScoringService,
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault,
) -> None:
    shop = service.create_shop("UI test shop")
    monkeypatch.setenv(ENV_SECRET, shop.secret)
    with (
        DemoStore(orders=ORDERS, seed=5) as store,
        FaultProxy(service.url, delay=2.0) as proxy,
    ):
        SharingPipeline(sessions, paths).configure(proxy.url, shop.shop_id, shop.secret)
        proxy.set(fault)
        proxy.next(Fault.PASS)  # the salt comes through; the service then misbehaves
        credentials = Credentials(*store.credentials)
        window = open_window(qtbot, paths, sessions, runners, credentials=credentials, demo=True)

        ticks: list[int] = []
        timer = QTimer()
        timer.setInterval(20)
        timer.timeout.connect(lambda: ticks.append(len(proxy.log)))
        timer.start()
        page = window.orders_page
        with qtbot.waitSignal(page.sync_finished, timeout=120_000) as finished:
            window.connect_store(store.url, credentials, save=False)
            # While the sync waits on the service, the owner moves around the app.
            qtbot.waitUntil(lambda: any(e.method == "POST" for e in proxy.log), timeout=60_000)
            window.show_screen("Assessments")
            assert window.sidebar.currentItem().text() == "Assessments"
            window.show_screen("Orders")
        timer.stop()
        assert runners.wait_until_idle(60)
        window.close()
        runners.wait_until_idle()

    # The GUI thread kept turning while the service stalled: ticks while POSTs were pending.
    first_post = next(i for i, e in enumerate(proxy.log) if e.method == "POST") + 1
    assert sum(1 for seen in ticks if seen >= first_post) > 5
    line = finished.args[0]
    queries = OrderQueryService(sessions)
    [record] = queries.stores()
    ids = [o.woo_id for o in queries.page(record.id, limit=None)]
    assert line.startswith("Full sync done")  # the store's orders are in either way
    if fault is Fault.DOWN:
        with sessions() as session:
            pending = session.scalar(
                select(func.count()).select_from(OutboxItem).where(OutboxItem.sent_at.is_(None))
            )
        assert pending is not None and pending >= ORDERS  # all kept for the next push
        assert queries.scores(record.id, ids) == {}  # no score that did not come back
    else:
        assert f"{ORDERS} orders" in line
        assert len(queries.scores(record.id, ids)) == ORDERS


def test_demo_window_connects_the_store_and_scores_it_through_the_network(
    qtbot: QtBot,
    tmp_path: Path,
    runners: Runners,
    paths: AppPaths,
    sessions: sessionmaker[Session],
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What ``shopguard --demo`` does after the window shows (syncing in this process)."""
    monkeypatch.setenv(ENV_SECRET, "")  # restored afterwards: the demo sets it for its syncs
    network_tasks = runners.network
    service = DemoScoringService(tmp_path / "service")
    with DemoStore(orders=DEMO_ORDERS, seed=DEMO_SEED) as store:
        credentials = Credentials(*store.credentials)
        window = open_window(
            qtbot,
            paths,
            sessions,
            runners,
            credentials=credentials,
            demo=True,
            tray_available=False,
            settle=False,
        )
        try:
            with qtbot.waitSignal(window.orders_page.sync_finished, timeout=180_000):
                label = connect_demo_store(
                    window,
                    DemoConnection(store.url, credentials, paths, sessions),
                    service,
                    network_tasks,
                    start_sync_processes=False,
                )
                assert label.text().startswith("Demo: starting")  # the window did not wait
            assert label.text() == "Demo: scored by a network of 3 simulated shops"
            assert "simulated on this computer" in label.toolTip()
            assert runners.wait_until_idle(60)
        finally:
            window.close()
            runners.wait_until_idle(60)
            service.stop()
    assert memory_keyring.passwords == {}  # the secret never went near the keyring
    queries = OrderQueryService(sessions)
    [demo] = queries.stores()
    ids = [o.woo_id for o in queries.page(demo.id, limit=None)]
    scores = queries.scores(demo.id, ids)
    assert len(scores) == DEMO_ORDERS
    assert {s.scored_by for s in scores.values()} == {"network"}
    assert any("other shop" in r["text"] for s in scores.values() for r in s.reasons)


def test_a_flapping_service_loses_nothing_and_the_window_says_where_things_stand(
    qtbot: QtBot,
    runners: Runners,
    paths: AppPaths,
    sessions: sessionmaker[Session],
    service: DemoScoringService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Off, on, off, on: every sync brings the orders in; the window says when scoring
    waits, never shows a score the service did not give, and catches up once it is back."""
    shop = service.create_shop("Flapping shop")
    monkeypatch.setenv(ENV_SECRET, shop.secret)
    with (
        DemoStore(orders=ORDERS, seed=6) as store,
        FaultProxy(service.url, delay=2.0) as proxy,
    ):
        SharingPipeline(sessions, paths).configure(proxy.url, shop.shop_id, shop.secret)
        credentials = Credentials(*store.credentials)
        window = open_window(
            qtbot, paths, sessions, runners, credentials=credentials, tray_available=False
        )
        page = window.orders_page
        queries = OrderQueryService(sessions)

        def sync(start: object) -> str:
            with qtbot.waitSignal(page.sync_finished, timeout=120_000) as finished:
                start()  # type: ignore[operator]
            assert runners.wait_until_idle(60)
            window.refresh_outbox_status()
            assert runners.wait_until_idle(60)
            return str(finished.args[0])

        def scored() -> dict[int, object]:
            [record] = queries.stores()
            return dict(queries.scores(record.id, [o.woo_id for o in queries.page(record.id)]))

        def offline(start: object, scored_before: int) -> None:
            proxy.set(Fault.DOWN)
            line = sync(start)
            assert line.startswith(("Full sync done", "Sync done")), line  # orders in anyway
            assert page.banner.tone == "warning" and "could not be reached" in page.banner.text()
            assert len(scored()) == scored_before  # no score the service did not give
            assert window.outbox_label.text().startswith(
                "The last sync could not use the scoring service: the orders it brought are "
                "sent at the next sync"
            )

        def online(orders: int) -> None:
            proxy.set(Fault.PASS)
            sync(page.start_sync)
            assert page.banner.tone == "ok", page.banner.text()
            assert len(scored()) == orders
            assert window.outbox_label.text() == "All sent to the scoring service"

        offline(lambda: window.connect_store(store.url, credentials, save=False), 0)
        online(ORDERS)
        new = store.add_orders(5)
        offline(page.start_sync, ORDERS)  # the others keep their scores; the new ones wait
        assert not set(new) & set(scored())
        online(ORDERS + 5)
        window.close()
        assert runners.wait_until_idle(60)
