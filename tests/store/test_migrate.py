"""Start-up migrations: upgrade old files, refuse newer ones, restore on failure."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from shopguard.paths import resolve_paths
from shopguard.store import migrate
from shopguard.store.db import open_database
from shopguard.store.migrate import (
    DatabaseTooNew,
    DatabaseUnreadable,
    MigrationFailed,
    upgrade_database,
)
from shopguard.store.models import Base
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import outbox as outbox_repo
from shopguard.store.repositories import stores as store_repo

GOLDEN = sorted((Path(__file__).parent.parent / "fixtures" / "db").glob("*.sqlite3"))


def _schema_diff(database: Path) -> list[object]:
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    return list(diff)


def test_new_database_matches_the_models(tmp_path: Path) -> None:
    database = tmp_path / "new.sqlite3"
    upgrade_database(database)
    assert migrate.current_revision(database) == migrate.head_revision()
    assert _schema_diff(database) == []


@pytest.mark.parametrize("golden", GOLDEN, ids=[g.stem for g in GOLDEN])
def test_every_released_schema_upgrades_with_its_data(golden: Path, tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path)
    paths.ensure()
    shutil.copyfile(golden, paths.database)

    engine, sessions = open_database(paths)
    try:
        assert migrate.current_revision(paths.database) == migrate.head_revision()
        assert _schema_diff(paths.database) == []
        with sessions() as session:
            store = store_repo.find_store(session, "https://old-shop.example")
            assert store is not None
            order = order_repo.get_order(session, store.id, 4242)
            assert order is not None
            assert order.total == Decimal("59.90")
            assert order.billing_first_name == "Γιώργος"
            # Orders stored before the search key (0010) are found with it too.
            assert order_repo.count_orders(session, store.id, search="γιωργος") == 1
            assert store_repo.get_cursor(session, store.id).full_sync_done
    finally:
        engine.dispose()
    # The pre-upgrade copy is kept next to the database.
    assert list(paths.data.glob("shopguard.sqlite3.*.bak"))


def test_database_from_a_newer_version_is_refused_and_untouched(tmp_path: Path) -> None:
    database = tmp_path / "future.sqlite3"
    upgrade_database(database)
    with sqlite3.connect(database) as con:
        con.execute("UPDATE alembic_version SET version_num = '9999_future'")
    con.close()
    before = database.read_bytes()

    with pytest.raises(DatabaseTooNew) as caught:
        upgrade_database(database)

    assert "newer version of ShopGuard" in caught.value.message
    assert database.read_bytes() == before


def test_queued_payloads_keep_their_idempotency_keys_when_the_key_column_goes(
    tmp_path: Path,
) -> None:
    """0009 drops the stored key: the one derived from the row must be the one stored."""
    paths = resolve_paths(tmp_path)
    paths.ensure()
    database = paths.database
    upgrade_database(database, revision="0008")
    digest = "ab" * 32
    with sqlite3.connect(database) as con:
        con.execute(
            "INSERT INTO store_profiles (id, url, name, default_country, currency, auth_mode, "
            "permissions, created_at) VALUES (1, 'https://shop.example', 'Shop', 'GR', 'EUR', "
            "'basic', 'read', '2026-11-26 06:00:00.000000')"
        )
        con.execute(
            "INSERT INTO outbox (store_id, kind, order_woo_id, idempotency_key, payload, "
            "payload_digest, created_at, attempts, last_error) VALUES "
            "(1, 'outcome', 42, ?, '{}', ?, '2026-11-26 06:00:00.000000', 2, 'timed out')",
            (f"outcome:42:{digest}", digest),
        )
    con.close()

    upgrade_database(database)

    engine, sessions = open_database(paths)
    try:
        with sessions() as session:
            (item,) = outbox_repo.due(session, 1, "outcome", now=datetime.now(UTC))
    finally:
        engine.dispose()
    assert item.idempotency_key == f"outcome:42:{digest}"
    assert (item.body, item.attempts) == ("{}", 2)

    command.downgrade(migrate.alembic_config(f"sqlite:///{database}"), "0008")
    with sqlite3.connect(database) as con:
        assert con.execute("SELECT idempotency_key FROM outbox").fetchall() == [
            (f"outcome:42:{digest}",)
        ]
    con.close()


def _dump(database: Path) -> list[str]:
    con = sqlite3.connect(database)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def test_failed_upgrade_restores_the_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "old.sqlite3"
    shutil.copyfile(GOLDEN[0], database)
    before = _dump(database)

    def broken_upgrade(config: object, revision: str) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(migrate.command, "upgrade", broken_upgrade)
    with pytest.raises(MigrationFailed) as caught:
        upgrade_database(database)

    assert "Nothing was lost" in caught.value.message
    assert _dump(database) == before
    assert migrate.current_revision(database) == "0001"


def test_a_file_sqlite_cannot_read_is_named_and_left_alone(tmp_path: Path) -> None:
    """The app's dialog, the CLI and doctor all say it this way (``DatabaseUnreadable``)."""
    database = tmp_path / "shopguard.sqlite3"
    database.write_bytes(b"not a database\n" * 300)
    with pytest.raises(DatabaseUnreadable) as caught:
        upgrade_database(database)
    assert f"The database file {database} cannot be read" in caught.value.message
    assert database.read_bytes() == b"not a database\n" * 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shopguard.sqlite3"]


def test_wal_mode_is_on(tmp_path: Path) -> None:
    engine, _sessions = open_database(resolve_paths(tmp_path))
    with engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    engine.dispose()
    assert mode == "wal"
