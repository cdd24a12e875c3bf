"""One shop's orders: load, upsert, outcomes, the shop's usual order value.

Every function here is scoped by ``shop_id``: a shop can only read or change its own rows.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session, selectinload

from shopguard.scoring.model import WITHDRAWN
from shopguard.server.models import Order, OrderIdentifier
from shopguard.server.repos import joined, one_of, time_encoder

MEDIAN_MIN_ORDERS = 20
MEDIAN_WINDOW = 1001
_ORDERS = Order.metadata.tables[Order.__tablename__]
_IDENTIFIERS = OrderIdentifier.metadata.tables[OrderIdentifier.__tablename__]


@dataclass(frozen=True)
class OrderFields:
    """The stored facts of one order (identifiers apart)."""

    order_id: str
    created_at: datetime
    total_cents: int
    currency: str
    payment_method: str
    shipping_method: str
    status: str
    ship_city: str | None
    ship_country: str | None


def city_key(city: str | None) -> str | None:
    """A town folded for matching across shops (case and spacing ignored)."""
    if not city:
        return None
    folded = " ".join(city.casefold().split())
    return folded[:60] or None


def load_orders(session: Session, shop_id: str, order_ids: Iterable[str]) -> dict[str, Order]:
    """This shop's orders with these ids (identifiers loaded), by order id."""
    ids = sorted(set(order_ids))
    if not ids:
        return {}
    rows = session.scalars(
        select(Order)
        .where(Order.shop_id == shop_id, Order.order_id.in_(ids))
        .options(selectinload(Order.identifiers))
    ).all()
    return {row.order_id: row for row in rows}


@dataclass(frozen=True)
class OrderWrite:
    """One order of a batch to store: its facts and stored digests by kind; ``refused``
    when the subject objected (then nothing of it is kept, not even an older copy)."""

    fields: OrderFields
    digests: Mapping[str, str]
    refused: bool = False


@dataclass
class _Pending:
    """What a batch leaves of one order id: an existing row to update, or a new row."""

    pk: int | None
    write: OrderWrite


def store_orders(
    session: Session, shop_id: str, writes: Sequence[OrderWrite], now: datetime
) -> int:
    """Store a batch in order (upsert by shop + order id); how many orders it leaves stored.

    As if applied one after the other: a re-sent order updates its row in place and keeps
    its outcome; a later copy in the same batch wins; an objected copy deletes the stored
    row, and a copy after it starts a new one. A few statements for the whole batch
    (``executemany``), not a round trip per row.
    """
    dialect = session.get_bind().dialect.name
    wanted = sorted({w.fields.order_id for w in writes})
    existing: dict[str, int] = {
        order_id: pk
        for order_id, pk in session.execute(
            _existing_statement(dialect), {"shop_id": shop_id, "order_ids": wanted}
        )
    }
    doomed: list[int] = []
    pending: dict[str, _Pending] = {}
    for write in writes:
        order_id = write.fields.order_id
        if write.refused:
            if order_id in existing:
                doomed.append(existing.pop(order_id))
            pending.pop(order_id, None)
        elif order_id in pending:
            pending[order_id].write = write
        else:
            pending[order_id] = _Pending(existing.get(order_id), write)
    if doomed:
        session.execute(delete(_IDENTIFIERS).where(_IDENTIFIERS.c.order_pk.in_(doomed)))
        session.execute(delete(_ORDERS).where(_ORDERS.c.id.in_(doomed)))
    updates = [p for p in pending.values() if p.pk is not None]
    inserts = [p for p in pending.values() if p.pk is None]
    if updates:
        _update_orders(session, updates, now)
    if inserts:
        fields = [p.write.fields for p in inserts]
        if dialect == "postgresql":
            ids = _insert_postgresql(session, shop_id, fields, now)
        elif dialect == "sqlite":
            ids = _insert_sqlite(session, shop_id, fields, now)
        else:
            rows = [_order_row(shop_id, f, now) for f in fields]
            statement = insert(_ORDERS).returning(_ORDERS.c.order_id, _ORDERS.c.id)
            ids = {order_id: pk for order_id, pk in session.execute(statement, rows)}
        identifiers = [
            (ids[p.write.fields.order_id], kind, digest)
            for p in inserts
            for kind, digest in p.write.digests.items()
        ]
        if identifiers and dialect == "postgresql":
            columns = {
                "pks": joined(i[0] for i in identifiers),
                "kinds": joined(i[1] for i in identifiers),
                "digests": joined(i[2] for i in identifiers),
            }
            session.execute(_INSERT_IDENTIFIERS_POSTGRESQL, columns)
        elif identifiers and dialect == "sqlite":
            # In digest order: consecutive inserts into the digest index walk it one way.
            identifiers.sort(key=lambda row: row[2])
            session.connection().exec_driver_sql(_INSERT_IDENTIFIERS_SQLITE, identifiers)
        elif identifiers:
            names = ("order_pk", "kind", "digest")
            rows = [dict(zip(names, i, strict=True)) for i in identifiers]
            session.execute(insert(_IDENTIFIERS), rows)
    return len(pending)


