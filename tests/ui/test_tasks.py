"""TaskRunner: results and errors on the GUI thread, coalesced progress, bookkeeping."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QObject, QThread
from pytestqt.qtbot import QtBot

from shopguard.ui.tasks import TaskRunner
from tests.ui.conftest import Runners

pytestmark = pytest.mark.gui


def test_result_arrives_on_the_gui_thread(qtbot: QtBot, runners: Runners) -> None:
    seen: list[tuple[Any, Any, bool]] = []
    worker_threads: list[QThread] = []

    def work() -> int:
        worker_threads.append(QThread.currentThread())
        return 42

    def done(result: int | None, error: BaseException | None) -> None:
        seen.append((result, error, QThread.currentThread() is qtbot_thread))

    qtbot_thread = QThread.currentThread()
    with qtbot.waitSignal(runners.network.all_finished, timeout=5000):
        runners.network.run(work, done=done)
        assert runners.network.running == 1
    assert seen == [(42, None, True)]
    assert worker_threads[0] is not qtbot_thread
    assert runners.network.running == 0


def test_error_is_delivered_not_raised(qtbot: QtBot, runners: Runners) -> None:
    seen: list[Any] = []

    def fail() -> None:
        raise ValueError("boom")

    with qtbot.waitSignal(runners.db.all_finished, timeout=5000):
        runners.db.run(fail, done=lambda r, e: seen.append((r, e)))
    assert seen[0][0] is None
    assert isinstance(seen[0][1], ValueError)


def test_progress_is_coalesced_and_the_last_value_is_seen(qtbot: QtBot, runners: Runners) -> None:
    reported: list[int] = []
    release = threading.Event()

    def work(report: Any) -> str:
        for value in range(1, 1001):
            report(value)
        release.wait(5)
        return "done"

    runners.network.run(work, done=lambda r, e: None, progress=reported.append)
    qtbot.waitUntil(lambda: bool(reported) and reported[-1] == 1000, timeout=5000)
    release.set()
    assert runners.wait_until_idle()
    # The GUI saw far fewer updates than were reported, in order, ending with the last.
    assert len(reported) < 1000
    assert reported == sorted(reported)


def test_callbacks_are_skipped_when_the_owner_is_gone(qtbot: QtBot, runners: Runners) -> None:
    owner = QObject()
    seen: list[Any] = []
    release = threading.Event()
    runners.network.run(lambda: release.wait(5), done=lambda r, e: seen.append(r), owner=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(owner), timeout=2000)
    release.set()
    assert runners.wait_until_idle()
    assert seen == []


def test_synchronous_runner_finishes_before_run_returns(qapp: object) -> None:
    runner = TaskRunner(None)
    seen: list[Any] = []
    runner.run(
        lambda report: report(7) or "ok", done=lambda r, e: seen.append(r), progress=seen.append
    )
    assert seen == [7, "ok"]
    assert runner.running == 0


def _alive(obj: object) -> bool:
    return shiboken6.isValid(obj)
