"""Rate limit, body size, schema errors, idempotency keys, and no 500 for any input."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
import requests
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shopguard.scoring.signing import signed_headers
from shopguard.server.deps import get_clock
from shopguard.server.main import create_app
from shopguard.server.models import RateWindow
from shopguard.server.ratelimit import WINDOW_SECONDS
from shopguard.server.settings import ServerSettings
from tests.helpers.scoring_server import serving
from tests.server.helpers import (
    BASE,
    ShopKey,
    SignedClient,
    count_orders,
    identifiers,
    make_shop,
    order,
)


def _limited_app(settings: ServerSettings, **changes: Any) -> FastAPI:
    values = {**settings.__dict__, **changes}
    return create_app(ServerSettings(**values))


def _window_start() -> datetime:
    """The start of the current rate-limit window (a whole minute, Unix time)."""
    now = int(time.time())
    return datetime.fromtimestamp(now - now % WINDOW_SECONDS, UTC)


def _pin_clock(app: FastAPI, moment: datetime) -> None:
    app.dependency_overrides[get_clock] = lambda: lambda: moment


def test_rate_limit_answers_429_with_retry_after(settings: ServerSettings) -> None:
    app = _limited_app(settings, rate_per_minute=3)
    shop = make_shop(app.state.sessions)
    other = make_shop(app.state.sessions)
    start = _window_start()
    _pin_clock(app, start + timedelta(seconds=5))
    with TestClient(app) as client:
        signed = SignedClient(client, shop)
        assert [signed.get("/v1/config").status_code for _ in range(3)] == [200] * 3
        limited = signed.get("/v1/config")
        assert limited.status_code == 429
        assert limited.json() == {
            "error": {"code": "rate_limited", "message": ANY},
        }
        assert limited.headers["Retry-After"] == "55"  # to the next window
        assert "55 s" in limited.json()["error"]["message"]
        # Refused requests are not counted, and the limit is per shop.
        assert signed.get("/v1/config").status_code == 429
        assert SignedClient(client, other).get("/v1/config").status_code == 200
        _pin_clock(app, start + timedelta(seconds=59, milliseconds=500))
        assert signed.get("/v1/config").headers["Retry-After"] == "1"
        # The next window starts afresh.
        _pin_clock(app, start + timedelta(seconds=60))
        assert [signed.get("/v1/config").status_code for _ in range(4)] == [200] * 3 + [429]
        # Counters of windows before the previous one are pruned.
        _pin_clock(app, start + timedelta(seconds=120))
        assert signed.get("/v1/config").status_code == 200
        with app.state.sessions() as session:
            rows = session.execute(select(RateWindow.window_start, RateWindow.count)).all()
    first = int(start.timestamp())
    assert sorted((row.window_start - first, row.count) for row in rows) == [(60, 3), (120, 1)]


def test_two_servers_on_one_database_share_the_limit(settings: ServerSettings) -> None:
    """Two app instances (separate engines and pools, like two workers) count together."""
    first = _limited_app(settings, rate_per_minute=10)
    second = _limited_app(settings, rate_per_minute=10)
    shop = make_shop(first.state.sessions)
    start = _window_start()
    for app in (first, second):
        _pin_clock(app, start + timedelta(seconds=1))
    try:
        with TestClient(first) as one, TestClient(second) as two:
            clients = [SignedClient(one, shop), SignedClient(two, shop)] * 10

            def send(client: SignedClient) -> int:
                return int(client.get("/v1/config").status_code)

            with ThreadPoolExecutor(max_workers=4) as pool:
                statuses = list(pool.map(send, clients))
            assert sorted(statuses) == [200] * 10 + [429] * 10
            assert send(SignedClient(one, shop)) == send(SignedClient(two, shop)) == 429
    finally:
        first.state.engine.dispose()
        second.state.engine.dispose()


def test_serve_workers_share_the_limit(
    settings: ServerSettings, shop_a: ShopKey, tmp_path: Path
) -> None:
    """``serve --workers 2``: real processes, each with its own engine, share one limit."""
    shop = shop_a
    where = ["--database-url", settings.database_url, "--data-dir", str(tmp_path)]
    environment = {
        "SHOPGUARD_PEPPER": settings.pepper.value.hex(),
        "SHOPGUARD_RATE_PER_MINUTE": "5",
    }
    with serving([*where, "--workers", "2"], dev=False, environment=environment) as url:
        if time.time() % WINDOW_SECONDS > WINDOW_SECONDS - 10:  # not across a window's end
            time.sleep(WINDOW_SECONDS - time.time() % WINDOW_SECONDS + 0.1)
        statuses = []
        for _ in range(12):  # a new connection each: the kernel spreads them over the workers
            headers = signed_headers(shop.id, shop.secret, "GET", "/v1/config", b"")
            answer = requests.get(url + "/v1/config", headers=headers, timeout=10)
            statuses.append(answer.status_code)
    assert statuses == [200] * 5 + [429] * 7
    assert 1 <= int(answer.headers["Retry-After"]) <= WINDOW_SECONDS


def test_bodies_over_one_mebibyte_are_refused(a: SignedClient, client: TestClient) -> None:
    big = b'{"orders": [' + b" " * (1 << 20) + b"]}"
    assert a.request("POST", "/v1/orders/score", big).status_code == 413

    # No Content-Length, streamed in chunks: counted as it arrives.
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * 65536

    response = client.post("/v1/orders/score", content=chunks())
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    # Unsigned and oversized: still 413 first (nothing is read past the limit).
    assert client.post("/v1/outcomes", content=big).status_code == 413


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"total": "-1.00"}, "orders.0.total"),
        ({"total": "12.345"}, "orders.0.total"),
        ({"created_at": "2026-03-01T09:30:05"}, "orders.0.created_at"),
        ({"created_at": "2999-01-01T00:00:00Z"}, "orders.0.created_at"),
        ({"currency": "euro"}, "orders.0.currency"),
        ({"payment_method": "Cash On Delivery"}, "orders.0.payment_method"),
        ({"identifiers": {"email": "NOT-A-DIGEST"}}, "orders.0.identifiers.email"),
        ({"identifiers": {"ip": "0" * 64}}, "orders.0.identifiers.ip"),
        ({"hash_scheme": "v2"}, "orders.0.hash_scheme"),
        ({"billing_email": "a@b.example"}, "orders.0.billing_email"),
        ({"order_id": ""}, "orders.0.order_id"),
    ],
)
def test_invalid_orders_get_422_naming_the_field(
    a: SignedClient, change: dict[str, Any], field: str
) -> None:
    response = a.post("/v1/orders/score", {"orders": [{**order(1), **change}]})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert field in error["message"]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"created_at": "9999-12-31T23:59:59-23:59"}, 422),  # once a 500: no UTC for it
        ({"created_at": "0001-01-01T00:00:00+23:59"}, 422),
        ({"created_at": "2026-03-01T09:00:00+14:00"}, 200),
        ({"total": 1e308}, 422),
        ({"total": "NaN"}, 422),
        ({"ship_city": "ß" * 60}, 200),  # folds to 120 characters for matching
        ({"ship_city": "line\nbreak"}, 422),
    ],
)
def test_edge_values_are_answered_never_failed(
    a: SignedClient, change: dict[str, Any], status: int
) -> None:
    response = a.post("/v1/orders/score", {"orders": [{**order(1), **change}]})
    assert response.status_code == status, response.text


def test_batches_over_max_batch_are_refused(a: SignedClient) -> None:
    response = a.post("/v1/orders/score", {"orders": [order(i) for i in range(101)]})
    assert response.status_code == 422
    assert "orders" in response.json()["error"]["message"]
    assert "100" in response.json()["error"]["message"]
    assert a.post("/v1/orders/score", {"orders": [order(i) for i in range(100)]}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [b"", b"null", b"[]", b'{"orders": {}}', b"{bad json", b'{"orders": [1, 2]}', b"\xff\xfe"],
)
def test_bodies_that_are_not_the_schema_get_422(a: SignedClient, body: bytes) -> None:
    response = a.request("POST", "/v1/orders/score", body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"


def test_an_idempotency_key_replays_the_stored_answer_without_reapplying(
    a: SignedClient, sessions: sessionmaker[Session], shop_a: ShopKey
) -> None:
    batch = {"orders": [order(1), order(2, "bob")]}
    first = a.post("/v1/orders/score", batch, key="k1")
    assert first.status_code == 200
    erased = a.post("/v1/subjects/erase", {"identifiers": {"email": identifiers("anna")["email"]}})
    assert erased.json()["erased_orders"] == 1
    again = a.post("/v1/orders/score", batch, key="k1")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert count_orders(sessions, shop_a.id) == 1  # not stored again: the answer was replayed
    # Without the key the batch is applied again.
    assert a.post("/v1/orders/score", batch).status_code == 200
    assert count_orders(sessions, shop_a.id) == 2


def test_an_idempotency_key_is_kept_for_24_hours(
    app: FastAPI, a: SignedClient, sessions: sessionmaker[Session], shop_a: ShopKey
) -> None:
    batch = {"orders": [order(1)]}
    assert a.post("/v1/orders/score", batch, key="day").status_code == 200
    erase = {"identifiers": {"email": identifiers("anna")["email"]}}
    assert a.post("/v1/subjects/erase", erase).json()["erased_orders"] == 1
    later = datetime.now(UTC) + timedelta(hours=25)
    app.dependency_overrides[get_clock] = lambda: lambda: later
    try:
        body = json.dumps(batch).encode()
        headers = {"Idempotency-Key": "day"}
        response = a.request(
            "POST", "/v1/orders/score", body, headers=headers, now=later.timestamp()
        )
        assert response.status_code == 200
    finally:
        app.dependency_overrides.clear()
    assert count_orders(sessions, shop_a.id) == 1  # applied again: the key had expired


def test_idempotency_keys_are_per_shop_and_refuse_other_content(
    a: SignedClient, b: SignedClient
) -> None:
    assert a.post("/v1/orders/score", {"orders": [order(1)]}, key="same").status_code == 200
    other = b.post("/v1/orders/score", {"orders": [order(7, "zoe")]}, key="same")
    assert other.status_code == 200
    assert other.json()["results"][0]["order_id"] == "7"
    conflict = a.post("/v1/orders/score", {"orders": [order(2)]}, key="same")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_key_reused"
    outcomes = {
        "outcomes": [{"order_id": "1", "outcome": "delivered", "at": "2026-03-02T00:00:00Z"}]
    }
    assert a.post("/v1/outcomes", outcomes, key="o1").json() == {
        "accepted": 1,
        "unknown_orders": [],
    }
    assert a.post("/v1/outcomes", outcomes, key="o1").json() == {
        "accepted": 1,
        "unknown_orders": [],
    }
    bad_key = a.request(
        "POST",
        "/v1/outcomes",
        json.dumps(outcomes).encode(),
        headers={"Idempotency-Key": "x" * 300},
    )
    assert bad_key.status_code == 422


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
_order_field = st.sampled_from(sorted(order(1)))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    endpoint=st.sampled_from(
        [
            "/v1/orders/score",
            "/v1/outcomes",
            "/v1/subjects/access",
            "/v1/subjects/erase",
            "/v1/subjects/object",
        ]
    ),
    body=st.one_of(
        _json.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=64),
        st.tuples(_order_field, _json).map(
            lambda fv: json.dumps({"orders": [{**order(3), fv[0]: fv[1]}]}).encode()
        ),
        st.tuples(st.sampled_from(["order_id", "outcome", "at"]), _json).map(
            lambda fv: json.dumps(
                {
                    "outcomes": [
                        {
                            "order_id": "3",
                            "outcome": "refused",
                            "at": BASE.isoformat(),
                            fv[0]: fv[1],
                        }
                    ]
                }
            ).encode()
        ),
    ),
)
def test_no_input_makes_the_service_fail(
    settings_for_fuzz: tuple[TestClient, ShopKey], endpoint: str, body: bytes
) -> None:
    client, shop = settings_for_fuzz
    response = SignedClient(client, shop).request("POST", endpoint, body)
    assert response.status_code in (200, 409, 422), (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")


@pytest.fixture
def settings_for_fuzz(app: FastAPI) -> Iterator[tuple[TestClient, ShopKey]]:
    shop = make_shop(app.state.sessions)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, shop
