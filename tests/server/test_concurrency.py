"""Concurrent requests and the running service's own daily purge."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shopguard.server.main import create_app
from shopguard.server.models import PurgeEntry
from shopguard.server.settings import ServerSettings
from tests.server.helpers import ShopKey, SignedClient, count_orders, make_shop, order


def test_concurrent_batches_with_the_same_new_orders_store_each_once(
    client: TestClient, shop_a: ShopKey, sessions: sessionmaker[Session]
) -> None:
    batches = [[order(i, f"p{i}") for i in range(start, start + 20)] for start in (0, 10, 5, 0)]

    def send(batch: list[dict[str, Any]]) -> int:
        response = SignedClient(client, shop_a).post("/v1/orders/score", {"orders": batch})
        return int(response.status_code)

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, batches * 2))
    assert statuses == [200] * 8
    assert count_orders(sessions, shop_a.id) == 30


def test_the_running_service_purges_on_its_own(settings: ServerSettings) -> None:
    values = {**settings.__dict__, "maintenance_seconds": 0.05}
    app = create_app(ServerSettings(**values))
    make_shop(app.state.sessions)
    with TestClient(app):
        deadline = time.monotonic() + 10
        while True:
            with app.state.sessions() as session:
                entries = session.scalars(select(PurgeEntry)).all()
            if entries or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert entries and entries[0].trigger == "scheduled"
