"""The application's core services: what the CLI and the UI call.

Qt-free and network-aware; the UI reaches the network and the database only through
these. Each method opens its own short transaction (the caller owns none), takes and
returns plain data, and can run on any worker thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from shopguard.scoring.service_client import ServiceError
from shopguard.scoring.settings import ServiceSettingsError
from shopguard.sharing import PageHook, SharingPipeline
from shopguard.store.records import EventRecord, OrderRecord, StoreRecord
from shopguard.store.repositories import events as event_repo
from shopguard.store.repositories import order_risk as risk_repo
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import outbox as outbox_repo
from shopguard.store.repositories import scores as score_repo
from shopguard.store.repositories import stores as store_repo
from shopguard.store.repositories.order_risk import (
    BandFilter,
    OrderDetail,
    OrderRiskRow,
    RiskSortKey,
)
from shopguard.store.repositories.orders import SortKey
from shopguard.store.repositories.scores import ScoreRecord
from shopguard.woo.client import ConnectionInfo, WooClient
from shopguard.woo.credentials import Credentials, resolve_credentials, save_credentials
from shopguard.woo.sync import ProgressCallback, SyncService, SyncSummary
from shopguard.woo.urls import normalize_store_url

log = logging.getLogger(__name__)

ClientFactory = Callable[[str, Credentials, threading.Event | None], WooClient]


class SyncRunner(Protocol):
    """Runs a whole sync elsewhere (the GUI uses a child process: ``sync_process``)."""

    def __call__(
        self,
        url: str,
        credentials: Credentials | None,
        *,
        progress: ProgressCallback | None = None,
        cancel_event: threading.Event | None = None,
    ) -> SyncSummary: ...


@dataclass(frozen=True)
class ClientOptions:
    """How WooCommerce clients are built (tests and the demo pass TLS trust here)."""

    verify: bool | str = True
    timeout: tuple[float, float] = (10.0, 60.0)


def default_client_factory(options: ClientOptions) -> ClientFactory:
    """A factory building ``WooClient`` objects with the given options."""

    def build(url: str, credentials: Credentials, cancel: threading.Event | None) -> WooClient:
        return WooClient(
            url,
            credentials.consumer_key,
            credentials.consumer_secret,
            cancel_event=cancel,
            verify=options.verify,
            timeout=options.timeout,
        )

    return build


class OrderQueryService:
    """Read access to the local orders, for tables and exports."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def stores(self) -> list[StoreRecord]:
        """Every connected store."""
        with self._sessions() as session:
            return store_repo.list_stores(session)

    def count(self, store_id: int, *, search: str = "") -> int:
        """How many of the store's orders match ``search``."""
        with self._sessions() as session:
            return order_repo.count_orders(session, store_id, search=search)

    def page(
        self,
        store_id: int,
        *,
        search: str = "",
        sort: SortKey = "date_created",
        descending: bool = True,
        offset: int = 0,
        limit: int | None = 200,
    ) -> list[OrderRecord]:
        """One slice of the store's orders, sorted and searched."""
        with self._sessions() as session:
            return order_repo.list_orders(
                session,
                store_id,
                search=search,
                sort=sort,
                descending=descending,
                offset=offset,
                limit=limit,
            )

    def sent_payloads(self, store_id: int, woo_ids: list[int]) -> dict[int, str]:
        """Exactly what was last sent to the scoring service for these orders."""
        with self._sessions() as session:
            return outbox_repo.sent_payloads(session, store_id, woo_ids)

    def scores(self, store_id: int, woo_ids: list[int]) -> dict[int, ScoreRecord]:
        """The latest risk scores stored for these orders (``scored_by`` says by whom)."""
        with self._sessions() as session:
            return score_repo.scores(session, store_id, woo_ids)

    def score_history(self, store_id: int, woo_id: int) -> list[ScoreRecord]:
        """Every score the order had, oldest first (a new entry only when it changed)."""
        with self._sessions() as session:
            return score_repo.score_history(session, store_id, woo_id)

    def risk_count(self, store_id: int, *, search: str = "", band: BandFilter = "all") -> int:
        """How many of the store's orders match ``search`` and the band filter."""
        with self._sessions() as session:
            return risk_repo.count_rows(session, store_id, search=search, band=band)

    def risk_page(
        self,
        store_id: int,
        *,
        search: str = "",
        band: BandFilter = "all",
        sort: RiskSortKey = "date_created",
        descending: bool = True,
        offset: int = 0,
        limit: int | None = 200,
        unscored: int | None = None,
    ) -> list[OrderRiskRow]:
        """One slice of the Orders screen: orders with their latest score and its freshness
        (``unscored``: how many orders have no score, when the caller just counted them)."""
        with self._sessions() as session:
            return risk_repo.list_rows(
                session,
                store_id,
                search=search,
                band=band,
                sort=sort,
                descending=descending,
                offset=offset,
                limit=limit,
                unscored=unscored,
            )

    def risk_rows(self, store_id: int, woo_ids: list[int]) -> list[OrderRiskRow]:
        """These orders' rows as the Orders screen shows them (gone orders left out)."""
        with self._sessions() as session:
            return risk_repo.rows_for(session, store_id, woo_ids)

    def order_detail(self, store_id: int, woo_id: int) -> OrderDetail:
        """What the detail pane shows: score history, what was sent, the local digests."""
        with self._sessions() as session:
            return risk_repo.order_detail(session, store_id, woo_id)

    def events(self, *, store_id: int | None = None, limit: int = 200) -> list[EventRecord]:
        """The newest event-log lines."""
        with self._sessions() as session:
            return event_repo.list_events(session, store_id=store_id, limit=limit)


