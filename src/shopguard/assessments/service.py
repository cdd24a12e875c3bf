"""Assessments for the app and the command line: start, autosave, complete, version, move.

One assessment has at most one draft and any number of completed versions. "Complete"
checks the ICO's rules (``rules.problems``), then freezes the draft as the next numbered
version with the SHA-256 of its canonical content; the database refuses to change a
version afterwards. Editing a completed assessment starts a new draft from its latest
version. A version's review falls due ``review_months`` after completion.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shopguard.assessments import portable, rules
from shopguard.assessments.answers import AnswerError, check_answers, is_answered
from shopguard.assessments.document import Document, Evidence, Status
from shopguard.assessments.portable import Draft
from shopguard.assessments.suggestions import ShopFacts, read_facts, suggest
from shopguard.assessments.templates import (
    Template,
    TemplateError,
    example,
    load_template,
    template_ids,
)
from shopguard.scoring.settings import load_settings
from shopguard.store.repositories import assessments as repo
from shopguard.store.repositories import events as event_repo
from shopguard.store.repositories import stores as store_repo

REVIEW_SOON_DAYS = 30  # "review due" this long before the date; "overdue" after it
MAX_TITLE = 200
CONTROLLER_KEY = "controller.name"


class AssessmentError(Exception):
    """Something the owner asked for cannot be done; ``message`` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CannotComplete(AssessmentError):
    """The draft breaks the ICO's rules; ``problems`` lists each, in template order."""

    def __init__(self, problems: list[rules.Problem]) -> None:
        first = problems[0].message if problems else ""
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"Not complete yet: {first}{more}.")
        self.problems = problems


@dataclass(frozen=True)
class VersionInfo:
    """A completed version."""

    number: int
    completed_at: datetime
    review_due: date
    content_hash: str


@dataclass(frozen=True)
class Summary:
    """One line of the Assessments screen."""

    id: int
    template_id: str
    kind: str
    title: str
    status: Status
    has_draft: bool
    latest_version: VersionInfo | None
    updated_at: datetime


@dataclass(frozen=True)
class Opened:
    """An assessment as the wizard edits it: the draft (or the latest version's answers)."""

    id: int
    template: Template
    title: str
    review_months: int
    draft: Draft
    has_draft: bool
    versions: tuple[VersionInfo, ...]
    status: Status


FactsReader = Callable[[], ShopFacts]


