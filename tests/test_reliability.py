"""Scoring against a service that misbehaves: down, slow, 401, 429, 5xx, garbage, flapping.

A real ``shopguard-server serve --dev`` process on loopback, behind a fault-injecting proxy
(``tests/helpers/fault_proxy.py``), and the app's real sync + outbox + push against the demo
store. What must hold whatever the service does: no payload or outcome is lost (it stays
queued and goes when the service is back), nothing is applied twice, a score is never
taken from a garbled answer, the owner is told what to do, and an order that changed since
its score is reported as waiting rather than fresh.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shopguard.demo.server import DemoStore
from shopguard.paths import resolve_paths
from shopguard.scoring.service_client import ServiceClient
from shopguard.scoring.settings import ENV_SECRET, ServiceSettings
from shopguard.services import (
    ClientOptions,
    OrderQueryService,
    StoreService,
    default_client_factory,
)
from shopguard.sharing import SharingPipeline
from shopguard.store.db import open_database
from shopguard.store.models import OutboxItem
from shopguard.woo.client import WooClient
from shopguard.woo.credentials import Credentials
from tests.helpers.fault_proxy import Fault, FaultProxy
from tests.helpers.scoring_server import database_args, run_server_cli, serving

ORDERS = 150
READ_TIMEOUT = 1.0  # the app's read timeout in these tests; Fault.DELAY waits longer


@dataclass
class Server:
    url: str
    database: Path
    args: list[str]


def _operator(server: Server, *args: str) -> str:
    done = run_server_cli(*args, *server.args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("service")
    args = database_args(folder)
    with serving(args) as url:
        yield Server(url, folder / "service.sqlite3", args)


@dataclass
class App:
    """One installation: a fresh profile, its pipeline (through the proxy), a movable clock."""

    stores: StoreService
    pipeline: SharingPipeline
    queries: OrderQueryService
    sessions: sessionmaker[Session]
    store: DemoStore
    shop_id: str
    secret: list[str]
    ahead: list[timedelta] = field(default_factory=lambda: [timedelta(0)])

    def clock(self) -> datetime:
        """The app's clock: the real one, moved ahead by ``later``."""
        return datetime.now(UTC) + self.ahead[0]

    def sync(self) -> str:
        """Sync; the scoring line, whose trouble flag must agree with what it says."""
        credentials = Credentials(*self.store.credentials)
        summary = self.stores.sync(self.store.url, credentials=credentials)
        troubled = "not used this time" in summary.sharing or "still queued" in summary.sharing
        assert summary.sharing_trouble == troubled, summary
        return summary.sharing

    def later(self, hours: float = 7) -> None:
        """Move past every retry delay (the longest is 6 hours)."""
        self.ahead[0] += timedelta(hours=hours)

    def store_id(self) -> int:
        [record] = self.queries.stores()
        return record.id

    def ids(self) -> list[int]:
        return [o.woo_id for o in self.queries.page(self.store_id(), limit=None)]

    def scores(self) -> dict[int, object]:
        return dict(self.queries.scores(self.store_id(), self.ids()))

    def pending(self) -> list[OutboxItem]:
        with self.sessions() as session:
            return list(session.scalars(select(OutboxItem).where(OutboxItem.sent_at.is_(None))))

    def outbox(self) -> list[OutboxItem]:
        with self.sessions() as session:
            return list(session.scalars(select(OutboxItem)))


@pytest.fixture
def proxy(server: Server) -> Iterator[FaultProxy]:
    with FaultProxy(server.url, delay=READ_TIMEOUT * 2.5, retry_after="1") as running:
        yield running


