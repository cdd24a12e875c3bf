"""One sync at a time, run on the network runner, its progress throttled for the screen.

The Orders page shows what this reports; the sync itself (``StoreService.sync``) runs on a
pool thread (in the app, in a child process behind it) and never touches a widget.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from shopguard.ui.tasks import TaskRunner
from shopguard.woo.credentials import Credentials
from shopguard.woo.sync import SyncProgress, SyncSummary

if TYPE_CHECKING:
    from shopguard.services import StoreService

CredentialsProvider = Callable[[str], Credentials]
PROGRESS_REFRESH_MS = 150


def _run_sync(
    service: StoreService,
    credentials_for: CredentialsProvider,
    url: str,
    cancel: threading.Event,
    report: Callable[[SyncProgress], None],
) -> SyncSummary:
    """Runs on the network pool: find the key (keyring access can block), then sync."""
    return service.sync(url, credentials=credentials_for(url), progress=report, cancel_event=cancel)


class SyncRun(QObject):
    """Starts and cancels a store's sync; reports progress at most a few times a second.

    Signals:
        progressed(object): the latest ``SyncProgress`` (the first at once, then at most one
            per ``PROGRESS_REFRESH_MS``: a progress bar repaints synchronously, and a fast
            sync reports every page).
        finished(int, object, object): the store id, the ``SyncSummary`` or None, and the
            error or None.
    """

    progressed = Signal(object)
    finished = Signal(int, object, object)

    def __init__(
        self,
        store_service: StoreService,
        network_tasks: TaskRunner,
        credentials_provider: CredentialsProvider,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = store_service
        self._network = network_tasks
        self._credentials_for = credentials_provider
        self._cancel: threading.Event | None = None
        self._pending: SyncProgress | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PROGRESS_REFRESH_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def running(self) -> bool:
        """True while a sync runs."""
        return self._cancel is not None

    @property
    def stopping(self) -> bool:
        """True once Cancel was asked for, until the sync ends."""
        return self._cancel is not None and self._cancel.is_set()

    def start(self, store_id: int, url: str) -> bool:
        """Start syncing the store at ``url``; False if a sync runs already."""
        if self._cancel is not None:
            return False
        self._cancel = threading.Event()
        self._network.run(
            functools.partial(_run_sync, self._service, self._credentials_for, url, self._cancel),
            done=functools.partial(self._on_sync_done, store_id),
            progress=self._on_sync_progressed,
            owner=self,
        )
        return True

    def cancel(self) -> bool:
        """Ask the running sync to stop after the page in flight; False if none runs."""
        if self._cancel is None:
            return False
        self._cancel.set()
        return True

    def _on_sync_progressed(self, progress: SyncProgress) -> None:
        self._pending = progress
        if not self._timer.isActive():
            self._flush()
            self._timer.start()

    @Slot()
    def _on_timer_timeout(self) -> None:
        if self._pending is not None:
            self._flush()
            self._timer.start()

    def _flush(self) -> None:
        progress, self._pending = self._pending, None
        if progress is not None:
            self.progressed.emit(progress)

    def _on_sync_done(
        self, store_id: int, summary: SyncSummary | None, error: BaseException | None
    ) -> None:
        self._timer.stop()
        self._flush()
        self._cancel = None
        self.finished.emit(store_id, summary, error)
