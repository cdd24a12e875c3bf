"""Risk scores: the latest one per order, and the history of how it changed.

Whoever scores an order (the scoring service through the outbox sender, or the embedded
scorer on this computer) saves through ``write_scores``: the latest row in
``order_scores`` is upserted every time (its ``scored_at`` says when it was last scored),
and a row is appended to ``order_score_history`` only when something changed (band, score,
reasons, model or scorer), so re-scoring an unchanged order costs no history.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, exists, select, update
from sqlalchemy.orm import Session

from shopguard.store import bulk
from shopguard.store.models import Order, OrderScore, OrderScoreHistory, OutboxItem

ScoredBy = Literal["network", "local"]
_SCORES = OrderScore.metadata.tables["order_scores"]
_HISTORY = OrderScoreHistory.metadata.tables["order_score_history"]
_CHUNK = 5_000  # ids per IN (...) query: well under SQLite's variable limit
_COMPARED = ("score", "band", "reasons", "model", "scored_by")


@dataclass(frozen=True, slots=True)
class ScoreRecord:
    """A score an order was given.

    Attributes:
        reasons: [{"code", "text", "weight"}, ...], strongest first.
        scored_by: "network" (the scoring service) or "local" (the embedded scorer).
    """

    order_woo_id: int
    score: int | None
    band: str
    p_fail: float | None
    reasons: list[dict[str, Any]]
    model: str
    scored_at: datetime
    scored_by: str = "network"


@dataclass(frozen=True, slots=True)
class ScoreWrite:
    """What ``write_scores`` did: rows upserted, and history rows appended (changes)."""

    saved: int
    changed: int


def write_scores(session: Session, store_id: int, scores: Iterable[ScoreRecord]) -> ScoreWrite:
    """Upsert the latest score of each order; append history where it changed.

    A later duplicate of an order in ``scores`` wins. Caller owns the transaction.
    """
    latest: dict[int, dict[str, Any]] = {}
    encoded: dict[int, tuple[list[dict[str, Any]], str]] = {}  # id(reasons) -> (them, JSON)
    for s in scores:
        known = encoded.get(id(s.reasons))
        if known is None or known[0] is not s.reasons:
            known = encoded[id(s.reasons)] = (s.reasons, _json(s.reasons))
        latest[s.order_woo_id] = {
            "store_id": store_id,
            "order_woo_id": s.order_woo_id,
            "score": s.score,
            "band": s.band,
            "p_fail": s.p_fail,
            "reasons": known[1],
            "model": s.model,
            "scored_by": s.scored_by,
            "scored_at": s.scored_at,
        }
    if not latest:
        return ScoreWrite(0, 0)
    before = _compared(session, store_id, list(latest))
    rows = list(latest.values())
    changed = [
        row
        for row in rows
        if before.get(row["order_woo_id"]) != tuple(row[name] for name in _COMPARED)
    ]
    bulk.insert_rows(session, _SCORES, rows, conflict=("store_id", "order_woo_id"))
    bulk.insert_rows(session, _HISTORY, changed)
    return ScoreWrite(len(rows), len(changed))


def confirm_unchanged(session: Session, store_id: int, woo_ids: Sequence[int]) -> int:
    """Keep the network scores of orders that changed in the shop but not in what is sent
    (a private note moves WooCommerce's modification date, say): the payload the service
    scored is still the order's, so the score holds and is dated to the order's sync, so
    it is not shown as stale. An order with a payload waiting in the outbox is left alone.

    Call after queueing the orders' payloads. Returns how many scores were confirmed.
    """
    synced = (
        select(Order.synced_at)
        .where(Order.store_id == OrderScore.store_id, Order.woo_id == OrderScore.order_woo_id)
        .scalar_subquery()
    )
    waiting = exists().where(
        OutboxItem.store_id == OrderScore.store_id,
        OutboxItem.order_woo_id == OrderScore.order_woo_id,
        OutboxItem.kind == "order",
        OutboxItem.sent_at.is_(None),
    )
    confirmed = 0
    for start in range(0, len(woo_ids), _CHUNK):
        result = session.execute(  # an UPDATE's result is a cursor's: it has a row count
            update(OrderScore)
            .where(
                OrderScore.store_id == store_id,
                OrderScore.order_woo_id.in_(list(woo_ids[start : start + _CHUNK])),
                OrderScore.scored_by == "network",
                OrderScore.scored_at < synced,
                ~waiting,
            )
            .values(scored_at=synced)
            .execution_options(synchronize_session=False)
        )
        confirmed += cast("CursorResult[Any]", result).rowcount or 0
    return confirmed


def _json(reasons: list[dict[str, Any]]) -> str:
    return json.dumps(reasons, ensure_ascii=False)


def save_scores(session: Session, store_id: int, scores: Iterable[ScoreRecord]) -> int:
    """Keep the latest score per order (and its history); returns how many were saved."""
    return write_scores(session, store_id, scores).saved


def _compared(
    session: Session, store_id: int, woo_ids: Sequence[int]
) -> dict[int, tuple[Any, ...]]:
    """The stored (score, band, reasons, model, scored_by) of these orders."""
    out: dict[int, tuple[Any, ...]] = {}
    columns = [getattr(OrderScore, name) for name in _COMPARED]
    for start in range(0, len(woo_ids), _CHUNK):
        chunk = woo_ids[start : start + _CHUNK]
        rows = session.execute(
            select(OrderScore.order_woo_id, *columns).where(
                OrderScore.store_id == store_id, OrderScore.order_woo_id.in_(chunk)
            )
        )
        out.update({row[0]: tuple(row[1:]) for row in rows})
    return out


def scores(session: Session, store_id: int, woo_ids: Sequence[int]) -> dict[int, ScoreRecord]:
    """The latest stored scores of these orders."""
    out: dict[int, ScoreRecord] = {}
    ids = list(woo_ids)
    for start in range(0, len(ids), _CHUNK):
        rows = session.scalars(
            select(OrderScore).where(
                OrderScore.store_id == store_id,
                OrderScore.order_woo_id.in_(ids[start : start + _CHUNK]),
            )
        )
        out.update({r.order_woo_id: _record(r) for r in rows})
    return out


def scored_ids(session: Session, store_id: int) -> set[int]:
    """The orders of the store that have a score (from either scorer)."""
    return set(
        session.scalars(select(OrderScore.order_woo_id).where(OrderScore.store_id == store_id))
    )


def score_history(session: Session, store_id: int, woo_id: int) -> list[ScoreRecord]:
    """Every score the order had, oldest first (one entry per change)."""
    rows = session.scalars(
        select(OrderScoreHistory)
        .where(OrderScoreHistory.store_id == store_id, OrderScoreHistory.order_woo_id == woo_id)
        .order_by(OrderScoreHistory.id)
    )
    return [_record(r) for r in rows]


def _record(row: OrderScore | OrderScoreHistory) -> ScoreRecord:
    return ScoreRecord(
        order_woo_id=row.order_woo_id,
        score=row.score,
        band=row.band,
        p_fail=row.p_fail,
        reasons=json.loads(row.reasons),
        model=row.model,
        scored_at=row.scored_at,
        scored_by=row.scored_by,
    )
