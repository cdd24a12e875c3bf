"""What one order sends to the scoring service: digests and a few non-PII facts.

Nothing else ever leaves. ``ship_city`` is the one free-text field; it is left out when it
holds anything that looks like personal data (an "@", more than four digits, the
customer's own name or street).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, TypeVar

from shopguard.privacy.hashing import HASH_SCHEME, Salt, digest
from shopguard.privacy.normalize import (
    Address,
    choose_address,
    fold,
    normalize_address,
    normalize_email,
    normalize_name,
    normalize_phone,
)
from shopguard.scoring.model import WITHDRAWN
from shopguard.store.records import OrderRecord

_Moment = TypeVar("_Moment", datetime, float)
OUTCOMES = ("delivered", "failed", "refused", "returned", "cancelled")
_CENT = Decimal("0.01")
_MAX_CITY = 60
_MAX_DIGITS = 4  # a city or a method id has few digits; a phone number has more
_CODE = re.compile(r"^[a-z][a-z0-9_\-:.]{0,59}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
# WooCommerce's own statuses, gateways and shipping methods: set by the shop, not typed by
# a customer, so never personal even when they match a customer's name.
_KNOWN_CODES = frozenset(
    (
        *("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"),
        *("trash", "checkout-draft", "cod", "bacs", "cheque", "paypal", "ppcp-gateway"),
        *("stripe", "stripe_cc", "woocommerce_payments", "flat_rate", "free_shipping"),
        "local_pickup",
    )
)


def identifiers(order: OrderRecord, salt: Salt, *, default_country: str = "") -> dict[str, str]:
    """The v1 digests of the order's email, phone, name and address (those that normalize)."""
    return _identifiers(order, _chosen_address(order), salt, default_country)


def _identifiers(
    order: OrderRecord, chosen: Address, salt: Salt, default_country: str
) -> dict[str, str]:
    out: dict[str, str] = {}
    email = normalize_email(order.billing_email)
    if email:
        out["email"] = digest(salt, "email", email)
    region = (order.billing_country or order.shipping_country or default_country).upper()
    phone = normalize_phone(order.billing_phone or order.shipping_phone, region or None)
    if phone:
        out["phone"] = digest(salt, "phone", phone)
    name = normalize_name(order.billing_first_name, order.billing_last_name)
    if name:
        out["name"] = digest(salt, "name", name)
    address = normalize_address(chosen)
    if address:
        out["address"] = digest(salt, "address", address)
    return out


def build_order_payload(
    order: OrderRecord, salt: Salt, *, default_country: str = ""
) -> dict[str, Any]:
    """The scoring payload of one order (hash scheme v1)."""
    chosen = _chosen_address(order)
    personal = _Personal(order)
    payload: dict[str, Any] = {
        "order_id": str(order.woo_id),
        "created_at": iso_utc(order.date_created_gmt),
        "total": _decimal(order.total),
        "currency": _currency(order.currency),
        "payment_method": _code(order.payment_method, personal),
        "shipping_method": _code(order.shipping_method, personal),
        "status": _code(order.status, personal),
        "identifiers": _identifiers(order, chosen, salt, default_country),
        "hash_scheme": HASH_SCHEME,
    }
    city = safe_city(chosen.city, order, personal)
    if city:
        payload["ship_city"] = city
    country = (chosen.country or default_country).strip().upper()
    if len(country) == 2 and country.isalpha():
        payload["ship_country"] = country
    return payload


def build_outcome_payload(order_id: int, outcome: str, at: datetime) -> dict[str, Any]:
    """A delivery outcome for one order (``withdrawn``: the shop takes its report back)."""
    if outcome not in OUTCOMES and outcome != WITHDRAWN:
        raise ValueError(f"Unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}.")
    return {"order_id": str(order_id), "outcome": outcome, "at": iso_utc(at)}


def safe_city(city: str, order: OrderRecord, personal: _Personal | None = None) -> str | None:
    """The city as entered, or None if it looks like it carries personal data."""
    words = _city_words(city)
    if words is None or (personal or _Personal(order)).shares_a_word(words):
        return None
    return (city or "").strip()


