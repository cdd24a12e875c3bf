"""Opening the local database: engine, SQLite pragmas, session factory."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from shopguard.paths import AppPaths
from shopguard.store.migrate import upgrade_database


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the GUI read while a sync writes; NORMAL is durable across app crashes in WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_sqlite_engine(url: str) -> Engine:
    """An engine for a SQLite file with WAL, foreign keys and a busy timeout."""
    engine = create_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def open_database(paths: AppPaths) -> tuple[Engine, sessionmaker[Session]]:
    """Migrate the profile's database to the current schema and return a session factory.

    Raises:
        shopguard.store.migrate.DatabaseTooNew: the file was written by a newer ShopGuard.
        shopguard.store.migrate.MigrationFailed: the upgrade failed; the file was restored.
    """
    paths.ensure()
    upgrade_database(paths.database)
    engine = create_sqlite_engine(paths.database_url)
    return engine, sessionmaker(engine, expire_on_commit=False)
