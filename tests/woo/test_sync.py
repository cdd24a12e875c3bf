"""Sync from the demo store into a real SQLite store: full, incremental, failures, resume."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shopguard.demo.server import DemoStore
from shopguard.paths import resolve_paths
from shopguard.store.db import open_database
from shopguard.store.models import Order
from shopguard.store.repositories import events as event_repo
from shopguard.store.repositories import stores as store_repo
from shopguard.woo.client import WooClient
from shopguard.woo.errors import Cancelled, NotJson
from shopguard.woo.mapping import parse_gmt
from shopguard.woo.sync import SyncProgress, SyncService


@pytest.fixture
def store() -> Iterator[DemoStore]:
    with DemoStore(orders=730, seed=11) as demo:
        yield demo


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine, factory = open_database(resolve_paths(tmp_path))
    yield factory
    engine.dispose()


def _client(store: DemoStore, cancel: threading.Event | None = None) -> WooClient:
    key, secret = store.credentials
    return WooClient(store.url, key, secret, cancel_event=cancel)


def _local(sessions: sessionmaker[Session]) -> dict[int, tuple[str, str]]:
    with sessions() as session:
        rows = session.execute(select(Order.woo_id, Order.status, Order.date_modified_gmt))
        return {
            r.woo_id: (r.status, r.date_modified_gmt.strftime("%Y-%m-%dT%H:%M:%S")) for r in rows
        }


def _remote(store: DemoStore) -> dict[int, tuple[str, str]]:
    client = _client(store)
    out: dict[int, tuple[str, str]] = {}
    for page in client.iter_order_pages(params={"orderby": "id", "order": "asc"}):
        for o in page.orders:
            out[o["id"]] = (o["status"], o["date_modified_gmt"])
    client.close()
    return out


def test_full_then_incremental_sync(store: DemoStore, sessions: sessionmaker[Session]) -> None:
    seen: list[SyncProgress] = []
    summary = SyncService(sessions, _client(store), concurrency=4).sync(progress=seen.append)

    assert summary.full
    assert summary.created == 730 and summary.fetched == 730
    assert summary.pages == 8
    assert [p.pages_done for p in seen] == list(range(1, 9))
    assert seen[-1].orders_done == 730
    assert _local(sessions) == _remote(store)

    touched = store.touch_orders(50)
    store.request_log.clear()
    again = SyncService(sessions, _client(store)).sync()
    # The window's listings (the first request only reads the store's clock).
    listing = [
        r for r in store.request_log if r.path.endswith("/orders") and r.query["per_page"] != ["1"]
    ]

    assert not again.full
    assert again.changed == 50 and again.created == 0
    assert _local(sessions) == _remote(store)
    assert listing and all("modified_after" in r.query for r in listing)
    assert all(r.query["dates_are_gmt"] == ["true"] for r in listing)
    assert all(r.query["orderby"] == ["modified"] for r in listing)
    with sessions() as session:
        changed = event_repo.list_events(session, kind_prefix="order.changed")
    assert sorted(e.order_woo_id for e in changed) == sorted(touched)


def test_resync_with_nothing_new_changes_nothing(
    store: DemoStore, sessions: sessionmaker[Session]
) -> None:
    SyncService(sessions, _client(store)).sync()
    again = SyncService(sessions, _client(store)).sync()
    assert (again.created, again.changed) == (0, 0)


def test_new_and_trashed_orders_are_picked_up(
    store: DemoStore, sessions: sessionmaker[Session]
) -> None:
    SyncService(sessions, _client(store)).sync()
    new_ids = store.add_orders(3)
    victim = next(iter(_local(sessions)))
    store.trash_order(victim)

    summary = SyncService(sessions, _client(store)).sync()

    assert summary.created == 3
    assert summary.deleted == 1
    local = _local(sessions)
    assert set(new_ids) <= set(local)
    assert local[victim][0] == "trash"
    with sessions() as session:
        deleted = event_repo.list_events(session, kind_prefix="order.deleted")
    assert [e.order_woo_id for e in deleted] == [victim]


def test_failure_midway_keeps_committed_pages_and_resumes(
    store: DemoStore, sessions: sessionmaker[Session]
) -> None:
    def break_after_page_three(progress: SyncProgress) -> None:
        if progress.pages_done == 3:
            store.faults.html_next = 10_000

    with pytest.raises(NotJson):
        SyncService(sessions, _client(store), concurrency=1).sync(progress=break_after_page_three)

    kept = _local(sessions)
    assert len(kept) == 300
    with sessions() as session:
        cursor = store_repo.get_cursor(session, 1)
    assert not cursor.full_sync_done
    assert cursor.modified_after == max(parse_gmt(m) for _s, m in kept.values())

    store.faults.html_next = 0
    summary = SyncService(sessions, _client(store)).sync()

    assert _local(sessions) == _remote(store)
    with sessions() as session:
        created = event_repo.list_events(session, kind_prefix="order.created", limit=5000)
    assert len(created) == 730  # no order was created twice
    assert summary.created == 430


def test_orders_changing_during_the_sync_are_not_lost(
    store: DemoStore, sessions: sessionmaker[Session]
) -> None:
    changed: list[int] = []

    def change_early_orders(progress: SyncProgress) -> None:
        if progress.pages_done == 2 and not changed:  # once: the second pass runs clean
            # Orders on page 1 move to the end of the window: later pages shift left.
            oldest = sorted(_remote(store).items(), key=lambda kv: (kv[1][1], kv[0]))[:5]
            changed.extend(woo_id for woo_id, _ in oldest)
            store.touch_orders_by_id(changed)

    summary = SyncService(sessions, _client(store), concurrency=1).sync(
        progress=change_early_orders
    )
    assert summary.passes == 2 and not summary.warnings
    local = _local(sessions)
    assert set(local) == set(_remote(store))

    SyncService(sessions, _client(store)).sync()
    assert _local(sessions) == _remote(store)


def test_cancel_stops_promptly_and_keeps_what_was_saved(
    store: DemoStore, sessions: sessionmaker[Session]
) -> None:
    cancel = threading.Event()
    store.faults.latency = 0.05

    def cancel_after_first_page(progress: SyncProgress) -> None:
        if progress.pages_done == 1:
            cancel.set()

    with pytest.raises(Cancelled):
        SyncService(sessions, _client(store, cancel), cancel_event=cancel).sync(
            progress=cancel_after_first_page
        )
    assert 100 <= len(_local(sessions)) < 730
    with sessions() as session:
        assert event_repo.list_events(session, kind_prefix="sync.cancelled")
