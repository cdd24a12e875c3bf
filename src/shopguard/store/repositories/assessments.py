"""Assessments and their frozen versions, as plain records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from shopguard.store.models import AssessmentRow, AssessmentVersionRow


@dataclass(frozen=True, slots=True)
class AssessmentRecord:
    """One assessment; ``draft`` is its autosaved draft JSON, None when there is none."""

    id: int
    template_id: str
    title: str
    review_months: int
    draft: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """One completed version; ``content`` is the canonical JSON ``content_hash`` covers."""

    assessment_id: int
    number: int
    content: str
    content_hash: str
    completed_at: datetime
    review_due: datetime


def create(
    session: Session,
    *,
    template_id: str,
    title: str,
    review_months: int,
    draft: str,
    now: datetime,
) -> int:
    """Add an assessment with its first draft; returns its id."""
    row = AssessmentRow(
        template_id=template_id,
        title=title,
        review_months=review_months,
        draft=draft,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def get(session: Session, assessment_id: int) -> AssessmentRecord | None:
    """One assessment, or None."""
    row = session.get(AssessmentRow, assessment_id)
    return None if row is None else _record(row)


def list_all(session: Session) -> list[AssessmentRecord]:
    """Every assessment, most recently changed first."""
    rows = session.scalars(
        select(AssessmentRow).order_by(AssessmentRow.updated_at.desc(), AssessmentRow.id.desc())
    )
    return [_record(r) for r in rows]


def save_draft(session: Session, assessment_id: int, draft: str | None, now: datetime) -> None:
    """Replace the draft (None: the latest version is current again)."""
    session.execute(
        update(AssessmentRow)
        .where(AssessmentRow.id == assessment_id)
        .values(draft=draft, updated_at=now)
    )


def update_settings(
    session: Session, assessment_id: int, *, title: str, review_months: int, now: datetime
) -> None:
    """Change the title and review period (versions keep what they were completed with)."""
    session.execute(
        update(AssessmentRow)
        .where(AssessmentRow.id == assessment_id)
        .values(title=title, review_months=review_months, updated_at=now)
    )


def remove(session: Session, assessment_id: int) -> None:
    """Delete an assessment with its versions."""
    session.execute(
        delete(AssessmentVersionRow).where(AssessmentVersionRow.assessment_id == assessment_id)
    )
    session.execute(delete(AssessmentRow).where(AssessmentRow.id == assessment_id))


def add_version(
    session: Session,
    assessment_id: int,
    *,
    content: str,
    content_hash: str,
    completed_at: datetime,
    review_due: datetime,
) -> int:
    """Freeze a new version (numbered from 1); returns its number."""
    latest = session.scalar(
        select(func.max(AssessmentVersionRow.number)).where(
            AssessmentVersionRow.assessment_id == assessment_id
        )
    )
    number = (latest or 0) + 1
    session.add(
        AssessmentVersionRow(
            assessment_id=assessment_id,
            number=number,
            content=content,
            content_hash=content_hash,
            completed_at=completed_at,
            review_due=review_due,
        )
    )
    session.flush()
    return number


def versions(session: Session, assessment_id: int) -> list[VersionRecord]:
    """An assessment's versions, oldest first."""
    rows = session.scalars(
        select(AssessmentVersionRow)
        .where(AssessmentVersionRow.assessment_id == assessment_id)
        .order_by(AssessmentVersionRow.number)
    )
    return [_version(r) for r in rows]


def latest_versions(session: Session) -> dict[int, VersionRecord]:
    """The newest version of every assessment that has one, by assessment id."""
    newest = (
        select(
            AssessmentVersionRow.assessment_id,
            func.max(AssessmentVersionRow.number).label("number"),
        )
        .group_by(AssessmentVersionRow.assessment_id)
        .subquery()
    )
    rows = session.scalars(
        select(AssessmentVersionRow).join(
            newest,
            (AssessmentVersionRow.assessment_id == newest.c.assessment_id)
            & (AssessmentVersionRow.number == newest.c.number),
        )
    )
    return {r.assessment_id: _version(r) for r in rows}


def _record(row: AssessmentRow) -> AssessmentRecord:
    return AssessmentRecord(
        row.id,
        row.template_id,
        row.title,
        row.review_months,
        row.draft,
        row.created_at,
        row.updated_at,
    )


def _version(row: AssessmentVersionRow) -> VersionRecord:
    return VersionRecord(
        row.assessment_id,
        row.number,
        row.content,
        row.content_hash,
        row.completed_at,
        row.review_due,
    )
