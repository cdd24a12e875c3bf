"""Schema migrations, run from code at start-up.

In order: compare the file's revision with this app's head; refuse a revision this app does
not know (the file was written by a newer ShopGuard: opening it could damage it); back up
the file; upgrade; restore the backup if the upgrade fails. Only then does the app open
its session factory.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from importlib import resources
from pathlib import Path

import sqlalchemy.exc
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

log = logging.getLogger(__name__)


class DatabaseError(Exception):
    """The local database cannot be opened; ``message`` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DatabaseTooNew(DatabaseError):
    """The database was written by a newer version of ShopGuard."""


class MigrationFailed(DatabaseError):
    """The upgrade failed and the database was restored from its backup."""


class DatabaseUnreadable(DatabaseError):
    """The file is damaged, or not a ShopGuard database; it was left as it was."""

    def __init__(self, database: Path) -> None:
        text = (
            f"The database file {database} cannot be read: it is damaged, or it is not a "
            "ShopGuard database. ShopGuard left it untouched."
        )
        backups = sorted(
            database.parent.glob(f"{database.name}.*.bak"), key=lambda p: p.stat().st_mtime
        )
        if backups:
            text += (
                " Restore it from a backup: ShopGuard's own copy from before its last upgrade "
                f"is {backups[-1]}."
            )
        else:
            text += (
                " Restore it from a backup, or move it away to start with an empty database "
                "(then sync your store again)."
            )
        super().__init__(text)


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and the given database."""
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("shopguard.store") / "migrations")
    )
    config.set_main_option("sqlalchemy.url", url)
    return config


def head_revision() -> str:
    """The newest schema revision this version of ShopGuard knows."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    """Every schema revision this version of ShopGuard knows."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {rev.revision for rev in script.walk_revisions()}


def current_revision(database: Path) -> str | None:
    """The revision stamped in the file, or None for a new or empty database.

    Raises:
        DatabaseUnreadable: the file is damaged or not a database (SQLite cannot read it;
            a busy or locked one is not that, and its error goes through unchanged).
    """
    if not database.exists():
        return None
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except sqlalchemy.exc.DatabaseError as exc:
        cause = exc.orig
        if isinstance(cause, sqlite3.DatabaseError) and not isinstance(
            cause, sqlite3.OperationalError
        ):
            raise DatabaseUnreadable(database) from exc
        raise
    finally:
        engine.dispose()


def upgrade_database(database: Path, *, revision: str = "head") -> None:
    """Bring ``database`` to ``revision``, safely (see the module docstring)."""
    config = alembic_config(f"sqlite:///{database}")
    script = ScriptDirectory.from_config(config)
    current = current_revision(database)
    if current is not None and current not in known_revisions():
        raise DatabaseTooNew(
            f"The ShopGuard database at {database} was created by a newer version of "
            "ShopGuard. Install the latest ShopGuard to open it; it has not been changed."
        )
    target = script.get_current_head() if revision == "head" else revision
    if current == target:
        return

    backup: Path | None = None
    if current is not None:
        backup = database.with_name(f"{database.name}.{current}.bak")
        _backup_sqlite(database, backup)
        log.info("Backed up the database before upgrading from revision %s", current)
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except Exception as exc:
        engine.dispose()
        if backup is not None:
            _restore_sqlite(backup, database)
        log.exception("Database upgrade failed")
        raise MigrationFailed(
            "ShopGuard could not upgrade its database and put the previous copy back. "
            f"Nothing was lost. Please report this problem ({type(exc).__name__})."
        ) from exc
    finally:
        engine.dispose()
    log.info("Database upgraded from %s to %s", current, target)


def _backup_sqlite(source: Path, target: Path) -> None:
    # The online backup API copies a consistent snapshot, WAL contents included.
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    # sqlite3's context manager does not close; be explicit.
    src.close()
    dst.close()


def _restore_sqlite(backup: Path, target: Path) -> None:
    for suffix in ("-wal", "-shm"):
        sidecar = target.with_name(target.name + suffix)
        if sidecar.exists():
            sidecar.unlink()
    shutil.copyfile(backup, target)
