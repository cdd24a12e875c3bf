"""Alembic environment of the scoring service: uses the connection handed in by migrate.py.

It does not configure logging (the process owns logging). Batch mode lets SQLite alter
tables; PostgreSQL ignores it.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from shopguard.server.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    """Run migrations on the given connection, or on one opened from the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
