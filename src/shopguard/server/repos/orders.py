"""One shop's orders: load, upsert, outcomes, the shop's usual order value.

Every function here is scoped by ``shop_id``: a shop can only read or change its own rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from shopguard.server.models import Order, OrderIdentifier, PlaceStat

MEDIAN_MIN_ORDERS = 20


@dataclass(frozen=True)
class OrderFields:
    """The stored facts of one order (identifiers apart)."""

    order_id: str
    created_at: datetime
    total_cents: int
    currency: str
    payment_method: str
    shipping_method: str
    status: str
    ship_city: str | None
    ship_country: str | None


def city_key(city: str | None) -> str | None:
    """A town folded for matching across shops (case and spacing ignored)."""
    if not city:
        return None
    folded = " ".join(city.casefold().split())
    return folded[:60] or None


def load_orders(session: Session, shop_id: str, order_ids: Iterable[str]) -> dict[str, Order]:
    """This shop's orders with these ids (identifiers loaded), by order id."""
    ids = sorted(set(order_ids))
    if not ids:
        return {}
    rows = session.scalars(
        select(Order)
        .where(Order.shop_id == shop_id, Order.order_id.in_(ids))
        .options(selectinload(Order.identifiers))
    ).all()
    return {row.order_id: row for row in rows}


def save_order(
    session: Session,
    shop_id: str,
    fields: OrderFields,
    digests: Mapping[str, str],
    existing: Order | None,
    now: datetime,
) -> Order:
    """Insert or update one order and its identifiers (upsert by shop + order id).

    The outcome, once reported, is kept: a re-sent payload does not erase it.
    """
    order = existing or Order(shop_id=shop_id, order_id=fields.order_id, network_excluded=False)
    order.created_at = fields.created_at
    order.total_cents = fields.total_cents
    order.currency = fields.currency
    order.payment_method = fields.payment_method
    order.shipping_method = fields.shipping_method
    order.status = fields.status
    order.ship_city = fields.ship_city
    order.city_key = city_key(fields.ship_city)
    order.ship_country = fields.ship_country
    order.updated_at = now
    # Update in place: deleting and re-inserting a kind in one flush would break uniqueness.
    by_kind = {ident.kind: ident for ident in order.identifiers}
    for kind, ident in by_kind.items():
        if kind in digests:
            ident.digest = digests[kind]
        else:
            order.identifiers.remove(ident)
    for kind, digest in digests.items():
        if kind not in by_kind:
            order.identifiers.append(OrderIdentifier(kind=kind, digest=digest))
    if existing is None:
        session.add(order)
    return order


def discard_order(session: Session, order: Order) -> None:
    """Delete a stored order (its identifiers go with it), or drop one not yet written."""
    if order in session.new:
        session.expunge(order)
    else:
        session.delete(order)


def set_outcome(order: Order, outcome: str, at: datetime) -> None:
    """Record a delivery outcome; an older report never overrides a newer one."""
    if order.outcome_at is None or at >= order.outcome_at:
        order.outcome = outcome
        order.outcome_at = at


def median_total_cents(session: Session, shop_id: str, currency: str) -> int | None:
    """The median order total of this shop in this currency (None with too few orders)."""
    where = (Order.shop_id == shop_id, Order.currency == currency)
    count = session.scalar(select(func.count()).select_from(Order).where(*where)) or 0
    if count < MEDIAN_MIN_ORDERS:
        return None
    return session.scalar(
        select(Order.total_cents).where(*where).order_by(Order.total_cents).offset(count // 2)
    )


def place_stats(
    session: Session, places: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, int]]:
    """(delivered, failed) per (country, town key), from the network's place statistics."""
    wanted = sorted(set(places))
    if not wanted:
        return {}
    countries = sorted({country for country, _ in wanted})
    keys = sorted({key for _, key in wanted})
    rows = session.execute(
        select(PlaceStat.country, PlaceStat.city_key, PlaceStat.delivered, PlaceStat.failed).where(
            PlaceStat.country.in_(countries), PlaceStat.city_key.in_(keys)
        )
    ).all()
    found = {(r.country, r.city_key): (r.delivered, r.failed) for r in rows}
    return {place: found[place] for place in wanted if place in found}
