"""What the network knew about each order's identifiers when the order was placed.

The only queries that read across shops: they return aggregate counts (per shop, then
summed here), never another shop's rows. Point in time: for an order placed at ``t`` only
earlier orders count, and only outcomes reported at or before ``t``; so a back-filled
history scores each order as it would have been scored live.

A batch is one query per statistic: the orders' identifiers go in as a ``VALUES`` list
(``probes``), joined to the stored identifiers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    column,
    distinct,
    false,
    func,
    or_,
    select,
    values,
)
from sqlalchemy.orm import Session, aliased

from shopguard.scoring.model import (
    FAILED_OUTCOMES,
    STRONG_KINDS,
    Activity,
    KindHistory,
    SubjectHistory,
    Tally,
)
from shopguard.server.models import Order, OrderIdentifier, UTCDateTime

STALE_AFTER = timedelta(days=365)
RECENT = timedelta(hours=24)
_COUNTERPART = {"phone": "email", "email": "phone"}


@dataclass(frozen=True)
class Probe:
    """One order to look up: its position, its time, its stored digests by kind."""

    index: int
    at: datetime
    digests: dict[str, str]


@dataclass
class _Counts:
    orders: int = 0
    delivered: int = 0
    refused: int = 0
    returned: int = 0
    undelivered: int = 0
    stale_delivered: int = 0
    stale_failed: int = 0
    shops: int = 0
    failing_shops: int = 0
    last_failure: datetime | None = None
    orders_24h: int = 0
    shops_24h: int = 0

    def add(self, row: Any) -> None:
        failed = row.refused + row.returned + row.undelivered
        self.orders += row.orders
        self.delivered += row.delivered
        self.refused += row.refused
        self.returned += row.returned
        self.undelivered += row.undelivered
        self.stale_delivered += row.stale_delivered
        self.stale_failed += row.stale_failed
        self.shops += 1 if failed + row.delivered else 0
        self.failing_shops += 1 if failed else 0
        if row.last_failure is not None and (
            self.last_failure is None or row.last_failure > self.last_failure
        ):
            self.last_failure = row.last_failure
        self.orders_24h += row.orders_24h
        self.shops_24h += 1 if row.orders_24h else 0

    def tally(self, at: datetime) -> Tally:
        days = None
        if self.last_failure is not None:
            days = max(0.0, (at - self.last_failure).total_seconds() / 86400)
        return Tally(
            orders=self.orders,
            delivered=self.delivered,
            refused=self.refused,
            returned=self.returned,
            undelivered=self.undelivered,
            stale_delivered=self.stale_delivered,
            stale_failed=self.stale_failed,
            shops=self.shops,
            failing_shops=self.failing_shops,
            last_failure_days=days,
        )


@dataclass
class _Split:
    own: _Counts = field(default_factory=_Counts)
    network: _Counts = field(default_factory=_Counts)


def gather(
    session: Session, shop_id: str, probes: Sequence[Probe]
) -> list[tuple[SubjectHistory, Activity]]:
    """History and activity for each probe, in the probes' order."""
    rows = [
        (p.index, kind, digest, p.at, p.at - STALE_AFTER, p.at - RECENT, _COUNTERPART.get(kind))
        for p in probes
        for kind, digest in sorted(p.digests.items())
    ]
    if not rows:
        return [(SubjectHistory(), Activity()) for _ in probes]
    table = values(
        column("idx", Integer),
        column("kind", String),
        column("digest", String),
        column("t", UTCDateTime()),
        column("t_stale", UTCDateTime()),
        column("t_recent", UTCDateTime()),
        column("counterpart", String),
        name="probes",
    ).data(rows)
    probes_cte = table.cte("probes")
    union = _union_counts(session, shop_id, probes_cte)
    per_kind = _kind_counts(session, shop_id, probes_cte)
    links = _links(session, shop_id, probes_cte)
    out = []
    for probe in probes:
        split = union.get(probe.index, _Split())
        kinds = {
            kind: KindHistory(own=s.own.tally(probe.at), network=s.network.tally(probe.at))
            for (index, kind), s in per_kind.items()
            if index == probe.index
        }
        history = SubjectHistory(
            own=split.own.tally(probe.at), network=split.network.tally(probe.at), by_kind=kinds
        )
        activity = Activity(
            own_orders_24h=split.own.orders_24h,
            network_orders_24h=split.network.orders_24h,
            network_shops_24h=split.network.shops_24h,
            emails_per_phone=links.get((probe.index, "phone"), 0),
            phones_per_email=links.get((probe.index, "email"), 0),
        )
        out.append((history, activity))
    return out