class StoreService:
    """Connecting stores, and syncing them."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        client_factory: ClientFactory,
        *,
        concurrency: int = 4,
        sharing: SharingPipeline | None = None,
        sync_runner: SyncRunner | None = None,
    ) -> None:
        self._sessions = session_factory
        self._client_factory = client_factory
        self._concurrency = concurrency
        self._sharing = sharing
        self._sync_runner = sync_runner

    def test_connection(self, url: str, credentials: Credentials) -> ConnectionInfo:
        """Try the key against the store; raise a ``WooError`` with advice if it fails."""
        client = self._client_factory(url, credentials, None)
        try:
            return client.check_connection()
        finally:
            client.close()

    def connect(
        self, url: str, credentials: Credentials, *, name: str = "", save: bool = True
    ) -> tuple[StoreRecord, ConnectionInfo]:
        """Test the connection, keep the key in the keyring, and remember the store.

        Raises:
            WooError: the store refused or could not be reached (nothing is saved).
            CredentialsError: the key works but there is no keyring to keep it in.
        """
        info = self.test_connection(url, credentials)
        if save:
            save_credentials(info.store_url, credentials)
        with self._sessions.begin() as session:
            store = store_repo.get_or_create_store(session, url=info.store_url, name=name or None)
            store = store_repo.update_store(
                session,
                store.id,
                auth_mode=info.auth_mode,
                permissions=info.permissions,
                name=name or None,
            )
            event_repo.record_event(
                session,
                "store.connected",
                store_id=store.id,
                detail={"auth_mode": info.auth_mode, "permissions": info.permissions},
            )
        return store, info

    def sync(
        self,
        url: str,
        *,
        credentials: Credentials | None = None,
        progress: ProgressCallback | None = None,
        cancel_event: threading.Event | None = None,
        concurrency: int | None = None,
    ) -> SyncSummary:
        """Sync one store's orders (credentials from the environment or keyring if not given).

        Raises:
            WooError: the sync stopped; what was committed stays, the next run resumes.
            CredentialsError: no key is known for this store.
        """
        url = normalize_store_url(url)  # the keyring entry is filed under the normalized URL
        credentials = credentials or resolve_credentials(url)
        if self._sync_runner is not None:
            return self._sync_runner(url, credentials, progress=progress, cancel_event=cancel_event)
        hook, sharing_problem = self._prepare_sharing(cancel_event)
        # No scoring service: the orders this sync brings are scored on this computer.
        local = self._sharing is not None and hook is None and not sharing_problem
        client = self._client_factory(url, credentials, cancel_event)
        try:
            service = SyncService(
                self._sessions,
                client,
                concurrency=concurrency or self._concurrency,
                cancel_event=cancel_event,
                page_hook=hook,
            )
            summary = service.sync(progress=progress)
        finally:
            client.close()
        if sharing_problem:
            summary.sharing, summary.sharing_trouble = sharing_problem, True
        elif hook is not None and self._sharing is not None:
            pushed = self._sharing.push(summary.store_id, cancel_event)
            summary.sharing = pushed.line() + (f" {pushed.error}" if pushed.error else "")
            summary.sharing_trouble = bool(pushed.error or pushed.pending)
        elif local and self._sharing is not None:
            summary.sharing, ok = self._score_locally(self._sharing, summary.store_id)
            summary.sharing_trouble = not ok
        return summary

    @staticmethod
    def _score_locally(sharing: SharingPipeline, store_id: int) -> tuple[str, bool]:
        """Run the embedded scorer: its line, and whether it worked. A failure there never
        fails the sync (the next run retries)."""
        try:
            return sharing.score_locally(store_id).line(), True
        except Exception as exc:  # noqa: BLE001 - the synced orders are saved either way
            # The type only: an exception's text could quote an order's data.
            log.error("Scoring on this computer failed: %s", type(exc).__name__)
            return (
                "Orders were synced, but scoring them on this computer failed "
                f"({type(exc).__name__}); the next sync tries again."
            ), False

    def _prepare_sharing(self, cancel: threading.Event | None) -> tuple[PageHook | None, str]:
        """The outbox hook for this sync, or why there is none (empty: no service set)."""
        if self._sharing is None or self._sharing.settings() is None:
            return None, ""
        try:
            salt = self._sharing.ready(cancel)
        except (ServiceError, ServiceSettingsError) as exc:
            self._sharing.mark_catch_up()
            return None, f"Scoring service not used this time: {exc.message}"
        return self._sharing.page_hook(salt), ""
