"""A data subject's records, found by their stored digests (access, erase, object, export).

``own_records`` is scoped to one shop; ``other_shop_counts`` returns counts only; the
operator's ``all_records`` (subject export) and ``erase`` reach across shops on purpose.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy import Select, delete, distinct, func, select
from sqlalchemy.orm import Session, selectinload

from shopguard.server.models import Objection, Order, OrderIdentifier
from shopguard.server.repos import insert_ignoring_duplicates, one_of

RecordWithKinds = tuple[Order, list[str]]


def objected(session: Session, digests: Collection[str]) -> set[str]:
    """Which of these stored digests were objected."""
    wanted = sorted(set(digests))
    if not wanted:
        return set()
    statement = _objected_statement(session.get_bind().dialect.name)
    return set(session.scalars(statement, {"digests": wanted}))


@functools.cache
def _objected_statement(dialect: str) -> Select[tuple[str]]:
    """Built once per database kind: every scored batch asks."""
    column = Objection.metadata.tables[Objection.__tablename__].c.digest
    return select(column).where(one_of(column, "digests", dialect))


def add_objections(
    session: Session, by_kind: Mapping[str, str], via_shop: str, now: datetime
) -> int:
    """Mark stored digests objected (kind → digest); how many were new."""
    added = 0
    for kind, digest in by_kind.items():
        values = {"digest": digest, "kind": kind, "objected_at": now, "via_shop": via_shop}
        added += insert_ignoring_duplicates(session, Objection, values)
    return added


def _matching_ids(digests: Collection[str]) -> Select[int]:
    return select(OrderIdentifier.order_pk).where(OrderIdentifier.digest.in_(sorted(digests)))


def _with_kinds(orders: Sequence[Order], digests: Collection[str]) -> list[RecordWithKinds]:
    wanted = set(digests)
    return [
        (order, sorted(i.kind for i in order.identifiers if i.digest in wanted)) for order in orders
    ]


def own_records(session: Session, shop_id: str, digests: Collection[str]) -> list[RecordWithKinds]:
    """This shop's orders linked to the digests, with the kinds that matched."""
    if not digests:
        return []
    orders = session.scalars(
        select(Order)
        .where(Order.shop_id == shop_id, Order.id.in_(_matching_ids(digests)))
        .options(selectinload(Order.identifiers))
        .order_by(Order.created_at, Order.order_id)
    ).all()
    return _with_kinds(orders, digests)


def other_shop_counts(session: Session, shop_id: str, digests: Collection[str]) -> tuple[int, int]:
    """(shops, orders) elsewhere linked to the digests: counts only."""
    if not digests:
        return 0, 0
    row = session.execute(
        select(func.count(distinct(Order.shop_id)), func.count(Order.id)).where(
            Order.shop_id != shop_id, Order.id.in_(_matching_ids(digests))
        )
    ).one()
    return int(row[0]), int(row[1])


def all_records(session: Session, digests: Collection[str]) -> list[RecordWithKinds]:
    """Every shop's orders linked to the digests (operator export only)."""
    if not digests:
        return []
    orders = session.scalars(
        select(Order)
        .where(Order.id.in_(_matching_ids(digests)))
        .options(selectinload(Order.identifiers))
        .order_by(Order.shop_id, Order.created_at, Order.order_id)
    ).all()
    return _with_kinds(orders, digests)


def erase(session: Session, digests: Collection[str]) -> tuple[int, int]:
    """Delete every order linked to the digests, in all shops; (orders, identifiers) deleted."""
    if not digests:
        return 0, 0
    ids = list(session.scalars(select(Order.id).where(Order.id.in_(_matching_ids(digests)))))
    return delete_orders_by_id(session, ids)


def delete_orders_by_id(session: Session, ids: Sequence[int], chunk: int = 500) -> tuple[int, int]:
    """Delete orders and their identifiers by row id; (orders, identifiers) deleted."""
    orders = identifiers = 0
    for start in range(0, len(ids), chunk):
        part = list(ids[start : start + chunk])
        result = session.execute(delete(OrderIdentifier).where(OrderIdentifier.order_pk.in_(part)))
        identifiers += int(getattr(result, "rowcount", 0))
        result = session.execute(delete(Order).where(Order.id.in_(part)))
        orders += int(getattr(result, "rowcount", 0))
    return orders, identifiers
