"""Python's garbage collector, run on the GUI thread only.

The cyclic collector runs in whichever thread happens to cross the allocation threshold.
When that is a pool thread and the garbage holds a Qt object (a closed dialog still in a
reference cycle with a slot or a ``functools.partial``), Qt's object is destroyed in a
thread that does not own it, and the process can crash. So the automatic collector is
switched off and the GUI thread collects instead, on a timer, by the same generation
thresholds the automatic collector would use (a young-generation pass costs well under a
millisecond).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot

INTERVAL_MS = 500


class MainThreadCollector(QObject):
    """Turns automatic collection off while it lives; collects on its own thread's timer."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start()

    @Slot()
    def _on_timer_timeout(self) -> None:
        self.collect_due()

    @staticmethod
    def collect_due() -> int:
        """Collect the generations whose thresholds are crossed; returns objects freed."""
        thresholds, counts = gc.get_threshold(), gc.get_count()
        generation = -1
        for g in range(3):
            if counts[g] <= thresholds[g]:
                break
            generation = g
        return gc.collect(generation) if generation >= 0 else 0

    def stop(self) -> None:
        """Stop collecting here and give collection back to Python."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
