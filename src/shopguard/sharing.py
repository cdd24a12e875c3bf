"""What the app shares with the scoring service, and when.

The pipeline, for one sync:

1. Before the sync, fetch the network salt (``GET /v1/config``). No raw data is sent.
2. During the sync, every committed page also queues its orders' payloads (digests and
   non-PII facts) and delivery outcomes in the outbox, in the same transaction.
3. After the sync, push the outbox; scores come back and are stored with the orders.

With no service configured, nothing is queued and nothing is sent: instead the orders the
sync created or changed are scored on this computer from the shop's own history
(``score_locally``, ``shopguard.scoring.embedded``). When the salt cannot be
fetched (offline), the sync still runs; the orders it changed are queued by the next
successful run's catch-up, which re-queues any order whose current payload differs from
the last one queued (the outbox deduplicates identical payloads).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from shopguard.backfill import backfill_store, encode_records, owner_outcomes, queue_chunk
from shopguard.paths import AppPaths
from shopguard.privacy.encoder import PayloadEncoder
from shopguard.privacy.hashing import HASH_SCHEME, Salt
from shopguard.privacy.outbox import OutboxSender, PushSummary
from shopguard.scoring.embedded import LocalScoreSummary, score_store
from shopguard.scoring.local_salt import local_salt
from shopguard.scoring.service_client import ServiceClient, ServiceError, batch_key
from shopguard.scoring.settings import (
    ServiceSettings,
    ServiceSettingsError,
    load_secret,
    load_settings,
    make_settings,
    remove_settings,
    save_secret,
    save_settings,
)
from shopguard.store.records import OrderRecord
from shopguard.store.repositories import events as event_repo
from shopguard.store.repositories import outbox as outbox_repo
from shopguard.store.repositories import stores as store_repo

log = logging.getLogger(__name__)

RETENTION = timedelta(days=730)  # orders older than 24 months are never shared
PageHook = Callable[[Session, int, Sequence[OrderRecord]], None]
ServiceClientFactory = Callable[[ServiceSettings, str, threading.Event | None], ServiceClient]
SecretProvider = Callable[[ServiceSettings], str]
"""Where the shop secret comes from: the keyring (or SHOPGUARD_SERVICE_SECRET) by default;
the demo's composition root hands over the secret of the service it started instead."""


def default_service_client(
    settings: ServiceSettings, secret: str, cancel: threading.Event | None
) -> ServiceClient:
    """A real client for the configured service."""
    return ServiceClient(settings.url, settings.shop_id, secret, cancel_event=cancel)


@dataclass(frozen=True)
class Configured:
    """The result of configuring the service."""

    settings: ServiceSettings
    secret_in_keyring: bool
    backfilled: int