class AssessmentService:
    """Assessments in the local store."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        facts: FactsReader | None = None,
        *,
        organisation: Callable[[], str] = lambda: "",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = session_factory
        self._facts = facts
        self._organisation = organisation
        self._clock = clock

    # -- listing -------------------------------------------------------------------------

    def templates(self) -> list[Template]:
        """The shipped templates."""
        return [load_template(t) for t in template_ids()]

    def summaries(self) -> list[Summary]:
        """Every assessment, most recently changed first."""
        today = self._clock().date()
        with self._sessions() as session:
            records = repo.list_all(session)
            latest = repo.latest_versions(session)
        out = []
        for r in records:
            version = _info(latest[r.id]) if r.id in latest else None
            out.append(
                Summary(
                    id=r.id,
                    template_id=r.template_id,
                    kind=_kind(r.template_id),
                    title=r.title,
                    status=status_of(version, today),
                    has_draft=r.draft is not None,
                    latest_version=version,
                    updated_at=r.updated_at,
                )
            )
        return out

    def newest(self, kind: str) -> int | None:
        """The most recently changed assessment of this kind ("lia", "dpia"), if any."""
        return next((s.id for s in self.summaries() if s.kind == kind), None)

    # -- starting ------------------------------------------------------------------------

    def create(
        self, template_id: str, *, example_slug: str | None = None, title: str | None = None
    ) -> int:
        """Start an assessment from a template or a worked example; returns its id.

        Unanswered questions that name a suggestion are pre-filled from the shop's live
        data; the figures read are kept as the assessment's evidence either way.

        Raises:
            AssessmentError: unknown template or example, or the example is for another
                template.
        """
        try:
            template = load_template(template_id)
            start = example(example_slug) if example_slug else None
        except TemplateError as exc:
            raise AssessmentError(str(exc)) from exc
        if start is not None and start.template != template_id:
            raise AssessmentError(
                f"The example {start.slug!r} is for the {start.template} template, not "
                f"{template_id}. Start it with --template {start.template}."
            )
        answers: dict[str, Any] = dict(start.answers) if start else {}
        suggested: set[str] = set()
        evidence: tuple[Evidence, ...] = ()
        if self._facts is not None:
            facts = self._facts()
            evidence = facts.evidence()
            for q in template.questions():
                # A worked example's own answer stays: it was written for its purpose, and a
                # suggestion about, say, the scoring service would be off-topic in it.
                if is_answered(q, answers.get(q.key)):
                    continue
                text = suggest(q.suggest, facts) if q.suggest and q.type == "text" else None
                if text:
                    answers[q.key] = text
                    suggested.add(q.key)
        name = _title(title or (start.title if start else template.title))
        draft = Draft(answers, frozenset(suggested), evidence)
        now = self._clock()
        with self._sessions.begin() as session:
            new_id = repo.create(
                session,
                template_id=template_id,
                title=name,
                review_months=template.review_months,
                draft=portable.draft_json(draft),
                now=now,
            )
            event_repo.record_event(
                session,
                "assessment.created",
                detail={"id": new_id, "template": template_id, "example": example_slug or ""},
            )
        return new_id

    def duplicate(self, assessment_id: int) -> int:
        """A new assessment starting from this one's current answers; returns its id."""
        opened = self.open(assessment_id)
        now = self._clock()
        with self._sessions.begin() as session:
            new_id = repo.create(
                session,
                template_id=opened.template.id,
                title=_title(f"Copy of {opened.title}"),
                review_months=opened.review_months,
                draft=portable.draft_json(opened.draft),
                now=now,
            )
            event_repo.record_event(
                session, "assessment.duplicated", detail={"id": new_id, "from": assessment_id}
            )
        return new_id

    # -- editing -------------------------------------------------------------------------

    def open(self, assessment_id: int) -> Opened:
        """The assessment with its draft, or its latest version's answers to start one from.

        Raises:
            AssessmentError: no such assessment.
        """
        today = self._clock().date()
        with self._sessions() as session:
            record = self._require(session, assessment_id)
            versions = repo.versions(session, assessment_id)
        template = self._template(record.template_id)
        if record.draft is not None:
            draft = portable.parse_draft(record.draft)
        elif versions:
            draft = portable.parse_draft(versions[-1].content)
        else:
            draft = Draft({}, frozenset(), ())
        infos = tuple(_info(v) for v in versions)
        return Opened(
            id=record.id,
            template=template,
            title=record.title,
            review_months=record.review_months,
            draft=draft,
            has_draft=record.draft is not None,
            versions=infos,
            status=status_of(infos[-1] if infos else None, today),
        )

    def save_draft(
        self, assessment_id: int, answers: Mapping[str, Any], suggested: frozenset[str]
    ) -> None:
        """Autosave: keep these answers as the draft (checked for shape, not completeness).

        A key leaves ``suggested`` once the owner edits it; pass the ones still untouched.

        Raises:
            AssessmentError: no such assessment, or an answer of the wrong shape.
        """
        opened = self.open(assessment_id)
        clean = {k: v for k, v in answers.items() if v is not None}
        try:
            check_answers(opened.template, clean)
        except AnswerError as exc:
            raise AssessmentError(f"This answer cannot be saved: {exc}") from exc
        draft = Draft(clean, frozenset(suggested) & set(clean), opened.draft.evidence)
        with self._sessions.begin() as session:
            repo.save_draft(session, assessment_id, portable.draft_json(draft), self._clock())

    def update_settings(
        self, assessment_id: int, *, title: str | None = None, review_months: int | None = None
    ) -> None:
        """Rename, or change how many months after completion a review falls due.

        Raises:
            AssessmentError: no such assessment, an empty title or a period out of range.
        """
        if review_months is not None and not 1 <= review_months <= 60:
            raise AssessmentError("Choose a review period between 1 and 60 months.")
        with self._sessions.begin() as session:
            record = self._require(session, assessment_id)
            repo.update_settings(
                session,
                assessment_id,
                title=_title(title) if title is not None else record.title,
                review_months=review_months or record.review_months,
                now=self._clock(),
            )

    def problems(self, assessment_id: int) -> list[rules.Problem]:
        """What still blocks "Complete" for the current draft."""
        opened = self.open(assessment_id)
        return rules.problems(opened.template, opened.draft.answers)

    def complete(self, assessment_id: int) -> VersionInfo:
        """Freeze the draft as the next version.

        Raises:
            CannotComplete: the draft breaks a rule (each problem says which and what to do).
            AssessmentError: no such assessment, or nothing changed since the last version.
        """
        opened = self.open(assessment_id)
        if not opened.has_draft and opened.versions:
            raise AssessmentError(
                f"Version {opened.versions[-1].number} is already complete and nothing has "
                "changed since. Edit an answer to start a new version."
            )
        found = rules.problems(opened.template, opened.draft.answers)
        if found:
            raise CannotComplete(found)
        now = self._clock()
        due = add_months(now.date(), opened.review_months)
        number = len(opened.versions) + 1
        content = {
            "template": opened.template.id,
            "template_version": opened.template.version,
            "title": opened.title,
            "number": number,
            "completed_at": now.isoformat(timespec="seconds"),
            "review_due": due.isoformat(),
            **portable.draft_dict(opened.draft),
        }
        text = portable.canonical_json(content)
        digest = hashlib.sha256(text.encode()).hexdigest()
        with self._sessions.begin() as session:
            stored = repo.add_version(
                session,
                assessment_id,
                content=text,
                content_hash=digest,
                completed_at=now,
                review_due=datetime.combine(due, datetime.min.time(), UTC),
            )
            repo.save_draft(session, assessment_id, None, now)
            event_repo.record_event(
                session,
                "assessment.completed",
                detail={"id": assessment_id, "version": stored, "content_hash": digest},
            )
        return VersionInfo(stored, now, due, digest)

    def delete(self, assessment_id: int) -> None:
        """Discard an assessment that was never completed.

        Raises:
            AssessmentError: it has completed versions (a record to keep), or no such one.
        """
        with self._sessions.begin() as session:
            self._require(session, assessment_id)
            if repo.versions(session, assessment_id):
                raise AssessmentError(
                    "A completed assessment is a record you may need to show a regulator; "
                    "it cannot be deleted. Duplicate it to start a new one."
                )
            repo.remove(session, assessment_id)
            event_repo.record_event(session, "assessment.deleted", detail={"id": assessment_id})

    # -- export and import ---------------------------------------------------------------

    def document(self, assessment_id: int, version: int | None = None) -> Document:
        """What an export shows: a completed version (default: the latest), else the draft.

        Raises:
            AssessmentError: no such assessment or version.
        """
        opened = self.open(assessment_id)
        today = self._clock().date()
        chosen = _pick_version(opened, version)
        if chosen is None:
            draft, info = opened.draft, None
        else:
            with self._sessions() as session:
                stored = repo.versions(session, assessment_id)[chosen.number - 1]
            draft, info = portable.parse_draft(stored.content), chosen
        return Document(
            template=opened.template,
            organisation=_controller(draft.answers) or self._organisation(),
            title=opened.title,
            version=info.number if info else None,
            status=status_of(info, today) if info else "draft",
            completed_at=info.completed_at if info else None,
            review_due=info.review_due if info else None,
            content_hash=info.content_hash if info else "",
            answers=draft.answers,
            suggested=draft.suggested,
            evidence=draft.evidence,
            prior_consultation=rules.needs_prior_consultation(opened.template, draft.answers),
            generated_at=self._clock(),
            author=_completed_by(opened.template, draft.answers),
        )

    def export_json(self, assessment_id: int, version: int | None = None) -> dict[str, Any]:
        """A portable JSON object of a version (default: the latest) or the draft."""
        return portable.export_dict(self.document(assessment_id, version))

    def import_json(self, data: Any) -> int:
        """Import an exported assessment as a new draft; returns its id.

        Raises:
            AssessmentError: the file is not a ShopGuard assessment, or an answer does not
                fit the template (the message names it). Nothing is stored then.
        """
        try:
            template, title, draft = portable.parse_export(data)
        except portable.ExportError as exc:
            raise AssessmentError(str(exc)) from exc
        now = self._clock()
        with self._sessions.begin() as session:
            new_id = repo.create(
                session,
                template_id=template.id,
                title=_title(title or template.title),
                review_months=template.review_months,
                draft=portable.draft_json(draft),
                now=now,
            )
            event_repo.record_event(
                session, "assessment.imported", detail={"id": new_id, "template": template.id}
            )
        return new_id

    # -- helpers -------------------------------------------------------------------------

    def _require(self, session: Session, assessment_id: int) -> repo.AssessmentRecord:
        record = repo.get(session, assessment_id)
        if record is None:
            raise AssessmentError(
                f"There is no assessment {assessment_id}. `shopguard assessments list` shows "
                "them all."
            )
        return record

    def _template(self, template_id: str) -> Template:
        try:
            return load_template(template_id)
        except TemplateError as exc:
            raise AssessmentError(str(exc)) from exc