@pytest.fixture
def app(
    server: Server, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[App]:
    monkeypatch.delenv(ENV_SECRET, raising=False)
    shop = json.loads(_operator(server, "create-shop", "--name", f"Shop {tmp_path.name}"))
    secret = [shop["secret"]]
    ahead = [timedelta(0)]

    def client(
        settings: ServiceSettings, key: str, cancel: threading.Event | None
    ) -> ServiceClient:
        return ServiceClient(
            settings.url,
            settings.shop_id,
            key,
            cancel_event=cancel,
            timeout=(2.0, READ_TIMEOUT),
            max_retries=1,
            backoff=0.05,
        )

    paths = resolve_paths(tmp_path / "profile")
    engine, sessions = open_database(paths)
    pipeline = SharingPipeline(
        sessions,
        paths,
        client_factory=client,
        clock=lambda: datetime.now(UTC) + ahead[0],
        secret_provider=lambda _settings: secret[0],
    )
    pipeline.configure(proxy.url, shop["shop_id"], secret[0])
    stores = StoreService(sessions, default_client_factory(ClientOptions()), sharing=pipeline)
    with DemoStore(orders=ORDERS, seed=17) as store:
        yield App(
            stores,
            pipeline,
            OrderQueryService(sessions),
            sessions,
            store,
            shop["shop_id"],
            secret,
            ahead,
        )
    engine.dispose()


def _service_orders(server: Server, shop_id: str) -> list[tuple[str, str | None]]:
    """(order id, outcome) of every order the service holds for the shop."""
    with sqlite3.connect(f"file:{server.database}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT order_id, outcome FROM orders WHERE shop_id = ?", (shop_id,)
        ).fetchall()
    return [(str(r[0]), r[1]) for r in rows]


def _assert_all_delivered_once(app: App, server: Server) -> None:
    assert app.pending() == []
    held = _service_orders(server, app.shop_id)
    assert sorted(order_id for order_id, _ in held) == sorted(str(i) for i in app.ids())
    outcomes = {i.order_woo_id for i in app.outbox() if i.kind == "outcome"}
    assert {order_id for order_id, outcome in held if outcome} == {str(i) for i in outcomes}
    scores = app.scores()
    assert len(scores) == ORDERS
    assert {s.scored_by for s in scores.values()} == {"network"}  # type: ignore[attr-defined]
    for woo_id in list(scores)[:30]:  # one score each: no answer was stored twice or garbled
        assert len(app.queries.score_history(app.store_id(), woo_id)) == 1
    stale = [r.order.woo_id for r in app.queries.risk_rows(app.store_id(), app.ids()) if r.stale]
    assert stale == []  # every score is for the order as it is now


def test_service_down_then_back_loses_nothing(app: App, proxy: FaultProxy, server: Server) -> None:
    proxy.set(Fault.DOWN)
    line = app.sync()
    assert line.startswith("Scoring service not used this time")
    assert "could not be reached" in line and "queued" in line
    assert app.scores() == {}  # no score shown that the service did not give
    proxy.set(Fault.PASS)
    app.later()
    line = app.sync()  # catches up: queues what the offline sync could not, sends it
    assert line.startswith(f"Scoring service: {ORDERS} orders"), line
    _assert_all_delivered_once(app, server)


def test_orders_edited_while_offline_are_not_left_stale_after_the_catch_up(
    app: App, proxy: FaultProxy, server: Server
) -> None:
    assert app.sync().startswith(f"Scoring service: {ORDERS} orders")
    edited = app.ids()[:5]
    time.sleep(1.1)  # WooCommerce's dates have whole seconds
    app.store.touch_orders_by_id(edited, keep_status=True)  # nothing sent changes
    proxy.set(Fault.DOWN)
    assert app.sync().startswith("Scoring service not used this time")
    rows = app.queries.risk_rows(app.store_id(), edited)
    assert all(r.stale and not r.waiting for r in rows)  # changed, and not known to be same
    proxy.set(Fault.PASS)
    app.later()
    app.sync()  # the catch-up finds the same payloads: the scores hold
    assert not [r for r in app.queries.risk_rows(app.store_id(), edited) if r.stale]
    assert app.pending() == []


def test_outage_during_push_keeps_everything_queued_until_the_service_is_back(
    app: App, proxy: FaultProxy, server: Server
) -> None:
    proxy.set(Fault.DOWN)
    proxy.next(Fault.PASS)  # the salt comes through; every POST then finds nobody there
    line = app.sync()
    assert "0 orders and 0 outcomes sent" in line and "still queued" in line
    assert "could not be reached" in line
    queued = len(app.pending())
    assert queued >= ORDERS
    assert _service_orders(server, app.shop_id) == []
    proxy.set(Fault.PASS)
    app.later()
    summary = app.pipeline.push(app.store_id())
    assert summary.error == "" and summary.pending == 0
    assert summary.orders_sent + summary.outcomes_sent == queued
    _assert_all_delivered_once(app, server)


@pytest.mark.parametrize(
    "fault",
    [Fault.SERVER_ERROR, Fault.NOT_JSON, Fault.WRONG_SHAPE, Fault.TRUNCATED, Fault.DELAY],
)
def test_answers_lost_after_the_service_applied_them_are_resent_and_applied_once(
    app: App, proxy: FaultProxy, server: Server, fault: Fault
) -> None:
    proxy.set(fault)
    proxy.next(Fault.PASS)  # the config request
    line = app.sync()
    assert "0 orders and 0 outcomes sent" in line and "still queued" in line
    expected = {
        Fault.SERVER_ERROR: "had a problem (error 500)",
        Fault.NOT_JSON: "cannot read",
        Fault.WRONG_SHAPE: "cannot read",
        Fault.TRUNCATED: "cannot read",
        Fault.DELAY: "could not be reached",
    }[fault]
    assert expected in line and "queued" in line
    assert app.scores() == {}  # nothing stored from an answer that did not arrive whole
    assert all(not item.sent_at for item in app.outbox())
    # The service did apply the first batch: its answer was lost on the way back.
    assert proxy.wait_idle()
    assert any(e.forwarded and e.method == "POST" for e in proxy.log)
    proxy.set(Fault.PASS)
    app.later()
    summary = app.pipeline.push(app.store_id())
    assert summary.error == "" and summary.pending == 0
    # The resent batch carried the same idempotency key as the lost one.
    posts = [e for e in proxy.log if e.method == "POST"]
    keys = [e.headers.get("Idempotency-Key") for e in posts]
    assert keys[0] in keys[1:]
    _assert_all_delivered_once(app, server)


def test_rate_limit_is_honoured_and_a_long_retry_after_leaves_everything_queued(
    app: App, proxy: FaultProxy, server: Server
) -> None:
    proxy.set(Fault.DOWN)
    proxy.next(Fault.PASS)
    app.sync()  # everything queued
    # A long Retry-After: the push stops at once (no retry, no long wait); nothing lost.
    proxy.set(Fault.PASS)
    proxy.retry_after = "3600"
    proxy.next(Fault.RATE_LIMITED)
    before = len(proxy.log)
    app.later()
    summary = app.pipeline.push(app.store_id())
    assert "slow down" in summary.error and summary.orders_sent == 0
    assert proxy.statuses()[before:] == [429]
    # A short one: the client waits as asked, retries the same batch, and gets through.
    proxy.retry_after = "1"
    proxy.next(Fault.RATE_LIMITED)
    before = len(proxy.log)
    app.later()
    summary = app.pipeline.push(app.store_id())
    assert summary.error == "" and summary.pending == 0
    first, second = proxy.log[before], proxy.log[before + 1]
    assert (first.status, second.status) == (429, 200)
    assert first.body == second.body
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    _assert_all_delivered_once(app, server)


def test_rotated_secret_tells_the_owner_and_everything_goes_once_the_new_one_is_entered(
    app: App, proxy: FaultProxy, server: Server
) -> None:
    assert app.sync().startswith(f"Scoring service: {ORDERS} orders")
    changed = app.ids()[:3]
    _change_phones(app.store, changed)
    rotated = json.loads(_operator(server, "rotate-secret", app.shop_id))
    line = app.sync()
    assert "did not accept this shop's ID or secret" in line
    assert "Settings → Risk scoring" in line and "nothing is lost" in line
    # The owner enters the new secret: the orders that changed meanwhile are queued and sent.
    app.secret[0] = rotated["secret"]
    configured = app.pipeline.configure(proxy.url, app.shop_id, rotated["secret"])
    assert configured.backfilled >= len(changed)
    summary = app.pipeline.push(app.store_id())
    assert summary.error == "" and summary.pending == 0
    _assert_all_delivered_once_after_changes(app, server)


def test_a_401_during_the_push_keeps_the_queue_without_a_long_penalty(
    app: App, proxy: FaultProxy, server: Server
) -> None:
    proxy.set(Fault.UNAUTHORIZED)
    proxy.next(Fault.PASS)
    line = app.sync()
    assert "did not accept this shop's ID or secret" in line
    posts = [e for e in proxy.log if e.method == "POST"]
    assert len(posts) == 1  # no payload is at fault: not tried one by one
    pending = app.pending()
    assert len(pending) >= ORDERS
    now = app.clock()
    soon = now + timedelta(hours=1)
    assert all(i.next_attempt_at is None or _utc(i.next_attempt_at) <= soon for i in pending)
    proxy.set(Fault.PASS)
    app.later()
    summary = app.pipeline.push(app.store_id())
    assert summary.error == "" and summary.pending == 0
    _assert_all_delivered_once(app, server)


def test_revoked_shop_is_told_in_plain_words(app: App, server: Server) -> None:
    _operator(server, "revoke-shop", app.shop_id)
    line = app.sync()
    assert "did not accept this shop's ID or secret" in line
    assert "switched off" in line and "Ask whoever runs the service" in line
    assert app.scores() == {}


def test_flapping_service_delivers_everything_exactly_once(
    app: App, proxy: FaultProxy, server: Server
) -> None:
    proxy.flap(
        [Fault.PASS, Fault.SERVER_ERROR, Fault.PASS, Fault.DOWN, Fault.TRUNCATED, Fault.NOT_JSON]
    )
    app.sync()
    for _ in range(40):
        if not app.pending():
            break
        app.later()
        app.pipeline.push(app.store_id())
    proxy.set(Fault.PASS)
    _assert_all_delivered_once(app, server)
    failed = [e for e in proxy.log if e.fault is not Fault.PASS]
    assert failed, "the proxy never misbehaved"


def test_a_changed_order_keeps_its_old_score_marked_waiting_until_rescored(
    app: App, proxy: FaultProxy
) -> None:
    assert app.sync().startswith(f"Scoring service: {ORDERS} orders")
    store_id = app.store_id()
    before = app.scores()
    assert _stale(app) == set()
    changed = app.ids()[:2]
    _change_phones(app.store, changed)
    proxy.set(Fault.DOWN)
    proxy.next(Fault.PASS)  # the salt arrives; the push does not
    app.sync()
    rows = {r.order.woo_id: r for r in app.queries.risk_rows(store_id, app.ids())}
    assert {w for w, r in rows.items() if r.waiting} == set(changed)
    assert _stale(app) == set(changed)  # shown as waiting, never as fresh
    after = app.scores()
    for woo_id in changed:  # the old score is still there, with its old time
        assert after[woo_id] == before[woo_id]
    proxy.set(Fault.PASS)
    app.later()
    assert app.pipeline.push(store_id).pending == 0
    assert _stale(app) == set()
    rescored = app.scores()
    for woo_id in changed:
        assert rescored[woo_id].scored_at > before[woo_id].scored_at  # type: ignore[attr-defined]


def _stale(app: App) -> set[int]:
    """Orders the Orders screen shows with a score marked as not fresh."""
    return {r.order.woo_id for r in app.queries.risk_rows(app.store_id(), app.ids()) if r.stale}


def _change_phones(store: DemoStore, woo_ids: list[int]) -> None:
    client = WooClient(store.url, *store.credentials)
    try:
        for n, woo_id in enumerate(woo_ids):
            client.update_order(woo_id, {"billing": {"phone": f"+30 694 000 00{n:02d}"}})
    finally:
        client.close()
    store.touch_orders_by_id(woo_ids)  # returns once the store's second is over: syncable


def _assert_all_delivered_once_after_changes(app: App, server: Server) -> None:
    assert app.pending() == []
    held = _service_orders(server, app.shop_id)
    assert sorted(order_id for order_id, _ in held) == sorted(str(i) for i in app.ids())
    assert len(app.scores()) == ORDERS


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_after_a_long_outage_nothing_waits_more_than_a_quarter_of_an_hour(
    app: App, proxy: FaultProxy, server: Server
) -> None:
    """Backoff grows while the service stays down, but never past 15 minutes: once it is
    back, what waited goes with the next push within that, not hours later."""
    proxy.set(Fault.DOWN)
    proxy.next(Fault.PASS)  # the salt arrives; every push after it finds the service down
    app.sync()
    for _ in range(10):
        app.later()
        summary = app.pipeline.push(app.store_id())
        assert summary.error
    pending = app.pending()
    assert len(pending) >= ORDERS
    assert max(i.attempts for i in pending) >= 10
    longest = max(_utc(i.next_attempt_at) for i in pending if i.next_attempt_at) - app.clock()
    assert longest <= timedelta(minutes=15)
    proxy.set(Fault.PASS)
    app.later(hours=0.25)
    summary = app.pipeline.push(app.store_id())
    assert summary.error == "" and summary.pending == 0
    _assert_all_delivered_once(app, server)


def test_new_service_settings_retry_what_waited_at_once(
    app: App, proxy: FaultProxy, server: Server
) -> None:
    proxy.set(Fault.SERVER_ERROR)
    proxy.next(Fault.PASS)
    app.sync()
    assert all(i.next_attempt_at is not None for i in app.pending() if i.attempts)
    proxy.set(Fault.PASS)
    app.pipeline.configure(proxy.url, app.shop_id, app.secret[0])
    summary = app.pipeline.push(app.store_id())  # no clock moved: they were made due
    assert summary.error == "" and summary.pending == 0
    _assert_all_delivered_once(app, server)
