"""Orders: idempotent upsert by (store, WooCommerce id), and paged, sorted, searched reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    cast,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from shopguard.store import bulk
from shopguard.store.models import Order
from shopguard.store.records import ORDER_FIELDS, PII_FIELDS, OrderRecord
from shopguard.store.repositories.events import record_events
from shopguard.store.search import SEARCHED_FIELDS, search_key, search_terms
from shopguard.store.types import Money, UTCDateTime, utc_from_stored

SortKey = Literal[
    "number", "date_created", "date_modified", "status", "customer", "total", "payment", "country"
]

_SORT_COLUMNS: dict[str, tuple[ColumnElement[Any] | InstrumentedAttribute[Any], ...]] = {
    "number": (Order.woo_id,),
    "date_created": (Order.date_created_gmt, Order.woo_id),
    "date_modified": (Order.date_modified_gmt, Order.woo_id),
    "status": (Order.status, Order.woo_id),
    "customer": (Order.billing_last_name, Order.billing_first_name, Order.woo_id),
    "total": (cast(Order.total, Float), Order.woo_id),
    "payment": (Order.payment_method_title, Order.woo_id),
    "country": (Order.billing_country, Order.woo_id),
}


@dataclass
class UpsertResult:
    """What an upsert did, by WooCommerce order id."""

    created: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)


def upsert_orders(
    session: Session,
    store_id: int,
    orders: Sequence[OrderRecord],
    *,
    now: datetime | None = None,
    deleted_statuses: frozenset[str] = frozenset({"trash"}),
) -> UpsertResult:
    """Insert new orders and update changed ones; log one event per created/changed order.

    Re-sending the same order is harmless: an order whose modification date and status
    have not moved is left alone and logs nothing. A later duplicate in ``orders`` wins.
    """
    result = UpsertResult()
    if not orders:
        return result
    latest: dict[int, OrderRecord] = {o.woo_id: o for o in orders}
    existing = {}
    erased = set()
    for row in session.execute(
        select(Order.woo_id, Order.status, Order.date_modified_gmt, Order.pii_erased_at).where(
            Order.store_id == store_id, Order.woo_id.in_(list(latest))
        )
    ):
        existing[row.woo_id] = (row.status, row.date_modified_gmt)
        if row.pii_erased_at is not None:
            erased.add(row.woo_id)
    when = now or datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    events: list[tuple[str, int | None, dict[str, Any]]] = []
    for woo_id, record in latest.items():
        before = existing.get(woo_id)
        modified = record.date_modified_gmt.astimezone(UTC)
        if before is not None and before[0] == record.status and before[1] == modified:
            result.unchanged.append(woo_id)
            continue
        # Field by field: dataclasses.asdict deep-copies every value (10x slower here).
        values = {name: getattr(record, name) for name in ORDER_FIELDS}
        values["store_id"] = store_id
        values["synced_at"] = when
        if woo_id in erased:
            values.update(dict.fromkeys(PII_FIELDS, ""))
        values["search_text"] = search_key(values)
        rows.append(values)
        facts: dict[str, Any] = {"number": record.number, "status": record.status}
        if before is None:
            result.created.append(woo_id)
            kind = "order.deleted" if record.status in deleted_statuses else "order.created"
        else:
            result.changed.append(woo_id)
            facts["previous_status"] = before[0]
            kind = "order.deleted" if record.status in deleted_statuses else "order.changed"
        events.append((kind, woo_id, facts))
    if rows:
        bulk.insert_rows(
            session, Order.metadata.tables["orders"], rows, conflict=("store_id", "woo_id")
        )
        record_events(session, events, store_id=store_id, at=when)
    return result


def erase_personal_data(
    session: Session, store_id: int, woo_ids: Sequence[int], *, now: datetime | None = None
) -> int:
    """Blank the raw customer fields of these orders, for good; returns how many.

    Digests already queued or sent stay in the outbox (suppression lists need them);
    later syncs keep these fields blank. Logs one event per order, with no PII.
    """
    when = now or datetime.now(UTC)
    ids = list(woo_ids)
    if not ids:
        return 0
    values: dict[str, Any] = dict.fromkeys(PII_FIELDS, "")
    values["pii_erased_at"] = when
    result = session.execute(
        update(Order)
        .where(Order.store_id == store_id, Order.woo_id.in_(ids), Order.pii_erased_at.is_(None))
        .values(**values)
        .returning(Order.id, Order.woo_id, *(getattr(Order, f) for f in SEARCHED_FIELDS))
    )
    rows = result.all()
    erased = [row.woo_id for row in rows]
    # The search key held the erased fields too: made again from what is left.
    keys = [{"pk": row.id, "key": search_key(dict(row._mapping))} for row in rows]
    if keys:
        session.execute(_SET_SEARCH_KEY, keys)
    record_events(session, [("order.erased", w, {}) for w in erased], store_id=store_id, at=when)
    return len(erased)


_TABLE = Order.metadata.tables["orders"]
_SET_SEARCH_KEY = (
    update(_TABLE).where(_TABLE.c.id == bindparam("pk")).values(search_text=bindparam("key"))
)


def sort_columns(sort: SortKey) -> tuple[ColumnElement[Any] | InstrumentedAttribute[Any], ...]:
    """The columns a sort key orders by (the last one breaks ties)."""
    return _SORT_COLUMNS[sort]


def search_filter(query: Select[Any], store_id: int, search: str) -> Select[Any]:
    """``query`` narrowed to the store's orders matching every word of ``search``."""
    return _filtered(query, store_id, search)


