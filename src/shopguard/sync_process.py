"""Run a sync in a child process, so the GUI's interpreter stays free.

A sync keeps several Python threads busy (fetching, parsing, writing). In the GUI's own
process they compete with the GUI thread for the interpreter lock, and the window pauses
for 100+ ms at a time. In a child process the GUI thread only waits on a queue.

The child opens the same database (SQLite in WAL mode allows a reader and a writer at once),
runs the same ``StoreService.sync`` and reports progress, the summary or the error through a
queue; a cancel sets an event the child watches. The key is handed over in memory, never
written anywhere.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shopguard.paths import AppPaths
from shopguard.store.migrate import DatabaseError
from shopguard.woo import errors as woo_errors
from shopguard.woo.credentials import Credentials, CredentialsError
from shopguard.woo.sync import SyncProgress, SyncSummary

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.1
_BACKGROUND_NICENESS = 10


@dataclass(frozen=True)
class ChildSyncOptions:
    """What the child needs to rebuild the services (all picklable)."""

    paths: AppPaths
    concurrency: int
    verify: bool | str = True
    timeout: tuple[float, float] = (10.0, 60.0)
    sharing: bool = True


def sync_in_child(
    options: ChildSyncOptions,
    url: str,
    credentials: Credentials | None,
    *,
    progress: Callable[[SyncProgress], None] | None = None,
    cancel_event: threading.Event | None = None,
) -> SyncSummary:
    """Like ``StoreService.sync``, in a child process; raises the same errors."""
    context = _context()
    # A pipe, not a Queue and an Event: no named semaphores to leak or clean up.
    ours, theirs = context.Pipe(duplex=True)
    child = context.Process(
        target=_child_main,
        args=(options, url, credentials, theirs),
        name="shopguard-sync",
        daemon=True,
    )
    child.start()
    theirs.close()
    cancel_sent = False
    try:
        while True:
            if cancel_event is not None and cancel_event.is_set() and not cancel_sent:
                ours.send(("cancel", None))
                cancel_sent = True
            try:
                ready = ours.poll(_POLL_SECONDS)
                message = ours.recv() if ready else None
            except (EOFError, OSError):
                message = ("died", None)
            if message is None:
                continue
            kind, payload = message
            if kind == "progress" and progress is not None:
                progress(payload)
            elif kind == "done":
                summary: SyncSummary = payload
                return summary
            elif kind == "error":
                raise _rebuild(payload)
            elif kind == "died":
                raise woo_errors.WooError(
                    "The sync stopped unexpectedly. Everything saved so far is kept; try "
                    "again, and report this if it keeps happening."
                )
    finally:
        with contextlib.suppress(OSError):
            ours.send(("cancel", None))
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
            child.join()
        ours.close()


def _context() -> Any:
    """Fork server where there is one (the GUI process itself never forks: forking a big
    process holds the interpreter for 100 ms), else spawn. Never plain fork: the parent
    runs Qt threads."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def prepare() -> None:
    """Start the fork server now (at app start-up), not in the middle of the first sync."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        from multiprocessing import forkserver

        forkserver.set_forkserver_preload(
            [
                "shopguard.services",
                "shopguard.sharing",
                "shopguard.backfill",
                "shopguard.scoring.local_workers",
            ]
        )
        forkserver.ensure_running()


def _child_main(
    options: ChildSyncOptions, url: str, credentials: Credentials | None, pipe: Any
) -> None:
    # Imported here: the child builds its own services (and never imports Qt).
    from shopguard.services import ClientOptions, StoreService, default_client_factory
    from shopguard.sharing import SharingPipeline
    from shopguard.store.db import open_database

    # Background work: let the window's process have the CPU first (2-core laptops).
    with contextlib.suppress(OSError, AttributeError):
        os.nice(_BACKGROUND_NICENESS)
    cancel = threading.Event()

    def watch_stop() -> None:
        with contextlib.suppress(EOFError, OSError):
            pipe.recv()  # the only thing the parent ever sends is "cancel"
        cancel.set()  # also when the parent is gone

    threading.Thread(target=watch_stop, name="cancel-watch", daemon=True).start()
    engine = None
    try:
        engine, sessions = open_database(options.paths)
        service = StoreService(
            sessions,
            default_client_factory(ClientOptions(verify=options.verify, timeout=options.timeout)),
            concurrency=options.concurrency,
            sharing=SharingPipeline(sessions, options.paths) if options.sharing else None,
        )
        summary = service.sync(
            url,
            credentials=credentials,
            progress=lambda p: pipe.send(("progress", p)),
            cancel_event=cancel,
        )
        pipe.send(("done", summary))
    except (woo_errors.WooError, CredentialsError, DatabaseError) as exc:
        pipe.send(("error", _describe(exc)))
    except Exception:  # noqa: BLE001 - the parent must hear of it, not hang
        log.exception("The sync process failed")
        pipe.send(("error", {"type": "WooError", "message": _UNEXPECTED, "attrs": {}}))
    finally:
        if engine is not None:
            engine.dispose()
        pipe.close()


_UNEXPECTED = (
    "The sync stopped because of an unexpected problem in ShopGuard. Everything saved so "
    "far is kept; please report this."
)


def _describe(exc: Exception) -> dict[str, Any]:
    attrs = {k: v for k, v in vars(exc).items() if isinstance(v, str | int | float | None)}
    return {
        "type": type(exc).__name__,
        "message": getattr(exc, "message", str(exc)),
        "attrs": attrs,
    }


def _rebuild(description: dict[str, Any]) -> Exception:
    """The child's error as the same class in this process (messages are already safe)."""
    name = description["type"]
    message = description["message"]
    cls: type[Exception]
    if name == "CredentialsError":
        cls = CredentialsError
    elif name in ("DatabaseTooNew", "MigrationFailed", "DatabaseError"):
        from shopguard.store import migrate

        cls = getattr(migrate, name)
    else:
        found = getattr(woo_errors, name, woo_errors.WooError)
        cls = found if isinstance(found, type) and issubclass(found, Exception) else Exception
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(description["attrs"])
    error.__dict__["message"] = message
    return error
