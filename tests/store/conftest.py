"""Fixtures for the local store: a fresh, migrated database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shopguard.paths import AppPaths, resolve_paths
from shopguard.store.db import open_database


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    """An isolated profile under tmp_path."""
    return resolve_paths(tmp_path / "profile")


@pytest.fixture
def database(paths: AppPaths) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """A migrated database and its session factory."""
    engine, sessions = open_database(paths)
    yield engine, sessions
    engine.dispose()


@pytest.fixture
def sessions(database: tuple[Engine, sessionmaker[Session]]) -> sessionmaker[Session]:
    """The session factory of a fresh database."""
    return database[1]
