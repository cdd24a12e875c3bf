"""Orders: upsert by (store, id), events, sorting and search."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shopguard.store.records import PII_FIELDS
from shopguard.store.repositories import events as event_repo
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import stores as store_repo
from shopguard.store.search import fold
from tests.helpers.factories import make_order


@pytest.fixture
def store_id(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        return store_repo.get_or_create_store(session, url="https://shop.example").id


def test_upsert_creates_then_updates_without_duplicates(
    sessions: sessionmaker[Session], store_id: int
) -> None:
    with sessions.begin() as session:
        first = order_repo.upsert_orders(session, store_id, [make_order(1), make_order(2)])
    assert first.created == [1, 2]

    changed = make_order(
        2, status="completed", date_modified_gmt=make_order(2).date_modified_gmt + timedelta(1)
    )
    with sessions.begin() as session:
        second = order_repo.upsert_orders(session, store_id, [make_order(1), changed])
    assert second.unchanged == [1]
    assert second.changed == [2]

    with sessions() as session:
        assert order_repo.count_orders(session, store_id) == 2
        assert order_repo.get_order(session, store_id, 2).status == "completed"  # type: ignore[union-attr]
        events = event_repo.list_events(session, store_id=store_id, kind_prefix="order.")
    kinds = sorted((e.kind, e.order_woo_id) for e in events)
    assert kinds == [("order.changed", 2), ("order.created", 1), ("order.created", 2)]
    change = next(e for e in events if e.kind == "order.changed")
    assert json.loads(change.detail) == {
        "number": "2",
        "previous_status": "processing",
        "status": "completed",
    }


def test_events_hold_no_customer_data(sessions: sessionmaker[Session], store_id: int) -> None:
    order = make_order(7, billing_email="maria@example.gr", billing_first_name="Μαρία")
    with sessions.begin() as session:
        order_repo.upsert_orders(session, store_id, [order])
    with sessions() as session:
        details = " ".join(e.detail for e in event_repo.list_events(session))
    assert "maria" not in details.lower()
    assert "Μαρία" not in details


def test_event_log_is_append_only(sessions: sessionmaker[Session], store_id: int) -> None:
    with sessions.begin() as session:
        event_repo.record_event(session, "test.event", store_id=store_id)
    for statement in ("UPDATE event_log SET kind = 'x'", "DELETE FROM event_log"):
        with pytest.raises(IntegrityError), sessions.begin() as session:
            session.execute(text(statement))


def test_money_stays_exact(sessions: sessionmaker[Session], store_id: int) -> None:
    with sessions.begin() as session:
        order_repo.upsert_orders(session, store_id, [make_order(1, total=Decimal("0.10"))])
    with sessions() as session:
        assert order_repo.get_order(session, store_id, 1).total == Decimal("0.10")  # type: ignore[union-attr]


def test_sort_by_total_is_numeric(sessions: sessionmaker[Session], store_id: int) -> None:
    orders = [
        make_order(1, total=Decimal("9.50")),
        make_order(2, total=Decimal("100.00")),
        make_order(3, total=Decimal("20.00")),
    ]
    with sessions.begin() as session:
        order_repo.upsert_orders(session, store_id, orders)
    with sessions() as session:
        ascending = order_repo.list_orders(session, store_id, sort="total", descending=False)
        page = order_repo.list_orders(
            session, store_id, sort="total", descending=True, offset=1, limit=1
        )
    assert [o.woo_id for o in ascending] == [1, 3, 2]
    assert [o.woo_id for o in page] == [3]


def test_search_matches_every_word_in_any_field(
    sessions: sessionmaker[Session], store_id: int
) -> None:
    orders = [
        make_order(1, billing_first_name="Γιώργος", billing_city="Αθήνα"),
        make_order(2, billing_first_name="Γιώργος", billing_city="Πάτρα"),
        make_order(3, billing_first_name="Oliver", billing_city="London"),
        make_order(4, billing_first_name="100%_real"),
    ]
    with sessions.begin() as session:
        order_repo.upsert_orders(session, store_id, orders)
    with sessions() as session:
        assert order_repo.count_orders(session, store_id, search="Γιώργος") == 2
        assert order_repo.count_orders(session, store_id, search="Γιώργος Πάτρα") == 1
        assert order_repo.count_orders(session, store_id, search="london") == 1
        # LIKE wildcards in the search text are taken literally.
        assert order_repo.count_orders(session, store_id, search="%_") == 1


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("ελένη", [1]),  # Greek without capitals or accents
        ("ΕΛΕΝΗ θεσσαλονικη", [1]),
        ("theo", [2]),  # Latin without accents
        ("THÉO", [2]),
        ("sw1a1aa", [3]),  # a postcode typed without its space
        ("SW1A 1AA", [3]),
        ("07700900123", [3]),  # a phone typed without its spaces
        ("#1003", [3]),  # an order number as the screen shows it
        ("ÉLÈNE", []),
    ],
)
def test_search_ignores_case_accents_and_spacing(
    sessions: sessionmaker[Session], store_id: int, typed: str, found: list[int]
) -> None:
    orders = [
        make_order(1, billing_first_name="Ελένη", billing_city="Θεσσαλονίκη", number="1001"),
        make_order(2, billing_first_name="Théo", billing_city="Lyon", number="1002"),
        make_order(
            3,
            billing_first_name="Oliver",
            billing_postcode="SW1A 1AA",
            billing_phone="07700 900 123",
            number="1003",
        ),
    ]
    with sessions.begin() as session:
        order_repo.upsert_orders(session, store_id, orders)
    with sessions() as session:
        listed = order_repo.list_orders(session, store_id, search=typed)
        assert sorted(o.woo_id for o in listed) == found
        assert order_repo.count_orders(session, store_id, search=typed) == len(found)


def test_orders_are_kept_per_store(sessions: sessionmaker[Session], store_id: int) -> None:
    with sessions.begin() as session:
        other = store_repo.get_or_create_store(session, url="https://other.example").id
        order_repo.upsert_orders(session, store_id, [make_order(1)])
        order_repo.upsert_orders(session, other, [make_order(1, status="completed")])
    with sessions() as session:
        assert order_repo.get_order(session, store_id, 1).status == "processing"  # type: ignore[union-attr]
        assert order_repo.get_order(session, other, 1).status == "completed"  # type: ignore[union-attr]


def test_cursor_never_moves_back(sessions: sessionmaker[Session], store_id: int) -> None:
    later = make_order(2).date_modified_gmt
    earlier = make_order(1).date_modified_gmt
    with sessions.begin() as session:
        store_repo.advance_cursor(session, store_id, modified_after=later)
        store_repo.advance_cursor(session, store_id, modified_after=earlier)
    with sessions() as session:
        assert store_repo.get_cursor(session, store_id).modified_after == later


def test_erasure_blanks_raw_fields_for_good(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url="https://shop.example").id
        order = make_order(
            9, billing_phone="+30 691 234 5678", billing_address_1="Ερμού 12", customer_note="Hi"
        )
        order_repo.upsert_orders(session, store_id, [order])
        assert order_repo.erase_personal_data(session, store_id, [9, 10]) == 1
        assert order_repo.erase_personal_data(session, store_id, [9]) == 0  # already erased
    # The store still has the raw data; a later sync with a change must not bring it back.
    changed = order._replace(
        status="completed", date_modified_gmt=order.date_modified_gmt + timedelta(hours=1)
    )
    with sessions.begin() as session:
        assert order_repo.upsert_orders(session, store_id, [changed]).changed == [9]
    with sessions() as session:
        kept = order_repo.get_order(session, store_id, 9)
        erased_events = event_repo.list_events(session, kind_prefix="order.erased")
    assert kept is not None and kept.status == "completed"
    assert all(getattr(kept, name) == "" for name in PII_FIELDS)
    assert kept.billing_city == "Athens" and kept.total == order.total
    assert [(e.order_woo_id, e.detail) for e in erased_events] == [(9, "{}")]
    # Nor does the search find the order by what was erased; by its town it still does.
    with sessions() as session:
        for erased in ("6912345678", order.billing_email, order.billing_first_name):
            assert order_repo.count_orders(session, store_id, search=erased) == 0, erased
        assert order_repo.count_orders(session, store_id, search="athens") == 1
        key = session.execute(text("SELECT search_text FROM orders WHERE woo_id = 9")).scalar()
    assert key.split("\n") == ["athens", fold(order.payment_method_title)]


def test_orders_between_reads_back_exactly_what_was_stored(
    sessions: sessionmaker[Session], store_id: int
) -> None:
    """The back-fill's raw read converts the stored text itself: every field must come back
    as the ORM would give it (aware UTC datetimes, exact decimals, a missing date as None)."""
    stored = [
        make_order(3, total=Decimal("0.10"), date_completed_gmt=None),
        make_order(
            5,
            status="completed",
            total=Decimal("1234.5"),
            date_created_gmt=make_order(5).date_created_gmt.replace(microsecond=0),
            date_completed_gmt=make_order(5).date_modified_gmt + timedelta(seconds=1.25),
            billing_first_name="Γιώργος",
            item_count=3,
            customer_id=42,
            customer_note="Κουδούνι: «Παπαδόπουλος»",
        ),
        make_order(9),
        make_order(20),  # outside the range
    ]
    with sessions.begin() as session:
        order_repo.upsert_orders(session, store_id, stored)
    with sessions() as session:
        read = order_repo.orders_between(session, store_id, 3, 9)
        orm = [order_repo.get_order(session, store_id, woo_id) for woo_id in (3, 5, 9)]
    assert read == orm == stored[:3]
    assert read[1].date_completed_gmt is not None
    assert read[1].date_completed_gmt.tzinfo is not None and read[0].date_completed_gmt is None
    assert str(read[1].total) == "1234.5"
