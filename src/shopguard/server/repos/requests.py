"""Replay protection: seen nonces, and the stored answers of Idempotency-Keys."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from shopguard.server.models import IdempotencyRecord, SeenNonce
from shopguard.server.repos import insert_ignoring_duplicates


def lock_shop(session: Session, shop_id: str) -> None:
    """Serialize one shop's writes until the transaction ends (PostgreSQL advisory lock).

    A shop's batches rarely overlap, so this costs nothing in the common case and makes
    concurrent upserts of the same new orders (and the same Idempotency-Key) race-free.
    SQLite needs nothing: its write transactions are serialized already (BEGIN IMMEDIATE).
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(shop_id.encode()).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def remember_nonce(session: Session, shop_id: str, nonce: str, now: datetime) -> bool:
    """Record a nonce; False if this shop already used it (a replay)."""
    return insert_ignoring_duplicates(
        session, SeenNonce, {"shop_id": shop_id, "nonce": nonce, "seen_at": now}
    )


def prune_nonces(session: Session, before: datetime) -> int:
    """Forget nonces seen before ``before`` (their timestamps are stale anyway)."""
    result = session.execute(delete(SeenNonce).where(SeenNonce.seen_at < before))
    return int(getattr(result, "rowcount", 0))


def find_answer(session: Session, shop_id: str, key: str) -> IdempotencyRecord | None:
    """The stored answer for this shop's key, or None."""
    return session.get(IdempotencyRecord, (shop_id, key))


def save_answer(
    session: Session,
    shop_id: str,
    key: str,
    endpoint: str,
    body_hash: str,
    answer: str,
    now: datetime,
) -> None:
    """Store an answer under its key (a concurrent duplicate fails at flush)."""
    session.add(
        IdempotencyRecord(
            shop_id=shop_id,
            key=key,
            endpoint=endpoint,
            body_hash=body_hash,
            answer=answer,
            created_at=now,
        )
    )
    session.flush()


def prune_answers(session: Session, before: datetime) -> int:
    """Forget answers stored before ``before``."""
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < before))
    return int(getattr(result, "rowcount", 0))
