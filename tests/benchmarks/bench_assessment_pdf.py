"""Benchmark: export a complete DPIA with 20 risks (and a measure for each) as PDF/A.

Run: ``QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_assessment_pdf.py
[--risks 20] [--runs 10]``. Prints figures; the target (under 1 s an export) is printed
beside them, not asserted. The first export in a process also registers the bundled fonts
and starts Qt's font machinery; it is reported on its own, then the median and the worst
of the following runs.

Two documents: the tests' DPIA (short answers, Greek text), and, when the shipped ICO
template is there, its worked example "risk-scoring-dpia" (long answers) with the risk
register repeated up to 20 risks, a measure for each, and the sign-off filled in.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make ``tests`` importable
    sys.path.insert(0, str(ROOT))

from datetime import UTC, date, datetime  # noqa: E402
from typing import Any  # noqa: E402

from PySide6.QtGui import QGuiApplication  # noqa: E402 - after the platform is chosen

from shopguard.assessments import rules  # noqa: E402
from shopguard.assessments.document import Document  # noqa: E402
from shopguard.assessments.pdf import render_pdf_bytes  # noqa: E402
from shopguard.assessments.templates import TemplateError, example, load_template  # noqa: E402
from tests.assessments.pdf_documents import dpia_document  # noqa: E402

TARGET_S = 1.0


def shipped_example(n_risks: int) -> Document | None:
    """The shipped DPIA worked example grown to ``n_risks`` risks, completed; None if absent."""
    try:
        worked = example("risk-scoring-dpia")
        template = load_template(worked.template)
    except TemplateError:
        return None
    risks_q, measures_q = template.table("risks"), template.table("measures")
    if risks_q is None or measures_q is None:
        return None
    answers: dict[str, Any] = dict(worked.answers)
    base_risks = list(answers.get(risks_q.key) or [])
    base_measures = {m["risk"]: m for m in answers.get(measures_q.key) or []}
    risks, measures = [], []
    for n in range(1, n_risks + 1):
        row = dict(base_risks[(n - 1) % len(base_risks)])
        source = base_measures.get(row["id"], {"options": "A measure.", "effect": "Reduced"})
        row["id"] = f"r{n}"
        risks.append(row)
        measures.append({**source, "id": f"m{n}", "risk": f"r{n}", "due": "2025-06-30"})
    answers[risks_q.key], answers[measures_q.key] = risks, measures
    person = {"name": "Γιώργος Παπαδόπουλος", "role": "Owner", "date": "2025-03-14"}
    for q in template.questions():
        if q.type == "person":
            answers[q.key] = person
    return Document(
        template=template,
        organisation="Ελληνικά Βότανα Ltd",
        title=worked.title,
        version=1,
        status="complete",
        completed_at=datetime(2025, 3, 14, 10, 32, tzinfo=UTC),
        review_due=date(2026, 3, 14),
        content_hash="ab" * 32,
        answers=answers,
        prior_consultation=rules.needs_prior_consultation(template, answers),
        author=person["name"],
    )


def measure(name: str, document: Document, runs: int) -> None:
    """Export ``document`` once, then ``runs`` more times, and print the figures."""
    start = time.perf_counter()
    data = render_pdf_bytes(document)
    first = time.perf_counter() - start
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render_pdf_bytes(document)
        times.append(time.perf_counter() - start)
    risks = len(rules.risks(document.template, document.answers))
    pages = data.count(b"/Type /Page\n")
    print(f"{name}: {risks} risks, {pages} pages, {len(data) / 1024:.0f} KiB")
    print(f"  first export: {first * 1000:.0f} ms")
    print(
        f"  next {runs}: median {statistics.median(times) * 1000:.0f} ms, "
        f"worst {max(times) * 1000:.0f} ms  (target: under {TARGET_S * 1000:.0f} ms)"
    )


def main() -> None:
    """Time the exports and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--risks", type=int, default=20)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    app = QGuiApplication.instance() or QGuiApplication(["bench"])
    start = time.perf_counter()
    measure("Tests' DPIA (first export registers the fonts)", dpia_document(args.risks), args.runs)
    shipped = shipped_example(args.risks)
    if shipped is None:
        print("Shipped DPIA worked example: not there, skipped")
    else:
        measure("Shipped DPIA worked example, grown", shipped, args.runs)
    print(f"Total {time.perf_counter() - start:.1f} s")
    del app


if __name__ == "__main__":
    main()
