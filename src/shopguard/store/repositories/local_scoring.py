"""What the embedded scorer reads and writes in the local store.

Reads return plain tuples straight from the driver (dates as the stored naive-UTC text,
totals as decimal text): the scorer reads every order of a big shop in one pass, and
SQLAlchemy's per-row and per-value processing would cost more than the scoring. They run
on the session's own connection, so in its transaction. Writes keep the
scorer's index (``local_identifiers``) and its place (``local_scoring``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from shopguard.store.models import LocalScoringState

_CHUNK = 5_000  # parameters per IN (...) list: well under SQLite's variable limit


class FactsRow(NamedTuple):
    """An order's non-personal facts, as stored (dates: naive UTC text)."""

    woo_id: int
    status: str
    date_created_gmt: str
    date_modified_gmt: str
    date_completed_gmt: str | None
    total: str
    currency: str
    payment_method: str
    synced_at: str
    pii_erased_at: str | None
    # The outcome the owner reported (``order_outcomes``) and when: it overrides the status.
    owner_outcome: str | None
    owner_outcome_at: str | None


class IdentityRow(NamedTuple):
    """The raw fields hash scheme v1 builds identifiers from (kept on this machine)."""

    billing_first_name: str
    billing_last_name: str
    billing_email: str
    billing_phone: str
    billing_address_1: str
    billing_address_2: str
    billing_postcode: str
    billing_city: str
    billing_country: str
    shipping_phone: str
    shipping_address_1: str
    shipping_address_2: str
    shipping_postcode: str
    shipping_city: str
    shipping_country: str


_OWNER_COLUMNS = {"owner_outcome": "oo.outcome", "owner_outcome_at": "oo.recorded_at"}
_FACTS_SQL = ", ".join(_OWNER_COLUMNS.get(f, f"orders.{f}") for f in FactsRow._fields)
_OWNER_JOIN = (
    " LEFT JOIN order_outcomes oo"
    " ON oo.store_id = orders.store_id AND oo.order_woo_id = orders.woo_id"
)
_IDENTITY_SQL = ", ".join(IdentityRow._fields)
_N_FACTS = len(FactsRow._fields)


@dataclass(frozen=True, slots=True)
class ScoringState:
    """Where the embedded scorer stands for one store (see ``LocalScoringState``)."""

    salt_fingerprint: str
    synced_until: datetime | None
    scored_at: datetime


def stored_time(moment: datetime) -> str:
    """A time as the store keeps it (naive UTC text): comparable with stored values."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def order_rows(
    session: Session,
    store_id: int,
    *,
    woo_ids: Collection[int] | None = None,
    synced_after: datetime | None = None,
    identity: bool = True,
    include_trash: bool = False,
) -> list[tuple[FactsRow, IdentityRow | None]]:
    """Orders of the store, by (created, id): all, these ids, or those synced after a time.

    ``identity``: also read the raw fields the identifiers are built from.
    """
    columns = _FACTS_SQL + (", " + _IDENTITY_SQL if identity else "")
    sql = f"SELECT {columns} FROM orders{_OWNER_JOIN} WHERE orders.store_id = ?"
    params: list[Any] = [store_id]
    if not include_trash:
        sql += " AND orders.status != 'trash'"
    if synced_after is not None:
        sql += " AND orders.synced_at > ?"
        params.append(stored_time(synced_after))
    order = " ORDER BY orders.date_created_gmt, orders.woo_id"
    driver = _driver(session)
    rows: list[tuple[Any, ...]] = []
    if woo_ids is None:
        rows.extend(driver.execute(sql + order, params))
    else:
        for chunk in _chunks(sorted(woo_ids)):
            marks = ", ".join("?" for _ in chunk)
            rows.extend(driver.execute(f"{sql} AND orders.woo_id IN ({marks})", (*params, *chunk)))
        rows.sort(key=lambda r: (r[2], r[0]))
    if not identity:
        return [(FactsRow._make(r), None) for r in rows]
    return [(FactsRow._make(r[:_N_FACTS]), IdentityRow._make(r[_N_FACTS:])) for r in rows]


def identifiers(
    session: Session, store_id: int, woo_ids: Collection[int] | None = None
) -> dict[int, dict[str, str]]:
    """The stored local digests by order: {woo_id: {kind: digest}}."""
    sql = "SELECT order_woo_id, kind, digest FROM local_identifiers WHERE store_id = ?"
    driver = _driver(session)
    out: dict[int, dict[str, str]] = {}
    batches: Iterable[Iterable[Any]]
    if woo_ids is None:
        batches = [driver.execute(sql, (store_id,))]
    else:
        batches = (
            driver.execute(
                f"{sql} AND order_woo_id IN ({', '.join('?' for _ in chunk)})",
                (store_id, *chunk),
            )
            for chunk in _chunks(sorted(woo_ids))
        )
    for rows in batches:
        for woo_id, kind, digest in rows:
            found = out.get(woo_id)
            if found is None:
                out[woo_id] = {kind: digest}
            else:
                found[kind] = digest
    return out


def orders_with_digests(session: Session, store_id: int, digests: Collection[str]) -> set[int]:
    """The orders carrying any of these local digests."""
    driver = _driver(session)
    out: set[int] = set()
    for chunk in _chunks(sorted(digests)):
        marks = ", ".join("?" for _ in chunk)
        rows = driver.execute(
            "SELECT order_woo_id FROM local_identifiers "
            f"WHERE store_id = ? AND digest IN ({marks})",
            (store_id, *chunk),
        )
        out.update(r[0] for r in rows)
    return out


def digest_counts(session: Session, store_id: int, digests: Collection[str]) -> dict[str, int]:
    """How many orders carry each of these local digests (absent: none)."""
    driver = _driver(session)
    out: dict[str, int] = {}
    for chunk in _chunks(sorted(digests)):
        marks = ", ".join("?" for _ in chunk)
        rows = driver.execute(
            "SELECT digest, count(*) FROM local_identifiers "
            f"WHERE store_id = ? AND digest IN ({marks}) GROUP BY digest",
            (store_id, *chunk),
        )
        out.update((digest, int(count)) for digest, count in rows)
    return out


def replace_identifiers(
    session: Session, store_id: int, by_order: Mapping[int, Mapping[str, str]]
) -> None:
    """Make these orders' stored digests exactly the given ones (none: all removed)."""
    if not by_order:
        return
    driver = _driver(session)
    for chunk in _chunks(sorted(by_order)):
        marks = ", ".join("?" for _ in chunk)
        driver.execute(
            f"DELETE FROM local_identifiers WHERE store_id = ? AND order_woo_id IN ({marks})",
            (store_id, *chunk),
        )
    driver.executemany(
        "INSERT INTO local_identifiers (store_id, order_woo_id, kind, digest) VALUES (?, ?, ?, ?)",
        [
            (store_id, woo_id, kind, digest)
            for woo_id, digests in by_order.items()
            for kind, digest in digests.items()
        ],
    )


