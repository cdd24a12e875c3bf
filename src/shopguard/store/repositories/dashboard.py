"""The Dashboard's queries: counts grouped in the database, never whole tables in memory.

Every function takes an optional ``store_id`` (None: every connected store) and returns
small lists of plain tuples; ``shopguard.dashboard`` turns them into chart data. Trashed
orders are left out. Dates are grouped by the first characters of the stored UTC text
(``YYYY-MM-DD``), which is the order's UTC day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from shopguard.store.models import Order, OrderOutcome, OrderScore, OutboxItem
from shopguard.store.types import UTCDateTime

_DAY = func.substr(Order.date_created_gmt, 1, 10)
_MONTH = func.substr(Order.date_created_gmt, 1, 7)


def _orders_since(query: Select[Any], store_id: int | None, since: datetime) -> Select[Any]:
    query = query.where(Order.date_created_gmt >= since, Order.status != "trash")
    if store_id is not None:
        query = query.where(Order.store_id == store_id)
    return query


def band_counts_by_day(
    session: Session, store_id: int | None, since: datetime
) -> list[tuple[str, str, int]]:
    """(UTC day "YYYY-MM-DD", band, orders) for orders created since ``since``.

    Orders without a score count as band "unknown".
    """
    band = func.coalesce(OrderScore.band, "unknown")
    query = select(_DAY, band, func.count()).select_from(Order)
    query = query.outerjoin(
        OrderScore,
        and_(OrderScore.store_id == Order.store_id, OrderScore.order_woo_id == Order.woo_id),
    )
    query = _orders_since(query, store_id, since).group_by(_DAY, band)
    return [(str(day), str(name), int(count)) for day, name, count in session.execute(query)]


def outcome_counts_by_month(
    session: Session, store_id: int | None, since: datetime
) -> list[tuple[str, str, str | None, int]]:
    """(UTC month "YYYY-MM", order status, owner-reported outcome or None, orders) for
    orders created since ``since``.

    The owner's outcome (``order_outcomes``) takes precedence over the one the status
    implies; the caller decides (``privacy.payload.outcome_for_status``).
    """
    query = (
        select(_MONTH, Order.status, OrderOutcome.outcome, func.count())
        .select_from(Order)
        .outerjoin(
            OrderOutcome,
            and_(
                OrderOutcome.store_id == Order.store_id, OrderOutcome.order_woo_id == Order.woo_id
            ),
        )
    )
    query = _orders_since(query, store_id, since).group_by(
        _MONTH, Order.status, OrderOutcome.outcome
    )
    return [
        (str(month), str(status), None if outcome is None else str(outcome), int(count))
        for month, status, outcome, count in session.execute(query)
    ]


def reason_counts(
    session: Session, store_id: int | None, since: datetime
) -> list[tuple[str, str, int]]:
    """(reason code, its shortest wording, orders) over the latest scores of orders created
    since ``since``, for the reasons that raised the risk (positive weight); an order counts
    once per reason code."""
    reasons = func.json_each(OrderScore.reasons).table_valued("value").alias("r")
    raised = func.json_extract(reasons.c.value, "$.weight") > 0
    code = func.json_extract(reasons.c.value, "$.code")
    text = func.json_extract(reasons.c.value, "$.text")
    shortest = func.min(func.length(text))
    query = (
        select(code, func.count(func.distinct(Order.id)), shortest)
        .select_from(Order)
        .join(
            OrderScore,
            and_(OrderScore.store_id == Order.store_id, OrderScore.order_woo_id == Order.woo_id),
        )
        .join(reasons, func.json_type(OrderScore.reasons) == "array")
    )
    query = _orders_since(query, store_id, since).where(code.is_not(None), raised).group_by(code)
    counted = [(str(c), int(n)) for c, n, _ in session.execute(query)]
    if not counted:
        return []
    # One wording per code: the shortest (numbers in longer ones are about one order).
    wording_query = (
        select(code, text)
        .select_from(Order)
        .join(
            OrderScore,
            and_(OrderScore.store_id == Order.store_id, OrderScore.order_woo_id == Order.woo_id),
        )
        .join(reasons, func.json_type(OrderScore.reasons) == "array")
    )
    wording_query = (
        _orders_since(wording_query, store_id, since)
        .where(code.is_not(None), raised)
        .group_by(code)
        .having(func.length(text) == shortest)
    )
    wording: dict[str, str] = {}
    for row in session.execute(wording_query):
        found: Any = row[1]
        wording[str(row[0])] = str(found) if found else str(row[0])
    return [(c, wording.get(c, c), n) for c, n in counted]


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """The outbox at a glance.

    Attributes:
        waiting: not sent yet (including failing ones).
        failing: not sent, and at least one attempt failed.
        sent: acknowledged by the service.
        last_error: the newest failure's message among unsent items ("" when none).
        last_sent_at: when something was last acknowledged (None: never).
    """

    waiting: int
    failing: int
    sent: int
    last_error: str
    last_sent_at: datetime | None


def outbox_counts(session: Session, store_id: int | None = None) -> OutboxCounts:
    """How many outbox items wait, fail and were sent, and the newest error."""
    unsent = OutboxItem.sent_at.is_(None)
    where = [] if store_id is None else [OutboxItem.store_id == store_id]
    waiting, failing, sent, last_sent = session.execute(
        select(
            func.count().filter(unsent),
            func.count().filter(and_(unsent, OutboxItem.attempts > 0)),
            func.count().filter(OutboxItem.sent_at.is_not(None)),
            func.max(OutboxItem.sent_at),
        ).where(*where)
    ).one()
    error = session.scalar(
        select(OutboxItem.last_error)
        .where(*where, unsent, OutboxItem.last_error != "")
        .order_by(OutboxItem.next_attempt_at.desc(), OutboxItem.id.desc())
        .limit(1)
    )
    return OutboxCounts(
        waiting=int(waiting or 0),
        failing=int(failing or 0),
        sent=int(sent or 0),
        last_error=str(error or ""),
        last_sent_at=_as_datetime(last_sent),
    )


def _as_datetime(value: Any) -> datetime | None:
    """``max()`` over a typed column loses the type on SQLite: parse the stored text."""
    if value is None or isinstance(value, datetime):
        return value
    return UTCDateTime().process_result_value(value, None)  # type: ignore[arg-type]
