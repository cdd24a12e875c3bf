"""Opening the assessment wizard: time from "Open" to the wizard on screen (target < 300 ms).

Run: ``QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_assessment_wizard.py
[--risks 20] [--runs 7]``. Prints figures only; asserts nothing about timings.

A DPIA with the given number of risks (each with a measure) is stored in a temporary
profile. The Assessments screen is built as the app builds it (style sheet, database pool);
each run clicks "Open" on it and records when the wizard is shown (``open()`` returned) and
when it first painted. The first run is reported apart: it also loads the template and warms
Qt's caches.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from shopguard.app import configure_application, make_pools  # noqa: E402
from shopguard.assessments import rules  # noqa: E402
from shopguard.assessments.service import AssessmentService  # noqa: E402
from shopguard.assessments.templates import load_template  # noqa: E402
from shopguard.paths import resolve_paths  # noqa: E402
from shopguard.store.db import open_database  # noqa: E402
from shopguard.ui.assessment_wizard import AssessmentWizard  # noqa: E402
from shopguard.ui.assessments_page import AssessmentsPage  # noqa: E402
from shopguard.ui.tasks import TaskRunner  # noqa: E402


class FirstPaint(QObject):
    """Records when the watched widget first paints."""

    def __init__(self) -> None:
        super().__init__()
        self.at: float | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint and self.at is None:
            self.at = time.perf_counter()
        return False


def dpia_with_risks(service: AssessmentService, count: int) -> int:
    """A DPIA draft with ``count`` risks, each with a measure."""
    template = load_template("ico-dpia")
    new_id = service.create("ico-dpia", example_slug="risk-scoring-dpia", title="Benchmark")
    answers = dict(service.open(new_id).draft.answers)
    risks = []
    measures = []
    for n in range(1, count + 1):
        risks.append(
            {
                "id": f"risk-{n}",
                "description": f"Risk number {n}: a customer is wrongly flagged and asked to "
                "pay in advance, which they find embarrassing.",
                "likelihood": rules.LIKELIHOODS[n % 3],
                "severity": rules.SEVERITIES[(n // 3) % 3],
            }
        )
        measures.append(
            {
                "id": f"measure-{n}",
                "risk": f"risk-{n}",
                "options": "Show the reasons, let the owner decide, and allow an objection.",
                "effect": "Reduced",
                "residual": "Low",
                "approved": "Yes",
                "owner": "Shop owner",
            }
        )
    risks_key = template.table("risks").key  # type: ignore[union-attr]
    measures_key = template.table("measures").key  # type: ignore[union-attr]
    answers[risks_key] = risks
    answers[measures_key] = measures
    service.save_draft(new_id, answers, frozenset())
    return new_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--risks", type=int, default=20)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    configure_application(app)
    with tempfile.TemporaryDirectory(prefix="shopguard-bench-") as folder:
        paths = resolve_paths(folder)
        engine, sessions = open_database(paths)
        network_pool, db_pool = make_pools()
        db_tasks = TaskRunner(db_pool)
        work_tasks = TaskRunner(network_pool, background=True)
        service = AssessmentService(sessions)
        assessment_id = dpia_with_risks(service, args.risks)
        page = AssessmentsPage(service=service, db_tasks=db_tasks, work_tasks=work_tasks)
        page.resize(1100, 700)
        page.show()
        db_tasks.wait_until_idle()

        shown: list[float] = []
        painted: list[float] = []
        jumped: list[float] = []
        for _ in range(args.runs + 1):
            watcher = FirstPaint()
            started = time.perf_counter()
            opened: list[float] = []
            page.wizard_opened.connect(lambda w, o=opened, f=watcher: _on_opened(w, o, f))
            page.open_assessment(assessment_id)
            deadline = time.monotonic() + 30
            while watcher.at is None and time.monotonic() < deadline:
                QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            page.wizard_opened.disconnect()
            assert opened and watcher.at is not None, "the wizard did not open"
            shown.append((opened[0] - started) * 1000)
            painted.append((watcher.at - started) * 1000)
            wizard = page.wizard
            assert wizard is not None
            jumped.append(_jump_to_risks(wizard))
            wizard.close()
            db_tasks.wait_until_idle()
            QCoreApplication.processEvents()

        risks = len(service.open(assessment_id).draft.answers["risks.register"])
        print(f"Opening a DPIA with {risks} risks and {risks} measures in the wizard")
        print(f"  first open (cold):   shown {shown[0]:6.1f} ms, painted {painted[0]:6.1f} ms")
        warm_shown, warm_painted = shown[1:], painted[1:]
        print(
            f"  next {len(warm_shown)} opens, median: shown {statistics.median(warm_shown):6.1f} "
            f"ms, painted {statistics.median(warm_painted):6.1f} ms "
            f"(max painted {max(warm_painted):.1f} ms)"
        )
        print(
            f"  then to the risk register (page built on first visit), median: "
            f"{statistics.median(jumped):6.1f} ms (max {max(jumped):.1f} ms)"
        )
        print("  target: under 300 ms from Open to the wizard on screen")
        for pool in (network_pool, db_pool):
            pool.waitForDone(10_000)
        engine.dispose()


def _jump_to_risks(wizard: AssessmentWizard) -> float:
    """Milliseconds from clicking the risks section to its page painted."""
    index = wizard.section_index(wizard.template.table("risks").key)  # type: ignore[union-attr]
    watcher = FirstPaint()
    started = time.perf_counter()
    wizard.go_to(index)
    page = wizard.page(index)
    page.title_label.installEventFilter(watcher)
    deadline = time.monotonic() + 30
    while watcher.at is None and time.monotonic() < deadline:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
    return ((watcher.at or time.perf_counter()) - started) * 1000


def _on_opened(wizard: QObject, opened: list[float], watcher: FirstPaint) -> None:
    opened.append(time.perf_counter())
    wizard.installEventFilter(watcher)


if __name__ == "__main__":
    main()
