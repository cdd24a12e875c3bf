"""Orders with their latest risk score: the Orders screen's rows, its band filter, its detail.

A page is read in two steps. The first finds the page's order ids (orders left-joined to
``order_scores``, filtered, sorted, offset): narrow rows, so SQLite's sort and the deep
``OFFSET``s of a lazily scrolled table stay cheap, and the band filter and risk sort use
the ``ix_order_scores_band`` / ``ix_order_scores_score`` indexes. The second reads the
full rows of just those ids, with their score and whether a payload for them still waits
in the outbox.

A score is shown as out of date, never as fresh, when the order was synced again (changed
in the shop) after it was scored, or when a payload for it waits in the outbox to be
(re)scored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from shopguard.store.models import Order, OrderScore, OutboxItem
from shopguard.store.records import ORDER_FIELDS, OrderRecord
from shopguard.store.repositories import local_scoring as local_repo
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import outbox as outbox_repo
from shopguard.store.repositories import scores as score_repo
from shopguard.store.repositories.orders import SortKey
from shopguard.store.repositories.scores import ScoreRecord

RiskSortKey = SortKey | Literal["risk"]
BandFilter = Literal["all", "high", "medium", "low", "unknown", "unscored"]
BAND_FILTERS: tuple[BandFilter, ...] = ("all", "high", "medium", "low", "unknown", "unscored")
IDENTIFIER_KINDS = ("email", "phone", "name", "address")

RARE_BAND = 20_000  # a band with at most this many orders is read from its index, then sorted
_SCORE_JOIN = and_(OrderScore.store_id == Order.store_id, OrderScore.order_woo_id == Order.woo_id)


@dataclass(frozen=True, slots=True)
class RowScore:
    """The latest score of an order, as the table shows it (no reasons: the pane has them)."""

    score: int | None
    band: str
    scored_by: str
    scored_at: datetime
    model: str


@dataclass(frozen=True, slots=True)
class OrderRiskRow:
    """One row of the Orders screen: the order, its latest score (None: not scored yet).

    Attributes:
        waiting: a payload for this order waits in the outbox to be (re)scored.
        changed: the order was synced again (it changed in the shop) after it was scored.
    """

    order: OrderRecord
    score: RowScore | None
    waiting: bool = False
    changed: bool = False

    @property
    def stale(self) -> bool:
        """The score may no longer be right for the order as it is now."""
        return self.score is not None and (self.waiting or self.changed)


@dataclass(frozen=True, slots=True)
class OrderDetail:
    """Everything the detail pane shows for one order.

    Attributes:
        row: the order and its latest score, as in the table (None: the order is gone).
        history: every score it had, oldest first.
        sent_payload: the exact JSON text last sent to the scoring service, or None.
        waiting_payload: a payload for it waits in the outbox (not sent yet).
        local_digests: the embedded scorer's own digests, {kind: hex}, never sent anywhere.
    """

    row: OrderRiskRow | None
    history: list[ScoreRecord] = field(default_factory=list)
    sent_payload: str | None = None
    waiting_payload: bool = False
    local_digests: dict[str, str] = field(default_factory=dict)

    def network_digests(self) -> dict[str, str]:
        """The identifier digests that were sent, {kind: hex}, from the sent payload."""
        if not self.sent_payload:
            return {}
        try:
            found = json.loads(self.sent_payload).get("identifiers") or {}
        except (ValueError, AttributeError):
            return {}
        return {k: str(v) for k, v in found.items() if isinstance(v, str) and v}


def _band_condition(band: BandFilter) -> ColumnElement[bool] | None:
    if band == "all":
        return None
    if band == "unscored":
        return OrderScore.id.is_(None)
    return OrderScore.band == band


def _filtered(query: Select[Any], store_id: int, search: str, band: BandFilter) -> Select[Any]:
    query = order_repo.search_filter(query, store_id, search)
    condition = _band_condition(band)
    return query if condition is None else query.where(condition)


def _order_by(sort: SortKey, descending: bool, *, by_index: bool = True) -> list[Any]:
    columns: list[Any] = list(order_repo.sort_columns(sort))
    if not by_index:
        # SQLite's "+x": the same order, but no index can give it, so the planner drives
        # from the band index instead of walking every order in sort order.
        columns = [UnaryExpression(c, operator=custom_op("+"), type_=c.type) for c in columns]
    return [c.desc() if descending else c.asc() for c in columns]


def count_rows(
    session: Session, store_id: int, *, search: str = "", band: BandFilter = "all"
) -> int:
    """How many orders match ``search`` and the band filter."""
    if band == "all":
        return order_repo.count_orders(session, store_id, search=search)
    if not search:
        # Every score belongs to a stored order (orders are never deleted, only marked
        # trashed), so the score indexes alone can count: no row of ``orders`` is read.
        scored = select(func.count()).select_from(OrderScore).where(OrderScore.store_id == store_id)
        if band == "unscored":
            total = order_repo.count_orders(session, store_id)
            return max(0, total - int(session.scalar(scored) or 0))
        return int(session.scalar(scored.where(OrderScore.band == band)) or 0)
    query = select(func.count()).select_from(Order)
    if band == "unscored":
        query = query.outerjoin(OrderScore, _SCORE_JOIN)
    else:
        query = query.join(OrderScore, _SCORE_JOIN)
    return int(session.scalar(_filtered(query, store_id, search, band)) or 0)


def page_ids(
    session: Session,
    store_id: int,
    *,
    search: str = "",
    band: BandFilter = "all",
    sort: RiskSortKey = "date_created",
    descending: bool = True,
    offset: int = 0,
    limit: int | None = None,
    unscored: int | None = None,
) -> list[int]:
    """The WooCommerce ids of one page of orders, filtered and sorted (step one of a page).

    ``unscored``: how many orders have no score, if the caller counted them already.
    """
    if sort == "risk":
        return _risk_ids(session, store_id, search, band, descending, offset, limit, unscored)
    query = select(Order.woo_id).select_from(Order)
    if band == "unscored":
        if not search:
            if unscored is None:
                unscored = count_rows(session, store_id, band=band)
            if offset >= unscored:
                return []  # without this, finding "none" reads every order
        query = query.outerjoin(OrderScore, _SCORE_JOIN)
    by_index = True
    if band not in ("all", "unscored"):
        in_band = session.scalar(
            select(func.count()).select_from(
                select(OrderScore.id)
                .where(OrderScore.store_id == store_id, OrderScore.band == band)
                .limit(RARE_BAND + 1)
                .subquery()
            )
        )
        if not in_band:
            return []
        # A rare band: read its orders from the band index and sort them. A common one:
        # walk the orders in sort order, its members come soon enough.
        by_index = in_band > RARE_BAND
        query = query.join(OrderScore, _SCORE_JOIN)
    query = _filtered(query, store_id, search, band)
    query = query.order_by(*_order_by(sort, descending, by_index=by_index))
    query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def _risk_segments(
    store_id: int, search: str, band: BandFilter, descending: bool
) -> list[Select[Any]]:
    """Sorted by risk, the rows come in three runs: scored orders by score, then "Unknown",
    then "Not scored yet" (in either direction: an order without a number is neither the
    riskiest nor the safest). The first two walk a score index in order (ties by the score
    row's id), so no sort and no deep OFFSET ever reads the orders table."""

    def direction(column: Any) -> Any:
        return column.desc() if descending else column.asc()

    segments = []
    for has_score in (True, False):
        if band == "unscored" or (band == "unknown" and has_score):
            continue
        query = select(OrderScore.order_woo_id).where(
            OrderScore.store_id == store_id,
            OrderScore.score.is_not(None) if has_score else OrderScore.score.is_(None),
        )
        if band != "all":
            query = query.where(OrderScore.band == band)
        if search:
            query = order_repo.search_filter(query.join(Order, _SCORE_JOIN), store_id, search)
        segments.append(query.order_by(direction(OrderScore.score), direction(OrderScore.id)))
    if band in ("all", "unscored"):
        query = (
            select(Order.woo_id)
            .select_from(Order)
            .outerjoin(OrderScore, _SCORE_JOIN)
            .where(OrderScore.id.is_(None))
        )
        query = order_repo.search_filter(query, store_id, search)
        segments.append(query.order_by(direction(Order.woo_id)))
    return segments


def _risk_ids(
    session: Session,
    store_id: int,
    search: str,
    band: BandFilter,
    descending: bool,
    offset: int,
    limit: int | None,
    unscored: int | None,
) -> list[int]:
    out: list[int] = []
    skip = offset
    segments = _risk_segments(store_id, search, band, descending)
    for number, query in enumerate(segments):
        wanted = None if limit is None else limit - len(out)
        if wanted == 0:
            break
        last = number == len(segments) - 1
        unscored_run = last and band in ("all", "unscored")
        if unscored_run and not search:
            if unscored is None:
                unscored = count_rows(session, store_id, band="unscored")
            if skip >= unscored:
                break  # nothing (more) there: two index counts are cheaper than the anti-join
        query = query.offset(skip)
        got = list(session.scalars(query if wanted is None else query.limit(wanted)))
        out.extend(got)
        if got:
            skip = 0
        elif skip and not last:
            # The offset lies beyond this run: count it to know how far into the next.
            counted = select(func.count()).select_from(segments[number].order_by(None).subquery())
            skip = max(0, skip - int(session.scalar(counted) or 0))
    return out


def rows_for(session: Session, store_id: int, woo_ids: Sequence[int]) -> list[OrderRiskRow]:
    """The full rows of these orders, with score and outbox state, in the order given."""
    if not woo_ids:
        return []
    n = len(ORDER_FIELDS)
    waiting = exists().where(
        OutboxItem.store_id == Order.store_id,
        OutboxItem.order_woo_id == Order.woo_id,
        OutboxItem.kind == "order",
        OutboxItem.sent_at.is_(None),
    )
    query = (
        select(
            *(getattr(Order, name) for name in ORDER_FIELDS),
            OrderScore.score,
            OrderScore.band,
            OrderScore.scored_by,
            OrderScore.scored_at,
            OrderScore.model,
            OrderScore.id.is_not(None),
            waiting,
            Order.synced_at > OrderScore.scored_at,
        )
        .select_from(Order)
        .outerjoin(OrderScore, _SCORE_JOIN)
        .where(Order.store_id == store_id, Order.woo_id.in_(list(woo_ids)))
    )
    found: dict[int, OrderRiskRow] = {}
    for row in session.execute(query):
        order = OrderRecord(*row[:n])
        score, band, scored_by, scored_at, model, has_score, is_waiting, changed = row[n:]
        risk = RowScore(score, band, scored_by, scored_at, model) if has_score else None
        found[order.woo_id] = OrderRiskRow(order, risk, bool(is_waiting), bool(changed))
    return [found[w] for w in woo_ids if w in found]


def list_rows(
    session: Session,
    store_id: int,
    *,
    search: str = "",
    band: BandFilter = "all",
    sort: RiskSortKey = "date_created",
    descending: bool = True,
    offset: int = 0,
    limit: int | None = None,
    unscored: int | None = None,
) -> list[OrderRiskRow]:
    """A page of the Orders screen: orders with their latest score, filtered and sorted
    (``unscored``: see ``page_ids``)."""
    ids = page_ids(
        session,
        store_id,
        search=search,
        band=band,
        sort=sort,
        descending=descending,
        offset=offset,
        limit=limit,
        unscored=unscored,
    )
    return rows_for(session, store_id, ids)


def order_detail(session: Session, store_id: int, woo_id: int) -> OrderDetail:
    """The detail pane's data for one order: score history, what was sent, local digests."""
    rows = rows_for(session, store_id, [woo_id])
    if not rows:
        return OrderDetail(row=None)
    pending = session.scalar(
        select(func.count())
        .select_from(OutboxItem)
        .where(
            OutboxItem.store_id == store_id,
            OutboxItem.order_woo_id == woo_id,
            OutboxItem.kind == "order",
            OutboxItem.sent_at.is_(None),
        )
    )
    return OrderDetail(
        row=rows[0],
        history=score_repo.score_history(session, store_id, woo_id),
        sent_payload=outbox_repo.sent_payloads(session, store_id, [woo_id]).get(woo_id),
        waiting_payload=bool(pending),
        local_digests=local_repo.identifiers(session, store_id, [woo_id]).get(woo_id, {}),
    )
