"""UI fixtures: a fresh profile and database, real thread pools, and no real keyring."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QThreadPool
from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session, sessionmaker

from shopguard.app import build_main_window
from shopguard.paths import AppPaths
from shopguard.services import (
    ClientOptions,
    OrderQueryService,
    StoreService,
    default_client_factory,
)
from shopguard.store.repositories import stores as store_repo
from shopguard.ui.main_window import MainWindow
from shopguard.ui.tasks import TaskRunner
from shopguard.woo.credentials import Credentials
from tests.helpers.memory_keyring import MemoryKeyring


@pytest.fixture(autouse=True)
def _no_real_keyring(memory_keyring: MemoryKeyring) -> MemoryKeyring:
    """Every UI test gets an empty in-memory keyring instead of the person's real one."""
    return memory_keyring


@pytest.fixture
def store_id(sessions: sessionmaker[Session]) -> int:
    """A store profile with no orders yet."""
    with sessions.begin() as session:
        return store_repo.get_or_create_store(session, url="https://shop.example").id


class Runners:
    """The two task runners the app makes (network, database), on real thread pools."""

    def __init__(self) -> None:
        self.network_pool = QThreadPool()
        self.network_pool.setMaxThreadCount(2)
        self.db_pool = QThreadPool()
        self.db_pool.setMaxThreadCount(1)
        self.network = TaskRunner(self.network_pool)
        self.db = TaskRunner(self.db_pool)

    @property
    def running(self) -> int:
        """Tasks not finished yet, on both runners."""
        return self.network.running + self.db.running

    def wait_until_idle(self, timeout: float = 15.0) -> bool:
        """Process events until both runners are idle."""
        return self.network.wait_until_idle(timeout) and self.db.wait_until_idle(timeout)


@pytest.fixture
def runners(qapp: object) -> Iterator[Runners]:
    """Real pools and runners; the test fails if it leaves work running."""
    made = Runners()
    yield made
    left = made.running
    made.wait_until_idle()
    made.network_pool.waitForDone(15_000)
    made.db_pool.waitForDone(15_000)
    assert left == 0, f"the test left {left} background task(s) running"


@pytest.fixture
def sync_runner(qapp: object) -> TaskRunner:
    """A runner that does the work inline, at once (deterministic model tests)."""
    return TaskRunner(None)


@pytest.fixture
def queries(sessions: sessionmaker[Session]) -> OrderQueryService:
    """Read access to the test database's orders."""
    return OrderQueryService(sessions)


@pytest.fixture
def store_service(sessions: sessionmaker[Session]) -> StoreService:
    """Connect and sync against the test database, with the app's default client options."""
    return StoreService(sessions, default_client_factory(ClientOptions(timeout=(5.0, 30.0))))


@pytest.fixture(autouse=True)
def collect_on_the_gui_thread() -> Iterator[None]:
    """As the app does (shopguard.ui.gc_guard): no automatic collection while a test's pool
    threads run, so Qt objects left in cycles by one test are never destroyed on a pool
    thread in the next; the test's garbage is collected here, on the GUI thread."""
    was_enabled = gc.isenabled()
    gc.disable()
    yield
    gc.collect()
    if was_enabled:
        gc.enable()


def open_window(
    qtbot: QtBot,
    paths: AppPaths,
    sessions: sessionmaker[Session],
    runners: Runners,
    *,
    credentials: Credentials | None = None,
    settle: bool = True,
    **options: Any,
) -> MainWindow:
    """The main window as the app builds it, on the test's runners, shown (and, with
    ``settle``, its start-up loads finished). ``credentials``: every store's key (else the
    app's own provider: environment, then keyring); ``options`` go to build_main_window."""
    if credentials is not None:
        options["credentials_provider"] = lambda _url: credentials
    window = build_main_window(
        paths, sessions, network_tasks=runners.network, db_tasks=runners.db, **options
    )
    qtbot.addWidget(window)
    window.show()
    if settle:
        assert runners.wait_until_idle()
    return window
