"""The scoring path's shortcuts give the answers the plain way gives.

Lists bound as one JSON array on SQLite (``repos.one_of``), orders and identifiers written
by plain driver statements (``repos.orders``), identical identifier histories counted once
(``repos.history``), the answer serialized by pydantic (``routers.orders``), and the
serving process's garbage-collector tuning (``main.tune_garbage_collector``).
"""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from shopguard.scoring.model import SubjectHistory
from shopguard.server.main import GC_THRESHOLDS, tune_garbage_collector
from shopguard.server.models import Order, OrderIdentifier, UTCDateTime
from shopguard.server.repos import history as history_repo
from shopguard.server.repos import time_encoder
from shopguard.server.schemas import ScoreBatchPublic
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


def test_order_ids_that_look_alike_stay_apart(
    a: SignedClient, shop_a: ShopKey, sessions: sessionmaker[Session]
) -> None:
    ids = ["7", "07", "7.0", "7e0", "7:0", "0x7"]
    a.score(*(order(i, "anna", total="10.00") for i in ids))
    assert count_orders(sessions, shop_a.id) == len(ids)
    # Re-sent: each updates its own row, none is taken for another.
    a.score(*(order(i, "anna", total=f"{n + 20}.00") for n, i in enumerate(ids)))
    with sessions() as session:
        totals = dict(session.execute(select(Order.order_id, Order.total_cents)).all())
    assert totals == {i: (n + 20) * 100 for n, i in enumerate(ids)}


def test_new_orders_are_stored_as_the_models_store_them(
    a: SignedClient, shop_a: ShopKey, sessions: sessionmaker[Session]
) -> None:
    at = datetime(2026, 3, 1, 9, 30, 5, tzinfo=UTC)
    a.score(order("t1", "anna", at=at, city="  Nea   Smyrni "))
    with sessions() as session:
        stored = session.scalars(select(Order)).one()
        assert stored.created_at == at and stored.created_at.tzinfo is not None
        assert (stored.shop_id, stored.ship_city, stored.city_key) == (
            shop_a.id,
            "Nea   Smyrni",
            "nea smyrni",
        )
        assert stored.network_excluded is False and stored.outcome is None
        # The raw value is the one SQLAlchemy binds for the column, so the point-in-time
        # comparisons (as text on SQLite) see it where they see any other.
        dialect = session.get_bind().dialect
        raw = session.execute(text("SELECT created_at FROM orders")).scalar_one()
        bind = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
        naive = UTCDateTime().process_bind_param(at, dialect)
        assert raw == (bind(naive) if bind else naive) == time_encoder(dialect)(at)
        kinds = session.execute(select(OrderIdentifier.kind, OrderIdentifier.digest)).all()
        assert dict(kinds) == {k: PEPPER.stored(v) for k, v in identifiers("anna").items()}


def test_the_answer_is_the_documented_model_as_json(a: SignedClient) -> None:
    response = a.post("/v1/orders/score", {"orders": [order(1, "anna"), order(2, None)]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    parsed = ScoreBatchPublic.model_validate_json(response.content)
    assert parsed.model_dump(mode="json") == response.json()
    assert [r.band for r in parsed.results][1] == "unknown"
    assert all(isinstance(r.weight, float) for r in parsed.results[0].reasons)


def _probe(index: int, at: datetime, **digests: str) -> history_repo.Probe:
    return history_repo.Probe(index, at, {k: PEPPER.stored(v) for k, v in digests.items()})


def test_history_counts_each_order_once_whatever_it_shares(
    a: SignedClient,
    b: SignedClient,
    shop_a: ShopKey,
    sessions: sessionmaker[Session],
) -> None:
    anna = identifiers("anna")
    # 1 (shop A) and 2 (shop B) carry anna's email and phone; 3 (shop B) only her phone;
    # 4 (shop B) carries one digest as both its email and its address.
    a.score(order(1, "anna", at=BASE))
    b.score(order(2, "anna", at=BASE + days(1)))
    b.score(order(3, ids={"phone": anna["phone"]}, at=BASE + days(2)))
    b.score(order(4, ids={"email": anna["address"], "address": anna["address"]}, at=BASE))
    a.outcomes(outcome(1, "refused", BASE + days(3)))
    b.outcomes(outcome(2, "delivered", BASE + days(4)), outcome(3, "returned", BASE + days(5)))
    at = BASE + days(10)
    with sessions() as session:
        [(both, activity), (alone, _), (twice, _), (nobody, _)] = history_repo.gather(
            session,
            shop_a.id,
            [
                _probe(0, at, email=anna["email"], phone=anna["phone"]),
                _probe(1, at, email=anna["email"]),
                _probe(2, at, address=anna["address"]),
                _probe(3, at, email=identifiers("nobody")["email"]),
            ],
        )
    # Union of email (1, 2) and phone (1, 2, 3): each order once.
    assert (both.own.orders, both.own.refused) == (1, 1)
    assert (both.network.orders, both.network.delivered, both.network.returned) == (2, 1, 1)
    assert (both.network.shops, both.network.failing_shops) == (1, 1)
    email, phone = both.by_kind["email"], both.by_kind["phone"]
    assert (email.network.orders, phone.network.orders) == (1, 2)
    assert activity.emails_per_phone == 1 and activity.phones_per_email == 1
    # Alone, the email sees what it saw beside the phone: the very same tallies.
    assert alone.own == email.own and alone.network == email.network
    assert alone.by_kind["email"].own is alone.own  # identical sets are counted once
    # Order 4 carries the address digest twice: the kind counts both matches (as the
    # statistics always have), the customer's union counts the order once. Orders 1-3
    # carry anna's address too.
    assert twice.by_kind["address"].network.orders == twice.network.orders + 1
    assert twice.network.orders == 2 and twice.own.orders == 1
    assert nobody == SubjectHistory()


def test_the_serving_process_tunes_its_garbage_collector() -> None:
    before = gc.get_threshold()
    try:
        tune_garbage_collector()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


@pytest.mark.parametrize("count", [0, 1, 3])
def test_a_batch_of_any_size_gets_its_row_ids(
    a: SignedClient, shop_a: ShopKey, sessions: sessionmaker[Session], count: int
) -> None:
    orders = [order(f"n{i}", f"p{i}") for i in range(count)]
    assert [r["order_id"] for r in a.score(*orders)] == [o["order_id"] for o in orders]
    with sessions() as session:
        pairs = session.execute(
            select(Order.order_id, OrderIdentifier.kind).join(OrderIdentifier)
        ).all()
    assert sorted(pairs) == sorted(
        (f"n{i}", kind) for i in range(count) for kind in ("email", "phone", "name", "address")
    )