@functools.cache
def _existing_statement(dialect: str) -> Select[Any]:
    return select(_ORDERS.c.order_id, _ORDERS.c.id).where(
        _ORDERS.c.shop_id == bindparam("shop_id"), one_of(_ORDERS.c.order_id, "order_ids", dialect)
    )


# On PostgreSQL a batch goes in as one array per column (``unnest``), each sent as one
# text (see ``repos.joined``): one statement the server prepares once, rather than a
# hundred-row VALUES list parsed and planned each time.
def _array(name: str, sql_type: str) -> str:
    return f"CAST(string_to_array(:{name}, chr(31), chr(30)) AS {sql_type}[])"


_INSERT_ORDERS_POSTGRESQL = text(
    f"""
INSERT INTO orders (order_id, created_at, total_cents, currency, payment_method,
                    shipping_method, status, ship_city, city_key, ship_country,
                    shop_id, network_excluded, updated_at)
SELECT batch.*, :shop_id, false, :now
FROM unnest({_array("order_id", "varchar")}, {_array("created_at", "timestamp")},
            {_array("total_cents", "bigint")}, {_array("currency", "varchar")},
            {_array("payment_method", "varchar")}, {_array("shipping_method", "varchar")},
            {_array("status", "varchar")}, {_array("ship_city", "varchar")},
            {_array("city_key", "varchar")}, {_array("ship_country", "varchar")}) AS batch
RETURNING order_id, id
"""
)
_INSERT_IDENTIFIERS_POSTGRESQL = text(
    f"""
INSERT INTO order_identifiers (order_pk, kind, digest)
SELECT * FROM unnest({_array("pks", "integer")}, {_array("kinds", "varchar")},
                     {_array("digests", "varchar")})
"""
)


def _insert_postgresql(
    session: Session, shop_id: str, fields: Sequence[OrderFields], now: datetime
) -> dict[str, int]:
    """New orders in one statement; their row ids by order id."""

    def naive(moment: datetime) -> datetime:
        return moment.astimezone(UTC).replace(tzinfo=None)

    columns: dict[str, list[Any]] = {
        "order_id": [f.order_id for f in fields],
        "created_at": [naive(f.created_at).isoformat(" ") for f in fields],
        "total_cents": [f.total_cents for f in fields],
        "currency": [f.currency for f in fields],
        "payment_method": [f.payment_method for f in fields],
        "shipping_method": [f.shipping_method for f in fields],
        "status": [f.status for f in fields],
        "ship_city": [f.ship_city for f in fields],
        "city_key": [city_key(f.ship_city) for f in fields],
        "ship_country": [f.ship_country for f in fields],
    }
    parameters: dict[str, Any] = {name: joined(values) for name, values in columns.items()}
    parameters.update(shop_id=shop_id, now=naive(now))
    result = session.execute(_INSERT_ORDERS_POSTGRESQL, parameters)
    return {order_id: pk for order_id, pk in result}


# On SQLite plain driver statements (the values bound as the models would bind them): the
# rows of a batch need no per-row work from SQLAlchemy, and the statements, always the same
# text for the same batch size, stay prepared in the driver's statement cache.
_INSERT_IDENTIFIERS_SQLITE = (
    "INSERT INTO order_identifiers (order_pk, kind, digest) VALUES (?, ?, ?)"
)
_SQLITE_ORDER_COLUMNS = (
    "shop_id",
    "order_id",
    "created_at",
    "total_cents",
    "currency",
    "payment_method",
    "shipping_method",
    "status",
    "ship_city",
    "city_key",
    "ship_country",
    "network_excluded",
    "updated_at",
)
_SQLITE_ROWS_PER_STATEMENT = 500  # 13 parameters a row: far below SQLite's limit


def _insert_sqlite_sql(rows: int) -> str:
    one = "(" + ", ".join("?" for _ in _SQLITE_ORDER_COLUMNS) + ")"
    return (
        f"INSERT INTO orders ({', '.join(_SQLITE_ORDER_COLUMNS)}) "
        f"VALUES {', '.join(one for _ in range(rows))} RETURNING order_id, id"
    )


