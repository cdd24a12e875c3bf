"""Scores: the latest per order, and a history row only when something changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from shopguard.store.repositories import scores as score_repo
from shopguard.store.repositories import stores as store_repo
from shopguard.store.repositories.scores import ScoreRecord

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_history_keeps_changes_only(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url="https://shop.example").id
    reason = [{"code": "cod", "text": "Cash on delivery", "weight": 0.83}]
    writes = [
        ScoreRecord(5, 40, "medium", 0.4, reason, "sg-2", AT),
        ScoreRecord(5, 40, "medium", 0.4, list(reason), "sg-2", AT + DAY),  # the same again
        ScoreRecord(5, 40, "medium", 0.4, reason, "sg-2", AT + 2 * DAY, scored_by="local"),
        ScoreRecord(5, 12, "low", 0.12, [], "sg-2", AT + 3 * DAY, scored_by="local"),
    ]
    changed = []
    for record in writes:
        with sessions.begin() as session:
            changed.append(score_repo.write_scores(session, store_id, [record]).changed)
    assert changed == [1, 0, 1, 1]
    with sessions() as session:
        latest = score_repo.scores(session, store_id, [5, 6])
        history = score_repo.score_history(session, store_id, 5)
    assert list(latest) == [5]
    assert (latest[5].band, latest[5].scored_by, latest[5].scored_at) == (
        "low",
        "local",
        AT + 3 * DAY,
    )
    assert [(h.band, h.scored_by, h.scored_at) for h in history] == [
        ("medium", "network", AT),
        ("medium", "local", AT + 2 * DAY),
        ("low", "local", AT + 3 * DAY),
    ]


def test_many_scores_in_one_write(sessions: sessionmaker[Session]) -> None:
    """More orders than one IN (...) list holds, each saved once with its history row."""
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url="https://shop.example").id
        records = [ScoreRecord(i, 10, "low", 0.1, [], "sg-2", AT) for i in range(12_000)]
        assert score_repo.write_scores(session, store_id, records) == score_repo.ScoreWrite(
            12_000, 12_000
        )
        again = score_repo.write_scores(session, store_id, records)
    assert again == score_repo.ScoreWrite(12_000, 0)
