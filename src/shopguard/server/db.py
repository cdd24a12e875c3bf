"""The service's database: engine and session factory for SQLite (WAL) or PostgreSQL.

SQLite write transactions start with ``BEGIN IMMEDIATE`` so concurrent requests wait for
the write lock (busy timeout) instead of failing on a stale read snapshot. Commits only
append to the write-ahead log (``synchronous=NORMAL``: durable across a crash of the
service, and the last commits before a power cut may be lost, never corrupted); copying
the log back into the database file (a checkpoint, with its fsyncs) happens in a background
thread, not in whichever request happens to fill the log.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

_SQLITE_MMAP_BYTES = 8 << 30  # address space only; the OS pages in what is read
_SQLITE_CACHE_KIB = 65536
# Requests never checkpoint while the background thread keeps up; past this many pages in
# the log (its thread stopped, say), the committing connection checkpoints as usual.
_SQLITE_AUTOCHECKPOINT_PAGES = 20_000
CHECKPOINT_ABOVE_BYTES = 4 << 20  # about a thousand pages: SQLite's own default threshold
CHECKPOINT_PAUSE_SECONDS = 0.25
IDLE_SECONDS = 30.0


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    # Read pages through a memory map (no system call per page) and keep more of them
    # in the connection's own cache: scoring reads index pages all over a large file.
    cursor.execute(f"PRAGMA mmap_size={_SQLITE_MMAP_BYTES}")
    cursor.execute(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")
    cursor.execute(f"PRAGMA wal_autocheckpoint={_SQLITE_AUTOCHECKPOINT_PAGES}")
    # The lists bound as JSON (``repos.one_of``) become small temporary indexes: in memory.
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_sqlite(url: str) -> bool:
    """Whether the URL names a SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def create_db_engine(url: str) -> Engine:
    """An engine for the URL: SQLite with WAL and immediate transactions, or PostgreSQL."""
    if is_sqlite(url):
        # The driver's own transaction handling is switched off so that BEGIN is ours.
        # Last in, first out: requests keep reusing the connection whose page cache and
        # memory map are warm, rather than taking turns through the whole pool.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "isolation_level": None},
            pool_use_lifo=True,
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            checkpointer = WalCheckpointer(database)
            event.listen(engine, "commit", lambda _connection: checkpointer.poke())
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, pool_use_lifo=True)


class WalCheckpointer:
    """Checkpoints a SQLite database's write-ahead log from a background thread.

    ``poke`` runs at each commit: once the log file has grown past
    ``CHECKPOINT_ABOVE_BYTES`` it starts the thread, which runs a PASSIVE checkpoint
    (waiting for no reader or writer) every ``CHECKPOINT_PAUSE_SECONDS`` through a
    connection of its own, opened for that checkpoint only, and ends after
    ``IDLE_SECONDS`` with nothing to copy. A short-lived command never writes that much,
    so it never starts one.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._wal = path + "-wal"
        self._lock = threading.Lock()
        self._running = False

    def poke(self) -> None:
        """A commit: start the thread if the log is big and nobody is checkpointing it."""
        try:
            if os.stat(self._wal).st_size < CHECKPOINT_ABOVE_BYTES:
                return
        except OSError:
            return
        with self._lock:
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._run, name="sqlite-wal-checkpoint", daemon=True).start()

    def _run(self) -> None:
        idle_since = time.monotonic()
        while True:
            time.sleep(CHECKPOINT_PAUSE_SECONDS)
            if self._checkpoint():
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > IDLE_SECONDS:
                with self._lock:
                    self._running = False
                return

    def _checkpoint(self) -> bool:
        """One checkpoint; whether the log had anything in it."""
        try:
            # Read-write, never create: the file may have gone meanwhile.
            uri = Path(self._path).resolve().as_uri() + "?mode=rw"
            connection = sqlite3.connect(uri, uri=True, timeout=1.0, isolation_level=None)
        except sqlite3.Error:
            return False
        with contextlib.closing(connection):
            try:
                connection.execute("PRAGMA synchronous=NORMAL")
                row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error:  # busy: the next round does it (or SQLite's autocheckpoint)
                return False
        return bool(row and row[1] > 0)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
