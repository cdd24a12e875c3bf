"""The GUI thread collects Python's garbage; pool threads never do."""

from __future__ import annotations

import gc

from pytestqt.qtbot import QtBot

from shopguard.ui.gc_guard import MainThreadCollector


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_the_collector_turns_automatic_collection_off_and_collects_on_its_timer(
    qtbot: QtBot,
) -> None:
    gc.enable()
    collector = MainThreadCollector(interval_ms=10)
    try:
        assert not gc.isenabled()
        gc.collect()
        threshold = gc.get_threshold()[0]
        for _ in range(threshold * 3):
            _Cycle()
        assert gc.get_count()[0] > threshold  # nothing collected them automatically
        qtbot.waitUntil(lambda: gc.get_count()[0] <= threshold, timeout=2000)
    finally:
        collector.stop()
    assert gc.isenabled()


def test_collect_due_does_nothing_below_the_thresholds() -> None:
    gc.collect()
    assert MainThreadCollector.collect_due() == 0
