"""Plain data crossing the store's boundary: no ORM objects leave a session.

Workers and the UI get these immutable records, never ``Order`` rows from another session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple


class OrderRecord(NamedTuple):
    """One order's fields as the local store keeps them.

    A named tuple rather than a frozen dataclass: a sync parses, and a back-fill reads,
    100,000 of them at a time, and a frozen dataclass's ``__init__`` sets its 36 fields one
    ``object.__setattr__`` call at a time (about 6 us a record, as long as encoding its
    payload's four identifiers); a tuple is made in one step. ``_replace`` makes a changed
    copy.
    """

    woo_id: int
    number: str
    status: str
    date_created_gmt: datetime
    date_modified_gmt: datetime
    total: Decimal
    currency: str
    payment_method: str = ""
    payment_method_title: str = ""
    shipping_method: str = ""  # WooCommerce method ids, e.g. "flat_rate"
    shipping_method_title: str = ""  # what the shop calls it, e.g. "Flat rate"
    item_count: int = 0
    customer_id: int = 0
    billing_first_name: str = ""
    billing_last_name: str = ""
    billing_company: str = ""
    billing_email: str = ""
    billing_phone: str = ""
    billing_address_1: str = ""
    billing_address_2: str = ""
    billing_city: str = ""
    billing_state: str = ""
    billing_postcode: str = ""
    billing_country: str = ""
    shipping_first_name: str = ""
    shipping_last_name: str = ""
    shipping_company: str = ""
    shipping_phone: str = ""
    shipping_address_1: str = ""
    shipping_address_2: str = ""
    shipping_city: str = ""
    shipping_state: str = ""
    shipping_postcode: str = ""
    shipping_country: str = ""
    customer_note: str = ""
    # When the order was marked completed (WooCommerce sets it; often None): the delivery
    # date a "delivered" outcome reports, where date_modified_gmt moves on any later edit.
    date_completed_gmt: datetime | None = None

    @property
    def customer_name(self) -> str:
        """Billing first and last name, as the shop shows it."""
        return f"{self.billing_first_name} {self.billing_last_name}".strip()


ORDER_FIELDS: tuple[str, ...] = OrderRecord._fields

# The raw customer fields an erasure blanks (city and country stay: coarse, not personal).
PII_FIELDS: tuple[str, ...] = (
    "billing_first_name",
    "billing_last_name",
    "billing_company",
    "billing_email",
    "billing_phone",
    "billing_address_1",
    "billing_address_2",
    "billing_state",
    "billing_postcode",
    "shipping_first_name",
    "shipping_last_name",
    "shipping_company",
    "shipping_phone",
    "shipping_address_1",
    "shipping_address_2",
    "shipping_state",
    "shipping_postcode",
    "customer_note",
)


@dataclass(frozen=True, slots=True)
class StoreRecord:
    """A connected store (never its secrets)."""

    id: int
    url: str
    name: str
    default_country: str
    currency: str
    auth_mode: str
    permissions: str


@dataclass(frozen=True, slots=True)
class CursorRecord:
    """Where a store's sync stands."""

    store_id: int
    modified_after: datetime | None
    full_sync_done: bool
    last_sync_at: datetime | None


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One event-log line."""

    id: int
    at: datetime
    store_id: int | None
    kind: str
    order_woo_id: int | None
    detail: str