def status_of(version: VersionInfo | None, today: date) -> Status:
    """Draft without a version; complete, review due (within 30 days) or review overdue."""
    if version is None:
        return "draft"
    if version.review_due < today:
        return "review overdue"
    if version.review_due - today <= timedelta(days=REVIEW_SOON_DAYS):
        return "review due"
    return "complete"


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _kind(template_id: str) -> str:
    try:
        return load_template(template_id).kind
    except TemplateError:
        return "unknown"


def _title(text: str) -> str:
    clean = " ".join(text.split())
    if not clean:
        raise AssessmentError("Give the assessment a title.")
    return clean[:MAX_TITLE]


def _info(v: repo.VersionRecord) -> VersionInfo:
    return VersionInfo(v.number, v.completed_at, v.review_due.date(), v.content_hash)


def _pick_version(opened: Opened, version: int | None) -> VersionInfo | None:
    if version is None:
        return opened.versions[-1] if opened.versions else None
    for v in opened.versions:
        if v.number == version:
            return v
    numbers = ", ".join(str(v.number) for v in opened.versions) or "none yet"
    raise AssessmentError(
        f"{opened.title!r} has no version {version} (completed versions: {numbers})."
    )


def _controller(answers: Mapping[str, Any]) -> str:
    """The controller's name where the template asks for it (the DPIA's first question)."""
    name = answers.get(CONTROLLER_KEY)
    return name.strip() if isinstance(name, str) else ""


def _completed_by(template: Template, answers: Mapping[str, Any]) -> str:
    for q in template.questions():
        value = answers.get(q.key)
        if q.type == "person" and isinstance(value, dict) and value.get("name"):
            return str(value["name"])
    return ""


def for_profile(sessions: sessionmaker[Session], config_dir: Path) -> AssessmentService:
    """The service as the app and the command line use it: live suggestions from this
    profile's store and scoring-service settings, the connected stores as organisation."""

    def facts() -> ShopFacts:
        settings = load_settings(config_dir)
        return read_facts(sessions, settings.url if settings else None, datetime.now(UTC))

    def organisation() -> str:
        with sessions() as session:
            return ", ".join(s.name or s.url for s in store_repo.list_stores(session))

    return AssessmentService(sessions, facts, organisation=organisation)
