"""The Orders table's columns: titles, how each cell reads, what each sorts by, widths."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from shopguard.store.records import OrderRecord
from shopguard.store.repositories.order_risk import BandFilter, OrderRiskRow, RiskSortKey
from shopguard.ui.models.order_format import country_name, local_time, money, status_label
from shopguard.ui.models.risk_format import badge_spec


@dataclass(frozen=True)
class Column:
    """One column: its title, sort key (None: not sortable), header tooltip and cell text."""

    title: str
    sort_key: RiskSortKey | None
    tooltip: str
    text: Callable[[OrderRiskRow], str]


def _risk_text(row: OrderRiskRow) -> str:
    spec = badge_spec(row)
    notes = [spec.text]
    if spec.local:
        notes.append("this shop only")
    if spec.stale:
        notes.append("out of date")
    return ", ".join(notes)


COLUMNS: tuple[Column, ...] = (
    Column("Order #", "number", "The order number in WooCommerce", lambda r: f"#{r.order.number}"),
    Column(
        "Risk",
        "risk",
        "How likely the order is to fail (refused, returned, never collected); "
        "sorted by score, unknown and not yet scored last",
        _risk_text,
    ),
    Column(
        "Date",
        "date_created",
        "When the order was placed (this computer's time zone)",
        lambda r: local_time(r.order.date_created_gmt),
    ),
    Column(
        "Status",
        "status",
        "The order's status in WooCommerce",
        lambda r: status_label(r.order.status),
    ),
    Column(
        "Customer",
        "customer",
        "Billing name (sorted by last name)",
        lambda r: r.order.customer_name,
    ),
    Column("Email", None, "Billing email (not sortable)", lambda r: r.order.billing_email),
    Column(
        "Total",
        "total",
        "Order total with tax and shipping",
        lambda r: money(r.order.total, r.order.currency),
    ),
    Column("Payment", "payment", "How the customer paid", lambda r: r.order.payment_method_title),
    Column("Country", "country", "Billing country", lambda r: r.order.billing_country),
)
COLUMN_INDEX = {c.title: i for i, c in enumerate(COLUMNS)}
RISK_COLUMN = COLUMN_INDEX["Risk"]
TOTAL_COLUMN = COLUMN_INDEX["Total"]
DEFAULT_SORT_COLUMN = COLUMN_INDEX["Date"]

# Typical widest values, to size columns with the fonts actually in use; Customer and Email
# share what is left. The Risk column is sized from its badges.
COLUMN_SAMPLES = {
    "Order #": "#999999",
    "Date": local_time(datetime(2026, 12, 28, 23, 59, tzinfo=UTC)),
    "Status": "Pending payment",
    "Total": money(Decimal("9999.99"), "EUR"),
    "Payment": "Direct bank transfer",
    "Country": "GB",
}


def order_tooltip(order: OrderRecord) -> str:
    """The tooltip of an order's cells: who, where, what, when."""
    lines = [f"Order #{order.number} · {status_label(order.status)}"]
    who = order.customer_name or "No name"
    if order.billing_company:
        who += f" ({order.billing_company})"
    if order.billing_email:
        who += f" · {order.billing_email}"
    lines.append(who)
    place = ", ".join(
        p
        for p in (order.billing_city, order.billing_postcode, country_name(order.billing_country))
        if p
    )
    if place:
        lines.append(place)
    items = f"{order.item_count} item{'s' if order.item_count != 1 else ''}"
    paid = order.payment_method_title or "no payment method"
    lines.append(f"{money(order.total, order.currency)} · {items} · {paid}")
    lines.append(
        f"Placed {local_time(order.date_created_gmt)} · "
        f"last changed {local_time(order.date_modified_gmt)}"
    )
    return "\n".join(lines)


_BAND_NOUNS: dict[str, tuple[str, str]] = {
    # band: (before "order(s)", after it)
    "all": ("", ""),
    "high": ("High-risk ", ""),
    "medium": ("Medium-risk ", ""),
    "low": ("Low-risk ", ""),
    "unknown": ("", " with unknown risk"),
    "unscored": ("", " not scored yet"),
}


def count_text(total: int, search: str, band: BandFilter) -> str:
    """The line under the table: how many orders are shown, and what narrows them."""
    before, after = _BAND_NOUNS[band]
    noun = f"{before}order{'s' if total != 1 else ''}{after}"
    if search:
        if total == 0:
            return f"No {before}orders{after} match “{search}”."
        return f"{total:,} {noun} match{'es' if total == 1 else ''} “{search}”"
    if total == 0 and band == "all":
        return "No orders yet. Click “Sync now” to fetch them from your store."
    if total == 0:
        return f"No {before}orders{after}. Choose “All risks” to see every order."
    return f"{total:,} {noun}"
