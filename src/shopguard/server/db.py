"""The service's database: engine and session factory for SQLite (WAL) or PostgreSQL.

SQLite write transactions start with ``BEGIN IMMEDIATE`` so concurrent requests wait for
the write lock (busy timeout) instead of failing on a stale read snapshot. Commits only
append to the write-ahead log (``synchronous=NORMAL``: durable across a crash of the
service, and the last commits before a power cut may be lost, never corrupted); copying
the log back into the database file (a checkpoint, with its fsyncs) happens in a background
thread, not in whichever request happens to fill the log.
"""

from __future__ import annotations

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
_SQLITE_AUTOCHECKPOINT_PAGES = 128_000
CHECKPOINT_ABOVE_BYTES = 4 << 20  # about a thousand pages: SQLite's own default threshold
CHECKPOINT_PAUSE_SECONDS = 0.25
# Past this many pages in the log (256 MiB), a round ends by letting the log start over,
# which holds new transactions for one copy (see ``WalCheckpointer``): rarely, so that
# hardly a request in a hundred waits for it. A long log costs disk space, not speed: a
# reader finds a page in it through the log's hash index.
CHECKPOINT_RESTART_FRAMES = 64_000
# How long a round waits, gate open, for a moment with no transaction under way (between
# two requests, say) before it closes the gate anyway.
CHECKPOINT_LULL_SECONDS = 0.5
# How long a round waits for the transactions under way before it gives up restarting.
CHECKPOINT_QUIET_SECONDS = 0.5
IDLE_SECONDS = 30.0
_IN_TRANSACTION = "shopguard_in_transaction"


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
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            _checkpoint_in_background(engine, WalCheckpointer(database))
        else:
            event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, pool_use_lifo=True)


def _checkpoint_in_background(engine: Engine, checkpointer: WalCheckpointer) -> None:
    """Tell the checkpointer when this engine's transactions begin, commit and end."""

    def begin(connection: Any) -> None:
        checkpointer.enter(connection.info)
        _sqlite_begin(connection)

    event.listen(engine, "begin", begin)
    event.listen(engine, "commit", lambda _connection: checkpointer.poke())
    # A connection is back in the pool only once its transaction is over.
    event.listen(engine, "checkin", lambda _dbapi, record: checkpointer.leave(record.info))


