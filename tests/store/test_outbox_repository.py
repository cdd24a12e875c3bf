"""The outbox: queued in the caller's transaction, deduplicated, sent rows kept as a record."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shopguard.store import bulk
from shopguard.store.models import OutboxItem
from shopguard.store.repositories import outbox
from shopguard.store.repositories import stores as store_repo

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _store(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        return store_repo.get_or_create_store(session, url="https://shop.example").id


def test_identical_payloads_are_queued_once_but_a_return_to_an_old_state_is_queued(
    sessions: sessionmaker[Session],
) -> None:
    store_id = _store(sessions)
    a, b = {"order_id": "1", "status": "processing"}, {"order_id": "1", "status": "completed"}
    with sessions.begin() as session:
        assert outbox.enqueue(session, store_id, "order", [(1, a), (1, a)], now=NOW) == 1
        assert outbox.enqueue(session, store_id, "order", [(1, a)], now=NOW) == 0
        assert outbox.enqueue(session, store_id, "order", [(1, b)], now=NOW) == 1
        assert outbox.enqueue(session, store_id, "order", [(1, a)], now=NOW) == 1
    with sessions() as session:
        queued = outbox.due(session, store_id, "order", now=NOW)
    assert [q.payload()["status"] for q in queued] == ["processing", "completed", "processing"]
    assert queued[0].idempotency_key == queued[2].idempotency_key
    body_digest = hashlib.sha256(queued[0].body.encode()).hexdigest()
    assert queued[0].idempotency_key == f"order:1:{body_digest}"
    assert queued[0].body == '{"order_id":"1","status":"processing"}'


def test_a_rolled_back_change_queues_nothing(sessions: sessionmaker[Session]) -> None:
    store_id = _store(sessions)
    session = sessions()
    with session.begin():
        outbox.enqueue(session, store_id, "order", [(7, {"order_id": "7"})], now=NOW)
        session.rollback()
    with sessions() as session:
        assert outbox.count_pending(session, store_id) == 0


def test_failed_items_wait_for_their_retry_time_and_sent_ones_are_kept(
    sessions: sessionmaker[Session],
) -> None:
    store_id = _store(sessions)
    with sessions.begin() as session:
        outbox.enqueue(
            session, store_id, "order", [(i, {"order_id": str(i)}) for i in (1, 2, 3)], now=NOW
        )
        first, second, third = outbox.due(session, store_id, "order", now=NOW)
        outbox.mark_failed(
            session, [first.id], error="service unreachable", retry_at=NOW + timedelta(minutes=5)
        )
        outbox.mark_sent(session, [second.id], at=NOW)
    with sessions() as session:
        assert [q.order_woo_id for q in outbox.due(session, store_id, "order", now=NOW)] == [3]
        later = outbox.due(session, store_id, "order", now=NOW + timedelta(minutes=6))
        assert [(q.order_woo_id, q.attempts) for q in later] == [(1, 1), (3, 0)]
        assert outbox.sent_payloads(session, store_id) == {2: '{"order_id":"2"}'}
        assert outbox.count_pending(session, store_id) == 2


def test_scores_are_upserted(sessions: sessionmaker[Session]) -> None:
    store_id = _store(sessions)
    reason = [{"code": "cod", "text": "Cash on delivery", "weight": 0.2}]
    with sessions.begin() as session:
        outbox.save_scores(
            session, store_id, [outbox.ScoreRecord(5, 40, "medium", 0.4, reason, "m1", NOW)]
        )
        outbox.save_scores(
            session, store_id, [outbox.ScoreRecord(5, 10, "low", 0.1, [], "m2", NOW)]
        )
    with sessions() as session:
        stored = outbox.scores(session, store_id, [5, 6])
    assert list(stored) == [5]
    assert (stored[5].score, stored[5].band, stored[5].model) == (10, "low", "m2")


def test_dense_and_scattered_orders_are_both_checked_against_their_latest_payload(
    sessions: sessionmaker[Session],
) -> None:
    """A back-fill chunk (dense ids) reads one range of the outbox, scattered ids read lists;
    either way only an identical latest payload is skipped, and other orders in the range
    play no part."""
    store_id = _store(sessions)
    old = [(i, f'{{"order_id":"{i}","v":1}}', f"{i:064x}") for i in range(1, 1201)]
    with sessions.begin() as session:
        assert outbox.enqueue_encoded(session, store_id, "order", old, now=NOW) == 1200
    dense = old[100:900:2]  # every other id from 101 to 899, all unchanged...
    dense[5] = (111, '{"order_id":"111","v":2}', "f" * 64)  # ...but one
    scattered = [old[0], old[599], old[1199], (5000, '{"order_id":"5000"}', "e" * 64)]
    with sessions.begin() as session:
        assert outbox.enqueue_encoded(session, store_id, "order", dense, now=NOW) == 1
        assert outbox.enqueue_encoded(session, store_id, "order", scattered, now=NOW) == 1
        # The same ids for another kind have no latest payload yet.
        assert outbox.enqueue_encoded(session, store_id, "outcome", old[:3], now=NOW) == 3
    with sessions() as session:
        assert outbox.count_pending(session, store_id) == 1200 + 2 + 3


def test_queued_rows_are_stored_as_a_row_by_row_insert_stores_them(
    sessions: sessionmaker[Session],
) -> None:
    """The outbox writes its rows column by column; the stored values (the time's text form
    above all) are exactly what the row-by-row insert writes."""
    store_id = _store(sessions)
    with sessions.begin() as session:
        outbox.enqueue_encoded(session, store_id, "order", [(1, "{}", "a" * 64)], now=NOW)
        bulk.insert_rows(
            session,
            OutboxItem.metadata.tables["outbox"],
            [
                {
                    "store_id": store_id,
                    "kind": "order",
                    "order_woo_id": 1,
                    "payload": "{}",
                    "payload_digest": "a" * 64,
                    "created_at": NOW,
                    "attempts": 0,
                    "next_attempt_at": None,
                    "last_error": "",
                    "sent_at": None,
                }
            ],
        )
    with sessions() as session:
        stored = session.connection().exec_driver_sql("SELECT * FROM outbox ORDER BY id").all()
    assert len(stored) == 2
    assert stored[0][1:] == stored[1][1:]  # all but the id


def test_columns_of_different_lengths_are_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, pytest.raises(ValueError, match="same number"):
        bulk.insert_columns(
            session,
            OutboxItem.metadata.tables["outbox"],
            {"order_woo_id": [1, 2], "payload": ["{}"]},
            {},
        )
