"""``--demo``'s composition without a window: the real scoring service in this process, a
simulated network of other shops, and the demo store synced and scored by that network.

Everything is real: the demo store on loopback, the service (uvicorn, SQLite), the signed
API, the app's sync, outbox and push. A pass-through proxy in front of the service records
every byte that reaches it, so the tests can prove only digests and order facts did.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shopguard.demo import network
from shopguard.demo.server import DemoStore
from shopguard.demo_service import (
    DemoScoringService,
    DemoServiceUnavailable,
    start_demo_scoring,
)
from shopguard.paths import AppPaths, resolve_paths
from shopguard.privacy.hashing import Salt
from shopguard.privacy.payload import identifiers
from shopguard.scoring.settings import ENV_SECRET, load_settings
from shopguard.services import (
    ClientOptions,
    OrderQueryService,
    StoreService,
    default_client_factory,
)
from shopguard.store.db import open_database
from shopguard.woo.credentials import Credentials
from tests.helpers.fault_proxy import FaultProxy
from tests.helpers.memory_keyring import MemoryKeyring
from tests.helpers.pii import leaks

ORDERS = 600
SEED = 3


class ProxiedService(DemoScoringService):
    """The demo service, reached through a recording proxy (as the app and network see it)."""

    proxy: FaultProxy

    def start(self) -> None:
        super().start()
        self.proxy = FaultProxy(self.url).__enter__()
        self.url = self.proxy.url

    def stop(self) -> None:
        super().stop()
        if hasattr(self, "proxy"):
            self.proxy.__exit__(None, None, None)


@pytest.fixture
def profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[AppPaths, sessionmaker[Session]]]:
    monkeypatch.delenv(ENV_SECRET, raising=False)
    paths = resolve_paths(tmp_path / "demo-profile")
    engine, sessions = open_database(paths)
    yield paths, sessions
    engine.dispose()


def test_demo_orders_get_network_scores_with_cross_shop_reasons(
    tmp_path: Path,
    profile: tuple[AppPaths, sessionmaker[Session]],
    memory_keyring: MemoryKeyring,
) -> None:
    paths, sessions = profile
    service = ProxiedService(tmp_path / "service")
    with DemoStore(orders=ORDERS, seed=SEED) as store:
        try:
            scoring = start_demo_scoring(
                service, sessions, paths, store_orders=ORDERS, store_seed=SEED
            )
            assert scoring.network.shops >= 2 and scoring.network.failed_outcomes > 0
            assert load_settings(paths.config) is not None  # the temporary profile only
            stores = StoreService(
                sessions, default_client_factory(ClientOptions()), sharing=scoring.pipeline
            )
            summary = stores.sync(store.url, credentials=Credentials(*store.credentials))
        finally:
            service.stop()
    assert summary.sharing.startswith(f"Scoring service: {ORDERS} orders")
    # The secret went from the composition root to the pipeline in memory: no keyring.
    assert memory_keyring.passwords == {}

    queries = OrderQueryService(sessions)
    [demo] = queries.stores()
    orders = queries.page(demo.id, limit=None)
    scores = queries.scores(demo.id, [o.woo_id for o in orders])
    assert len(scores) == ORDERS
    assert {s.scored_by for s in scores.values()} == {"network"}
    cross_shop = [
        s
        for s in scores.values()
        if any(r["code"] == "network_history" and "other shop" in r["text"] for r in s.reasons)
    ]
    refused = [s for s in cross_shop if any("refused" in r["text"] for r in s.reasons)]
    assert len(cross_shop) > ORDERS // 10, len(cross_shop)
    assert refused, "no demo order shows refusals at other shops"
    assert any(s.band in ("medium", "high") for s in refused)
    assert queries.sent_payloads(demo.id, [o.woo_id for o in orders])  # what left, per order

    # Only digests and the listed order facts reached the service: none of the demo
    # store's or the network's raw customer data, in any form.
    sent = service.proxy.all_bytes()
    network_records = [
        o.record
        for shop in network.simulate_network(
            *network.demo_customers(ORDERS, SEED, datetime.now(UTC)),
            now=datetime.now(UTC),
            seed=SEED,
        )
        for o in shop.orders
    ]
    assert leaks(sent, orders) == []
    assert leaks(sent, network_records[:400]) == []
    allowed = {
        "order_id", "created_at", "total", "currency", "payment_method", "shipping_method",
        "status", "ship_city", "ship_country", "identifiers", "hash_scheme",
    }  # fmt: skip
    for exchange in service.proxy.log:
        if exchange.path == "/v1/orders/score":
            for payload in json.loads(exchange.body)["orders"]:
                assert set(payload) <= allowed
                assert all(len(v) == 64 for v in payload["identifiers"].values())


def test_network_customers_hash_exactly_like_the_apps_own_orders(
    tmp_path: Path, profile: tuple[AppPaths, sessionmaker[Session]]
) -> None:
    """The network's orders for a demo customer carry the digests the app computes for
    that customer's orders in the demo store, so the service links them."""
    _paths, sessions = profile
    now = datetime.now(UTC)
    customers, demo_orders = network.demo_customers(ORDERS, SEED, now)
    shops = network.simulate_network(customers, demo_orders, now=now, seed=SEED)
    salt = Salt.from_hex("ab" * 32)
    with DemoStore(orders=ORDERS, seed=SEED) as store:
        StoreService(sessions, default_client_factory(ClientOptions())).sync(
            store.url, credentials=Credentials(*store.credentials)
        )
    queries = OrderQueryService(sessions)
    [demo] = queries.stores()
    app_phones = {identifiers(o, salt).get("phone") for o in queries.page(demo.id, limit=None)} - {
        None
    }
    app_emails = {identifiers(o, salt).get("email") for o in queries.page(demo.id, limit=None)}
    shared = [
        o
        for shop in shops
        for o in shop.orders
        if identifiers(o.record, salt, default_country=o.default_country).get("phone") in app_phones
    ]
    assert len(shared) > 50
    assert all(identifiers(o.record, salt).get("email") in app_emails for o in shared[:50])
    # Refusals and returns at two or more shops exist for some of those customers.
    failures: dict[str, set[str]] = {}
    for shop in shops:
        for o in shop.orders:
            if o.outcome in ("refused", "returned"):
                phone = identifiers(o.record, salt).get("phone", "")
                failures.setdefault(phone, set()).add(shop.name)
    assert any(len(names) >= 2 and phone in app_phones for phone, names in failures.items())
    # Seeded: the same demo always shows the same network.
    again = network.simulate_network(customers, demo_orders, now=now, seed=SEED)
    assert [len(s.orders) for s in again] == [len(s.orders) for s in shops]


def test_demo_without_the_server_extra_says_it_scores_on_this_computer(
    tmp_path: Path, profile: tuple[AppPaths, sessionmaker[Session]], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, sessions = profile
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if `pip install shopguard`
    service = DemoScoringService(tmp_path / "service")
    with pytest.raises(DemoServiceUnavailable) as raised:
        start_demo_scoring(service, sessions, paths, store_orders=ORDERS, store_seed=SEED)
    assert "on this computer only" in raised.value.message
    assert 'pip install "shopguard[server]"' in raised.value.message
    assert load_settings(paths.config) is None  # so the sync scores locally
    service.stop()
