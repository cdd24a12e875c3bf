"""Running blocking work off the GUI thread, with results delivered back on it.

Every network call, database query and keyring access in the UI goes through a
``TaskRunner``: it runs a plain callable on a ``QThreadPool`` and calls ``done(result, error)``
on the GUI thread afterwards. Workers never touch widgets; they only return values.

One runner wraps one pool; the composition root makes the pools by purpose (network, database)
and one runner for each, and hands them to the widgets that need them.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

T = TypeVar("T")

DoneCallback = Callable[[T | None, BaseException | None], None]
ProgressReporter = Callable[[Any], None]


@dataclass
class _Task(Generic[T]):
    """One submitted callable and what to do with its outcome (GUI-thread bookkeeping)."""

    task_id: int
    done: DoneCallback[T]
    progress: Callable[[Any], None] | None
    owner: QObject | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    latest_progress: Any = None
    progress_pending: bool = False


class TaskRunner(QObject):
    """Runs plain callables on one thread pool; delivers ``(result, error)`` on the GUI thread.

    ``run(fn, done=...)`` calls ``fn()`` on a pool thread, then ``done(result, None)`` or
    ``done(None, exception)`` on the thread this runner lives in (the GUI thread). With
    ``progress=callback``, ``fn`` is called with one argument, a reporter any thread may call
    as often as it likes: reports are coalesced so that at most one is queued for the GUI at a
    time, and the GUI always sees the latest one (a fast worker cannot flood the event loop).

    Cancelling is the caller's business: the callable checks a ``threading.Event`` the caller
    owns. If ``owner`` is given and has been deleted by the time the work ends, the callbacks
    are skipped.

    With ``background=True`` the pool's threads run at a lower OS priority (see
    ``lower_thread_priority``), so a long CPU-heavy sync never crowds out the GUI thread.

    With ``pool=None`` the runner is synchronous: ``run`` executes the callable at once on the
    calling thread and calls ``done`` before returning (for tests).

    Signals:
        task_finished(int): a task's ``done`` callback has run (argument: its id).
        all_finished(): the last running task finished; nothing is running now.
    """

    task_finished = Signal(int)
    all_finished = Signal()

    # Emitted from pool threads; queued to this object's (the GUI) thread.
    _worker_finished = Signal(int, object, object)
    _worker_progressed = Signal(int)

    def __init__(
        self,
        pool: QThreadPool | None,
        parent: QObject | None = None,
        *,
        background: bool = False,
    ) -> None:
        super().__init__(parent)
        self._pool = pool
        self._background = background
        self._tasks: dict[int, _Task[Any]] = {}
        self._ids = itertools.count(1)
        self._worker_finished.connect(self._on_worker_finished, Qt.ConnectionType.QueuedConnection)
        self._worker_progressed.connect(
            self._on_worker_progressed, Qt.ConnectionType.QueuedConnection
        )

    @property
    def running(self) -> int:
        """How many submitted tasks have not delivered their result yet."""
        return len(self._tasks)

    @property
    def synchronous(self) -> bool:
        """True when work runs inline on the calling thread (no pool)."""
        return self._pool is None

    def run(
        self,
        fn: Callable[..., T],
        *,
        done: DoneCallback[T],
        progress: Callable[[Any], None] | None = None,
        owner: QObject | None = None,
    ) -> int:
        """Run ``fn`` off the GUI thread; return the task's id.

        Args:
            fn: a plain callable; called with a progress reporter iff ``progress`` is given.
            done: called on the GUI thread with ``(result, None)`` or ``(None, error)``.
            progress: called on the GUI thread with the latest reported value.
            owner: skip the callbacks if this object was deleted meanwhile.
        """
        task: _Task[T] = _Task(next(self._ids), done, progress, owner)
        self._tasks[task.task_id] = task
        if self._pool is None:
            result, error = self._call(task, fn)
            self._deliver(task.task_id, result, error)
        else:
            self._pool.start(functools.partial(self._execute, task, fn))
        return task.task_id

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Process events until no task is running (tests and shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._tasks:
            if time.monotonic() >= deadline:
                return False
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if self._tasks:
                time.sleep(0.002)
        return True

    # --- pool threads ------------------------------------------------------------------------

    def _execute(self, task: _Task[T], fn: Callable[..., T]) -> None:
        if self._background:
            lower_thread_priority()
        result, error = self._call(task, fn)
        try:
            self._worker_finished.emit(task.task_id, result, error)
        except RuntimeError:
            # The runner itself was deleted (the app is closing): nobody is left to tell.
            log.debug("Task %s finished after its runner was deleted", task.task_id)

    def _call(self, task: _Task[Any], fn: Callable[..., T]) -> tuple[T | None, Exception | None]:
        try:
            if task.progress is None:
                return fn(), None
            return fn(functools.partial(self._report, task)), None
        except Exception as exc:  # noqa: BLE001 - handed to the done callback, which decides
            return None, exc

    def _report(self, task: _Task[Any], value: Any) -> None:
        with task.lock:
            task.latest_progress = value
            if task.progress_pending:
                return
            task.progress_pending = True
        if self._pool is None:
            self._on_worker_progressed(task.task_id)
            return
        try:
            self._worker_progressed.emit(task.task_id)
        except RuntimeError:
            log.debug("Progress of task %s after its runner was deleted", task.task_id)

    # --- GUI thread --------------------------------------------------------------------------

    @Slot(int)
    def _on_worker_progressed(self, task_id: int) -> None:
        task = self._tasks.get(task_id)
        if task is None:
            return
        with task.lock:
            value = task.latest_progress
            task.progress_pending = False
        if task.progress is not None and _alive(task.owner):
            task.progress(value)

    @Slot(int, object, object)
    def _on_worker_finished(self, task_id: int, result: object, error: object) -> None:
        self._deliver(task_id, result, error if isinstance(error, BaseException) else None)

    def _deliver(self, task_id: int, result: Any, error: BaseException | None) -> None:
        task = self._tasks.get(task_id)
        if task is None:
            return
        try:
            if _alive(task.owner):
                task.done(result, error)
            elif error is not None:
                log.debug("Task %s failed after its owner was deleted: %r", task_id, error)
        finally:
            del self._tasks[task_id]
            self.task_finished.emit(task_id)
            if not self._tasks:
                self.all_finished.emit()


_BACKGROUND_NICENESS = 10
_lowered = threading.local()


def lower_thread_priority() -> None:
    """Make the calling thread (and threads it starts later) yield the CPU to the GUI thread.

    Python threads take turns holding the GIL; when the GUI thread waits for it, the OS picks
    who runs next, and with a sync's many busy threads the GUI can lose that race for hundreds
    of milliseconds. A higher niceness for the workers makes the scheduler prefer the GUI.
    Linux sets niceness per thread (other systems would change the whole process, so this
    does nothing there); threads started afterwards, such as a client's fetch threads, inherit
    it. Once per thread; errors are ignored (it is an optimisation).
    """
    if getattr(_lowered, "done", False) or not sys.platform.startswith("linux"):
        return
    _lowered.done = True
    try:
        thread_id = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread_id)
        os.setpriority(os.PRIO_PROCESS, thread_id, max(current, _BACKGROUND_NICENESS))
    except (OSError, AttributeError):
        log.debug("Could not lower the priority of a worker thread", exc_info=True)


def _alive(owner: QObject | None) -> bool:
    return owner is None or shiboken6.isValid(owner)