class WalCheckpointer:
    """Checkpoints a SQLite database's write-ahead log from a background thread.

    ``poke`` runs at each commit: once the log file has grown past
    ``CHECKPOINT_ABOVE_BYTES`` it starts the thread. Every ``CHECKPOINT_PAUSE_SECONDS``,
    if a transaction ended since its last round, the thread runs a PASSIVE checkpoint
    (waiting for no reader or writer) through a connection of its own; it ends after
    ``IDLE_SECONDS`` without a transaction. A short-lived command never writes that much,
    so it never starts one.

    A PASSIVE checkpoint alone never lets the log start over under steady writes: SQLite
    writes the log from its start again only when a transaction begins with every frame
    copied back, and requests commit new frames while the copy (with its fsyncs) runs. The
    log grows until a committing request checkpoints it itself (``wal_autocheckpoint``),
    and that request waits for the copy and its fsyncs: 130-200 ms every thirty batches,
    when that threshold was 20,000 pages. So once the log holds over
    ``CHECKPOINT_RESTART_FRAMES``, the thread copies once more, then has this process's
    gate closed (``enter`` waits) by whichever transaction ends with no other under way,
    copies the few frames committed since its copy and opens the gate again: the next
    transaction starts the log over. Only that last copy is waited for, about once in
    ninety batches. Closing the gate between transactions rather than during one spares
    the next request the wait for the one under way (up to a whole batch, 50 ms). Should
    no such moment come within ``CHECKPOINT_LULL_SECONDS`` (transactions overlapping all
    the time), the gate closes anyway and the round waits for those under way to end,
    which the others wait for anyway: SQLite runs one writer at a time. With several
    worker processes the gate holds only this one's transactions: the log may then start
    over only when the requests' own threshold is reached, as before.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._wal = path + "-wal"
        self._state = threading.Condition()
        self._running = False
        self._gate_closed = False
        self._gate_wanted = False  # close the gate as the last transaction under way ends
        self._in_transaction = 0  # connections between BEGIN and their return to the pool
        self._ended = 0  # transactions ended so far (what wakes the thread)

    def enter(self, info: dict[str, Any]) -> None:
        """Before a connection's BEGIN: wait while the gate is closed, then count it."""
        with self._state:
            while self._gate_closed:
                self._state.wait()
            if not info.get(_IN_TRANSACTION):
                info[_IN_TRANSACTION] = True
                self._in_transaction += 1

    def leave(self, info: dict[str, Any]) -> None:
        """A connection is back in the pool: its transaction, if any, is over."""
        if info.pop(_IN_TRANSACTION, False):
            with self._state:
                self._in_transaction -= 1
                self._ended += 1
                if self._gate_wanted and not self._in_transaction:
                    # Closed here, in the thread that ends the last one: a transaction
                    # beginning right after this (the same thread's next) waits.
                    self._gate_closed = True
                self._state.notify_all()

    def poke(self) -> None:
        """A commit: start the thread if the log is big and nobody is checkpointing it."""
        try:
            if os.stat(self._wal).st_size < CHECKPOINT_ABOVE_BYTES:
                return
        except OSError:
            return
        with self._state:
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._run, name="sqlite-wal-checkpoint", daemon=True).start()

    def _run(self) -> None:
        connection = None
        done = -1  # a first round straight away
        try:
            while (ended := self._next_round(done)) is not None:
                done = ended
                connection = connection or self._connect()
                row = self._checkpoint(connection)
                if row is None:  # the file went, say: a new connection next time
                    self._close(connection)
                    connection = None
                elif row[1] > CHECKPOINT_RESTART_FRAMES:
                    self._restart(connection)
                # The transactions ending meanwhile are copied in the next round, together.
                time.sleep(CHECKPOINT_PAUSE_SECONDS)
        finally:
            self._close(connection)

    def _next_round(self, done: int) -> int | None:
        """Wait until a transaction ends after the ``done``-th; None once idle (and stopped)."""
        with self._state:
            if self._state.wait_for(lambda: self._ended != done, IDLE_SECONDS):
                return self._ended
            self._running = False
            return None

    def _restart(self, connection: sqlite3.Connection | None) -> None:
        """With the gate closed and no transaction under way, copy the rest of the log."""
        # A second copy first, while transactions still run: what is left for the gate is
        # only what they commit meanwhile.
        self._checkpoint(connection)
        try:
            with self._state:
                self._gate_wanted = True  # closed by ``leave`` as the last one ends
                self._state.wait_for(
                    lambda: self._gate_closed or not self._in_transaction,
                    CHECKPOINT_LULL_SECONDS,
                )
                self._gate_closed = True
                quiet = self._state.wait_for(
                    lambda: self._in_transaction == 0, CHECKPOINT_QUIET_SECONDS
                )
            if quiet:
                self._checkpoint(connection)
        finally:
            with self._state:
                self._gate_wanted = self._gate_closed = False
                self._state.notify_all()

    def _connect(self) -> sqlite3.Connection | None:
        try:
            # Read-write, never create: the file may have gone meanwhile.
            uri = Path(self._path).resolve().as_uri() + "?mode=rw"
            connection = sqlite3.connect(uri, uri=True, timeout=1.0, isolation_level=None)
            connection.execute("PRAGMA synchronous=NORMAL")  # the checkpoint's fsyncs
        except sqlite3.Error:
            return None
        return connection

    @staticmethod
    def _close(connection: sqlite3.Connection | None) -> None:
        if connection is not None:
            connection.close()

    @staticmethod
    def _checkpoint(connection: sqlite3.Connection | None) -> tuple[int, int, int] | None:
        """One PASSIVE checkpoint: (busy, frames in the log, frames copied), or None."""
        if connection is None:
            return None
        try:
            row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:  # the next round tries again (or SQLite's autocheckpoint)
            return None
        return (int(row[0]), int(row[1]), int(row[2])) if row else None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
