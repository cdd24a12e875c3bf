"""Mapping one order of WooCommerce's ``/wc/v3/orders`` JSON to an OrderRecord."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shopguard.woo.mapping import LISTING_FIELDS, OrderShapeError, order_from_json


def _order(**overrides: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "id": 723,
        "number": "723",
        "status": "completed",
        "currency": "EUR",
        "date_created_gmt": "2026-03-21T16:46:41",
        "date_modified_gmt": "2026-04-02T08:00:00",
        "date_completed_gmt": "2026-03-23T10:54:51",
        "total": "39.00",
        "billing": {"first_name": "Anna", "country": "gr"},
    }
    return {**order, **overrides}


def test_the_completion_date_is_kept_apart_from_the_modification_date() -> None:
    record = order_from_json(_order())
    assert record.date_completed_gmt == datetime(2026, 3, 23, 10, 54, 51, tzinfo=UTC)
    assert record.date_modified_gmt == datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
    assert "date_completed_gmt" in LISTING_FIELDS.split(",")


@pytest.mark.parametrize("missing", [None, ""])
def test_an_order_not_completed_has_no_completion_date(missing: str | None) -> None:
    assert order_from_json(_order(date_completed_gmt=missing)).date_completed_gmt is None
    without = _order()
    del without["date_completed_gmt"]
    assert order_from_json(without).date_completed_gmt is None


def test_a_malformed_completion_date_is_a_shape_error() -> None:
    with pytest.raises(OrderShapeError):
        order_from_json(_order(date_completed_gmt="yesterday"))
