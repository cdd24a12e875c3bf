"""Incremental, resumable order sync from WooCommerce into the local store.

How it stays correct:

* Every run asks for one frozen window of orders, ``modified_after`` (the saved cursor minus
  a small overlap; nothing on the first run) to ``modified_before`` (when the run started),
  ordered by modification date ascending, with ``dates_are_gmt=true``.
* Pages arrive concurrently but are committed strictly in page order, each in one
  transaction together with the cursor it justifies: the newest modification date of that
  page. A crash or kill at any moment leaves the cursor at the last committed page; the
  next run resumes there. Upserts by (store, order id) make the overlap harmless.
* Orders modified *during* the run leave the frozen window and shift later pages, which
  could hide an order behind a page boundary. Each page reports the window's total; once
  it differs from the first page's, the cursor stops advancing and another pass starts
  from the last safe point (the moved orders themselves come in the next window).
* Trashed orders are not listed by default; an incremental run asks for them separately
  and marks local copies deleted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shopguard.store.records import OrderRecord
from shopguard.store.repositories import events as event_repo
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import stores as store_repo
from shopguard.woo.client import OrdersPage, WooClient
from shopguard.woo.errors import Cancelled, InvalidResponse, WooError
from shopguard.woo.mapping import LISTING_FIELDS, OrderShapeError, order_from_json

log = logging.getLogger(__name__)

DEFAULT_OVERLAP = timedelta(minutes=2)
MAX_PASSES = 5
_WOO_TIME = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True)
class SyncProgress:
    """Where a running sync is: handed to the progress callback after every page."""

    pages_done: int
    pages_total: int
    orders_done: int
    orders_total: int


@dataclass
class SyncSummary:
    """What one sync did."""

    store_id: int
    full: bool
    fetched: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    pages: int = 0
    passes: int = 0
    seconds: float = 0.0
    auth_mode: str = ""
    header_stripped: bool = False
    warnings: list[str] = field(default_factory=list)
    # What was shared with the scoring service afterwards (one line), if one is configured;
    # else what the embedded scorer did with the new and changed orders.
    sharing: str = ""
    # Whether that line reports trouble the owner must see (service unreachable, secret
    # refused, orders still queued, local scoring failed) rather than scores as usual.
    sharing_trouble: bool = False

    def line(self) -> str:
        """A one-line summary for people."""
        kind = "Full sync" if self.full else "Sync"
        parts = [f"{self.created} new", f"{self.changed} changed"]
        if self.deleted:
            parts.append(f"{self.deleted} deleted")
        return (
            f"{kind} done: {self.fetched} orders checked ({', '.join(parts)}) "
            f"in {self.seconds:.1f} s."
        )


ProgressCallback = Callable[[SyncProgress], None]
# Called inside each page's transaction with the page's orders (e.g. to fill the outbox).
PageHook = Callable[[Session, int, Sequence[OrderRecord]], None]


class SyncService:
    """Syncs one store's orders into the local database.

    The caller builds it with a session factory and a connected ``WooClient``; the run
    owns its own short transactions (one per page).
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        client: WooClient,
        *,
        concurrency: int = 4,
        per_page: int = 100,
        overlap: timedelta = DEFAULT_OVERLAP,
        cancel_event: threading.Event | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        page_hook: PageHook | None = None,
    ) -> None:
        self._sessions = session_factory
        self._page_hook = page_hook
        self._client = client
        self._concurrency = max(1, concurrency)
        self._per_page = per_page
        self._overlap = overlap
        self._cancel = cancel_event or threading.Event()
        self._clock = clock

    def sync(
        self, *, store_name: str | None = None, progress: ProgressCallback | None = None
    ) -> SyncSummary:
        """Run one sync to completion, or raise a ``WooError`` (``Cancelled`` on cancel).

        Whatever was committed before an error stays, and the cursor matches it.
        """
        started = time.monotonic()
        window_end = self._window_end()
        with self._sessions.begin() as session:
            store = store_repo.get_or_create_store(
                session, url=self._client.base_url, name=store_name
            )
            cursor = store_repo.get_cursor(session, store.id)
            event_repo.record_event(
                session,
                "sync.started",
                store_id=store.id,
                detail={"full": not cursor.full_sync_done, "window_end": _fmt(window_end)},
            )
        summary = SyncSummary(store_id=store.id, full=not cursor.full_sync_done)
        try:
            if cursor.full_sync_done and cursor.modified_after is not None:
                self._sync_trash(
                    store.id, cursor.modified_after - self._overlap, window_end, summary
                )
            self._sync_window(store.id, window_end, summary, progress)
        except WooError as exc:
            self._log_failure(store.id, exc, summary)
            raise
        summary.auth_mode = self._client.auth_mode
        summary.header_stripped = self._client.header_stripped
        summary.seconds = time.monotonic() - started
        with self._sessions.begin() as session:
            store_repo.advance_cursor(
                session, store.id, full_sync_done=True, last_sync_at=self._clock()
            )
            store_repo.update_store(session, store.id, auth_mode=summary.auth_mode)
            event_repo.record_event(
                session,
                "sync.completed",
                store_id=store.id,
                detail={
                    "full": summary.full,
                    "fetched": summary.fetched,
                    "created": summary.created,
                    "changed": summary.changed,
                    "deleted": summary.deleted,
                    "pages": summary.pages,
                    "passes": summary.passes,
                    "seconds": round(summary.seconds, 3),
                },
            )
        log.info("%s", summary.line())
        return summary

    def _window_end(self) -> datetime:
        """The end of this run's frozen window, on the store's own clock.

        One second before the store's "now": any order changed from here on gets a later
        modification time, leaves the window, and so changes its total, which is how a
        change during the run is noticed. The store's clock, not ours, because the two
        can disagree by minutes. Falls back to our clock if the store sends no Date.
        """
        probe = self._client.list_orders_page(1, per_page=1, params={"_fields": "id"})
        now = probe.server_date or self._clock()
        return now.astimezone(UTC).replace(microsecond=0) - timedelta(seconds=1)

    def _window_params(self, start: datetime | None, end: datetime) -> dict[str, str]:
        params = {
            "orderby": "modified",
            "order": "asc",
            "dates_are_gmt": "true",
            "modified_before": _fmt(end + timedelta(seconds=1)),  # exclusive: "up to end"
            "_fields": LISTING_FIELDS,
        }
        if start is not None:
            params["modified_after"] = _fmt(start)
        return params

    def _sync_window(
        self,
        store_id: int,
        window_end: datetime,
        summary: SyncSummary,
        progress: ProgressCallback | None,
    ) -> None:
        for _ in range(MAX_PASSES):
            self._check_cancel()
            summary.passes += 1
            with self._sessions() as session:
                start = store_repo.get_cursor(session, store_id).modified_after
            params = self._window_params(
                None if start is None else start - self._overlap, window_end
            )
            first = self._client.list_orders_page(1, per_page=self._per_page, params=params)
            expected_total = first.total
            drifted = False
            done_orders = 0
            for page in self._client.iter_order_pages(
                params=params,
                per_page=self._per_page,
                concurrency=self._concurrency,
                first_page=first,
            ):
                self._check_cancel()
                if page.total != expected_total:
                    drifted = True
                self._commit_page(store_id, page, summary, advance_cursor=not drifted)
                done_orders += len(page.orders)
                if progress is not None:
                    progress(
                        SyncProgress(
                            pages_done=page.page,
                            pages_total=max(first.total_pages, page.page),
                            orders_done=done_orders,
                            orders_total=expected_total,
                        )
                    )
            if not drifted:
                return
            log.info("Orders changed while syncing; running another pass from the last safe point")
        summary.warnings.append(
            "Orders kept changing during the sync; the rest will be picked up next time."
        )

    def _commit_page(
        self, store_id: int, page: OrdersPage, summary: SyncSummary, *, advance_cursor: bool
    ) -> None:
        records = _records(page.orders)
        with self._sessions.begin() as session:
            result = order_repo.upsert_orders(session, store_id, records)
            if self._page_hook is not None and (result.created or result.changed):
                changed = set(result.created) | set(result.changed)
                self._page_hook(session, store_id, [r for r in records if r.woo_id in changed])
            if advance_cursor and records:
                newest = max(r.date_modified_gmt for r in records)
                store_repo.advance_cursor(session, store_id, modified_after=newest)
        summary.pages += 1
        summary.fetched += len(records)
        summary.created += len(result.created)
        summary.changed += len(result.changed)
        summary.unchanged += len(result.unchanged)

    def _sync_trash(
        self, store_id: int, start: datetime, end: datetime, summary: SyncSummary
    ) -> None:
        params = self._window_params(start, end)
        params["status"] = "trash"
        for page in self._client.iter_order_pages(
            params=params, per_page=self._per_page, concurrency=self._concurrency
        ):
            self._check_cancel()
            records = _records(page.orders)
            with self._sessions.begin() as session:
                known = [r for r in records if order_repo.get_order(session, store_id, r.woo_id)]
                result = order_repo.upsert_orders(session, store_id, known)
            summary.deleted += len(result.changed)

    def _check_cancel(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def _log_failure(self, store_id: int, exc: WooError, summary: SyncSummary) -> None:
        kind = "sync.cancelled" if isinstance(exc, Cancelled) else "sync.failed"
        try:
            with self._sessions.begin() as session:
                event_repo.record_event(
                    session,
                    kind,
                    store_id=store_id,
                    detail={"error": type(exc).__name__, "fetched": summary.fetched},
                )
        except Exception:  # noqa: BLE001 - never hide the real error behind a logging one
            log.exception("Could not record the failed sync in the event log")


def _records(orders: list[dict[str, Any]]) -> list[OrderRecord]:
    try:
        return [order_from_json(o) for o in orders]
    except OrderShapeError as exc:
        raise InvalidResponse(
            "The store sent an order ShopGuard cannot read "
            f"({exc}). Nothing from that page was saved; please report this."
        ) from exc


def _fmt(moment: datetime) -> str:
    # A bare UTC time with dates_are_gmt=true: WooCommerce mis-shifts values with offsets.
    return moment.astimezone(UTC).strftime(_WOO_TIME)
