"""Schema migrations of the service's database, run from code at start-up.

In order: compare the database's revision with this version's head; refuse a revision this
version does not know (a newer shopguard-server wrote it); for a SQLite file, back it up;
upgrade; restore the backup if the upgrade fails. PostgreSQL upgrades in one transaction
(its DDL is transactional) under an advisory lock, so workers starting together upgrade once.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from shopguard.server.db import create_db_engine, is_sqlite

log = logging.getLogger(__name__)
_LOCK_KEY = 0x5347_5356  # "SGSV": the advisory lock id of migrations


class DatabaseError(Exception):
    """The database cannot be used; ``message`` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DatabaseTooNew(DatabaseError):
    """The database was written by a newer shopguard-server."""


class MigrationFailed(DatabaseError):
    """The upgrade failed (a SQLite file was restored from its backup)."""


class DatabaseUnreachable(DatabaseError):
    """The database could not be reached or opened (nothing was changed)."""


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and the given database."""
    config = Config()
    location = resources.files("shopguard.server") / "migrations"
    config.set_main_option("script_location", str(location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest schema revision this version knows."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {rev.revision for rev in script.walk_revisions()}


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def current_revision(url: str) -> str | None:
    """The revision stamped in the database, or None for a new one."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return _current(connection)
    finally:
        engine.dispose()


def upgrade_database(url: str) -> None:
    """Bring the database at ``url`` to this version's head, safely (see module docstring)."""
    head = head_revision()
    sqlite_file = sqlite_path(url)
    if sqlite_file is not None:
        try:
            sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnreachable(
                f"Cannot make the folder {sqlite_file.parent} for the service database "
                f"({exc.strerror or type(exc).__name__}): check the path and its permissions."
            ) from exc
    engine = create_db_engine(url)
    _probe(engine, url)
    backup: Path | None = None
    try:
        with engine.begin() as connection:
            if not is_sqlite(url):
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
            current = _current(connection)
            if current is not None and current not in _known_revisions():
                raise DatabaseTooNew(
                    "The service database was written by a newer shopguard-server; install "
                    "that version to use it. It has not been changed."
                )
            if current == head:
                return
            if sqlite_file is not None and current is not None:
                backup = sqlite_file.with_name(f"{sqlite_file.name}.{current}.bak")
                _backup_sqlite(sqlite_file, backup)
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        log.info("Service database upgraded from %s to %s", current, head)
    except DatabaseError:
        raise
    except Exception as exc:
        engine.dispose()
        if backup is not None and sqlite_file is not None:
            _restore_sqlite(backup, sqlite_file)
        # The operator gets one line; the traceback is there for whoever debugs it.
        log.debug("Service database upgrade failed", exc_info=True)
        raise MigrationFailed(
            "The service database could not be upgraded; it was left as it was. "
            f"({type(exc).__name__}: {_reason(exc, url)})"
        ) from exc
    finally:
        engine.dispose()


def _probe(engine: Engine, url: str) -> None:
    """Connect once, so that a database out of reach is said to be, not "not upgraded"."""
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseUnreachable(_unreachable_message(url, exc)) from exc


def _unreachable_message(url: str, exc: BaseException) -> str:
    """What could not be reached, why, and what to check; never the password."""
    parsed = make_url(url)
    reason = _reason(exc, url)
    if is_sqlite(url):
        return (
            f"Cannot open the SQLite database {parsed.database} ({reason}): check that the "
            "path names a SQLite file (not a folder or another kind of file) that this user "
            "may read and write."
        )
    host = parsed.host or str(parsed.query.get("host") or "localhost")
    port = parsed.port or parsed.query.get("port") or 5432
    return (
        f"Cannot reach the service database at {host}:{port} (database "
        f"{parsed.database or '?'}, user {parsed.username or '?'}): {reason}. Check that "
        "PostgreSQL is running there and accepts connections from this machine, and the "
        "host, port, user, password and database name in the database URL."
    )


def _reason(exc: BaseException, url: str) -> str:
    """The driver's first line about ``exc``, with the URL's password blanked out."""
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    reason = lines[0] if lines else type(original).__name__
    password = make_url(url).password
    if password:
        reason = reason.replace(str(password), "***")
    return reason.rstrip(".")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or one in memory."""
    if not is_sqlite(url):
        return None
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


def _backup_sqlite(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _restore_sqlite(backup: Path, target: Path) -> None:
    for suffix in ("-wal", "-shm"):
        sidecar = target.with_name(target.name + suffix)
        if sidecar.exists():
            sidecar.unlink()
    shutil.copyfile(backup, target)
