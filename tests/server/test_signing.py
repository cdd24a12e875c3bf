"""Signed requests: the contract of shopguard.scoring.signing, and every rejection."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from shopguard.scoring.signing import sign, signed_headers
from shopguard.server.deps import get_clock
from shopguard.server.services import operators
from tests.server.helpers import ShopKey, SignedClient, order

BODY = json.dumps({"orders": [order(1)]}).encode()


def _headers(shop: ShopKey, method: str, target: str, body: bytes, **kw: float) -> dict[str, str]:
    headers = signed_headers(shop.id, shop.secret, method, target, body, **kw)
    headers["Content-Type"] = "application/json"
    return headers


def _error(response: object) -> str:
    assert response.status_code == 401, response.text  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert set(error) == {"code", "message"} and error["message"]
    return str(error["code"])


def test_a_signed_request_is_accepted(a: SignedClient) -> None:
    assert a.request("POST", "/v1/orders/score", BODY).status_code == 200


@pytest.mark.parametrize(
    "drop",
    ["X-ShopGuard-Shop", "X-ShopGuard-Timestamp", "X-ShopGuard-Nonce", "X-ShopGuard-Signature"],
)
def test_each_missing_header_is_refused(client: TestClient, shop_a: ShopKey, drop: str) -> None:
    headers = _headers(shop_a, "POST", "/v1/orders/score", BODY)
    del headers[drop]
    response = client.post("/v1/orders/score", content=BODY, headers=headers)
    assert _error(response) == "missing_signature"
    assert drop in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-ShopGuard-Shop", "shop a/../b"),
        ("X-ShopGuard-Timestamp", "12.5"),
        ("X-ShopGuard-Timestamp", "-1"),
        ("X-ShopGuard-Nonce", "abc"),  # too short: at least 16 random bytes
        ("X-ShopGuard-Nonce", "zz" * 16),
        ("X-ShopGuard-Signature", "0" * 63),
        ("X-ShopGuard-Signature", "not-hex" * 10),
    ],
)
def test_malformed_headers_are_refused(
    client: TestClient, shop_a: ShopKey, header: str, value: str
) -> None:
    headers = _headers(shop_a, "POST", "/v1/orders/score", BODY)
    headers[header] = value
    response = client.post("/v1/orders/score", content=BODY, headers=headers)
    assert _error(response) == "malformed_signature"


def test_unknown_shop_is_refused(client: TestClient) -> None:
    stranger = ShopKey("shop_doesnotexist", "whatever")
    response = client.get("/v1/config", headers=_headers(stranger, "GET", "/v1/config", b""))
    assert _error(response) == "unknown_shop"


def test_revoked_shop_is_refused(
    a: SignedClient, shop_a: ShopKey, sessions: sessionmaker[Session]
) -> None:
    assert a.get("/v1/config").status_code == 200
    with sessions.begin() as session:
        operators.revoke_shop(session, shop_a.id, datetime.now(UTC))
    assert _error(a.get("/v1/config")) == "revoked_shop"


def test_rotated_secret_replaces_the_old_one(
    client: TestClient, shop_a: ShopKey, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        new = operators.rotate_secret(session, shop_a.id, datetime.now(UTC))
    assert _error(SignedClient(client, shop_a).get("/v1/config")) == "bad_signature"
    assert SignedClient(client, ShopKey(shop_a.id, new)).get("/v1/config").status_code == 200


def test_wrong_secret_is_refused(client: TestClient, shop_a: ShopKey) -> None:
    wrong = ShopKey(shop_a.id, shop_a.secret + "x")
    assert _error(SignedClient(client, wrong).get("/v1/config")) == "bad_signature"


# Two seconds past the 300 s limit: timestamps are whole seconds, so one second past could
# round back inside the window.
@pytest.mark.parametrize("offset", [-302, 302, -10_000])
def test_stale_timestamps_are_refused(client: TestClient, shop_a: ShopKey, offset: int) -> None:
    headers = _headers(shop_a, "GET", "/v1/config", b"", now=time.time() + offset)
    assert _error(client.get("/v1/config", headers=headers)) == "stale_timestamp"


def test_a_timestamp_within_the_window_is_fine(client: TestClient, shop_a: ShopKey) -> None:
    headers = _headers(shop_a, "GET", "/v1/config", b"", now=time.time() - 250)
    assert client.get("/v1/config", headers=headers).status_code == 200


def test_a_reused_nonce_is_refused(client: TestClient, shop_a: ShopKey) -> None:
    headers = _headers(shop_a, "GET", "/v1/config", b"")
    assert client.get("/v1/config", headers=headers).status_code == 200
    assert _error(client.get("/v1/config", headers=headers)) == "replayed_nonce"


def test_the_same_nonce_from_another_shop_is_its_own(
    client: TestClient, shop_a: ShopKey, shop_b: ShopKey
) -> None:
    first = _headers(shop_a, "GET", "/v1/config", b"")
    second = _headers(shop_b, "GET", "/v1/config", b"")
    second["X-ShopGuard-Nonce"] = first["X-ShopGuard-Nonce"]
    second["X-ShopGuard-Signature"] = sign(
        shop_b.secret,
        second["X-ShopGuard-Timestamp"],
        second["X-ShopGuard-Nonce"],
        "GET",
        "/v1/config",
        b"",
    )
    assert client.get("/v1/config", headers=first).status_code == 200
    assert client.get("/v1/config", headers=second).status_code == 200


def test_a_tampered_body_is_refused(client: TestClient, shop_a: ShopKey) -> None:
    headers = _headers(shop_a, "POST", "/v1/orders/score", BODY)
    tampered = BODY.replace(b"59.90", b"59.91")
    response = client.post("/v1/orders/score", content=tampered, headers=headers)
    assert _error(response) == "bad_signature"


def test_a_tampered_method_is_refused(client: TestClient, shop_a: ShopKey) -> None:
    headers = _headers(shop_a, "POST", "/v1/config", b"")
    assert _error(client.get("/v1/config", headers=headers)) == "bad_signature"


def test_the_query_is_signed_exactly_as_sent(client: TestClient, shop_a: ShopKey) -> None:
    target = "/v1/config?x=a%20b&y=%2F"
    ok = client.get(target, headers=_headers(shop_a, "GET", target, b""))
    assert ok.status_code == 200
    # The same query decoded, re-encoded differently, or changed: not what was signed.
    for signed_as in ("/v1/config?x=a b&y=/", "/v1/config?x=a+b&y=%2F", "/v1/config"):
        response = client.get(target, headers=_headers(shop_a, "GET", signed_as, b""))
        assert _error(response) == "bad_signature", signed_as
    tampered = client.get(
        "/v1/config?x=a%20b&y=%2F&z=1", headers=_headers(shop_a, "GET", target, b"")
    )
    assert _error(tampered) == "bad_signature"


def test_unsigned_requests_are_refused_before_their_body_is_read(client: TestClient) -> None:
    response = client.post(
        "/v1/orders/score", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert _error(response) == "missing_signature"


def test_the_servers_clock_is_what_counts(
    app: FastAPI, client: TestClient, a: SignedClient
) -> None:
    app.dependency_overrides[get_clock] = lambda: lambda: datetime.now(UTC) + timedelta(minutes=10)
    try:
        assert _error(a.get("/v1/config")) == "stale_timestamp"
        ahead = a.request("GET", "/v1/config", now=time.time() + 600)
        assert ahead.status_code == 200
    finally:
        app.dependency_overrides.clear()
