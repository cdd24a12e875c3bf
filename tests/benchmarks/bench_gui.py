"""GUI responsiveness benchmark: how long the event loop stalls while the window syncs.

Run: ``QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_gui.py [--orders 20000]
[--latency 0.04] [--concurrency 8]``. Prints figures only; asserts nothing about timings.

The main window is built as the app builds it, against an in-process demo store with the
given latency per request. A 5 ms heartbeat timer records the gap between its ticks: any gap
well above 5 ms is time the GUI thread could not answer (a stall). Three phases are measured:
the sync itself (with the table filling in), then sorting and searching the synced orders.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402 - after the platform is chosen
from PySide6.QtWidgets import QApplication  # noqa: E402

from shopguard import sync_process
from shopguard.app import (  # noqa: E402
    build_main_window,
    configure_application,
    freeze_startup_objects,
    make_pools,
    start_in_background,
)
from shopguard.demo.server import DemoStore  # noqa: E402
from shopguard.paths import resolve_paths  # noqa: E402
from shopguard.store.db import open_database  # noqa: E402
from shopguard.ui.main_window import MainWindow  # noqa: E402
from shopguard.ui.models.orders_model import COLUMNS  # noqa: E402
from shopguard.ui.tasks import TaskRunner  # noqa: E402
from shopguard.woo.credentials import Credentials  # noqa: E402

HEARTBEAT_MS = 5


class Heartbeat:
    """Records the gaps between ticks of a short repeating timer on the GUI thread."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(HEARTBEAT_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> list[float]:
        self._timer.stop()
        return list(self.gaps)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now


def wait_for(condition: Callable[[], bool], timeout: float = 600.0) -> None:
    """Run the event loop until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark phase did not finish")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def report(label: str, gaps: list[float], seconds: float) -> None:
    """Print one phase's figures."""
    if not gaps:
        print(f"{label:<28} {seconds:7.2f} s   (no heartbeat ticks)")
        return
    ordered = sorted(gaps)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{label:<28} {seconds:7.2f} s   ticks {len(gaps):6d}   "
        f"median gap {statistics.median(gaps):5.1f} ms   p99 {p99:6.1f} ms   "
        f"max {max(gaps):6.1f} ms"
    )


def run_phase(
    label: str, heartbeat: Heartbeat, start: Callable[[], None], done: Callable[[], bool]
) -> None:
    """Start a phase, wait for it with the heartbeat running, and print its figures."""
    heartbeat.start()
    began = time.perf_counter()
    start()
    wait_for(done)
    seconds = time.perf_counter() - began
    report(label, heartbeat.stop(), seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--latency", type=float, default=0.04, help="seconds per request")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--store-process",
        action="store_true",
        help="run the demo store in a child process (like a remote store) instead of in-process",
    )
    parser.add_argument(
        "--sync-in-process",
        action="store_true",
        help="run the sync on the GUI process's threads (the app runs it in a child process)",
    )
    args = parser.parse_args()

    app = QApplication(sys.argv[:1])
    configure_application(app)
    where = "in a child process" if args.store_process else "in-process"
    where += "; sync " + (
        "on GUI-process threads" if args.sync_in_process else "in a child process"
    )
    print(
        f"GUI responsiveness: {args.orders} orders, {args.latency * 1000:.0f} ms latency, "
        f"concurrency {args.concurrency}, demo store {where}, heartbeat every {HEARTBEAT_MS} ms"
    )
    with contextlib.ExitStack() as stack:
        profile = stack.enter_context(tempfile.TemporaryDirectory())
        if args.store_process:
            url, credentials = stack.enter_context(_child_store(args.orders, args.latency))
        else:
            store = DemoStore(orders=args.orders, seed=1)
            start_in_background(store.start)  # as run_gui does for --demo
            stack.callback(store.stop)
            store.faults.latency = args.latency
            url, credentials = store.url, Credentials(*store.credentials)
        engine, sessions = open_database(resolve_paths(profile))
        network_pool, db_pool = make_pools()
        network = TaskRunner(network_pool, background=True)
        database = TaskRunner(db_pool)
        window = build_main_window(
            resolve_paths(profile),
            sessions,
            network_tasks=network,
            db_tasks=database,
            credentials_provider=lambda _url: credentials,
            concurrency=args.concurrency,
            sync_in_child_process=not args.sync_in_process,
        )
        window.show()
        sync_process.prepare()  # as run_gui does
        wait_for(lambda: network.running == 0 and database.running == 0)
        freeze_startup_objects()  # as run_gui does
        heartbeat = Heartbeat()
        finished: list[str] = []
        window.orders_page.sync_finished.connect(finished.append)

        run_phase(
            "sync (table filling in)",
            heartbeat,
            lambda: window.connect_store(url, credentials, name="Bench", save=False),
            lambda: bool(finished) and network.running == 0 and database.running == 0,
        )
        print(f"  {finished[0].splitlines()[0]}")
        idle = _idle(network, database)
        page = window.orders_page
        for title in ("Customer", "Total", "Payment"):
            column = next(i for i, c in enumerate(COLUMNS) if c.title == title)
            run_phase(
                f"sort by {title}",
                heartbeat,
                lambda column=column: page.table.sortByColumn(column, Qt.SortOrder.AscendingOrder),
                idle,
            )
        run_phase(
            "search 'an'",
            heartbeat,
            lambda: page.model.set_search("an"),
            idle,
        )
        run_phase(
            "scroll to the end",
            heartbeat,
            lambda: _scroll_all(window),
            lambda: page.model.rowCount() >= page.model.total and idle(),
        )
        window.close()
        network_pool.waitForDone()
        db_pool.waitForDone()
        engine.dispose()
    return 0


@contextlib.contextmanager
def _child_store(orders: int, latency: float) -> Iterator[tuple[str, Credentials]]:
    """A demo store in its own process: its CPU work does not compete for this one's GIL."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve_store, args=(child, orders, latency), daemon=True)
    process.start()
    try:
        url, key, secret = parent.recv()
        yield url, Credentials(key, secret)
    finally:
        parent.send("stop")
        process.join(10)
        if process.is_alive():
            process.terminate()


def _serve_store(conn: Connection, orders: int, latency: float) -> None:
    # A real store runs on another machine; at least let its CPU work come after ours.
    os.nice(10)
    with DemoStore(orders=orders, seed=1) as store:
        store.faults.latency = latency
        conn.send((store.url, *store.credentials))
        conn.recv()


def _idle(network: TaskRunner, database: TaskRunner) -> Callable[[], bool]:
    return lambda: network.running == 0 and database.running == 0


def _scroll_all(window: MainWindow) -> None:
    """Keep asking for the bottom of the table until every matching row is loaded."""
    page = window.orders_page

    def step() -> None:
        page.table.scrollToBottom()
        if page.model.rowCount() < page.model.total:
            QTimer.singleShot(10, step)

    step()


if __name__ == "__main__":
    raise SystemExit(main())
