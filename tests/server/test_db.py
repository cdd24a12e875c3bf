"""The SQLite engine's background checkpoints (``db.WalCheckpointer``): under steady writes
the write-ahead log keeps starting over, so no request has to copy a long log back itself;
its gate closes between transactions where it can, and never holds one for longer than it
must."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError

from shopguard.server import db


def _engine(path: Path) -> Engine:
    engine = db.create_db_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)"))
        connection.execute(text("CREATE INDEX ix_t_x ON t (x)"))
    return engine


def _write(engine: Engine, serial: int) -> None:
    """One transaction touching some tens of pages (random keys, as the digest index gets)."""
    rows = [{"x": f"{(serial * 7919 + i * 104729) % 1000003:07d}" * 60} for i in range(40)]
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t (x) VALUES (:x)"), rows)


def _log_bytes(path: Path) -> int:
    return Path(f"{path}-wal").stat().st_size


def _begin_in_thread(checkpointer: db.WalCheckpointer, info: dict[str, object]) -> threading.Event:
    """A transaction beginning in another thread; the event is set once it is past the gate."""
    began = threading.Event()

    def begin() -> None:
        checkpointer.enter(info)
        began.set()

    threading.Thread(target=begin).start()
    return began


@contextlib.contextmanager
def _restart_under_way(
    path: Path, under_way: dict[str, object]
) -> Iterator[tuple[db.WalCheckpointer, threading.Thread]]:
    """A database whose checkpointer starts a restart round while a transaction
    (``under_way``) is in progress; the round's thread runs while the block does."""
    engine = _engine(path)
    checkpointer = db.WalCheckpointer(str(path))
    checkpointer.enter(under_way)
    own = checkpointer._connect()
    restart = threading.Thread(target=checkpointer._restart, args=(own,))
    restart.start()
    try:
        yield checkpointer, restart
    finally:
        checkpointer._close(own)
        engine.dispose()


@pytest.fixture
def eager(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checkpoint from the first commit on, and let the log start over past 200 pages."""
    monkeypatch.setattr(db, "CHECKPOINT_ABOVE_BYTES", 0)
    monkeypatch.setattr(db, "CHECKPOINT_PAUSE_SECONDS", 0.0)
    monkeypatch.setattr(db, "CHECKPOINT_RESTART_FRAMES", 200)


@pytest.mark.usefixtures("eager")
@pytest.mark.parametrize("restarts", [True, False])
def test_the_log_starts_over_under_steady_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restarts: bool
) -> None:
    if not restarts:  # the same writes, the log never let start over: the comparison
        monkeypatch.setattr(db, "CHECKPOINT_RESTART_FRAMES", 10**9)
    path = tmp_path / "wal.sqlite3"
    engine = _engine(path)
    try:
        for serial in range(300):  # back to back: never a pause for the checkpoints
            _write(engine, serial)
        logged = _log_bytes(path)
    finally:
        engine.dispose()
    page = 4096 + 24  # a frame: the page and its header
    # 300 transactions write some 30,000 pages; the log, starting over past 200, keeps
    # under 2,000 of them on a quiet machine (the threshold, plus what was committed while
    # the last copies ran): a wide margin for a busy one.
    if restarts:
        assert logged < 8_000 * page
    else:
        assert logged > 16_000 * page  # every page ever written is still in the log


def test_the_gate_closes_between_transactions_not_during_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "CHECKPOINT_LULL_SECONDS", 5.0)
    first: dict[str, object] = {}  # a request's transaction is under way
    with _restart_under_way(tmp_path / "wal.sqlite3", first) as (checkpointer, restart):
        time.sleep(0.1)
        # The gate is still open: another transaction begins at once, the two overlap.
        second: dict[str, object] = {}
        assert _begin_in_thread(checkpointer, second).wait(timeout=2)
        checkpointer.leave(first)
        time.sleep(0.1)
        assert restart.is_alive()  # the second is under way: no moment without one yet
        ended = time.monotonic()
        checkpointer.leave(second)  # that moment: gate closed, the rest copied, gate open
        restart.join(timeout=10)
        assert not restart.is_alive()
        assert time.monotonic() - ended < 2  # not the 5 s it would wait for such a moment
        assert not checkpointer._gate_closed


def test_a_transaction_waits_at_the_gate_only_while_the_rest_is_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Transactions overlapping all the time: the gate closes anyway after a while."""
    monkeypatch.setattr(db, "CHECKPOINT_LULL_SECONDS", 0.05)
    under_way: dict[str, object] = {}  # a transaction is under way
    with _restart_under_way(tmp_path / "wal.sqlite3", under_way) as (checkpointer, restart):
        time.sleep(0.3)
        began = _begin_in_thread(checkpointer, {})
        time.sleep(0.1)
        # The gate is closed: the new transaction waits, the restart waits for the old one.
        assert not began.is_set()
        assert restart.is_alive()
        checkpointer.leave(under_way)
        restart.join(timeout=10)
        assert began.wait(timeout=10)


def test_the_gate_opens_again_when_a_transaction_does_not_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "CHECKPOINT_LULL_SECONDS", 0.1)
    monkeypatch.setattr(db, "CHECKPOINT_QUIET_SECONDS", 0.2)
    checkpointer = db.WalCheckpointer(str(tmp_path / "none.sqlite3"))
    checkpointer.enter({})  # never leaves
    started = time.monotonic()
    checkpointer._restart(None)
    assert 0.3 <= time.monotonic() - started < 5
    assert _begin_in_thread(checkpointer, {}).wait(timeout=5)


def test_every_transaction_is_counted_out_however_it_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Committed, rolled back, failed: none is left counted, or the gate would wait for it."""
    monkeypatch.setattr(db, "CHECKPOINT_QUIET_SECONDS", 5.0)
    path = tmp_path / "wal.sqlite3"
    _engine(path).dispose()
    # An engine like the service's, with a checkpointer this test can reach.
    engine = create_engine(
        f"sqlite:///{path}", connect_args={"check_same_thread": False, "isolation_level": None}
    )
    event.listen(engine, "connect", db._sqlite_connect)
    checkpointer = db.WalCheckpointer(str(path))
    db._checkpoint_in_background(engine, checkpointer)
    try:
        _write(engine, 1)
        with engine.connect() as connection:
            connection.begin()
            connection.execute(text("INSERT INTO t (x) VALUES ('x')"))
            connection.rollback()
            with connection.begin():  # a second transaction on the same connection
                connection.execute(text("INSERT INTO t (x) VALUES ('y')"))
        with pytest.raises(OperationalError, match="no such table"), engine.begin() as failed:
            failed.execute(text("INSERT INTO missing (x) VALUES ('z')"))
        started = time.monotonic()
        own = checkpointer._connect()
        try:
            checkpointer._restart(own)
        finally:
            checkpointer._close(own)
        assert time.monotonic() - started < 1  # nothing under way to wait for
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 41
    finally:
        engine.dispose()
