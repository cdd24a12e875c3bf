"""Sync-and-score end to end: demo store → local store → outbox → a loopback service.

The capture service records every byte the app sends; the tests prove no raw customer
data is among them, that an outage loses nothing, and that a resend is applied once.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shopguard.demo.server import DemoStore
from shopguard.paths import AppPaths, resolve_paths
from shopguard.privacy.hashing import Salt
from shopguard.scoring.settings import ENV_SECRET
from shopguard.services import (
    ClientOptions,
    OrderQueryService,
    StoreService,
    default_client_factory,
)
from shopguard.sharing import RETENTION, SharingPipeline, enqueue_orders
from shopguard.store.db import open_database
from shopguard.store.models import Event, OutboxItem
from shopguard.store.repositories import stores as store_repo
from shopguard.woo.client import WooClient
from shopguard.woo.credentials import Credentials
from tests.helpers.capture_service import SALT_HEX, CaptureService
from tests.helpers.factories import make_order
from tests.helpers.memory_keyring import MemoryKeyring
from tests.helpers.pii import leaks

SALT = Salt.from_hex(SALT_HEX)


@pytest.fixture
def store() -> Iterator[DemoStore]:
    with DemoStore(orders=320, seed=21) as demo:
        yield demo


@pytest.fixture
def service() -> Iterator[CaptureService]:
    with CaptureService() as capture:
        yield capture


@pytest.fixture
def profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[AppPaths, sessionmaker[Session]]]:
    monkeypatch.setenv(ENV_SECRET, "s3cret-for-tests")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    paths = resolve_paths(tmp_path / "profile")
    engine, sessions = open_database(paths)
    yield paths, sessions
    engine.dispose()


def _sync(store: DemoStore, paths: AppPaths, sessions: sessionmaker[Session]) -> str:
    key, secret = store.credentials
    stores = StoreService(
        sessions, default_client_factory(ClientOptions()), sharing=SharingPipeline(sessions, paths)
    )
    summary = stores.sync(store.url, credentials=Credentials(key, secret))
    return summary.sharing


def _all_local_orders(sessions: sessionmaker[Session]) -> list:  # type: ignore[type-arg]
    query = OrderQueryService(sessions)
    out = []
    for s in query.stores():
        out.extend(query.page(s.id, limit=None))
    return out


def test_full_run_sends_digests_only_and_stores_scores(
    store: DemoStore,
    service: CaptureService,
    profile: tuple[AppPaths, sessionmaker[Session]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    paths, sessions = profile
    pipeline = SharingPipeline(sessions, paths)
    assert pipeline.configure(service.url, "shop-1", "s3cret-for-tests").backfilled == 0

    line = _sync(store, paths, sessions)

    orders = _all_local_orders(sessions)
    assert len(orders) == 320
    assert line.startswith("Scoring service: 320 orders")
    assert set(service.orders) == {str(o.woo_id) for o in orders}
    assert service.bad_signatures == 0
    sent = service.all_bytes()
    assert b"identifiers" in sent
    assert leaks(sent, orders) == []  # body, target, query and headers
    assert leaks(caplog.text.encode(), orders) == []
    with sessions() as session:
        details = "\n".join(session.scalars(select(Event.detail)))
    assert leaks(details.encode(), orders) == []

    query = OrderQueryService(sessions)
    store_id = query.stores()[0].id
    ids = [o.woo_id for o in orders[:5]]
    payloads = query.sent_payloads(store_id, ids)
    scores = query.scores(store_id, ids)
    for woo_id in ids:
        assert json.loads(payloads[woo_id]) == service.orders[str(woo_id)]
        assert scores[woo_id].model == "capture-1"
        assert scores[woo_id].scored_by == "network"
        assert [h.scored_by for h in query.score_history(store_id, woo_id)] == ["network"]
    delivered = [o for o in orders if o.status == "completed"]
    assert delivered and all(
        (str(o.woo_id), "delivered") in {(k[0], k[1]) for k in service.outcomes} for o in delivered
    )


def test_outage_keeps_everything_queued_and_a_later_push_sends_it_once(
    store: DemoStore, service: CaptureService, profile: tuple[AppPaths, sessionmaker[Session]]
) -> None:
    paths, sessions = profile
    pipeline = SharingPipeline(sessions, paths)
    pipeline.configure(service.url, "shop-1", "s3cret-for-tests")
    service.fail_posts = True  # the salt comes, every send fails

    line = _sync(store, paths, sessions)

    assert "problem (error 503)" in line and "stay queued" in line
    with sessions() as session:
        pending = session.scalars(select(OutboxItem).where(OutboxItem.sent_at.is_(None))).all()
    assert len([p for p in pending if p.kind == "order"]) == 320
    assert service.orders == {}

    service.fail_posts = False
    with sessions() as session:
        session.execute(OutboxItem.__table__.update().values(next_attempt_at=None))
        session.commit()
    summary = pipeline.push(OrderQueryService(sessions).stores()[0].id)
    assert summary.orders_sent == 320 and summary.pending == 0
    assert len(service.orders) == 320
    # Nothing new to send: a second push sends nothing.
    again = pipeline.push(OrderQueryService(sessions).stores()[0].id)
    assert (again.orders_sent, again.outcomes_sent) == (0, 0)


def test_configuring_a_service_later_backfills_existing_orders(
    store: DemoStore, service: CaptureService, profile: tuple[AppPaths, sessionmaker[Session]]
) -> None:
    paths, sessions = profile
    # No service: nothing queued, nothing sent; the orders are scored on this computer.
    assert _sync(store, paths, sessions).startswith("Scored 320 orders on this computer")
    assert service.captured == []
    with sessions() as session:
        assert session.scalars(select(OutboxItem)).first() is None

    configured = SharingPipeline(sessions, paths).configure(
        service.url, "shop-1", "s3cret-for-tests"
    )

    cutoff = datetime.now(UTC) - RETENTION
    in_window = {o.woo_id for o in _all_local_orders(sessions) if o.date_created_gmt >= cutoff}
    assert in_window
    assert configured.backfilled == len(in_window)
    with sessions() as session:
        queued = session.scalars(select(OutboxItem).where(OutboxItem.kind == "order")).all()
    assert {q.order_woo_id for q in queued} == in_window


def test_cli_service_set_sync_and_orders_json(
    store: DemoStore, service: CaptureService, tmp_path: Path
) -> None:
    key, secret = store.credentials
    env = dict(
        os.environ,
        SHOPGUARD_CONSUMER_KEY=key,
        SHOPGUARD_CONSUMER_SECRET=secret,
        SHOPGUARD_SERVICE_SECRET="s3cret-for-tests",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    data_dir = str(tmp_path / "p")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "shopguard", *args, "--data-dir", data_dir],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    configured = run("service", "set", "--url", service.url, "--shop-id", "shop-1")
    assert configured.returncode == 0, configured.stderr
    assert "No system keyring here" in configured.stderr
    shown = run("service", "show")
    assert "shop-1" in shown.stdout and "s3cret" not in shown.stdout
    synced = run("sync", "--url", store.url)
    assert synced.returncode == 0, synced.stderr
    assert "Scoring service: 320 orders" in synced.stderr
    listed = json.loads(run("orders", "--json").stdout)
    assert all(o["sent_payload"]["order_id"] == str(o["id"]) for o in listed)
    assert all(o["risk"]["band"] in {"low", "medium"} for o in listed)
    assert run("push").returncode == 0

    wrong = run("service", "set", "--url", service.url, "--shop-id", "someone-else")
    assert wrong.returncode == 1
    assert "did not accept this shop's ID or secret" in wrong.stderr


def test_orders_outside_retention_and_trashed_orders_are_never_queued(
    profile: tuple[AppPaths, sessionmaker[Session]],
) -> None:
    _paths, sessions = profile
    now = datetime.now(UTC)
    orders = [
        make_order(1, date_created_gmt=now - timedelta(days=10), status="completed"),
        make_order(2, date_created_gmt=now - RETENTION - timedelta(days=1)),
        make_order(3, date_created_gmt=now - timedelta(days=3), status="trash"),
    ]
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url="https://shop.example").id
        queued = enqueue_orders(session, store_id, orders, SALT, "GR", now - RETENTION)
    assert queued == 1
    with sessions() as session:
        rows = session.scalars(select(OutboxItem)).all()
    assert sorted((r.kind, r.order_woo_id) for r in rows) == [("order", 1), ("outcome", 1)]


def test_offline_sync_is_caught_up_by_the_next_push(
    store: DemoStore, service: CaptureService, profile: tuple[AppPaths, sessionmaker[Session]]
) -> None:
    paths, sessions = profile
    pipeline = SharingPipeline(sessions, paths)
    pipeline.configure(service.url, "shop-1", "s3cret-for-tests")
    service.fail_next = 10_000  # unreachable from the start: no salt, nothing can be queued

    line = _sync(store, paths, sessions)

    assert line.startswith("Scoring service not used this time")
    assert len(_all_local_orders(sessions)) == 320  # the sync itself is unaffected
    service.fail_next = 0
    salt = pipeline.fetch_salt()
    assert pipeline.catch_up(salt) == 320
    assert pipeline.catch_up(salt) == 0  # owed once
    summary = pipeline.push(OrderQueryService(sessions).stores()[0].id)
    assert summary.orders_sent == 320 and len(service.orders) == 320


def test_push_killed_mid_send_loses_nothing_and_applies_nothing_twice(
    store: DemoStore, service: CaptureService, profile: tuple[AppPaths, sessionmaker[Session]]
) -> None:
    paths, sessions = profile
    SharingPipeline(sessions, paths).configure(service.url, "shop-1", "s3cret-for-tests")
    service.fail_posts = True
    _sync(store, paths, sessions)  # everything queued, nothing sent
    with sessions() as session:
        session.execute(OutboxItem.__table__.update().values(next_attempt_at=None))
        session.commit()
    service.fail_posts = False
    service.latency = 2.0  # each batch is applied, then acknowledged two seconds later

    env = dict(os.environ, SHOPGUARD_SERVICE_SECRET="s3cret-for-tests")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    command = [sys.executable, "-m", "shopguard", "push", "--data-dir", str(paths.data.parent)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while len(service.applied_keys) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # the second batch is applied and not yet acknowledged
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert len(service.applied_keys) == 2
    with sessions() as session:
        sent = session.scalars(select(OutboxItem).where(OutboxItem.sent_at.is_not(None))).all()
    assert len(sent) == 100  # the first batch was acknowledged, the second was not

    service.latency = 0
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert service.replays == 1  # the unacknowledged batch was resent with the same key
    assert len(service.orders) == 320
    assert len(service.applied_keys) == len(set(service.applied_keys))  # nothing applied twice
    with sessions() as session:
        pending = session.scalars(select(OutboxItem).where(OutboxItem.sent_at.is_(None))).all()
    assert pending == []


def test_one_refused_payload_does_not_hold_back_the_others(
    store: DemoStore, service: CaptureService, profile: tuple[AppPaths, sessionmaker[Session]]
) -> None:
    paths, sessions = profile
    SharingPipeline(sessions, paths).configure(service.url, "shop-1", "s3cret-for-tests")
    first_id = sorted(_remote_ids(store))[0]
    service.refuse_orders = {str(first_id)}

    line = _sync(store, paths, sessions)

    assert "refused the request (error 422)" in line
    assert len(service.orders) == 319
    with sessions() as session:
        waiting = session.scalars(
            select(OutboxItem).where(OutboxItem.sent_at.is_(None), OutboxItem.kind == "order")
        ).all()
    assert [w.order_woo_id for w in waiting] == [first_id]
    assert waiting[0].next_attempt_at is not None


def _remote_ids(store: DemoStore) -> list[int]:
    key, secret = store.credentials
    with WooClient(store.url, key, secret) as client:
        return [o["id"] for p in client.iter_order_pages() for o in p.orders]


def test_a_secret_from_the_composition_root_never_reaches_the_keyring(
    store: DemoStore,
    service: CaptureService,
    profile: tuple[AppPaths, sessionmaker[Session]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The demo hands its service's secret over in memory: configure keeps it out of the
    keyring, and every request is signed with it (no environment variable needed)."""
    paths, sessions = profile
    monkeypatch.delenv(ENV_SECRET)
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        pipeline = SharingPipeline(
            sessions, paths, secret_provider=lambda _settings: service.secret
        )
        configured = pipeline.configure(service.url, service.shop_id, service.secret)
        stores = StoreService(sessions, default_client_factory(ClientOptions()), sharing=pipeline)
        summary = stores.sync(store.url, credentials=Credentials(*store.credentials))
    finally:
        keyring.set_keyring(previous)
    assert configured.secret_in_keyring is False and backend.passwords == {}
    assert summary.sharing.startswith("Scoring service: 320 orders")
    assert service.bad_signatures == 0 and len(service.orders) == 320