def _insert_sqlite(
    session: Session, shop_id: str, fields: Sequence[OrderFields], now: datetime
) -> dict[str, int]:
    """New orders, a multi-row INSERT ... RETURNING per 500; their row ids by order id."""
    encode = time_encoder(session.get_bind().dialect)
    stamp = encode(now)
    connection = session.connection()
    ids: dict[str, int] = {}
    for start in range(0, len(fields), _SQLITE_ROWS_PER_STATEMENT):
        chunk = fields[start : start + _SQLITE_ROWS_PER_STATEMENT]
        values: list[Any] = []
        for f in chunk:
            values += (
                shop_id,
                f.order_id,
                encode(f.created_at),
                f.total_cents,
                f.currency,
                f.payment_method,
                f.shipping_method,
                f.status,
                f.ship_city,
                city_key(f.ship_city),
                f.ship_country,
                0,
                stamp,
            )
        result = connection.exec_driver_sql(_insert_sqlite_sql(len(chunk)), tuple(values))
        ids.update((order_id, pk) for order_id, pk in result)
    return ids


def _order_row(shop_id: str, fields: OrderFields, now: datetime) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "order_id": fields.order_id,
        "network_excluded": False,
        **_changeable(fields, now),
    }


def _changeable(fields: OrderFields, now: datetime) -> dict[str, Any]:
    """The columns a re-sent payload sets (the outcome and dispute stay as they are)."""
    return {
        "created_at": fields.created_at,
        "total_cents": fields.total_cents,
        "currency": fields.currency,
        "payment_method": fields.payment_method,
        "shipping_method": fields.shipping_method,
        "status": fields.status,
        "ship_city": fields.ship_city,
        "city_key": city_key(fields.ship_city),
        "ship_country": fields.ship_country,
        "updated_at": now,
    }


def _update_orders(session: Session, updates: Sequence[_Pending], now: datetime) -> None:
    """Re-sent orders: new facts, and their identifiers changed in place by kind."""
    columns = list(_changeable(updates[0].write.fields, now))
    statement = (
        update(_ORDERS)
        .where(_ORDERS.c.id == bindparam("pk"))
        .values({name: bindparam(name) for name in columns})
    )
    session.execute(statement, [{"pk": p.pk, **_changeable(p.write.fields, now)} for p in updates])
    stored: dict[int, dict[str, tuple[int, str]]] = {p.pk: {} for p in updates if p.pk is not None}
    for row in session.execute(
        select(
            _IDENTIFIERS.c.id, _IDENTIFIERS.c.order_pk, _IDENTIFIERS.c.kind, _IDENTIFIERS.c.digest
        ).where(_IDENTIFIERS.c.order_pk.in_(list(stored)))
    ):
        stored[row.order_pk][row.kind] = (row.id, row.digest)
    gone: list[int] = []
    changed: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    for p in updates:
        assert p.pk is not None
        digests, before = p.write.digests, stored[p.pk]
        for kind, (ident_id, digest) in before.items():
            if kind not in digests:
                gone.append(ident_id)
            elif digests[kind] != digest:
                changed.append({"ident": ident_id, "new_digest": digests[kind]})
        added += [
            {"order_pk": p.pk, "kind": kind, "digest": digest}
            for kind, digest in digests.items()
            if kind not in before
        ]
    if gone:
        session.execute(delete(_IDENTIFIERS).where(_IDENTIFIERS.c.id.in_(gone)))
    if changed:
        session.execute(
            update(_IDENTIFIERS)
            .where(_IDENTIFIERS.c.id == bindparam("ident"))
            .values(digest=bindparam("new_digest")),
            changed,
        )
    if added:
        session.execute(insert(_IDENTIFIERS), added)


def discard_order(session: Session, order: Order) -> None:
    """Delete a stored order (its identifiers go with it), or drop one not yet written."""
    if order in session.new:
        session.expunge(order)
    else:
        session.delete(order)


def set_outcome(order: Order, outcome: str, at: datetime) -> None:
    """Record a delivery outcome (``withdrawn``: none again); an older report never
    overrides a newer one, so the time of a withdrawal is kept."""
    if order.outcome_at is None or at >= order.outcome_at:
        order.outcome = None if outcome == WITHDRAWN else outcome
        order.outcome_at = at


_LATEST_TOTALS = (
    select(_ORDERS.c.total_cents)
    .where(_ORDERS.c.shop_id == bindparam("shop_id"), _ORDERS.c.currency == bindparam("currency"))
    # The total breaks ties of time: the same totals every time (and the index's order).
    .order_by(_ORDERS.c.created_at.desc(), _ORDERS.c.total_cents.desc())
    .limit(MEDIAN_WINDOW)
)


def median_total_cents(session: Session, shop_id: str, currency: str) -> int | None:
    """The shop's usual order total in this currency: the median of its latest
    ``MEDIAN_WINDOW`` orders (all of them in a smaller shop); None with too few orders.

    The latest orders rather than all of them: as cheap for a shop with a million orders as
    for one with a hundred, and it follows the shop's prices as they change.
    """
    totals = sorted(
        session.scalars(_LATEST_TOTALS, {"shop_id": shop_id, "currency": currency}).all()
    )
    if len(totals) < MEDIAN_MIN_ORDERS:
        return None
    return int(totals[len(totals) // 2])
