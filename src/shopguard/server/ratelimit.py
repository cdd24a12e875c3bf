"""Per-shop rate limit shared by every worker: a request counter per shop and window.

Each shop may make ``per_minute`` requests in each fixed 60-second window (aligned to Unix
time). The counters live in the database (``rate_windows``), so all the worker processes of
``serve --workers N``, and any other server on the same database, count in the same row:
the limit is the service's, not a worker's. One atomic statement per request does it, the
same on SQLite (3.35 or later) and PostgreSQL::

    INSERT INTO rate_windows (shop_id, window_start, count) VALUES (:shop, :start, 1)
    ON CONFLICT (shop_id, window_start) DO UPDATE SET count = rate_windows.count + 1
        WHERE rate_windows.count < :limit
    RETURNING count

No row back means the window is full: the request is refused (429) with Retry-After = the
whole seconds to the next window. A refused request is not counted, so a client that waits
as told gets its full allowance. The statement runs in the caller's transaction (the short
one that also remembers the request's nonce). Each process's first request in a window
also deletes the rows of older windows (``prune``), so the table holds about two rows per
active shop.

A fixed window lets a shop make up to twice the limit across a window boundary; the
per-process token bucket this replaced allowed as much (a full burst, then a minute's
refill), and per worker at that.
"""

from __future__ import annotations

import functools
import math
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shopguard.server.models import RateWindow

WINDOW_SECONDS = 60


class RateLimiter:
    """Fixed-window request counters per shop, kept in the database."""

    def __init__(self, per_minute: int, *, window_seconds: int = WINDOW_SECONDS) -> None:
        if per_minute < 1 or window_seconds < 1:
            raise ValueError("the limit and the window must be at least 1")
        self.limit = per_minute
        self.window = window_seconds
        self._lock = threading.Lock()
        self._pruned = -1  # the window this process last pruned in

    def window_start(self, now: datetime) -> int:
        """The first second (Unix time) of the window ``now`` falls in."""
        return math.floor(now.timestamp()) // self.window * self.window

    def acquire(self, session: Session, key: str, now: datetime) -> int | None:
        """Count one request; None if granted, else the whole seconds to wait (Retry-After).

        Runs one statement in ``session``'s transaction (the caller commits), and before it,
        on this process's first request in a window, the prune of old windows.
        """
        start = self.window_start(now)
        if self._first_in(start):
            self.prune(session, now)
        parameters = {"shop_id": key, "window_start": start, "limit": self.limit}
        counted = session.execute(_count_statement(_dialect(session)), parameters)
        if counted.scalar_one_or_none() is not None:
            return None
        return max(1, math.ceil(start + self.window - now.timestamp()))

    def prune(self, session: Session, now: datetime) -> int:
        """Delete the counters of windows before the previous one; how many went.

        The previous window is kept for servers whose clocks lag a little behind.
        """
        oldest = self.window_start(now) - self.window
        result = session.execute(delete(RateWindow).where(RateWindow.window_start < oldest))
        return int(getattr(result, "rowcount", 0) or 0)

    def _first_in(self, start: int) -> bool:
        """Whether this is the process's first request in the window (then it prunes)."""
        with self._lock:
            if start <= self._pruned:
                return False
            self._pruned = start
            return True


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


@functools.cache
def _count_statement(dialect: str) -> Any:
    """The counting statement (see the module's docstring), built once per database kind:
    built with the values inside, as it was for every request, it cost more than it took
    to run."""
    table = RateWindow.metadata.tables[RateWindow.__tablename__]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(table)
        .values(shop_id=bindparam("shop_id"), window_start=bindparam("window_start"), count=1)
        .on_conflict_do_update(
            index_elements=[table.c.shop_id, table.c.window_start],
            set_={"count": table.c.count + 1},
            where=table.c.count < bindparam("limit"),
        )
        .returning(table.c.count)
    )
