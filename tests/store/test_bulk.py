"""The bulk write path stores values exactly as SQLAlchemy's own path would."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert, text
from sqlalchemy.orm import Session, sessionmaker

from shopguard.store import bulk
from shopguard.store.models import Event, Order
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import stores as store_repo
from tests.helpers.factories import make_order


def test_bulk_and_core_inserts_store_identical_text(sessions: sessionmaker[Session]) -> None:
    table = Event.metadata.tables["event_log"]
    row = {
        "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "store_id": 1,
        "kind": "test",
        "order_woo_id": 7,
        "detail": "{}",
    }
    with sessions.begin() as session:
        session.execute(insert(table), [row])
        bulk.insert_rows(session, table, [row])
    with sessions() as session:
        stored = session.execute(text("SELECT at FROM event_log ORDER BY id")).scalars().all()
    assert stored == ["2026-01-02 03:04:05.000000"] * 2


def test_bulk_upsert_updates_on_conflict(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url="https://shop.example").id
        order_repo.upsert_orders(session, store_id, [make_order(1, total=Decimal("5.10"))])
    with sessions() as session:
        raw = session.execute(
            text("SELECT total, date_created_gmt FROM orders WHERE woo_id = 1")
        ).one()
        assert raw.total == "5.10"
        assert raw.date_created_gmt.endswith(".000000")
        assert session.get(Order, 1) is not None


@pytest.mark.parametrize(
    "ids",
    [
        [],
        [5],
        list(range(10, 60)),  # dense: one range scan, filtered
        [3, 17, 400, 2_000, 9_999],  # sparse: an IN list
        list(range(1, 3_000, 5)),  # sparse and longer than one IN list
    ],
    ids=["none", "one", "dense", "sparse", "several lists"],
)
def test_rows_for_ids_finds_exactly_the_ids_asked_for(
    sessions: sessionmaker[Session], ids: list[int]
) -> None:
    stored = list(range(1, 3_000, 3))  # ids asked for that were never stored find nothing
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url="https://shop.example").id
        order_repo.upsert_orders(session, store_id, [make_order(i) for i in stored])
    sql = "SELECT woo_id, number FROM orders WHERE store_id = ? AND woo_id {ids}"
    with sessions() as session:
        rows = bulk.rows_for_ids(session, sql, (store_id,), ids)
    assert sorted(rows) == [(i, str(i)) for i in sorted(set(ids) & set(stored))]
