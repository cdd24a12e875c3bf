"""Shared test set-up: Qt runs offscreen, tests that need Qt are marked ``gui``, and a
fresh profile with a migrated database is one fixture away."""

from __future__ import annotations

import os

# Before anything imports Qt: GUI tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import keyring  # noqa: E402
import pytest  # noqa: E402 - after the environment is set
from sqlalchemy import Engine  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from shopguard.paths import AppPaths, resolve_paths  # noqa: E402
from shopguard.store.db import open_database  # noqa: E402
from tests.helpers.memory_keyring import MemoryKeyring  # noqa: E402

_QT_FIXTURES = frozenset({"qtbot", "qapp", "qtmodeltester", "qapp_args"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a Qt fixture as ``gui`` (so ``-m "not gui"`` stays headless)."""
    for item in items:
        if _QT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.gui)


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


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An empty in-memory keyring in place of the person's real one, for this test."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
