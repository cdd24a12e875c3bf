"""Queries of the service's database. Functions take a Session and never commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Dialect,
    Text,
    TypeDecorator,
    any_,
    bindparam,
    cast,
    func,
    literal,
)
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


# Lists travel to PostgreSQL as one text, split there (``string_to_array``): the driver
# turns a text into a parameter at C speed, but a Python list element by element. The
# separators are control characters that no stored value may contain.
SEPARATOR = "\x1f"
NULL_MARK = "\x1e"


def joined(values: Iterable[object]) -> str:
    """A list as one text for ``string_to_array(text, chr(31), chr(30))`` (None: NULL)."""
    parts = []
    for value in values:
        text = NULL_MARK if value is None else str(value)
        if SEPARATOR in text or (NULL_MARK in text and value is not None):
            raise ValueError("a value holds a control character that separates lists")
        parts.append(text)
    return SEPARATOR.join(parts)


class _Joined(TypeDecorator[Any]):
    """A bound list, sent as one text (see ``joined``)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str:
        return joined(value)


def one_of(column: ColumnElement[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """``column`` is one of the list given as parameter ``name``.

    On PostgreSQL the list travels as one text, made an array by the server
    (``= ANY(...)``): the statement is the same whatever the list's length, so the driver
    prepares it once and the server plans it once, instead of parsing and planning
    hundreds of parameters on every call. Elsewhere it is an ``IN`` list, expanded when
    the statement runs.
    """
    if dialect == "postgresql":
        text_list = func.string_to_array(bindparam(name, type_=_Joined()), SEPARATOR)
        return column == any_(cast(text_list, postgresql.ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))