def _visible(shop_id: str) -> ColumnElement[bool]:
    # A disputed record (network_excluded) still counts for its own shop only.
    return or_(Order.shop_id == shop_id, Order.network_excluded == false())


def _aggregates(src: Any) -> list[Any]:
    """Outcome counts over rows with outcome, outcome_at, created_at and the probe times."""
    known = and_(src.outcome_at.is_not(None), src.outcome_at <= src.t)
    failed = and_(known, src.outcome.in_(FAILED_OUTCOMES))
    stale = src.created_at < src.t_stale

    def count_if(condition: ColumnElement[bool], name: str) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(name)

    return [
        func.count().label("orders"),
        count_if(and_(known, src.outcome == "delivered"), "delivered"),
        count_if(and_(known, src.outcome == "refused"), "refused"),
        count_if(and_(known, src.outcome == "returned"), "returned"),
        count_if(and_(known, src.outcome == "failed"), "undelivered"),
        count_if(and_(known, src.outcome == "delivered", stale), "stale_delivered"),
        count_if(and_(failed, stale), "stale_failed"),
        func.max(case((failed, src.outcome_at))).label("last_failure"),
        count_if(src.created_at >= src.t_recent, "orders_24h"),
    ]


def _matches(shop_id: str, probes: Any, kinds: Sequence[str]) -> Any:
    """Earlier orders sharing a probe's identifier, one row per (probe, kind, order)."""
    return (
        select(
            probes.c.idx,
            probes.c.kind,
            probes.c.t,
            probes.c.t_stale,
            probes.c.t_recent,
            Order.id.label("order_pk"),
            Order.shop_id,
            Order.created_at,
            Order.outcome,
            Order.outcome_at,
        )
        .select_from(probes)
        .join(OrderIdentifier, OrderIdentifier.digest == probes.c.digest)
        .join(Order, Order.id == OrderIdentifier.order_pk)
        .where(probes.c.kind.in_(kinds), Order.created_at < probes.c.t, _visible(shop_id))
    )


def _union_counts(session: Session, shop_id: str, probes: Any) -> dict[int, _Split]:
    matched = _matches(shop_id, probes, STRONG_KINDS).subquery()
    # Each earlier order once per probe, however many identifiers it shares.
    orders = (
        select(
            matched.c.idx,
            matched.c.t,
            matched.c.t_stale,
            matched.c.t_recent,
            matched.c.order_pk,
            matched.c.shop_id,
            matched.c.created_at,
            matched.c.outcome,
            matched.c.outcome_at,
        )
        .distinct()
        .subquery()
    )
    statement = select(orders.c.idx, orders.c.shop_id, *_aggregates(orders.c)).group_by(
        orders.c.idx, orders.c.shop_id
    )
    out: dict[int, _Split] = defaultdict(_Split)
    for row in session.execute(statement):
        split = out[row.idx]
        (split.own if row.shop_id == shop_id else split.network).add(row)
    return out


def _kind_counts(session: Session, shop_id: str, probes: Any) -> dict[tuple[int, str], _Split]:
    matched = _matches(shop_id, probes, STRONG_KINDS).subquery()
    statement = select(
        matched.c.idx, matched.c.kind, matched.c.shop_id, *_aggregates(matched.c)
    ).group_by(matched.c.idx, matched.c.kind, matched.c.shop_id)
    out: dict[tuple[int, str], _Split] = defaultdict(_Split)
    for row in session.execute(statement):
        split = out[(row.idx, row.kind)]
        (split.own if row.shop_id == shop_id else split.network).add(row)
    return out


def _links(session: Session, shop_id: str, probes: Any) -> dict[tuple[int, str], int]:
    """Distinct emails seen with each phone, and phones with each email (up to the order)."""
    other = aliased(OrderIdentifier)
    statement = (
        select(probes.c.idx, probes.c.kind, func.count(distinct(other.digest)).label("n"))
        .select_from(probes)
        .join(OrderIdentifier, OrderIdentifier.digest == probes.c.digest)
        .join(Order, Order.id == OrderIdentifier.order_pk)
        .join(other, and_(other.order_pk == Order.id, other.kind == probes.c.counterpart))
        .where(probes.c.counterpart.is_not(None), Order.created_at <= probes.c.t)
        .where(_visible(shop_id))
        .group_by(probes.c.idx, probes.c.kind)
    )
    return {(row.idx, row.kind): int(row.n) for row in session.execute(statement)}
