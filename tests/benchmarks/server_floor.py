"""What the parts of a scored batch cost on the machine at hand, for the load benchmark.

The latency target (p50 under 25 ms for a batch of 100) depends on the machine as much as
on the code. These figures, printed in the same run as the load, show how much of a batch's
time is spent before the model's own work starts:

- a signed request that does nothing (``GET /v1/config``: HTTP, signature, nonce and rate
  limit, one commit) and a batch of one order, on the running service;
- the SQL statements the service runs for a batch of 100 (the same statements, captured
  from the service's own code on one copy of the database and replayed on a second copy
  through the bare ``sqlite3`` module, commit included): SQLite's share, with no Python of
  the service around it;
- a fixed pure-Python workload, so that runs on different machines can be compared.
"""

from __future__ import annotations

import http.client
import json
import shutil
import sqlite3
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shopguard.scoring.signing import signed_headers
from tests.benchmarks.server_world import PEPPER_HEX, BatchMaker, World, utc_now

PATH = "/v1/orders/score"
# The replay's log is copied back into the file every few batches, outside the timing, as
# the service's background checkpointer does; a log left to grow makes every commit slower.
CHECKPOINT_EVERY = 4


@dataclass(frozen=True)
class Floor:
    """One measured part: a label and its median in milliseconds (or seconds)."""

    label: str
    value: float
    unit: str = "ms"


def python_reference() -> Floor:
    """Seconds for ten million additions in a plain loop (best of three)."""

    def loop() -> float:
        started = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        return time.perf_counter() - started

    label = "pure Python: 10 million additions in a loop (best of 3)"
    return Floor(label, min(loop() for _ in range(3)), "s")


def request_floors(world: World, port: int, rounds: int = 200) -> list[Floor]:
    """Medians of a signed request that does nothing and of a batch of one order, sent one
    after the other on one keep-alive connection (the first tenth not counted)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    maker = BatchMaker(world, 800)
    empty: list[float] = []
    single: list[float] = []

    def timed(shop: int, method: str, path: str, body: bytes) -> float:
        headers = signed_headers(world.shop_id(shop), world.shop_secret(shop), method, path, body)
        headers["Content-Type"] = "application/json"
        sent = time.perf_counter()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path} answered {response.status}")
        return 1000 * (time.perf_counter() - sent)

    try:
        for _ in range(rounds):
            shop, orders = maker.batch(1, utc_now())
            empty.append(timed(shop, "GET", "/v1/config", b""))
            body = json.dumps({"orders": orders}, separators=(",", ":")).encode()
            single.append(timed(shop, "POST", PATH, body))
    finally:
        connection.close()
    skip = rounds // 10
    return [
        Floor("a signed request doing no work (GET /v1/config)", statistics.median(empty[skip:])),
        Floor("a batch of 1 order", statistics.median(single[skip:])),
    ]


Statement = tuple[str, Any, bool]  # SQL, parameters, executemany


def sql_floor(world: World, seeded: Path, workdir: Path, batches: int = 150) -> Floor:
    """Median time of one batch's SQL statements alone (commit included), replayed."""
    captured = _capture(world, seeded, workdir / "capture.sqlite3", batches)
    timings = _replay(captured, seeded, workdir / "replay.sqlite3")
    return Floor(
        "the SQL of a batch of 100, replayed on SQLite alone (commit included)",
        statistics.median(timings[len(timings) // 10 :]),
    )


def _capture(world: World, seeded: Path, database: Path, batches: int) -> list[list[Statement]]:
    """The statements of each batch, as the service's own code runs them on a copy."""
    from sqlalchemy import event

    from shopguard.server.db import create_db_engine, session_factory
    from shopguard.server.schemas import ScoreBatchCreate
    from shopguard.server.services import scoring
    from shopguard.server.settings import Pepper, ServerSettings

    shutil.copyfile(seeded, database)
    settings = ServerSettings(
        database_url=f"sqlite:///{database}", pepper=Pepper.from_hex(PEPPER_HEX)
    )
    engine = create_db_engine(settings.database_url)
    captured: list[list[Statement]] = []

    def capture(_conn: Any, _cursor: Any, sql: str, params: Any, _context: Any, many: bool) -> None:
        captured[-1].append((sql, params, many))

    event.listen(engine, "before_cursor_execute", capture)
    sessions = session_factory(engine)
    maker = BatchMaker(world, 900)
    try:
        for _ in range(batches):
            shop, orders = maker.batch(100, utc_now())
            batch = ScoreBatchCreate.model_validate({"orders": orders})
            captured.append([])
            with sessions() as session, session.begin():
                context = scoring.ShopContext(world.shop_id(shop))
                scoring.score_orders(session, settings, context, batch, datetime.now(UTC))
    finally:
        engine.dispose()
        _remove(database)
    return captured


def _replay(captured: list[list[Statement]], seeded: Path, database: Path) -> list[float]:
    """Milliseconds per batch of running its statements through ``sqlite3`` on a fresh copy
    (the same starting state, so the same rows and ids), with the service's settings."""
    shutil.copyfile(seeded, database)
    connection, checkpointer = _connect(database), _connect(database)
    timings = []
    try:
        for number, statements in enumerate(captured, 1):
            started = time.perf_counter()
            for sql, params, many in statements:
                if many:
                    connection.executemany(sql, params)
                else:
                    connection.execute(sql, params).fetchall()
            connection.execute("COMMIT")
            timings.append(1000 * (time.perf_counter() - started))
            if number % CHECKPOINT_EVERY == 0:
                checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        connection.close()
        checkpointer.close()
        _remove(database)
    return timings


def _connect(database: Path) -> sqlite3.Connection:
    """A connection set up as the service sets up its own (``server.db``)."""
    from shopguard.server import db

    connection = sqlite3.connect(database, isolation_level=None)
    db._sqlite_connect(connection, None)  # the very pragmas, not a copy of them
    connection.execute("PRAGMA wal_autocheckpoint=0")
    return connection


def _remove(database: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def print_floors(floors: list[Floor]) -> None:
    """The parts' figures, as a table."""
    print()
    print("What the parts cost on this machine (medians):")
    print("| part | median |")
    print("|---|---|")
    for floor in floors:
        print(f"| {floor.label} | {floor.value:.{1 if floor.unit == 'ms' else 2}f} {floor.unit} |")
