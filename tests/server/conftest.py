"""Fixtures of the scoring-service tests: a fresh database per test, on SQLite and, where
PostgreSQL is installed, on a throwaway PostgreSQL cluster too (see pg.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from shopguard.server.main import create_app
from shopguard.server.migrate import upgrade_database
from shopguard.server.settings import Pepper, ServerSettings
from tests.server.helpers import ShopKey, SignedClient, make_shop
from tests.server.pg import PostgresCluster, skip_or_fail, unavailable_reason

PEPPER = Pepper(bytes(range(32)))
_DATABASE = "sg_test"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster | None]:
    """One cluster for the session, with a database migrated from empty (None if missing)."""
    if unavailable_reason() is not None:
        yield None
        return
    with PostgresCluster() as cluster:
        upgrade_database(cluster.create_database(_DATABASE))
        yield cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresCluster | None
) -> str:
    """A fresh, migrated database for this test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'service.sqlite3'}"
        upgrade_database(url)
        return url
    if postgres is None:
        skip_or_fail(unavailable_reason() or "PostgreSQL is unavailable")
        raise AssertionError("unreachable")
    postgres.empty_tables(_DATABASE)
    return postgres.url(_DATABASE)


@pytest.fixture
def settings(database_url: str) -> ServerSettings:
    """Default settings on the test's database (no background purge)."""
    return ServerSettings(database_url=database_url, pepper=PEPPER, maintenance_seconds=0)


@pytest.fixture
def app(settings: ServerSettings) -> Iterator[FastAPI]:
    """The service (its connections are closed after the test)."""
    service = create_app(settings)
    yield service
    service.state.engine.dispose()


@pytest.fixture
def sessions(app: FastAPI) -> sessionmaker[Session]:
    """The service's own session factory (to peek at what it stored)."""
    factory: sessionmaker[Session] = app.state.sessions
    return factory


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A test client; the app's lifespan runs around the test."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def shop_a(sessions: sessionmaker[Session]) -> ShopKey:
    """A member shop."""
    return make_shop(sessions, "Shop A")


@pytest.fixture
def shop_b(sessions: sessionmaker[Session]) -> ShopKey:
    """Another member shop."""
    return make_shop(sessions, "Shop B")


@pytest.fixture
def a(client: TestClient, shop_a: ShopKey) -> SignedClient:
    """Shop A's signed client."""
    return SignedClient(client, shop_a)


@pytest.fixture
def b(client: TestClient, shop_b: ShopKey) -> SignedClient:
    """Shop B's signed client."""
    return SignedClient(client, shop_b)
