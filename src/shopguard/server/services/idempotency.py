"""Idempotency-Key: a repeated key (same shop, within 24 h) gets the stored answer back.

The answer is stored in the same transaction as the work it describes, so either both
happen or neither. A shop's writes are serialized (``lock_shop``), so two requests racing
with the same key or the same new orders take turns; should a conflict still happen, the
loser rolls back and tries again (and then finds the winner's answer).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shopguard.server.errors import ApiError
from shopguard.server.repos import requests as request_repo

P = TypeVar("P", bound=BaseModel)
Counts = dict[str, int]
_ATTEMPTS = 3


@dataclass(frozen=True)
class Idempotency:
    """The request's key (or None), what it was sent to, and its body's hash."""

    shop_id: str
    key: str | None
    endpoint: str
    body: bytes
    keep: timedelta = timedelta(hours=24)

    @property
    def body_hash(self) -> str:
        """SHA-256 of the raw body."""
        return hashlib.sha256(self.body).hexdigest()


def run_once(
    sessions: sessionmaker[Session],
    request: Idempotency,
    model: type[P],
    apply: Callable[[Session], tuple[P, Counts]],
    now: datetime,
) -> tuple[P, Counts]:
    """Apply the work once per key; a replay returns the stored answer (counts say so)."""
    for attempt in range(_ATTEMPTS):
        try:
            with sessions.begin() as session:
                request_repo.lock_shop(session, request.shop_id)
                replay = _stored(session, request, model, now)
                if replay is not None:
                    return replay, {"replayed": 1}
                answer, counts = apply(session)
                if request.key:
                    request_repo.save_answer(
                        session,
                        request.shop_id,
                        request.key,
                        request.endpoint,
                        request.body_hash,
                        answer.model_dump_json(),
                        now,
                    )
                return answer, counts
        except IntegrityError:
            # A concurrent request stored the same key or the same new orders first.
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _stored(session: Session, request: Idempotency, model: type[P], now: datetime) -> P | None:
    if not request.key:
        return None
    record = request_repo.find_answer(session, request.shop_id, request.key)
    if record is None:
        return None
    if record.created_at < now - request.keep:
        session.delete(record)
        session.flush()
        return None
    if record.endpoint != request.endpoint or record.body_hash != request.body_hash:
        raise ApiError(
            409,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different request in the last 24 "
            "hours; use a new key for new content.",
        )
    return model.model_validate_json(record.answer)
