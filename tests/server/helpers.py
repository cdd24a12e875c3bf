"""Test helpers for the scoring service: a signing client, payload builders, DB peeks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shopguard.scoring.signing import signed_headers
from shopguard.server.models import Order
from shopguard.server.services import operators

BASE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class ShopKey:
    """A shop's id and secret, as ``create-shop`` hands them out."""

    id: str
    secret: str


def make_shop(sessions: sessionmaker[Session], name: str = "Shop") -> ShopKey:
    """A new shop in the service's database."""
    with sessions.begin() as session:
        shop_id, secret = operators.create_shop(session, name, datetime.now(UTC))
    return ShopKey(shop_id, secret)


def fake_digest(kind: str, value: str) -> str:
    """A stand-in v1 digest (64 hex), stable per value."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def identifiers(person: str, **extra: str) -> dict[str, str]:
    """Email, phone, name and address digests of a made-up person (override any)."""
    out = {
        kind: fake_digest(kind, f"{person}-{kind}")
        for kind in ("email", "phone", "name", "address")
    }
    out.update({k: fake_digest(k, v) for k, v in extra.items()})
    return out


def order(
    order_id: str | int,
    person: str | None = "anna",
    *,
    at: datetime = BASE,
    cod: bool = True,
    total: str = "59.90",
    city: str | None = "Athens",
    ids: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One order payload (hash scheme v1)."""
    payload: dict[str, Any] = {
        "order_id": str(order_id),
        "created_at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "total": total,
        "currency": "EUR",
        "payment_method": "cod" if cod else "stripe",
        "shipping_method": "flat_rate",
        "status": "processing",
        "ship_country": "GR",
        "identifiers": ids if ids is not None else (identifiers(person) if person else {}),
        "hash_scheme": "v1",
    }
    if city:
        payload["ship_city"] = city
    return payload


def outcome(order_id: str | int, what: str, at: datetime) -> dict[str, str]:
    """One outcome payload."""
    return {
        "order_id": str(order_id),
        "outcome": what,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


class SignedClient:
    """Signs requests for a shop like the desktop app does (shopguard.scoring.signing)."""

    def __init__(self, client: TestClient, shop: ShopKey) -> None:
        self.client = client
        self.shop = shop

    def request(
        self,
        method: str,
        target: str,
        body: bytes = b"",
        *,
        headers: dict[str, str] | None = None,
        now: float | None = None,
    ) -> Any:
        """Send ``body`` to ``target`` (path and query as sent), signed."""
        signed = signed_headers(self.shop.id, self.shop.secret, method, target, body, now=now)
        if body:
            signed["Content-Type"] = "application/json"
        signed.update(headers or {})
        return self.client.request(method, target, content=body, headers=signed)

    def get(self, target: str) -> Any:
        """A signed GET."""
        return self.request("GET", target)

    def post(self, target: str, data: Any, *, key: str | None = None) -> Any:
        """A signed POST of JSON (an Idempotency-Key if given)."""
        headers = {"Idempotency-Key": key} if key else None
        return self.request("POST", target, json.dumps(data).encode(), headers=headers)

    def score(self, *orders: dict[str, Any], key: str | None = None) -> list[dict[str, Any]]:
        """Score orders; the results (asserting success)."""
        response = self.post("/v1/orders/score", {"orders": list(orders)}, key=key)
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    def outcomes(self, *items: dict[str, str]) -> dict[str, Any]:
        """Post outcomes; the answer (asserting success)."""
        response = self.post("/v1/outcomes", {"outcomes": list(items)})
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


def count_orders(sessions: sessionmaker[Session], shop_id: str | None = None) -> int:
    """Stored orders (of one shop, or all)."""
    with sessions() as session:
        query = select(func.count()).select_from(Order)
        if shop_id:
            query = query.where(Order.shop_id == shop_id)
        return int(session.scalar(query) or 0)


def days(n: float) -> timedelta:
    """A shorthand."""
    return timedelta(days=n)
