"""Assessments as portable JSON: drafts in the store, versions' hashed content, exports.

An export (``shopguard export lia --json FILE``) is a self-describing object that another
ShopGuard can import as a new draft; ``parse_export`` checks it against its template and
names the first answer that does not fit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shopguard.assessments.answers import AnswerError, check_answers
from shopguard.assessments.document import Document, Evidence
from shopguard.assessments.templates import Template, TemplateError, load_template

EXPORT_FORMAT = "shopguard-assessment"
EXPORT_VERSION = 1


class ExportError(ValueError):
    """An export file cannot be imported; the message says why."""


@dataclass(frozen=True)
class Draft:
    """The working answers, which of them are still ShopGuard's suggestions, and the
    figures the suggestions came from."""

    answers: Mapping[str, Any]
    suggested: frozenset[str]
    evidence: tuple[Evidence, ...]


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text: the form a content hash covers."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def draft_dict(draft: Draft) -> dict[str, Any]:
    """The JSON object of a draft (answers, suggested keys, evidence)."""
    return {
        "answers": dict(draft.answers),
        "suggested": sorted(draft.suggested),
        "evidence": [
            {
                "key": e.key,
                "label": e.label,
                "value": e.value,
                "read_at": e.read_at.isoformat(timespec="seconds"),
            }
            for e in draft.evidence
        ],
    }


def draft_from_dict(data: Mapping[str, Any]) -> Draft:
    """A draft from its JSON object (or a version's content, which contains one).

    Raises:
        KeyError, TypeError, ValueError: damaged evidence.
    """
    evidence = tuple(
        Evidence(
            str(e["key"]), str(e["label"]), str(e["value"]), datetime.fromisoformat(e["read_at"])
        )
        for e in data.get("evidence") or []
    )
    answers = dict(data.get("answers") or {})
    suggested = frozenset(str(k) for k in data.get("suggested") or []) & set(answers)
    return Draft(answers, suggested, evidence)


def draft_json(draft: Draft) -> str:
    """The canonical JSON text of a draft."""
    return canonical_json(draft_dict(draft))


def parse_draft(text: str) -> Draft:
    """A draft (or a version's content) from its JSON text."""
    return draft_from_dict(json.loads(text))


def export_dict(doc: Document) -> dict[str, Any]:
    """The portable export of a document."""
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_VERSION,
        "template": doc.template.id,
        "template_version": doc.template.version,
        "title": doc.title,
        "version": doc.version,
        "status": doc.status,
        "completed_at": doc.completed_at.isoformat(timespec="seconds")
        if doc.completed_at
        else None,
        "review_due": doc.review_due.isoformat() if doc.review_due else None,
        "content_hash": doc.content_hash or None,
        **draft_dict(Draft(doc.answers, doc.suggested, doc.evidence)),
    }


def parse_export(data: Any) -> tuple[Template, str, Draft]:
    """Check an export and return its template, title and answers as a draft.

    Raises:
        ExportError: not a ShopGuard assessment, a newer format, an unknown template, or an
            answer that does not fit (named).
    """
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ExportError(
            "This file is not a ShopGuard assessment export (it has no "
            f'"format": "{EXPORT_FORMAT}").'
        )
    if data.get("format_version") != EXPORT_VERSION:
        raise ExportError(
            f"This export is format version {data.get('format_version')!r}; this "
            f"ShopGuard reads version {EXPORT_VERSION}. Update ShopGuard."
        )
    name = data.get("template")
    if not isinstance(name, str) or not name.strip():
        raise ExportError(
            'This export names no assessment template (its "template" field is missing or '
            "empty), so it is incomplete; nothing was imported. Export the assessment again "
            "and import that file."
        )
    try:
        template = load_template(name)
    except TemplateError as exc:
        raise ExportError(f"This export is for an unknown template: {exc}") from exc
    made_with = data.get("template_version")
    if isinstance(made_with, int) and made_with > template.version:
        # A newer template's questions may have changed meaning: its answers are not taken
        # as answers to this version's.
        raise ExportError(
            f"This export was made with version {made_with} of the “{template.title}” "
            f"template; this ShopGuard has version {template.version}. Update ShopGuard to "
            "import it; nothing was imported."
        )
    answers = data.get("answers")
    if not isinstance(answers, dict):
        raise ExportError('The export has no "answers" object.')
    try:
        check_answers(template, answers)
    except AnswerError as exc:
        raise ExportError(f"The export has an answer that does not fit: {exc}") from exc
    try:
        draft = draft_from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ExportError(f"The export's evidence or suggestions are damaged: {exc}") from exc
    title = data.get("title")
    return template, title if isinstance(title, str) else "", draft
