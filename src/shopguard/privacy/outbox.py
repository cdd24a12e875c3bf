"""Delivering the outbox to the scoring service: at least once, applied once.

Items are read in order, sent in batches with an idempotency key (the batch's item keys),
and marked sent only after the service acknowledged them, in the same transaction that
stores the scores it returned (``scored_by`` "network"; a changed score also goes to the
order's score history). A crash between the service's answer and that commit
resends the same bytes with the same key next time, which the service applies once
(orders are upserted by shop and order id). Failed batches wait with exponential backoff;
nothing is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from shopguard.store.repositories import events as event_repo
from shopguard.store.repositories import outbox as outbox_repo
from shopguard.store.repositories.outbox import OutboxKind, OutboxRecord, ScoreRecord

log = logging.getLogger(__name__)

MAX_RETRY_DELAY = timedelta(hours=6)
"""How long a payload the service refused (a 4xx for that item alone) waits."""
MAX_OUTAGE_DELAY = timedelta(minutes=15)
"""The longest wait after a failure that may pass (down, slow, 5xx, 429, a rejected
secret): once the service is back, what waited is delivered within this."""


class ScoredOrder(Protocol):
    """A score as the transport returns it."""

    @property
    def order_id(self) -> str: ...
    @property
    def score(self) -> int | None: ...
    @property
    def band(self) -> str: ...
    @property
    def p_fail(self) -> float | None: ...
    @property
    def reasons(self) -> list[dict[str, Any]]: ...
    @property
    def model(self) -> str: ...


class Transport(Protocol):
    """Where payloads go (the scoring-service client, or a test's)."""

    def score(
        self, bodies: Sequence[str], *, idempotency_key: str = ""
    ) -> Sequence[ScoredOrder]: ...

    def outcomes(self, bodies: Sequence[str], *, idempotency_key: str = "") -> object: ...


@dataclass
class PushSummary:
    """What one push did."""

    orders_sent: int = 0
    outcomes_sent: int = 0
    scored: int = 0
    pending: int = 0
    error: str = ""

    def line(self) -> str:
        """One line for people."""
        text = f"Scoring service: {self.orders_sent} orders and {self.outcomes_sent} outcomes sent"
        if self.pending:
            text += f", {self.pending} still queued"
        return text + "."


class OutboxSender:
    """Sends one store's due outbox items through a transport."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        transport: Transport,
        *,
        batch_size: int = 100,
        batch_key: Callable[[Sequence[str]], str],
        errors: tuple[type[Exception], ...],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = session_factory
        self._transport = transport
        self._batch = max(1, batch_size)
        self._batch_key = batch_key
        self._errors = errors
        self._clock = clock

    def push(self, store_id: int) -> PushSummary:
        """Send every due item of the store: orders first, then outcomes."""
        summary = PushSummary()
        for kind in ("order", "outcome"):
            if not self._push_kind(store_id, kind, summary):
                break
        with self._sessions.begin() as session:
            summary.pending = outbox_repo.count_pending(session, store_id)
            event_repo.record_event(
                session,
                "service.pushed",
                store_id=store_id,
                detail={
                    "orders": summary.orders_sent,
                    "outcomes": summary.outcomes_sent,
                    "pending": summary.pending,
                    "failed": bool(summary.error),
                },
            )
        return summary

    def _push_kind(self, store_id: int, kind: OutboxKind, summary: PushSummary) -> bool:
        while True:
            now = self._clock()
            with self._sessions() as session:
                batch = outbox_repo.due(session, store_id, kind, limit=self._batch, now=now)
            if not batch:
                return True
            try:
                self._send(store_id, kind, batch, summary, now)
            except self._errors as exc:
                message = str(getattr(exc, "message", type(exc).__name__))
                if getattr(exc, "retryable", True) or len(batch) == 1:
                    self._failed(batch, message, now)
                    summary.error = message
                    return False
                # The service refused the batch itself (a 4xx): find the item it refuses,
                # one by one, so one bad payload does not hold back every other order.
                if not self._send_one_by_one(store_id, kind, batch, summary, now):
                    return False

    def _send(
        self,
        store_id: int,
        kind: OutboxKind,
        batch: Sequence[OutboxRecord],
        summary: PushSummary,
        now: datetime,
    ) -> None:
        """Send one batch; on acknowledgement mark it sent and keep the scores."""
        key = self._batch_key([item.idempotency_key for item in batch])
        bodies = [item.body for item in batch]
        if kind == "order":
            results = list(self._transport.score(bodies, idempotency_key=key))
        else:
            self._transport.outcomes(bodies, idempotency_key=key)
            results = []
        with self._sessions.begin() as session:
            outbox_repo.mark_sent(session, [item.id for item in batch], at=self._clock())
            if results:
                outbox_repo.save_scores(session, store_id, _scores(batch, results, now))
        if kind == "order":
            summary.orders_sent += len(batch)
            summary.scored += len(results)
        else:
            summary.outcomes_sent += len(batch)

    def _send_one_by_one(
        self,
        store_id: int,
        kind: OutboxKind,
        batch: Sequence[OutboxRecord],
        summary: PushSummary,
        now: datetime,
    ) -> bool:
        """Send items singly; refused ones wait the longest delay. False: stop pushing."""
        for item in batch:
            try:
                self._send(store_id, kind, [item], summary, now)
            except self._errors as exc:
                message = str(getattr(exc, "message", type(exc).__name__))
                summary.error = message
                if getattr(exc, "retryable", True):
                    self._failed([item], message, now)
                    return False
                with self._sessions.begin() as session:
                    outbox_repo.mark_failed(
                        session, [item.id], error=message, retry_at=now + MAX_RETRY_DELAY
                    )
                log.warning("The scoring service refused one queued payload; it waits")
        return True

    def _failed(self, batch: Sequence[OutboxRecord], message: str, now: datetime) -> None:
        attempts = max(item.attempts for item in batch)
        delay = min(MAX_OUTAGE_DELAY, timedelta(seconds=30) * (2**attempts))
        with self._sessions.begin() as session:
            outbox_repo.mark_failed(
                session, [item.id for item in batch], error=message, retry_at=now + delay
            )
        log.info("Outbox batch of %d failed; retrying in %s", len(batch), delay)


def _scores(
    batch: Sequence[OutboxRecord], results: Sequence[ScoredOrder], now: datetime
) -> list[ScoreRecord]:
    by_id = {str(item.order_woo_id): item.order_woo_id for item in batch}
    out = []
    for result in results:
        woo_id = by_id.get(result.order_id)
        if woo_id is None:
            continue
        out.append(
            ScoreRecord(
                order_woo_id=woo_id,
                score=result.score,
                band=result.band,
                p_fail=result.p_fail,
                reasons=[dict(r) for r in result.reasons],
                model=result.model,
                scored_at=now,
                scored_by="network",
            )
        )
    return out
