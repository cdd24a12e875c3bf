"""The outbox: payloads for the scoring service, durable before any network call.

The caller enqueues in the same transaction as the order change that caused the payload;
a sender later reads ``due`` items, sends them, and marks them sent only on the service's
acknowledgement. Sent rows stay: they are the record of exactly what left the machine.
The scores that come back are kept by ``shopguard.store.repositories.scores``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from shopguard.store import bulk
from shopguard.store.models import OutboxItem

# Scores live in their own module; these names stay importable from here.
from shopguard.store.repositories.scores import ScoreRecord as ScoreRecord
from shopguard.store.repositories.scores import save_scores as save_scores
from shopguard.store.repositories.scores import scores as scores

OutboxKind = Literal["order", "outcome"]
_OUTBOX = OutboxItem.metadata.tables["outbox"]


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """One outbox row as plain data; ``body`` is the exact UTF-8 JSON to send."""

    id: int
    store_id: int
    kind: str
    order_woo_id: int
    body_digest: str  # SHA-256 hex of ``body``'s UTF-8 bytes
    body: str
    attempts: int
    sent_at: datetime | None

    @property
    def idempotency_key(self) -> str:
        """ "<kind>:<order id>:<payload digest>": the service applies a key once, so a resend
        after a crash changes nothing. Not unique in the outbox: an order whose payload goes
        A → B → A queues A again."""
        return f"{self.kind}:{self.order_woo_id}:{self.body_digest}"

    def payload(self) -> dict[str, Any]:
        """The payload as a JSON object."""
        value: dict[str, Any] = json.loads(self.body)
        return value


def encode(payload: dict[str, Any]) -> tuple[str, str]:
    """Canonical JSON text (sorted keys, no spaces) and the SHA-256 of its UTF-8 bytes."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text, hashlib.sha256(text.encode()).hexdigest()


def enqueue(
    session: Session,
    store_id: int,
    kind: OutboxKind,
    items: Iterable[tuple[int, dict[str, Any]]],
    *,
    now: datetime | None = None,
) -> int:
    """Queue payloads (order id, payload) unless the latest one queued is identical.

    Returns how many were queued. Caller owns the transaction.
    """
    encoded = [(woo_id, *encode(payload)) for woo_id, payload in items]
    return enqueue_encoded(session, store_id, kind, encoded, now=now)


def enqueue_encoded(
    session: Session,
    store_id: int,
    kind: OutboxKind,
    items: Sequence[tuple[int, str, str]],
    *,
    now: datetime | None = None,
) -> int:
    """Like ``enqueue``, for payloads already ``encode``d: (order id, text, digest).

    The back-fill encodes in worker processes and writes here.
    """
    if not items:
        return 0
    latest = _latest_digests(session, store_id, kind, [woo_id for woo_id, _, _ in items])
    ids: list[int] = []
    texts: list[str] = []
    digests: list[str] = []
    for woo_id, text, digest in items:
        if latest.get(woo_id) == digest:
            continue
        latest[woo_id] = digest
        ids.append(woo_id)
        texts.append(text)
        digests.append(digest)
    if ids:
        bulk.insert_columns(
            session,
            _OUTBOX,
            {
                "order_woo_id": ids,
                "payload": texts,
                "payload_digest": digests,
            },
            {
                "store_id": store_id,
                "kind": kind,
                "created_at": now or datetime.now(UTC),
                "attempts": 0,
                "next_attempt_at": None,
                "last_error": "",
                "sent_at": None,
            },
        )
    return len(ids)


def _latest_digests(
    session: Session, store_id: int, kind: str, woo_ids: Sequence[int]
) -> dict[int, str]:
    """The digest of the newest item queued for each of these orders (those with one).

    Every synced page and back-fill chunk asks this, twice (orders and outcomes).
    """
    return dict(bulk.rows_for_ids(session, _NEWEST, (store_id, kind), woo_ids))


_NEWEST = (
    "SELECT order_woo_id, payload_digest FROM outbox WHERE id IN ("
    "SELECT max(id) FROM outbox WHERE store_id = ? AND kind = ? AND order_woo_id {ids} "
    "GROUP BY order_woo_id)"
)


def due(
    session: Session,
    store_id: int,
    kind: OutboxKind,
    *,
    limit: int = 100,
    now: datetime | None = None,
) -> list[OutboxRecord]:
    """The oldest unsent items whose retry time has come."""
    when = now or datetime.now(UTC)
    rows = session.scalars(
        select(OutboxItem)
        .where(
            OutboxItem.store_id == store_id,
            OutboxItem.kind == kind,
            OutboxItem.sent_at.is_(None),
            or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at <= when),
        )
        .order_by(OutboxItem.id)
        .limit(limit)
    )
    return [_record(r) for r in rows]


def count_pending(session: Session, store_id: int | None = None) -> int:
    """How many items wait to be sent."""
    query = select(func.count()).select_from(OutboxItem).where(OutboxItem.sent_at.is_(None))
    if store_id is not None:
        query = query.where(OutboxItem.store_id == store_id)
    return int(session.scalar(query) or 0)


def mark_sent(session: Session, ids: Sequence[int], *, at: datetime | None = None) -> None:
    """The service acknowledged these items."""
    if ids:
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(ids))
            .values(sent_at=at or datetime.now(UTC), last_error="")
        )


def mark_failed(session: Session, ids: Sequence[int], *, error: str, retry_at: datetime) -> None:
    """A send attempt failed; try again at ``retry_at``. ``error`` must hold no PII."""
    if ids:
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(ids))
            .values(
                attempts=OutboxItem.attempts + 1,
                next_attempt_at=retry_at,
                last_error=error[:300],
            )
        )


def retry_now(session: Session) -> int:
    """Make every waiting item due at once (the service settings changed); returns how many."""
    result = session.execute(
        update(OutboxItem)
        .where(OutboxItem.sent_at.is_(None), OutboxItem.next_attempt_at.is_not(None))
        .values(next_attempt_at=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def sent_payloads(
    session: Session, store_id: int, woo_ids: Sequence[int] | None = None
) -> dict[int, str]:
    """The latest order payload actually sent for each order (exact JSON text)."""
    newest = (
        select(func.max(OutboxItem.id))
        .where(
            OutboxItem.store_id == store_id,
            OutboxItem.kind == "order",
            OutboxItem.sent_at.is_not(None),
        )
        .group_by(OutboxItem.order_woo_id)
    )
    if woo_ids is not None:
        newest = newest.where(OutboxItem.order_woo_id.in_(list(woo_ids)))
    rows = session.execute(
        select(OutboxItem.order_woo_id, OutboxItem.payload).where(OutboxItem.id.in_(newest))
    )
    return {r.order_woo_id: r.payload for r in rows}


def _record(row: OutboxItem) -> OutboxRecord:
    return OutboxRecord(
        id=row.id,
        store_id=row.store_id,
        kind=row.kind,
        order_woo_id=row.order_woo_id,
        body_digest=row.payload_digest,
        body=row.payload,
        attempts=row.attempts,
        sent_at=row.sent_at,
    )