class SharingPipeline:
    """Queues and sends pseudonymized payloads for one installation."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        paths: AppPaths,
        *,
        client_factory: ServiceClientFactory = default_service_client,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        secret_provider: SecretProvider | None = None,
    ) -> None:
        """``secret_provider`` given: the secret comes from it, and ``configure`` never
        writes it to the keyring (the demo's temporary profile leaves no trace)."""
        self._sessions = session_factory
        self._paths = paths
        self._client_factory = client_factory
        self._clock = clock
        self._secret_provider = secret_provider
        self._max_batch = 100  # until the service says otherwise (GET /v1/config)

    def settings(self) -> ServiceSettings | None:
        """The configured service, or None."""
        return load_settings(self._paths.config)

    def configure(self, url: str, shop_id: str, secret: str) -> Configured:
        """Check the service answers to this shop, save the settings, back-fill the outbox.

        Raises:
            ServiceError, ServiceSettingsError: nothing is saved.
        """
        settings = make_settings(url, shop_id)
        if not secret.strip():
            raise ServiceSettingsError("Type the shop secret the scoring service gave you.")
        client = self._client_factory(settings, secret.strip(), None)
        try:
            config = client.config()
        finally:
            client.close()
        _check_scheme(config.hash_scheme)
        self._max_batch = config.max_batch
        in_keyring = (
            save_secret(settings, secret.strip()) if self._secret_provider is None else False
        )
        save_settings(self._paths.config, settings)
        count = self.backfill(config.salt)
        with self._sessions.begin() as session:
            # New settings (a new secret, say): what waited after failures goes next push.
            outbox_repo.retry_now(session)
            event_repo.record_event(
                session,
                "service.configured",
                detail={"url": settings.url, "shop_id": settings.shop_id, "backfilled": count},
            )
        return Configured(load_settings(self._paths.config) or settings, in_keyring, count)

    def stop(self) -> ServiceSettings | None:
        """Go back to scoring on this computer only: forget the service and its secret.

        Queued payloads stay in the outbox, unsent, should the owner come back; the event
        log records the stop and how many were waiting. Returns the settings that were in
        use (None if none were: nothing is recorded).
        """
        settings = remove_settings(self._paths.config)
        if settings is not None:
            with self._sessions.begin() as session:
                event_repo.record_event(
                    session,
                    "service.stopped",
                    detail={
                        "url": settings.url,
                        "shop_id": settings.shop_id,
                        "left_queued": outbox_repo.count_pending(session),
                    },
                )
        return settings

    def fetch_salt(self, cancel: threading.Event | None = None) -> Salt:
        """The network salt from the configured service.

        Raises:
            ServiceError, ServiceSettingsError
        """
        settings = self._require_settings()
        client = self._client_factory(settings, self._secret(settings), cancel)
        try:
            config = client.config()
        finally:
            client.close()
        _check_scheme(config.hash_scheme)
        self._max_batch = config.max_batch
        return config.salt

    def ready(self, cancel: threading.Event | None = None) -> Salt:
        """Fetch the salt and queue whatever earlier offline runs owe: before a sync or push.

        Raises:
            ServiceError, ServiceSettingsError
        """
        salt = self.fetch_salt(cancel)
        self.catch_up(salt)
        return salt

    def mark_catch_up(self) -> None:
        """Orders may change without being queued (no salt this run): catch up later."""
        settings = self.settings()
        if settings is not None and not settings.catch_up:
            save_settings(self._paths.config, replace(settings, catch_up=True))

    def catch_up(self, salt: Salt) -> int:
        """Queue what earlier runs could not (they had no salt); 0 when nothing is owed."""
        settings = self.settings()
        if settings is None or not settings.catch_up:
            return 0
        count = self.backfill(salt)
        settings = self.settings()
        if settings is not None:
            save_settings(self._paths.config, replace(settings, catch_up=False))
        return count

    def page_hook(self, salt: Salt) -> PageHook:
        """What the sync calls inside each page's transaction: queue payloads and outcomes."""
        cutoff = self._clock() - RETENTION
        # One encoder per store for the whole sync: what it remembers of a returning
        # customer on one page saves the normalizing and hashing on every later page.
        encoders: dict[int, PayloadEncoder] = {}

        def hook(session: Session, store_id: int, records: Sequence[OrderRecord]) -> None:
            encoder = encoders.get(store_id)
            if encoder is None:
                store = store_repo.get_store(session, store_id)
                country = store.default_country if store else ""
                encoder = encoders[store_id] = PayloadEncoder(salt, country)
            enqueue_orders(
                session, store_id, records, salt, encoder.default_country, cutoff, encoder=encoder
            )

        return hook

    def backfill(self, salt: Salt, *, workers: int | None = None) -> int:
        """Queue every stored order (within retention) whose payload is not queued yet.

        Big shops are read, encoded and queued by worker processes (see ``shopguard.backfill``).
        """
        cutoff = self._clock() - RETENTION
        settings = self._require_settings()
        queued = 0
        with self._sessions() as session:
            stores = store_repo.list_stores(session)
        for store in stores:
            queued += backfill_store(
                self._sessions,
                self._paths.database_url,
                store.id,
                store.default_country,
                salt,
                cutoff,
                workers=workers,
            )
            if store.url not in settings.backfilled:
                settings = replace(settings, backfilled=(*settings.backfilled, store.url))
        save_settings(self._paths.config, settings)
        return queued

    def push(self, store_id: int, cancel: threading.Event | None = None) -> PushSummary:
        """Send the store's due outbox items; never raises for service trouble.

        Raises:
            ServiceSettingsError: no secret available.
        """
        settings = self._require_settings()
        client = self._client_factory(settings, self._secret(settings), cancel)
        try:
            sender = OutboxSender(
                self._sessions,
                client,
                batch_size=self._max_batch,
                batch_key=batch_key,
                errors=(ServiceError,),
                clock=self._clock,
            )
            return sender.push(store_id)
        finally:
            client.close()

    def score_locally(self, store_id: int, *, full: bool = False) -> LocalScoreSummary:
        """Score the store's new and changed orders on this computer (every order with
        ``full``), from its own history, with this installation's local salt."""
        with self._sessions() as session:
            store = store_repo.get_store(session, store_id)
        return score_store(
            self._sessions,
            store_id,
            local_salt(self._paths.config),
            default_country=store.default_country if store else "",
            full=full,
        )

    def _secret(self, settings: ServiceSettings) -> str:
        if self._secret_provider is not None:
            return self._secret_provider(settings)
        return load_secret(settings)

    def _require_settings(self) -> ServiceSettings:
        settings = self.settings()
        if settings is None:
            raise ServiceSettingsError(
                "No scoring service is configured. Run `shopguard service set --url URL "
                "--shop-id ID` first."
            )
        return settings


def enqueue_orders(
    session: Session,
    store_id: int,
    records: Sequence[OrderRecord],
    salt: Salt,
    default_country: str,
    cutoff: datetime,
    *,
    encoder: PayloadEncoder | None = None,
) -> int:
    """Queue the payloads and outcomes of these orders (those within retention).

    ``encoder``: one for this salt and default country, reused across calls (see
    ``encode_records``). Returns how many order payloads were queued (outcomes are not
    counted).
    """
    owner = owner_outcomes(session, store_id, [r.woo_id for r in records])
    chunk = encode_records(records, salt, default_country, cutoff, encoder=encoder, owner=owner)
    return queue_chunk(session, store_id, chunk)


def _check_scheme(scheme: str) -> None:
    if scheme != HASH_SCHEME:
        raise ServiceError(
            f"The scoring service uses hash scheme {scheme!r}, but this ShopGuard speaks "
            f"{HASH_SCHEME!r}. Update ShopGuard.",
            retryable=False,
        )