def _filtered(query: Select[Any], store_id: int, search: str) -> Select[Any]:
    """Each word must appear in the order's number, status or search key (folded: see
    ``store.search``)."""
    query = query.where(Order.store_id == store_id)
    for term in search_terms(search):
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        columns = (Order.number, Order.status, Order.search_text)
        query = query.where(or_(*(c.like(like, escape="\\") for c in columns)))
    return query


def count_orders(session: Session, store_id: int, *, search: str = "") -> int:
    """How many orders match ``search`` (every word must appear in some field)."""
    query = _filtered(select(func.count()).select_from(Order), store_id, search)
    return int(session.scalar(query) or 0)


def list_orders(
    session: Session,
    store_id: int,
    *,
    search: str = "",
    sort: SortKey = "date_created",
    descending: bool = True,
    offset: int = 0,
    limit: int | None = None,
) -> list[OrderRecord]:
    """A page of orders, sorted and searched."""
    columns = _SORT_COLUMNS[sort]
    order_by = [c.desc() if descending else c.asc() for c in columns]
    query = _filtered(select(*(getattr(Order, n) for n in ORDER_FIELDS)), store_id, search)
    query = query.order_by(*order_by).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [OrderRecord(*row) for row in session.execute(query)]


def order_ids(
    session: Session, store_id: int, *, created_since: datetime | None = None
) -> list[int]:
    """The store's WooCommerce order ids in ascending order, trashed orders left out."""
    query = select(Order.woo_id).where(Order.store_id == store_id, Order.status != "trash")
    if created_since is not None:
        query = query.where(Order.date_created_gmt >= created_since)
    return list(session.scalars(query.order_by(Order.woo_id)))


def orders_between(session: Session, store_id: int, first: int, last: int) -> list[OrderRecord]:
    """The orders whose WooCommerce ids lie in ``first..last`` (inclusive), by id.

    The back-fill reads every stored order through here. The driver's rows are converted
    by ``_RAW_CONVERTERS`` rather than SQLAlchemy's result processing, which parsed each
    stored datetime with a regular expression first: some 15 us an order instead of 28.
    """
    # The DB-API cursor's plain tuples (the desktop store is SQLite's; no Row objects).
    cursor = session.connection().connection.cursor()
    try:
        rows = cursor.execute(_BETWEEN_SQL, (store_id, first, last)).fetchall()
    finally:
        cursor.close()
    out: list[OrderRecord] = []
    append = out.append
    for row in rows:
        values = list(row)
        for index, convert in _RAW_CONVERTERS:
            if values[index] is not None:
                values[index] = convert(values[index])
        append(OrderRecord(*values))
    return out


def _raw_converters() -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, converter) for the ``ORDER_FIELDS`` whose stored form is not their value."""
    columns = Order.__table__.columns
    out: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(ORDER_FIELDS):
        kind = columns[name].type
        if isinstance(kind, UTCDateTime):
            out.append((index, utc_from_stored))
        elif isinstance(kind, Money):
            out.append((index, Decimal))
        elif not isinstance(kind, Integer | String | Text):
            raise TypeError(f"orders.{name}: no raw converter for {kind!r}")
    return out


_RAW_CONVERTERS = _raw_converters()
_BETWEEN_SQL = (
    f"SELECT {', '.join(ORDER_FIELDS)} FROM orders "
    "WHERE store_id = ? AND woo_id BETWEEN ? AND ? ORDER BY woo_id"
)


def get_order(session: Session, store_id: int, woo_id: int) -> OrderRecord | None:
    """One order by its WooCommerce id, or None."""
    query = select(*(getattr(Order, n) for n in ORDER_FIELDS)).where(
        Order.store_id == store_id, Order.woo_id == woo_id
    )
    row = session.execute(query).one_or_none()
    return None if row is None else OrderRecord(*row)
