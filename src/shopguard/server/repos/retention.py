"""Retention and network statistics: which records are past retention; towns' records.

A subject is every order sharing a strong identifier (email, phone, address) with another;
their records go once the subject's last order is older than the retention period.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, delete, exists, func, insert, select, text
from sqlalchemy.orm import Session, aliased

from shopguard.scoring.model import FAILED_OUTCOMES, STRONG_KINDS
from shopguard.server.models import Order, OrderIdentifier, PlaceDelta, PlaceStat


def expired_order_ids(session: Session, cutoff: datetime) -> list[int]:
    """Orders older than ``cutoff`` whose subject has no order at or after it."""
    mine = aliased(OrderIdentifier)
    same = aliased(OrderIdentifier)
    later = aliased(Order)
    recent_link = (
        exists()
        .where(
            mine.order_pk == Order.id,
            mine.kind.in_(STRONG_KINDS),
            same.digest == mine.digest,
            later.id == same.order_pk,
            later.created_at >= cutoff,
        )
        .correlate(Order)
    )
    statement = select(Order.id).where(Order.created_at < cutoff, ~recent_link)
    return list(session.scalars(statement))


def rebuild_place_stats(session: Session) -> int:
    """Recount each town's cumulative delivered and failed parcels per day from the stored
    orders and forget the changes recorded since the last rebuild; how many towns.

    On PostgreSQL the changes table is locked first, so a change committed meanwhile is
    either counted in the rebuild or recorded after it, never lost or counted twice (and
    two workers rebuilding at start-up take turns).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE place_deltas IN EXCLUSIVE MODE"))
    session.execute(delete(PlaceStat))
    day = func.date(Order.outcome_at).label("day")
    daily = (
        select(
            Order.ship_country.label("country"),
            Order.city_key.label("city_key"),
            day,
            func.sum(case((Order.outcome == "delivered", 1), else_=0)).label("delivered"),
            func.sum(case((Order.outcome.in_(FAILED_OUTCOMES), 1), else_=0)).label("failed"),
        )
        .where(
            Order.ship_country.is_not(None),
            Order.city_key.is_not(None),
            Order.outcome.in_(("delivered", *FAILED_OUTCOMES)),
            Order.outcome_at.is_not(None),
            Order.network_excluded.is_(False),
        )
        .group_by(Order.ship_country, Order.city_key, day)
        .subquery()
    )
    town = (daily.c.country, daily.c.city_key)
    cumulative = select(
        daily.c.country,
        daily.c.city_key,
        daily.c.day,
        func.sum(daily.c.delivered).over(partition_by=town, order_by=daily.c.day),
        func.sum(daily.c.failed).over(partition_by=town, order_by=daily.c.day),
    )
    session.execute(
        insert(PlaceStat).from_select(
            ["country", "city_key", "day", "delivered", "failed"], cumulative
        )
    )
    session.execute(delete(PlaceDelta))
    towns = select(PlaceStat.country, PlaceStat.city_key).distinct().subquery()
    return int(session.scalar(select(func.count()).select_from(towns)) or 0)


def place_stats_current(session: Session) -> bool:
    """Whether the towns' statistics need no rebuild: built, and nothing changed since."""
    built = session.scalar(select(PlaceStat.day).limit(1)) is not None
    changed = session.scalar(select(PlaceDelta.id).limit(1)) is not None
    return built and not changed
