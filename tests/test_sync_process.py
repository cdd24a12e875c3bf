"""Syncs in a child process: same results, same errors, progress and cancel across."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopguard.demo.server import DemoStore
from shopguard.paths import resolve_paths
from shopguard.services import OrderQueryService
from shopguard.store.db import open_database
from shopguard.sync_process import ChildSyncOptions, sync_in_child
from shopguard.woo.credentials import Credentials
from shopguard.woo.errors import AuthenticationFailed, Cancelled, NotJson
from shopguard.woo.sync import SyncProgress


@pytest.fixture
def store() -> Iterator[DemoStore]:
    with DemoStore(orders=450, seed=9) as demo:
        yield demo


def test_child_sync_stores_orders_and_reports_progress(store: DemoStore, tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path)
    seen: list[SyncProgress] = []
    summary = sync_in_child(
        ChildSyncOptions(paths=paths, concurrency=3),
        store.url,
        Credentials(*store.credentials),
        progress=seen.append,
    )
    assert summary.created == 450
    assert [p.pages_done for p in seen] == [1, 2, 3, 4, 5]
    # No scoring service: the child also scored the orders, on this computer.
    assert summary.sharing.startswith("Scored 450 orders on this computer (this shop only)")
    engine, sessions = open_database(paths)
    try:
        query = OrderQueryService(sessions)
        store_id = query.stores()[0].id
        assert query.count(store_id) == 450
        assert {s.scored_by for s in query.scores(store_id, [1001, 1002]).values()} == {"local"}
    finally:
        engine.dispose()


def test_child_errors_arrive_as_the_same_errors(store: DemoStore, tmp_path: Path) -> None:
    options = ChildSyncOptions(paths=resolve_paths(tmp_path), concurrency=2)
    store.faults.html_next = 1000
    with pytest.raises(NotJson) as page:
        sync_in_child(options, store.url, Credentials(*store.credentials))
    assert "security or firewall plugin" in page.value.message
    store.faults.html_next = 0
    key, _ = store.credentials
    with pytest.raises(AuthenticationFailed) as wrong:
        sync_in_child(options, store.url, Credentials(key, "cs_" + "0" * 40))
    assert "consumer secret" in wrong.value.message


def test_cancel_reaches_the_child(store: DemoStore, tmp_path: Path) -> None:
    store.faults.latency = 0.1
    cancel = threading.Event()

    def cancel_after_first_page(progress: SyncProgress) -> None:
        cancel.set()

    with pytest.raises(Cancelled):
        sync_in_child(
            ChildSyncOptions(paths=resolve_paths(tmp_path), concurrency=1),
            store.url,
            Credentials(*store.credentials),
            progress=cancel_after_first_page,
            cancel_event=cancel,
        )
