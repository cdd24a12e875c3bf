"""The owner's delivery outcomes (migration 0008) and the orders still waiting for one."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy.orm import Session, sessionmaker

from shopguard.store import migrate
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import outcomes as repo
from shopguard.store.repositories import stores as store_repo
from tests.helpers.factories import BASE_TIME, make_order


def _store(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url="https://shop.example").id
        order_repo.upsert_orders(
            session,
            store_id,
            [
                make_order(1, status="refunded"),
                make_order(2, status="failed"),
                make_order(3, status="completed"),
                make_order(4, status="refunded", number="SG-0004"),
            ],
        )
    return store_id


def test_set_replace_and_clear(sessions: sessionmaker[Session]) -> None:
    store_id = _store(sessions)
    with sessions.begin() as session:
        assert repo.set_outcome(session, store_id, 1, "refused", BASE_TIME) is None
        replaced = repo.set_outcome(session, store_id, 1, "returned", BASE_TIME + timedelta(1))
        assert replaced is not None and replaced.outcome == "refused"
        repo.set_outcome(session, store_id, 3, "returned", BASE_TIME)
    with sessions() as session:
        found = repo.outcomes(session, store_id)
        assert {k: v.outcome for k, v in found.items()} == {1: "returned", 3: "returned"}
        assert found[1].recorded_at == BASE_TIME + timedelta(1)
        assert repo.outcomes(session, store_id, [3, 99]) == {3: found[3]}
    with sessions.begin() as session:
        assert repo.clear_outcome(session, store_id, 1) == found[1]
        assert repo.clear_outcome(session, store_id, 1) is None
        assert repo.get_outcome(session, store_id, 1) is None
        with pytest.raises(ValueError, match="Unknown outcome"):
            repo.set_outcome(session, store_id, 2, "lost", BASE_TIME)


def test_awaiting_decision_and_lookup_by_number(sessions: sessionmaker[Session]) -> None:
    store_id = _store(sessions)
    decides = ("failed", "refunded")
    with sessions() as session:
        assert [o.woo_id for o in repo.awaiting_decision(session, store_id, decides)] == [4, 2, 1]
        assert repo.count_awaiting_decision(session, store_id, decides) == 3
    with sessions.begin() as session:
        repo.set_outcome(session, store_id, 2, "delivered", BASE_TIME)
    with sessions() as session:
        waiting = repo.awaiting_decision(session, store_id, decides, limit=1)
        assert [o.woo_id for o in waiting] == [4]
        assert repo.count_awaiting_decision(session, store_id, decides) == 2
        assert repo.find_by_number(session, store_id, "SG-0004").woo_id == 4  # type: ignore[union-attr]
        assert repo.find_by_number(session, store_id, "#2").woo_id == 2  # type: ignore[union-attr]
        assert repo.find_by_number(session, store_id, "4").woo_id == 4  # type: ignore[union-attr]
        assert repo.find_by_number(session, store_id, "77") is None


def test_mark_changed_moves_synced_at(sessions: sessionmaker[Session]) -> None:
    store_id = _store(sessions)
    later = BASE_TIME + timedelta(days=400)
    with sessions.begin() as session:
        repo.mark_changed(session, store_id, 3, later)
    with sessions() as session:
        synced = (
            session.connection()
            .exec_driver_sql("SELECT woo_id, synced_at FROM orders ORDER BY woo_id")
            .all()
        )
    assert [w for w, s in synced if s.startswith(str(later.date()))] == [3]


def test_migration_0008_adds_and_removes_the_table(tmp_path: Path) -> None:
    database = tmp_path / "shop.sqlite3"
    migrate.upgrade_database(database, revision="0007")
    assert migrate.current_revision(database) == "0007"
    migrate.upgrade_database(database, revision="0008")
    assert migrate.current_revision(database) == "0008"
    con = sqlite3.connect(database)
    try:
        columns = [r[1] for r in con.execute("PRAGMA table_info(order_outcomes)")]
        assert columns == ["id", "store_id", "order_woo_id", "outcome", "recorded_at"]
    finally:
        con.close()
    command.downgrade(migrate.alembic_config(f"sqlite:///{database}"), "0007")
    con = sqlite3.connect(database)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()
    assert "order_outcomes" not in tables and "orders" in tables
