"""``--demo``'s scoring service: the real ``shopguard-server`` in this process, on loopback.

``start_demo_scoring`` starts the service (uvicorn on a background thread, a free port on
127.0.0.1, SQLite in the demo's temporary folder, a pepper made for this run and kept only
in memory, like ``serve --dev`` but leaving nothing behind), creates a shop for the demo
store and a few for the simulated network (``shopguard.demo.network``), back-fills the
network's orders and outcomes through the signed API, and configures the app's sharing
pipeline for the demo shop. The real profile and the real keyring are never touched: the
demo's profile is temporary and the secret is handed over in memory.

Without the server extra (``pip install shopguard`` without ``[server]``) it raises
``DemoServiceUnavailable`` and the demo scores on this computer instead.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shopguard.demo import network
from shopguard.paths import AppPaths
from shopguard.scoring.service_client import ServiceClient
from shopguard.sharing import SharingPipeline

log = logging.getLogger(__name__)

DEMO_SHOP_NAME = "Demo shop"
START_TIMEOUT = 30.0


class DemoServiceUnavailable(Exception):
    """The demo cannot run the scoring service; ``message`` says why, for the status bar."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ShopKey:
    """A shop of the demo service: its id and secret (in memory only)."""

    shop_id: str
    secret: str


@dataclass(frozen=True)
class DemoScoring:
    """The running demo service, the demo store's shop in it, and what the network holds."""

    url: str
    shop: ShopKey
    network: network.NetworkSummary
    pipeline: SharingPipeline


class DemoScoringService:
    """``shopguard-server`` on a background thread of this process (``start``/``stop``).

    Args:
        directory: where its SQLite database lives (the demo's temporary folder).
        thread_setup: called first on the server's thread (the app lowers its priority
            there, so the service's threads make way for the window).
    """

    def __init__(self, directory: Path, *, thread_setup: Callable[[], None] | None = None) -> None:
        self._directory = directory
        self._thread_setup = thread_setup
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sessions: Any = None
        self.url = ""

    def start(self) -> None:
        """Start serving; returns once the service answers.

        Raises:
            DemoServiceUnavailable: the server extra is not installed, or it did not start.
        """
        try:
            import uvicorn

            from shopguard.server.main import create_app
            from shopguard.server.settings import Pepper, ServerSettings
        except ImportError as exc:
            raise DemoServiceUnavailable(
                "The demo scores orders on this computer only: the scoring service is not "
                'installed (pip install "shopguard[server]" adds it).'
            ) from exc
        self._directory.mkdir(parents=True, exist_ok=True)
        settings = ServerSettings(
            database_url=f"sqlite:///{self._directory / 'demo-service.sqlite3'}",
            pepper=Pepper.generate(),  # made for this run, never written anywhere
            maintenance_seconds=0,
        )
        app = create_app(settings)
        self._sessions = app.state.sessions
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", server_header=False, lifespan="on")
        server = uvicorn.Server(config)
        self._server = server

        def serve() -> None:
            if self._thread_setup is not None:
                self._thread_setup()
            try:
                server.run(sockets=[sock])
            except BaseException:  # noqa: BLE001 - logged; start() reports it as not started
                log.exception("The demo scoring service stopped")
            finally:
                sock.close()

        self._thread = threading.Thread(target=serve, name="demo-scoring-service", daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{port}"
        deadline = threading.Event()
        waited = 0.0
        while not server.started:
            if not self._thread.is_alive() or waited > START_TIMEOUT:
                self.stop()
                raise DemoServiceUnavailable(
                    "The demo scoring service did not start, so the demo scores orders on this "
                    "computer only. Restart the demo to try again."
                )
            deadline.wait(0.02)
            waited += 0.02

    def create_shop(self, name: str) -> ShopKey:
        """A member shop, made the way ``shopguard-server create-shop`` makes one."""
        from shopguard.server.services import operators

        if self._sessions is None:
            raise RuntimeError("start() the service first")
        with self._sessions.begin() as session:
            shop_id, secret = operators.create_shop(session, name, datetime.now(UTC))
        return ShopKey(shop_id, secret)

    def client(self, shop: ShopKey) -> ServiceClient:
        """A signed client acting for ``shop``."""
        return ServiceClient(self.url, shop.shop_id, shop.secret, max_retries=2)

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


def start_demo_scoring(
    service: DemoScoringService,
    session_factory: sessionmaker[Session],
    paths: AppPaths,
    *,
    store_orders: int,
    store_seed: int,
    now: datetime | None = None,
) -> DemoScoring:
    """Start ``service``, fill its network, and configure the profile for the demo shop.

    The profile's sharing pipeline is configured with the secret handed over in memory
    (``DemoScoring.pipeline`` takes it from there), so nothing reaches the keyring.

    Raises:
        DemoServiceUnavailable: no service (the demo then scores on this computer).
        ServiceError: the service did not accept the network.
    """
    moment = now or datetime.now(UTC)
    service.start()
    customers, orders = network.demo_customers(store_orders, store_seed, moment)
    shops = network.simulate_network(customers, orders, now=moment, seed=store_seed)
    keys = [service.create_shop(shop.name) for shop in shops]
    clients = [service.client(key) for key in keys]
    try:
        summary = network.post_network(shops, clients)
    finally:
        for client in clients:
            client.close()
    demo_shop = service.create_shop(DEMO_SHOP_NAME)
    pipeline = SharingPipeline(
        session_factory, paths, secret_provider=lambda _settings: demo_shop.secret
    )
    pipeline.configure(service.url, demo_shop.shop_id, demo_shop.secret)
    log.info(
        "Demo scoring service at %s: %d other shops, %d orders, %d outcomes",
        service.url,
        summary.shops,
        summary.orders,
        summary.outcomes,
    )
    return DemoScoring(service.url, demo_shop, summary, pipeline)