def load_identifiers(
    session: Session, store_id: int, by_order: Mapping[int, Mapping[str, str]]
) -> None:
    """``replace_identifiers`` for most of a store's orders at once (a first full pass):
    the digest index is dropped and built again after the rows are in, which is several
    times faster than updating it row by row in random digest order. One transaction."""
    driver = _driver(session)
    driver.execute("DROP INDEX IF EXISTS ix_local_identifiers_digest")
    replace_identifiers(session, store_id, by_order)
    driver.execute(
        "CREATE INDEX ix_local_identifiers_digest ON local_identifiers (store_id, digest)"
    )


def delete_identifiers_except(session: Session, store_id: int, keep: Collection[int]) -> None:
    """Forget the digests of every order of the store not in ``keep`` (trashed, gone)."""
    stored = {
        r[0]
        for r in _driver(session).execute(
            "SELECT DISTINCT order_woo_id FROM local_identifiers WHERE store_id = ?", (store_id,)
        )
    }
    replace_identifiers(session, store_id, dict.fromkeys(stored.difference(keep), {}))


def totals_up_to(
    session: Session, store_id: int, currency: str, first: str, last: str, before: int
) -> list[tuple[str, int, str]]:
    """(created, woo_id, total) of the store's orders in ``currency``, by (created, id):
    every one created from ``first`` to ``last`` (stored-time text), and at least the
    ``before`` latest ones created before ``first`` (all of them in a smaller shop)."""
    rows = _driver(session).execute(
        "SELECT date_created_gmt, woo_id, total FROM orders "
        "WHERE store_id = ? AND currency = ? AND status != 'trash' AND date_created_gmt <= ? "
        "ORDER BY date_created_gmt DESC",
        (store_id, currency, last),
    )
    out: list[tuple[str, int, str]] = []
    earlier = 0
    for created, woo_id, total in rows:
        if created < first:
            # Finish the second the last row shares with others: ties are ordered by id.
            if earlier >= before and (not out or created != out[-1][0]):
                break
            earlier += 1
        out.append((created, woo_id, total))
    out.reverse()
    out.sort(key=lambda r: (r[0], r[1]))
    return out


def get_state(session: Session, store_id: int) -> ScoringState | None:
    """Where the embedded scorer stands for this store, or None before its first run."""
    row = session.get(LocalScoringState, store_id)
    if row is None:
        return None
    return ScoringState(row.salt_fingerprint, row.synced_until, row.scored_at)


def save_state(session: Session, store_id: int, state: ScoringState) -> None:
    """Record where the embedded scorer stands (in the transaction of its writes)."""
    row = session.get(LocalScoringState, store_id)
    if row is None:
        row = LocalScoringState(store_id=store_id)
        session.add(row)
    row.salt_fingerprint = state.salt_fingerprint
    row.synced_until = state.synced_until
    row.scored_at = state.scored_at
    session.flush()


def latest_synced(session: Session, store_id: int) -> str | None:
    """The newest ``synced_at`` of the store's orders (stored-time text), or None."""
    row = (
        _driver(session)
        .execute("SELECT max(synced_at) FROM orders WHERE store_id = ?", (store_id,))
        .fetchone()
    )
    return None if row is None or row[0] is None else str(row[0])


def _driver(session: Session) -> sqlite3.Connection:
    """The DB-API connection under the session (in its transaction)."""
    connection = session.connection().connection.driver_connection
    assert isinstance(connection, sqlite3.Connection), "the local store is SQLite"
    return connection


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
