"""What an exported assessment shows: one frozen version (or the draft) with its context.

The PDF renderer and the JSON export both take a ``Document``; the service builds it from
the store. Nothing here touches the database or Qt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from shopguard.assessments.templates import Template

Status = Literal["draft", "complete", "review due", "review overdue"]


@dataclass(frozen=True)
class Evidence:
    """One live figure a suggestion was built from, and when it was read."""

    key: str
    label: str
    value: str
    read_at: datetime


@dataclass(frozen=True)
class Document:
    """An assessment as it is exported.

    Attributes:
        organisation: the shop's name as the owner gave it (the controller).
        title: the assessment's own title ("Cross-shop delivery-risk scoring").
        version: the frozen version's number; None for a draft.
        status: draft, complete, review due or review overdue.
        completed_at: when the version was frozen (None for a draft).
        review_due: the date the assessment is due for review (None for a draft).
        content_hash: SHA-256 hex of the version's canonical content ("" for a draft).
        answers: question key -> answer (see ``templates`` for the shapes).
        suggested: keys whose answers are ShopGuard's suggestion, not edited by the owner.
        evidence: the live figures behind the suggestions.
        prior_consultation: a residual High risk means the regulator must be consulted.
        generated_at: when the export was made (the only part that changes between exports
            of the same version).
        author: who completed it (the PDF's author metadata).
    """

    template: Template
    organisation: str
    title: str
    version: int | None
    status: Status
    completed_at: datetime | None
    review_due: date | None
    content_hash: str
    answers: Mapping[str, Any]
    suggested: frozenset[str] = frozenset()
    evidence: tuple[Evidence, ...] = ()
    prior_consultation: bool = False
    generated_at: datetime | None = None
    author: str = ""
