"""Small builders for test data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from shopguard.scoring.model import OrderFacts
from shopguard.store.records import OrderRecord
from shopguard.store.repositories.orders import upsert_orders
from shopguard.store.repositories.scores import ScoreRecord, write_scores

BASE_TIME = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ALL_KINDS = frozenset({"email", "phone", "name", "address"})


def order_facts(
    method: str = "cod", total: float = 50.0, median: float | None = None
) -> OrderFacts:
    """The risk model's facts of an order that came with every kind of identifier."""
    return OrderFacts(method, total, ALL_KINDS, shop_median_total=median)


def make_order(woo_id: int, **overrides: Any) -> OrderRecord:
    """An order with plausible defaults; any field can be overridden."""
    values: dict[str, Any] = {
        "woo_id": woo_id,
        "number": str(woo_id),
        "status": "processing",
        "date_created_gmt": BASE_TIME + timedelta(hours=woo_id),
        "date_modified_gmt": BASE_TIME + timedelta(hours=woo_id, minutes=5),
        "total": Decimal("10.00") + woo_id,
        "currency": "EUR",
        "payment_method": "cod",
        "payment_method_title": "Cash on delivery",
        "billing_first_name": "Anna",
        "billing_last_name": f"Customer{woo_id}",
        "billing_email": f"anna{woo_id}@example.com",
        "billing_city": "Athens",
        "billing_country": "GR",
    }
    values.update(overrides)
    return OrderRecord(**values)


def published_example_order() -> OrderRecord:
    """The order behind the README's published payload and the issue's test vectors."""
    return make_order(
        4242,
        billing_first_name="Γιώργος",
        billing_last_name="ΠΑΠΑΔΌΠΟΥΛΟΣ",
        billing_email="  John.Smith+promo@GoogleMail.com ",
        billing_phone="691 234 5678",
        shipping_address_1="10 Downing St",
        shipping_address_2="Flat 2",
        shipping_postcode="sw1a 2aa",
        shipping_city="London",
        shipping_country="gb",
        shipping_method="flat_rate",
        total=Decimal("59.9"),
        date_created_gmt=datetime(2026, 3, 1, 9, 30, 5, tzinfo=UTC),
    )


def add_scored_order(
    session: Session,
    store_id: int,
    woo_id: int,
    created: datetime,
    *,
    status: str = "processing",
    band: str | None = None,
    score: int | None = None,
    reasons: list[dict[str, Any]] | None = None,
) -> None:
    """Store an order created at ``created`` (modified 5 minutes later) and, with a
    ``band``, a local score given at ``created``."""
    upsert_orders(
        session,
        store_id,
        [
            make_order(
                woo_id,
                status=status,
                date_created_gmt=created,
                date_modified_gmt=created + timedelta(minutes=5),
            )
        ],
    )
    if band is not None:
        record = ScoreRecord(woo_id, score, band, None, reasons or [], "sg-2", created, "local")
        write_scores(session, store_id, [record])
