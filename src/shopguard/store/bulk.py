"""Bulk reads and writes without SQLAlchemy's per-row bookkeeping, for the sync's hot path.

A page of 100 orders through a Core ``insert`` costs about 10 ms of Python per page
(parameter construction, type processing per value); with fetch threads busy that triples
under the GIL. Here the SQL is built once per table, values are converted with the very
bind processors SQLAlchemy would use (so stored forms are identical), and the driver's
``executemany`` gets plain tuples. Likewise, building and compiling a ``select`` for each
page costs about 1 ms: ``rows_for_ids`` runs fixed SQL on the driver's cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from functools import lru_cache
from itertools import repeat
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

Processor = Callable[[Any], Any] | None


@lru_cache(maxsize=32)
def _plan(
    table: Table, dialect: Dialect, names: tuple[str, ...], conflict: tuple[str, ...]
) -> tuple[str, tuple[Processor, ...]]:
    columns = ", ".join(names)
    marks = ", ".join("?" for _ in names)
    sql = f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"
    if conflict:
        updates = ", ".join(f"{n} = excluded.{n}" for n in names if n not in conflict)
        sql += f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {updates}"
    # dialect_impl first: a TypeDecorator's own bind_processor skips its dialect-specific
    # impl (SQLite's DATETIME string format), and the driver would adapt the value itself.
    processors = tuple(table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names)
    return sql, processors


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict: tuple[str, ...] = (),
) -> None:
    """Insert ``rows`` (dicts with the same keys); with ``conflict``, upsert on those columns.

    Runs in the session's current transaction.
    """
    if not rows:
        return
    names = tuple(rows[0])
    connection = session.connection()
    sql, processors = _plan(table, connection.dialect, names, conflict)
    # Column by column: the loops run in C (map, zip), not one generator per value.
    columns = [
        _column([row[name] for row in rows], process)
        for name, process in zip(names, processors, strict=True)
    ]
    connection.exec_driver_sql(sql, list(zip(*columns, strict=True)))


def insert_columns(
    session: Session,
    table: Table,
    columns: Mapping[str, list[Any]],
    constants: Mapping[str, Any],
) -> None:
    """Insert rows given column by column (lists of one length) plus values every row shares.

    Stores what ``insert_rows`` would for the same rows, without building a dict per row.
    Runs in the session's current transaction.
    """
    counts = {len(values) for values in columns.values()}
    if len(counts) != 1:
        raise ValueError("Every column needs the same number of values.")
    count = counts.pop()
    if not count:
        return
    names = (*columns, *constants)
    connection = session.connection()
    sql, processors = _plan(table, connection.dialect, names, ())
    values: list[Any] = [
        _column(columns[name], process)
        for name, process in zip(names[: len(columns)], processors, strict=False)
    ]
    for name, process in zip(names[len(columns) :], processors[len(columns) :], strict=True):
        value = constants[name]
        values.append(repeat(value if process is None else process(value), count))
    connection.exec_driver_sql(sql, list(zip(*values, strict=False)))


def _column(values: list[Any], process: Processor) -> list[Any]:
    """One column's values as the driver takes them."""
    if process is None:
        return values
    if len(set(map(id, values))) == 1:  # one and the same object (a batch's timestamp)
        return [process(values[0])] * len(values)
    return list(map(process, values))


_IN_LIST = 500  # ids per IN (...) list
_DENSE = 4  # a range at most this many times longer than the ids is read as one range


def rows_for_ids(
    session: Session, sql: str, params: Sequence[Any], ids: Collection[int]
) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` for these ids, as the driver gives them (unconverted).

    ``sql`` selects the id first and says ``{ids}`` where the id column's condition goes,
    after ``params``: dense ids (a page of new orders, a back-fill chunk) are read as one
    range scan of the index and filtered here, others through ``IN`` lists.
    """
    if not ids:
        return []
    wanted = set(ids)
    low, high = min(wanted), max(wanted)
    cursor = session.connection().connection.cursor()
    try:
        if high - low < _DENSE * len(wanted):
            found = cursor.execute(sql.format(ids="BETWEEN ? AND ?"), (*params, low, high))
            return [row for row in found if row[0] in wanted]
        out: list[tuple[Any, ...]] = []
        ordered = sorted(wanted)
        for start in range(0, len(ordered), _IN_LIST):
            chunk = ordered[start : start + _IN_LIST]
            which = f"IN ({', '.join('?' * len(chunk))})"
            out.extend(cursor.execute(sql.format(ids=which), (*params, *chunk)))
        return out
    finally:
        cursor.close()
