"""Scoring: result shape and order, storage (upsert), history as of the order's time,
network evidence, and outcomes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shopguard.scoring.model import MODEL_VERSION
from shopguard.server.models import Order, OrderIdentifier
from shopguard.server.settings import ServerSettings
from tests.server.conftest import PEPPER
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


def test_one_result_per_order_in_the_order_sent(a: SignedClient) -> None:
    orders = [order(30, "c"), order(10, "a"), order(20, "b", cod=False), order(10, "a")]
    results = a.score(*orders)
    assert [r["order_id"] for r in results] == ["30", "10", "20", "10"]
    for result in results:
        assert set(result) == {"order_id", "score", "band", "p_fail", "reasons", "model"}
        assert result["model"] == MODEL_VERSION
        assert result["band"] in {"low", "medium", "high"}
        assert 0 <= result["score"] <= 100 and 0.0 <= result["p_fail"] <= 1.0
        for reason in result["reasons"]:
            assert set(reason) == {"code", "text", "weight"}
    assert a.score() == []


def test_orders_are_stored_and_resending_updates_in_place(
    a: SignedClient, shop_a: ShopKey, sessions: sessionmaker[Session]
) -> None:
    a.score(order(1, "anna", total="10.00"))
    a.score(order(1, "anna", total="12.50", ids={"email": identifiers("anna")["email"]}))
    assert count_orders(sessions, shop_a.id) == 1
    with sessions() as session:
        stored = session.scalars(select(Order)).one()
        assert stored.total_cents == 1250
        kinds = session.scalars(select(OrderIdentifier.kind)).all()
        digests = session.scalars(select(OrderIdentifier.digest)).all()
    assert kinds == ["email"]
    # Stored peppered: never the client's digest itself.
    assert digests == [PEPPER.stored(identifiers("anna")["email"])]
    assert identifiers("anna")["email"] not in digests


def test_no_identifiers_scores_unknown_honestly(a: SignedClient) -> None:
    [result] = a.score(order(1, None))
    assert result["band"] == "unknown"
    assert result["score"] is None and result["p_fail"] is None
    assert result["reasons"][0]["code"] == "no_identifiers"
    [name_only] = a.score(order(2, ids={"name": identifiers("x")["name"]}))
    assert name_only["band"] == "unknown"
    assert "name" in name_only["reasons"][0]["text"]


def test_own_refusals_raise_the_next_orders_score(a: SignedClient) -> None:
    [first] = a.score(order(1, at=BASE))
    a.outcomes(outcome(1, "refused", BASE + days(3)))
    [second] = a.score(order(2, at=BASE + days(10)))
    assert second["p_fail"] > first["p_fail"]
    own = next(r for r in second["reasons"] if r["code"] == "own_history")
    assert own["text"] == "At this shop, 1 of 1 earlier parcel to this customer was refused."
    a.outcomes(outcome(2, "refused", BASE + days(12)))
    [third] = a.score(order(3, at=BASE + days(20)))
    assert third["p_fail"] > second["p_fail"]


def test_history_is_taken_as_of_the_orders_own_time(a: SignedClient) -> None:
    a.score(order(1, at=BASE))
    a.outcomes(outcome(1, "refused", BASE + days(5)))
    # Placed before the refusal was reported (a back-filled history): it cannot know of it.
    [before] = a.score(order(2, at=BASE + days(2)))
    [after] = a.score(order(3, at=BASE + days(6)))
    assert not any(r["code"] == "own_history" for r in before["reasons"])
    assert any(r["code"] == "own_history" for r in after["reasons"])
    # And re-sending the earlier order later gives the same answer.
    [again] = a.score(order(2, at=BASE + days(2)))
    assert again == before


def test_other_shops_reports_count_with_counts_and_recency(
    a: SignedClient, b: SignedClient
) -> None:
    b.score(order(1, "anna", at=BASE), order(2, "anna", at=BASE + days(1)))
    b.outcomes(outcome(1, "refused", BASE + days(2)), outcome(2, "delivered", BASE + days(3)))
    [result] = a.score(order(100, "anna", at=BASE + days(14)))
    network = next(r for r in result["reasons"] if r["code"] == "network_history")
    assert network["text"].startswith("At 1 other shop, 1 of 2 earlier parcels to this customer")
    assert "were refused" not in network["text"] and "was refused" in network["text"]
    assert "the latest 12 days before this order" in network["text"]
    assert network["weight"] > 0
    # Counts only: nothing names the other shop or its orders.
    for reason in result["reasons"]:
        assert b.shop.id not in reason["text"] and "Shop B" not in reason["text"]


def test_a_shared_phone_under_many_emails_is_a_reason(a: SignedClient, b: SignedClient) -> None:
    phone = identifiers("ring")["phone"]
    for i, shop in enumerate((a, b, b, a)):
        ids = {"email": identifiers(f"alias{i}")["email"], "phone": phone}
        shop.score(order(i + 1, ids=ids, at=BASE + timedelta(hours=i)))
    [result] = a.score(
        order(9, ids={"email": identifiers("alias9")["email"], "phone": phone}, at=BASE + days(2))
    )
    linked = next(r for r in result["reasons"] if r["code"] == "linked_identities")
    assert linked["text"] == "This phone number has been used with 5 different email addresses."


def test_a_burst_of_orders_across_shops_is_a_reason(a: SignedClient, b: SignedClient) -> None:
    b.score(order(1, at=BASE), order(2, at=BASE + timedelta(hours=2)))
    a.score(order(3, at=BASE + timedelta(hours=3)))
    [result] = a.score(order(4, at=BASE + timedelta(hours=5)))
    burst = [r for r in result["reasons"] if r["code"].startswith("recent_orders")]
    assert len(burst) == 1
    assert "3 other orders from this customer in the 24 hours" in burst[0]["text"]
    assert "2 of them at 1 other shop" in burst[0]["text"]


def test_outcomes_apply_to_known_orders_and_list_unknown_ones(
    a: SignedClient, sessions: sessionmaker[Session]
) -> None:
    a.score(order(1), order(2, "bob"))
    answer = a.outcomes(
        outcome(1, "delivered", BASE + days(1)),
        outcome(404, "refused", BASE + days(1)),
        outcome(2, "returned", BASE + days(2)),
        outcome(404, "failed", BASE + days(2)),
    )
    assert answer == {"accepted": 2, "unknown_orders": ["404"]}
    # An older report does not override a newer one.
    a.outcomes(outcome(1, "refused", BASE + days(0.5)))
    with sessions() as session:
        rows = {o.order_id: o.outcome for o in session.scalars(select(Order))}
    assert rows == {"1": "delivered", "2": "returned"}


def test_a_withdrawn_outcome_no_longer_counts_and_an_older_report_cannot_revive_it(
    a: SignedClient, sessions: sessionmaker[Session]
) -> None:
    a.score(order(1, at=BASE), order(2, at=BASE + days(1)))
    a.outcomes(outcome(1, "refused", BASE + days(3)))
    assert a.outcomes(outcome(1, "withdrawn", BASE + days(4))) == {
        "accepted": 1,
        "unknown_orders": [],
    }
    a.outcomes(outcome(1, "refused", BASE + days(3.5)))  # a late copy of the old report
    [later] = a.score(order(3, at=BASE + days(10)))
    assert not [r for r in later["reasons"] if r["code"] == "own_history"]
    with sessions() as session:
        assert session.scalars(select(Order.outcome).where(Order.order_id == "1")).one() is None
    a.outcomes(outcome(1, "delivered", BASE + days(5)))  # a newer report counts again
    with sessions() as session:
        assert session.scalars(select(Order.outcome).where(Order.order_id == "1")).one() == (
            "delivered"
        )


def test_city_that_looks_personal_is_not_kept(
    a: SignedClient, sessions: sessionmaker[Session]
) -> None:
    a.score(order(1, city="anna@example.com"), order(2, city="Call 6912345678"))
    with sessions() as session:
        assert set(session.scalars(select(Order.ship_city))) == {None}


def test_shop_cut_offs_apply(
    a: SignedClient, shop_a: ShopKey, sessions: sessionmaker[Session], settings: ServerSettings
) -> None:
    from shopguard.server.models import Shop

    with sessions.begin() as session:
        shop = session.get(Shop, shop_a.id)
        assert shop is not None
        shop.medium_cutoff, shop.high_cutoff = 5, 10
    [result] = a.score(order(1))
    assert result["score"] >= 10 and result["band"] == "high"