def _city_words(city: str) -> frozenset[str] | None:
    """The city's own checks: None if it can never be sent, else its folded words (house
    numbers left out: they are not personal) to compare with the customer's."""
    text = (city or "").strip()
    if not text or len(text) > _MAX_CITY or "@" in text or "/" in text:
        return None
    if sum(ch.isdigit() for ch in text) > _MAX_DIGITS:
        return None
    return frozenset(t for t in fold(text) if not t.isdigit())


class _Personal:
    """The customer's own words in an order, folded once and only when needed."""

    def __init__(self, order: OrderRecord) -> None:
        o = order
        self._fields = (
            o.billing_first_name,
            o.billing_last_name,
            o.shipping_first_name,
            o.shipping_last_name,
            o.billing_company,
            o.shipping_company,
            o.billing_address_1,
            o.billing_address_2,
            o.shipping_address_1,
            o.shipping_address_2,
            o.billing_email.split("@")[0],
            o.customer_note,
        )

    def shares_a_word(self, words: frozenset[str]) -> bool:
        """Whether any of these folded words is a word of a name, company, street line or
        email user (the note is left out: it is free text about anything)."""
        # Field by field, no set of all words: folds of repeated names come from the cache.
        if words:
            for f in self._fields[:-1]:
                if f and not words.isdisjoint(fold(f)):
                    return True
        return False

    @cached_property
    def values(self) -> frozenset[str]:
        """Each field folded whole (3+ characters), to spot it inside an id."""
        folded = (" ".join(fold(f)) for f in self._fields)
        return frozenset(f for f in folded if len(f) >= 3)


def iso_utc(moment: datetime) -> str:
    """UTC ISO 8601 with a Z, seconds precision."""
    if moment.tzinfo is not UTC:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    # printf-style: half the cost of an f-string with format specs or of isoformat().
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (  # noqa: UP031
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )


def _code(value: str, personal: _Personal) -> str:
    """A WooCommerce identifier (``cod``, ``flat_rate``); anything else is sent as "other"."""
    text = (value or "").strip().lower()
    if text in _KNOWN_CODES:
        return text
    if not _CODE.match(text) or sum(ch.isdigit() for ch in text) > _MAX_DIGITS:
        return "other"
    folded = " ".join(fold(text))
    if any(v in folded for v in personal.values):
        return "other"
    return text


def _currency(value: str) -> str:
    text = (value or "").strip().upper()
    return text if _CURRENCY.match(text) else "XXX"  # ISO 4217's "no currency"


def _decimal(value: Decimal) -> str:
    return format(Decimal(value).quantize(_CENT), "f")


def _chosen_address(order: OrderRecord) -> Address:
    shipping = Address(
        order.shipping_address_1,
        order.shipping_address_2,
        order.shipping_postcode,
        order.shipping_city,
        order.shipping_country,
    )
    billing = Address(
        order.billing_address_1,
        order.billing_address_2,
        order.billing_postcode,
        order.billing_city,
        order.billing_country,
    )
    return choose_address(shipping, billing)


# WooCommerce statuses that are a delivery outcome. Shops mark refusals with a custom
# status (plugins commonly add "refused" / "rejected"); "returned" likewise. "failed" (the
# payment failed) and "refunded" (for any reason) say nothing certain about delivery: the
# owner is asked (``OWNER_DECIDES``) and reports the outcome by hand.
_OUTCOME_BY_STATUS = {
    "completed": "delivered",
    "cancelled": "cancelled",
    "returned": "returned",
    "refused": "refused",
    "rejected": "refused",
}
OWNER_DECIDES = frozenset({"failed", "refunded"})
"""Statuses whose delivery outcome only the owner knows: the app asks instead of guessing."""


def outcome_for_status(status: str) -> str | None:
    """The delivery outcome an order status means, if any."""
    return _OUTCOME_BY_STATUS.get((status or "").lower())


def outcome_time(outcome: str, modified: _Moment, completed: _Moment | None) -> _Moment:
    """When an order's outcome became known: its completion date for "delivered" (any later
    edit moves the modification date), else its modification date."""
    if outcome == "delivered" and completed is not None:
        return completed
    return modified
