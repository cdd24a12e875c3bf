"""Demo stores for the tests: small, seeded, on loopback ports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from shopguard.demo.server import DemoStore

FROZEN_NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def store() -> Iterator[DemoStore]:
    """A plain-http store with 300 orders and a frozen clock (changes stamp predictably)."""
    with DemoStore(orders=300, seed=5, now=FROZEN_NOW) as demo:
        yield demo


@pytest.fixture
def tls_store() -> Iterator[DemoStore]:
    """An https store with 300 orders and a self-signed certificate."""
    with DemoStore(orders=300, seed=5, tls=True, now=FROZEN_NOW) as demo:
        yield demo


@pytest.fixture(scope="module")
def shared_tls_store() -> Iterator[DemoStore]:
    """An https store that read-only tests share (do not change it)."""
    with DemoStore(orders=400, seed=9, tls=True, now=FROZEN_NOW) as demo:
        yield demo


@pytest.fixture
def api(shared_tls_store: DemoStore) -> Iterator[requests.Session]:
    """A session authenticated with Basic auth against the shared https store."""
    session = requests.Session()
    session.auth = shared_tls_store.credentials
    session.verify = shared_tls_store.cert_path or True
    session.trust_env = False  # else REQUESTS_CA_BUNDLE would override session.verify
    yield session
    session.close()
