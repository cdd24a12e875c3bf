"""Retention and network statistics: which records are past retention; towns' records.

A subject is every order sharing a strong identifier (email, phone, address) with another;
their records go once the subject's last order is older than the retention period.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, delete, exists, func, insert, select
from sqlalchemy.orm import Session, aliased

from shopguard.scoring.model import FAILED_OUTCOMES, STRONG_KINDS
from shopguard.server.models import Order, OrderIdentifier, PlaceStat


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
    """Recount delivered and failed parcels per town from the stored orders; rows written."""
    session.execute(delete(PlaceStat))
    failed = func.sum(case((Order.outcome.in_(FAILED_OUTCOMES), 1), else_=0))
    delivered = func.sum(case((Order.outcome == "delivered", 1), else_=0))
    source = (
        select(Order.ship_country, Order.city_key, delivered, failed)
        .where(
            and_(
                Order.ship_country.is_not(None),
                Order.city_key.is_not(None),
                Order.outcome.is_not(None),
                Order.network_excluded.is_(False),
            )
        )
        .group_by(Order.ship_country, Order.city_key)
    )
    session.execute(
        insert(PlaceStat).from_select(["country", "city_key", "delivered", "failed"], source)
    )
    return int(session.scalar(select(func.count()).select_from(PlaceStat)) or 0)
