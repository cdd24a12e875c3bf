"""Migrations: a fresh database matches the models; a newer database is refused untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from shopguard.server.db import create_db_engine
from shopguard.server.migrate import (
    DatabaseTooNew,
    current_revision,
    head_revision,
    upgrade_database,
)
from shopguard.server.models import Base


def test_a_migrated_database_matches_the_models(database_url: str) -> None:
    upgrade_database(database_url)  # again: a no-op at head
    assert current_revision(database_url) == head_revision()
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_a_database_from_a_newer_server_is_refused_untouched(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    upgrade_database(url)
    engine = create_db_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    before = (tmp_path / "new.sqlite3").read_bytes()
    with pytest.raises(DatabaseTooNew):
        upgrade_database(url)
    assert current_revision(url) == "9999"
    assert (tmp_path / "new.sqlite3").read_bytes() == before


def test_a_new_sqlite_file_and_its_folder_are_created(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'db.sqlite3'}"
    upgrade_database(url)
    assert current_revision(url) == head_revision()
