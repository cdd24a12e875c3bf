"""WooCommerce order JSON → the local store's ``OrderRecord``.

Tolerant of what real stores send: extra keys, missing optional keys, ``null`` where a
string is expected. Strict where the store cannot work without a value (id, dates, total).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from shopguard.store.records import OrderRecord


class OrderShapeError(ValueError):
    """An order object lacks a field ShopGuard cannot do without."""


def parse_gmt(value: Any) -> datetime:
    """A WooCommerce ``*_gmt`` value (``2017-03-22T19:28:02``, no offset) as aware UTC."""
    if not isinstance(value, str) or not value:
        raise OrderShapeError(f"expected a date, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.removesuffix("Z"))
    except ValueError as exc:
        raise OrderShapeError(f"expected a date, got {value!r}") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _text(section: Mapping[str, Any], key: str, limit: int = 300) -> str:
    value = section.get(key)
    return "" if value is None else str(value)[:limit]


# The fields order_from_json reads: sync asks WooCommerce for these only (``_fields``),
# which makes pages about four times smaller and cheaper on both ends.
LISTING_FIELDS = ",".join(
    (
        *("id", "number", "status", "currency", "date_created_gmt", "date_modified_gmt"),
        "date_completed_gmt",
        *("total", "payment_method", "payment_method_title", "customer_id", "customer_note"),
        *("billing", "shipping", "shipping_lines.method_id", "shipping_lines.method_title"),
        "line_items.quantity",
    )
)


def _join(lines: Any, key: str) -> str:
    if not isinstance(lines, list):
        return ""
    values = (str(line.get(key) or "") for line in lines if isinstance(line, Mapping))
    return ", ".join(v for v in values if v)[:200]


def order_from_json(data: Mapping[str, Any]) -> OrderRecord:
    """Map one order object of ``/wc/v3/orders`` to an ``OrderRecord``.

    Raises:
        OrderShapeError: the id, number, dates or total are missing or malformed.
    """
    try:
        woo_id = int(data["id"])
        total = Decimal(str(data.get("total") or "0"))
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise OrderShapeError(f"order without a usable id or total: {exc}") from exc
    created = parse_gmt(data.get("date_created_gmt"))
    modified_raw = data.get("date_modified_gmt")
    modified = parse_gmt(modified_raw) if modified_raw else created
    completed_raw = data.get("date_completed_gmt")
    completed = parse_gmt(completed_raw) if completed_raw else None
    billing: Mapping[str, Any] = data.get("billing") or {}
    shipping: Mapping[str, Any] = data.get("shipping") or {}
    shipping_lines = data.get("shipping_lines") or []
    line_items = data.get("line_items") or []
    item_count = 0
    for item in line_items:
        try:
            item_count += int(item.get("quantity") or 0)
        except (TypeError, ValueError):
            continue
    try:
        customer_id = int(data.get("customer_id") or 0)
    except (TypeError, ValueError):
        customer_id = 0
    return OrderRecord(
        woo_id=woo_id,
        number=str(data.get("number") or woo_id),
        status=str(data.get("status") or ""),
        date_created_gmt=created,
        date_modified_gmt=modified,
        total=total,
        currency=str(data.get("currency") or "")[:3],
        payment_method=_text(data, "payment_method", 100),
        payment_method_title=_text(data, "payment_method_title", 200),
        shipping_method=_join(shipping_lines, "method_id"),
        shipping_method_title=_join(shipping_lines, "method_title"),
        item_count=item_count,
        customer_id=customer_id,
        billing_first_name=_text(billing, "first_name", 200),
        billing_last_name=_text(billing, "last_name", 200),
        billing_company=_text(billing, "company", 200),
        billing_email=_text(billing, "email", 320),
        billing_phone=_text(billing, "phone", 64),
        billing_address_1=_text(billing, "address_1"),
        billing_address_2=_text(billing, "address_2"),
        billing_city=_text(billing, "city", 200),
        billing_state=_text(billing, "state", 100),
        billing_postcode=_text(billing, "postcode", 40),
        billing_country=_text(billing, "country", 2).upper(),
        shipping_first_name=_text(shipping, "first_name", 200),
        shipping_last_name=_text(shipping, "last_name", 200),
        shipping_company=_text(shipping, "company", 200),
        shipping_phone=_text(shipping, "phone", 64),
        shipping_address_1=_text(shipping, "address_1"),
        shipping_address_2=_text(shipping, "address_2"),
        shipping_city=_text(shipping, "city", 200),
        shipping_state=_text(shipping, "state", 100),
        shipping_postcode=_text(shipping, "postcode", 40),
        shipping_country=_text(shipping, "country", 2).upper(),
        customer_note=_text(data, "customer_note", 5000),
        date_completed_gmt=completed,
    )
