"""Queries of the service's database. Functions take a Session and never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, ColumnElement, any_, bindparam, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shopguard.server.models import Base


def insert_ignoring_duplicates(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True if the row was inserted."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(model).values(**values).on_conflict_do_nothing().returning(literal(1))
    # RETURNING, not rowcount: the ORM's execution path does not promise a rowcount.
    return session.execute(statement).first() is not None


def one_of(column: ColumnElement[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """``column`` is one of the list given as parameter ``name``.

    On PostgreSQL the list travels as one array (``= ANY(:name)``): the statement is the
    same whatever the list's length, so the driver prepares it once and the server plans
    it once, instead of parsing and planning hundreds of parameters on every call.
    Elsewhere it is an ``IN`` list, expanded when the statement runs.
    """
    if dialect == "postgresql":
        array: BindParameter[Any] = bindparam(name, type_=postgresql.ARRAY(column.type))
        return column == any_(array)
    return column.in_(bindparam(name, expanding=True))
