"""The Assessments screen's background work: loading, PDF rendering, JSON files.

Plain functions the page hands to a ``TaskRunner``; they never touch widgets. Their errors
are ``AssessmentError`` with a message a shop owner can act on.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from shopguard.assessments.document import Document
from shopguard.assessments.service import AssessmentError
from shopguard.assessments.templates import Example, Template, TemplateError, examples
from shopguard.ui.models.assessments_model import KIND_LABELS

if TYPE_CHECKING:
    from shopguard.assessments.service import AssessmentService, Summary

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')

Overview = tuple[list["Summary"], list[Template], list[Example]]


def load_overview(service: AssessmentService) -> Overview:
    """Runs on the database runner: the list, the templates and the worked examples."""
    try:
        shipped = list(examples())
    except TemplateError:
        log.exception("A worked example file is broken; offering blank forms only")
        shipped = []
    return service.summaries(), service.templates(), shipped


def render_preview(document: Document) -> Path:
    """Runs on the work runner: render the PDF into a new temporary folder."""
    try:
        from shopguard.assessments.pdf import render_pdf  # the renderer loads fonts: lazily
    except ImportError as exc:
        raise AssessmentError(
            "This version of ShopGuard cannot make PDFs yet. Export JSON instead."
        ) from exc
    folder = Path(tempfile.mkdtemp(prefix="shopguard-pdf-"))
    path = folder / "assessment.pdf"
    render_pdf(document, path)
    return path


def write_json(service: AssessmentService, assessment_id: int, path: Path) -> Path:
    """Runs on the database runner: export to a file."""
    data = service.export_json(assessment_id)
    try:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise AssessmentError(
            f"ShopGuard could not write {path.name}: {exc.strerror}. Choose another folder."
        ) from exc
    return path


def import_file(service: AssessmentService, path: Path) -> int:
    """Runs on the database runner: read a JSON export and import it as a new draft."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise AssessmentError(
            f"{path.name} is not a text file. Choose a .json file exported from ShopGuard."
        ) from exc
    except OSError as exc:
        raise AssessmentError(f"ShopGuard could not read {path.name}: {exc.strerror}.") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AssessmentError(
            f"{path.name} is not a valid JSON file (line {exc.lineno}: {exc.msg}). Choose "
            "a file exported from ShopGuard, unchanged."
        ) from exc
    return service.import_json(data)


def file_name(summary: Summary, suffix: str) -> str:
    """A file name for an export: "Marketing-emails LIA version 2.pdf"."""
    title = _UNSAFE.sub(" ", summary.title).strip()[:80] or "Assessment"
    kind = KIND_LABELS.get(summary.kind, "")
    version = summary.latest_version
    which = f"version {version.number}" if version else "draft"
    return f"{title} - {kind} {which}.{suffix}"
