"""Which recent orders are risky enough to tell the owner about (desktop notifications)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from shopguard.store.models import Order, OrderScore


@dataclass(frozen=True, slots=True)
class RiskyOrder:
    """An order whose latest score is in a notifying band (no customer data).

    Attributes:
        number: the order number the shop shows ("1234").
        band: "high" or "medium".
    """

    store_id: int
    woo_id: int
    number: str
    band: str
    score: int | None
    created_at: datetime


def risky_orders(
    session: Session,
    store_id: int,
    *,
    bands: Sequence[str],
    min_score: int,
    created_since: datetime,
) -> list[RiskyOrder]:
    """Orders created since ``created_since`` whose latest score is in ``bands`` and at least
    ``min_score``, riskiest first. Trashed orders are left out."""
    if not bands:
        return []
    query = (
        select(
            Order.woo_id, Order.number, OrderScore.band, OrderScore.score, Order.date_created_gmt
        )
        .join(
            OrderScore,
            and_(OrderScore.store_id == Order.store_id, OrderScore.order_woo_id == Order.woo_id),
        )
        .where(
            Order.store_id == store_id,
            Order.status != "trash",
            Order.date_created_gmt >= created_since,
            OrderScore.band.in_(list(bands)),
        )
        .order_by(OrderScore.score.desc(), Order.woo_id)
    )
    if min_score > 0:
        query = query.where(OrderScore.score >= min_score)
    return [
        RiskyOrder(store_id, woo_id, number, band, score, created)
        for woo_id, number, band, score, created in session.execute(query)
    ]
