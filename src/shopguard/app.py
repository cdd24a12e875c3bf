"""The GUI's composition root: builds the database, pools, services and the main window.

Nothing else in the UI creates pools, engines or services; they are made here and passed in.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from sqlalchemy.orm import Session, sessionmaker

from shopguard import __version__, sync_process
from shopguard.assessments import service as assessment_service
from shopguard.dashboard import AlertService, DashboardService
from shopguard.demo_service import (
    DemoScoring,
    DemoScoringService,
    DemoServiceUnavailable,
    start_demo_scoring,
)
from shopguard.order_actions import OrderActionService
from shopguard.paths import AppPaths, ProfileError, resolve_paths
from shopguard.scoring.settings import ENV_SECRET
from shopguard.services import (
    ClientFactory,
    ClientOptions,
    OrderQueryService,
    StoreService,
    default_client_factory,
)
from shopguard.sharing import SharingPipeline
from shopguard.store.db import open_database
from shopguard.store.migrate import DatabaseError
from shopguard.sync_process import ChildSyncOptions, sync_in_child
from shopguard.ui.gc_guard import MainThreadCollector
from shopguard.ui.main_window import MainWindow
from shopguard.ui.models.sync_run import CredentialsProvider
from shopguard.ui.style import STYLE_SHEET
from shopguard.ui.tasks import TaskRunner, lower_thread_priority
from shopguard.woo.credentials import Credentials, resolve_credentials

log = logging.getLogger(__name__)

DEMO_ORDERS = 2000
DEMO_SEED = 1
DEMO_STORE_NAME = "Demo shop"
NETWORK_THREADS = 2
DB_THREADS = 1
SHUTDOWN_WAIT_MS = 15_000


def configure_application(app: QApplication) -> None:
    """Names, style and style sheet of the application object."""
    app.setApplicationName("ShopGuard")
    app.setApplicationDisplayName("ShopGuard")
    app.setOrganizationName("ShopGuard")
    app.setApplicationVersion(__version__)
    app.setStyle("Fusion")
    app.setStyleSheet(STYLE_SHEET)


def make_pools() -> tuple[QThreadPool, QThreadPool]:
    """The network pool (syncs, connection tests, keyring) and the one-thread database pool."""
    network = QThreadPool()
    network.setMaxThreadCount(NETWORK_THREADS)
    database = QThreadPool()
    database.setMaxThreadCount(DB_THREADS)
    return network, database


def freeze_startup_objects() -> None:
    """Leave everything built at start-up out of future garbage collections.

    A full collection walks every tracked object while holding the GIL; with the demo store's
    orders (or a big table) in memory that paused the GUI for 100+ ms during syncs. Objects
    that live for the whole session need not be walked again.
    """
    gc.collect()
    gc.freeze()


GIL_SWITCH_SECONDS = 0.001


def share_the_interpreter_quickly() -> None:
    """Let the GUI thread have the interpreter back within 1 ms, not Python's 5 ms.

    Every Qt call from Python lets go of the GIL; a database thread working in Python
    (the Orders screen's reload after a sync, say) takes it, and the GUI thread then waits
    up to the switch interval to get it back, on every call. A redraw of a few dozen calls
    stalled the window for 30-45 ms that way; at 1 ms the wait stays small. The worker
    threads lose a little throughput to the extra switches.
    """
    sys.setswitchinterval(GIL_SWITCH_SECONDS)


def start_in_background(start: Callable[[], None]) -> None:
    """Call ``start`` from a low-priority thread, so threads it spawns inherit that priority.

    The in-process demo store serves requests from threads started by ``DemoStore.start``;
    started this way they make room for the GUI thread like the sync's own threads do.
    Exceptions from ``start`` are raised here.
    """
    failure: list[BaseException] = []

    def run() -> None:
        lower_thread_priority()
        try:
            start()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="shopguard-start")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def build_main_window(
    paths: AppPaths,
    session_factory: sessionmaker[Session],
    *,
    network_tasks: TaskRunner,
    db_tasks: TaskRunner,
    client_factory: ClientFactory | None = None,
    credentials_provider: CredentialsProvider = resolve_credentials,
    concurrency: int = 4,
    demo: bool = False,
    sync_in_child_process: bool = False,
    tray_available: bool | None = None,
) -> MainWindow:
    """The services and the main window, ready to show (tests call this without ``exec``).

    With ``sync_in_child_process`` (the real app), syncs run in a child process so their
    threads never compete with the GUI thread for the interpreter (see ``sync_process``).
    ``tray_available`` overrides the system-tray check (None: ask the platform).
    """
    factory = client_factory or default_client_factory(ClientOptions())
    runner = (
        functools.partial(sync_in_child, ChildSyncOptions(paths=paths, concurrency=concurrency))
        if sync_in_child_process
        else None
    )
    sharing = SharingPipeline(session_factory, paths)
    store_service = StoreService(
        session_factory,
        factory,
        concurrency=concurrency,
        sharing=sharing,
        sync_runner=runner,
    )
    window = MainWindow(
        paths=paths,
        queries=OrderQueryService(session_factory),
        store_service=store_service,
        assessments=assessment_service.for_profile(session_factory, paths.config),
        network_tasks=network_tasks,
        db_tasks=db_tasks,
        credentials_provider=credentials_provider,
        sharing=sharing,
        dashboard=DashboardService(session_factory, paths.config),
        alerts=AlertService(session_factory, paths.config),
        actions=OrderActionService(
            session_factory, factory, paths, sharing=sharing, credentials=credentials_provider
        ),
        tray_available=tray_available,
        demo=demo,
    )
    window.refresh()
    return window


def _center_on_screen(window: MainWindow) -> None:
    screen = window.screen().availableGeometry()
    size = window.size().boundedTo(screen.size())
    window.resize(size)
    window.move(screen.center() - window.rect().center())


def _credentials_for_demo(url: str, *, demo_url: str, demo: Credentials) -> Credentials:
    return demo if url.rstrip("/") == demo_url.rstrip("/") else resolve_credentials(url)


@dataclass(frozen=True)
class DemoConnection:
    """The demo store to connect, and the demo's temporary profile."""

    url: str
    credentials: Credentials
    paths: AppPaths
    sessions: sessionmaker[Session]


def connect_demo_store(
    window: MainWindow,
    demo: DemoConnection,
    service: DemoScoringService,
    network_tasks: TaskRunner,
    *,
    start_sync_processes: bool = True,
) -> QLabel:
    """Start the demo's scoring service and its network in the background, then connect
    and sync the demo store (its orders are then scored by the network).

    Without the server extra, or if the service does not start, the store is connected all
    the same and scored on this computer; the label added to the status bar (returned) says
    which, and stays there.
    """
    label = QLabel("Demo: starting the scoring service and its network of other shops…")
    label.setObjectName("demoScoringLabel")
    window.statusBar().addPermanentWidget(label)

    def started(result: DemoScoring | None, error: BaseException | None) -> None:
        if result is not None:
            # The sync's child process reads the secret from here (never the keyring).
            os.environ[ENV_SECRET] = result.shop.secret
            # Short: the status bar's own messages (a sync's summary) need the room.
            label.setText(f"Demo: scored by a network of {result.network.shops} simulated shops")
            label.setToolTip(
                f"The demo's orders are scored by a scoring service with a network of "
                f"{result.network.shops} other shops, all simulated on this computer."
            )
        elif isinstance(error, DemoServiceUnavailable):
            label.setText(error.message)
        else:
            log.error("The demo scoring service failed: %s", type(error).__name__)
            label.setText(
                "The demo scores orders on this computer only: its scoring service failed "
                f"({type(error).__name__}). Restart the demo to try again."
            )
        if start_sync_processes:
            sync_process.prepare()  # after the secret is set: the sync processes inherit it
        window.settings_page.refresh()  # the service is set up now (or, without it, not)
        window.refresh_outbox_status()
        window.connect_store(demo.url, demo.credentials, name=DEMO_STORE_NAME, save=False)

    network_tasks.run(
        functools.partial(
            start_demo_scoring,
            service,
            demo.sessions,
            demo.paths,
            store_orders=DEMO_ORDERS,
            store_seed=DEMO_SEED,
        ),
        done=started,
        owner=window,
    )
    return label


def run_gui(paths: AppPaths, *, demo: bool = False) -> int:
    """Open the app and run it until the window closes; return the exit code.

    With ``demo``, everything lives in a temporary profile (the real one is never touched),
    and a demo WooCommerce store runs in this process, connected and synced at once.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    configure_application(app)
    with contextlib.ExitStack() as stack:
        collector = MainThreadCollector(app)  # Qt garbage is freed on the GUI thread only
        stack.callback(collector.stop)
        provider: CredentialsProvider = resolve_credentials
        demo_store = None
        demo_scoring = None
        if demo:
            from shopguard.demo.server import DemoStore  # only the demo needs the demo server
            from shopguard.demo_service import DemoScoringService

            demo_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="shopguard-demo-"))
            paths = resolve_paths(demo_dir)
            demo_scoring = DemoScoringService(
                Path(demo_dir) / "scoring-service", thread_setup=lower_thread_priority
            )
            stack.callback(demo_scoring.stop)
            demo_store = DemoStore(orders=DEMO_ORDERS, seed=DEMO_SEED)
            start_in_background(demo_store.start)
            stack.callback(demo_store.stop)
            provider = functools.partial(
                _credentials_for_demo,
                demo_url=demo_store.url,
                demo=Credentials(*demo_store.credentials),
            )
        try:
            engine, sessions = open_database(paths)
        except (DatabaseError, ProfileError) as exc:
            QMessageBox.critical(None, "ShopGuard", exc.message)
            return 1
        stack.callback(engine.dispose)

        network_pool, db_pool = make_pools()
        network_tasks = TaskRunner(network_pool, background=True)
        db_tasks = TaskRunner(db_pool)
        window = build_main_window(
            paths,
            sessions,
            network_tasks=network_tasks,
            db_tasks=db_tasks,
            credentials_provider=provider,
            demo=demo,
            sync_in_child_process=True,
        )
        _center_on_screen(window)
        if demo_store is None:
            sync_process.prepare()
        window.show()
        freeze_startup_objects()
        share_the_interpreter_quickly()
        if demo_store is not None and demo_scoring is not None:
            connect_demo_store(
                window,
                DemoConnection(
                    demo_store.url, Credentials(*demo_store.credentials), paths, sessions
                ),
                demo_scoring,
                network_tasks,
            )
        code = app.exec()
        window.orders_page.shutdown()
        for pool in (network_pool, db_pool):
            if not pool.waitForDone(SHUTDOWN_WAIT_MS):
                log.warning("Background work did not stop in time; quitting anyway")
        return code
