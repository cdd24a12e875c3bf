"""Queries of the service's database. Functions take a Session and never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal
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
