"""Delivery outcomes the owner reported, and the orders still waiting for one.

One outcome per order at most (``order_outcomes``); it takes precedence over the outcome
the order's status implies. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from shopguard.store import bulk
from shopguard.store.models import Order, OrderOutcome
from shopguard.store.records import ORDER_FIELDS, OrderRecord
from shopguard.store.types import utc_from_stored

OWNER_OUTCOMES = ("delivered", "failed", "refused", "returned", "cancelled")
"""What an owner can report about a parcel ("cancelled": it was never sent, as when the
payment failed; it counts neither way)."""


def owner_word(outcome: str) -> str:
    """An outcome as the owner reports it: "Delivered", ..., "Not sent" (for "cancelled")."""
    return "Not sent" if outcome == "cancelled" else outcome.capitalize()


@dataclass(frozen=True, slots=True)
class OwnerOutcome:
    """An outcome the owner reported for one order."""

    order_woo_id: int
    outcome: str
    recorded_at: datetime


def get_outcome(session: Session, store_id: int, woo_id: int) -> OwnerOutcome | None:
    """The owner's outcome for this order, or None."""
    return outcomes(session, store_id, [woo_id]).get(woo_id)


def outcomes(
    session: Session, store_id: int, woo_ids: Collection[int] | None = None
) -> dict[int, OwnerOutcome]:
    """The owner's outcomes of these orders (every order of the store with None).

    Every synced page and back-fill chunk asks this: plain SQL (``bulk.rows_for_ids``).
    """
    rows: Sequence[Sequence[Any]]
    if woo_ids is None:
        every = _OUTCOMES.format(ids="IS NOT NULL")
        rows = session.connection().exec_driver_sql(every, (store_id,)).all()
    else:
        rows = bulk.rows_for_ids(session, _OUTCOMES, (store_id,), woo_ids)
    return {w: OwnerOutcome(w, outcome, utc_from_stored(at)) for w, outcome, at in rows}


_OUTCOMES = (
    "SELECT order_woo_id, outcome, recorded_at FROM order_outcomes "
    "WHERE store_id = ? AND order_woo_id {ids}"
)


def set_outcome(
    session: Session, store_id: int, woo_id: int, outcome: str, at: datetime
) -> OwnerOutcome | None:
    """Record (or replace) the owner's outcome; returns the one it replaced, if any.

    Raises:
        ValueError: not one of ``OWNER_OUTCOMES``.
    """
    if outcome not in OWNER_OUTCOMES:
        raise ValueError(
            f"Unknown outcome {outcome!r}; expected one of {', '.join(OWNER_OUTCOMES)}."
        )
    previous = get_outcome(session, store_id, woo_id)
    if previous is None:
        session.add(
            OrderOutcome(store_id=store_id, order_woo_id=woo_id, outcome=outcome, recorded_at=at)
        )
    else:
        session.execute(
            update(OrderOutcome)
            .where(OrderOutcome.store_id == store_id, OrderOutcome.order_woo_id == woo_id)
            .values(outcome=outcome, recorded_at=at)
        )
    session.flush()
    return previous


def clear_outcome(session: Session, store_id: int, woo_id: int) -> OwnerOutcome | None:
    """Forget the owner's outcome (the status speaks again); returns what was removed."""
    previous = get_outcome(session, store_id, woo_id)
    if previous is not None:
        session.execute(
            delete(OrderOutcome).where(
                OrderOutcome.store_id == store_id, OrderOutcome.order_woo_id == woo_id
            )
        )
    return previous


def mark_changed(session: Session, store_id: int, woo_id: int, at: datetime | None = None) -> None:
    """Make the embedded scorer look at this order (and its customer's later orders) again
    on its next run: the order counts as synced ``at`` (now)."""
    session.execute(
        update(Order)
        .where(Order.store_id == store_id, Order.woo_id == woo_id)
        .values(synced_at=at or datetime.now(UTC))
    )


def find_by_number(session: Session, store_id: int, number: str) -> OrderRecord | None:
    """The order with this order number (as the shop shows it), or None.

    Falls back to the WooCommerce id when no order has that number (numbering plugins).
    """
    columns = [getattr(Order, n) for n in ORDER_FIELDS]
    text = number.strip().lstrip("#")
    row = session.execute(
        select(*columns)
        .where(Order.store_id == store_id, Order.number == text)
        .order_by(Order.woo_id)
        .limit(1)
    ).one_or_none()
    if row is None and text.isdigit():
        row = session.execute(
            select(*columns).where(Order.store_id == store_id, Order.woo_id == int(text))
        ).one_or_none()
    return None if row is None else OrderRecord(*row)


def awaiting_decision(
    session: Session, store_id: int, statuses: Collection[str], *, limit: int | None = None
) -> list[OrderRecord]:
    """Orders in one of ``statuses`` with no owner outcome yet, newest first."""
    decided = exists().where(
        OrderOutcome.store_id == Order.store_id, OrderOutcome.order_woo_id == Order.woo_id
    )
    query = (
        select(*(getattr(Order, n) for n in ORDER_FIELDS))
        .where(Order.store_id == store_id, Order.status.in_(sorted(statuses)), ~decided)
        .order_by(Order.date_created_gmt.desc(), Order.woo_id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return [OrderRecord(*row) for row in session.execute(query)]


def count_awaiting_decision(session: Session, store_id: int, statuses: Sequence[str]) -> int:
    """How many orders ``awaiting_decision`` would list."""
    decided = exists().where(
        OrderOutcome.store_id == Order.store_id, OrderOutcome.order_woo_id == Order.woo_id
    )
    query = (
        select(func.count())
        .select_from(Order)
        .where(Order.store_id == store_id, Order.status.in_(list(statuses)), ~decided)
    )
    return int(session.scalar(query) or 0)
