"""Data-subject requests: access, erase, object; and tenant isolation through every endpoint."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shopguard.server.models import Order
from tests.server.helpers import (
    BASE,
    ShopKey,
    SignedClient,
    count_orders,
    days,
    identifiers,
    order,
    outcome,
)

ANNA = {"identifiers": {"email": identifiers("anna")["email"]}}


def test_access_returns_own_records_and_only_counts_of_others(
    a: SignedClient, b: SignedClient
) -> None:
    a.score(order(1, at=BASE), order(2, "bob", at=BASE))
    a.outcomes(outcome(1, "delivered", BASE + days(2)))
    b.score(order(50, at=BASE), order(51, at=BASE + days(1)))
    answer = a.post("/v1/subjects/access", ANNA).json()
    assert [o["order_id"] for o in answer["orders"]] == ["1"]
    record = answer["orders"][0]
    assert record["total"] == "59.90" and record["outcome"] == "delivered"
    assert record["matched"] == ["email"]
    assert answer["other_shops"] == {"shops": 1, "orders": 2}
    assert answer["objected"] is False
    text = str(answer)
    assert "50" not in text and b.shop.id not in text


def test_erase_removes_every_linked_record_in_every_shop(
    a: SignedClient, b: SignedClient, sessions: sessionmaker[Session]
) -> None:
    a.score(order(1), order(2, "bob"))
    b.score(order(9))
    answer = a.post("/v1/subjects/erase", ANNA).json()
    assert answer == {"erased_orders": 2, "erased_identifiers": 8}
    with sessions() as session:
        assert [o.order_id for o in session.scalars(select(Order))] == ["2"]
    assert a.post("/v1/subjects/access", ANNA).json()["other_shops"] == {"shops": 0, "orders": 0}


def test_objected_identifiers_stop_storing_and_scoring(
    a: SignedClient, b: SignedClient, sessions: sessionmaker[Session], shop_b: ShopKey
) -> None:
    b.score(order(5))
    assert a.post("/v1/subjects/object", ANNA).json() == {"objected": 1}
    [result] = b.score(order(6))
    assert result["band"] == "unknown" and result["score"] is None
    assert result["reasons"][0]["code"] == "objected"
    # Not stored; and the earlier copy of a re-sent order goes too.
    [resent] = b.score(order(5))
    assert resent["band"] == "unknown"
    assert count_orders(sessions, shop_b.id) == 0
    assert a.post("/v1/subjects/access", ANNA).json()["objected"] is True
    # Other people are scored as before.
    assert b.score(order(7, "bob"))[0]["band"] != "unknown"


def test_subject_requests_need_an_identifier(a: SignedClient) -> None:
    response = a.post("/v1/subjects/access", {"identifiers": {}})
    assert response.status_code == 422
    assert "identifiers" in response.json()["error"]["message"]


def test_shop_b_cannot_read_or_change_shop_a_orders(
    a: SignedClient, b: SignedClient, sessions: sessionmaker[Session], shop_a: ShopKey
) -> None:
    a.score(order(1, total="10.00"))
    # Score: the same order id from B is B's own order; A's is untouched.
    [mine] = b.score(order(1, "bob", total="99.00"))
    assert mine["order_id"] == "1"
    # Outcomes: B cannot set the outcome of A's order.
    assert b.outcomes(outcome(1, "refused", BASE + days(1)))["accepted"] == 1  # B's own
    assert b.outcomes(outcome(404, "refused", BASE + days(1)))["unknown_orders"] == ["404"]
    with sessions() as session:
        row = session.scalars(
            select(Order).where(Order.shop_id == shop_a.id, Order.order_id == "1")
        ).one()
        assert (row.total_cents, row.outcome) == (1000, None)
    # Access: B sees counts of A's records, never the records.
    answer = b.post("/v1/subjects/access", ANNA).json()
    assert answer["orders"] == []
    assert answer["other_shops"] == {"shops": 1, "orders": 1}
    # Score reasons carry counts only, even when A's history is what they count.
    a.outcomes(outcome(1, "refused", BASE + days(1)))
    [scored] = b.score(order(2, at=BASE + days(5)))
    assert all(shop_a.id not in r["text"] and "10.00" not in r["text"] for r in scored["reasons"])
    # Config: the same network salt for everyone, nothing per shop.
    assert a.get("/v1/config").json() == b.get("/v1/config").json()
