"""Queries of the service's database. Functions take a Session and never commit."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
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
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from shopguard.server.models import Base, UTCDateTime


def insert_ignoring_duplicates(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True if the row was inserted."""
    dialect = session.get_bind().dialect.name
    statement = _insert_ignoring(model, dialect, tuple(values))
    # RETURNING, not rowcount: the ORM's execution path does not promise a rowcount.
    return session.execute(statement, values).first() is not None


@functools.cache
def _insert_ignoring(model: type[Base], dialect: str, columns: tuple[str, ...]) -> Any:
    """The statement, built once with a parameter per column: every request remembers a
    nonce with it, and building it with the values inside cost more than running it."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    table = model.metadata.tables[model.__tablename__]
    return (
        module.insert(table)
        .values({name: bindparam(name, type_=table.c[name].type) for name in columns})
        .on_conflict_do_nothing()
        .returning(literal(1))
    )


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


class _JsonList(TypeDecorator[Any]):
    """A bound list, sent as one JSON array (SQLite reads it with ``json_each``)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str:
        return json.dumps(list(value), separators=(",", ":"))


def one_of(column: ColumnElement[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """``column`` is one of the list given as parameter ``name``.

    On PostgreSQL the list travels as one text, made an array by the server
    (``= ANY(...)``): the statement is the same whatever the list's length, so the driver
    prepares it once and the server plans it once, instead of parsing and planning
    hundreds of parameters on every call. On SQLite the list travels as one JSON array
    (``IN (SELECT value FROM json_each(...))``), for the same reason: one statement, compiled
    by SQLAlchemy and prepared by SQLite once, where an expanded ``IN`` list is a new
    statement for every length. The values must be texts or integers (JSON's own types).
    """
    if dialect == "postgresql":
        text_list = func.string_to_array(bindparam(name, type_=_Joined()), SEPARATOR)
        return column == any_(cast(text_list, postgresql.ARRAY(column.type)))
    if dialect == "sqlite":
        values: Select[Any] = select(literal_column("value")).select_from(
            func.json_each(bindparam(name, type_=_JsonList()))
        )
        return column.in_(values.scalar_subquery())
    return column.in_(bindparam(name, expanding=True))


def time_encoder(dialect: Dialect) -> Callable[[datetime], Any]:
    """A moment (aware) to the value stored for it, as ``models.UTCDateTime`` binds it for
    this database (a text on SQLite: ``2026-03-01 09:30:05.000000``): for statements that
    bypass SQLAlchemy's per-value processing. Built once per database kind."""
    encoder = _ENCODERS.get(dialect.name)
    if encoder is None:
        encoder = _ENCODERS[dialect.name] = _make_encoder(dialect)
    return encoder


_ENCODERS: dict[str, Callable[[datetime], Any]] = {}


def time_decoder(dialect: Dialect) -> Callable[[Any], datetime]:
    """A stored time, as this database's driver returns it, back to a moment (UTC), as
    ``models.UTCDateTime`` reads it: for statements whose rows bypass SQLAlchemy's
    per-value processing (``time_encoder``'s other half). Built once per database kind."""
    decoder = _DECODERS.get(dialect.name)
    if decoder is None:
        decoder = _DECODERS[dialect.name] = _make_decoder(dialect)
    return decoder


_DECODERS: dict[str, Callable[[Any], datetime]] = {}


def _make_decoder(dialect: Dialect) -> Callable[[Any], datetime]:
    stored = UTCDateTime()
    read = stored.dialect_impl(dialect).result_processor(dialect, None)

    def decode(value: Any) -> datetime:
        moment = stored.process_result_value(value, dialect) if read is None else read(value)
        assert isinstance(moment, datetime)
        return moment

    return decode


def _make_encoder(dialect: Dialect) -> Callable[[datetime], Any]:
    stored = UTCDateTime().dialect_impl(dialect)
    bind = stored.bind_processor(dialect)

    def encode(moment: datetime) -> Any:
        value = UTCDateTime().process_bind_param(moment, dialect)
        return bind(value) if bind is not None else value

    # The same value, several times faster, where it is the same (checked here once).
    samples = [datetime(2026, 3, 1, 9, 30, 5, micro, tzinfo=UTC) for micro in (0, 7)]
    samples.append(datetime(2026, 3, 1, 11, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2))))
    for candidate in (_iso_text, _naive_utc):
        if all(candidate(sample) == encode(sample) for sample in samples):
            return candidate
    return encode


def _iso_text(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
