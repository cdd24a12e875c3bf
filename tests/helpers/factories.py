"""Small builders for test data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from shopguard.store.records import OrderRecord

BASE_TIME = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


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
