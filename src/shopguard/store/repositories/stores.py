"""Store profiles and their sync cursors."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopguard.store.models import StoreProfile, SyncCursor
from shopguard.store.records import CursorRecord, StoreRecord


def _store_record(row: StoreProfile) -> StoreRecord:
    return StoreRecord(
        id=row.id,
        url=row.url,
        name=row.name,
        default_country=row.default_country,
        currency=row.currency,
        auth_mode=row.auth_mode,
        permissions=row.permissions,
    )


def get_or_create_store(
    session: Session, *, url: str, name: str | None = None, default_country: str = ""
) -> StoreRecord:
    """The profile for ``url``, created (with an empty cursor) the first time it is seen."""
    row = session.scalars(select(StoreProfile).where(StoreProfile.url == url)).one_or_none()
    if row is None:
        row = StoreProfile(
            url=url,
            name=name or url.split("://", 1)[-1],
            default_country=default_country,
            currency="",
            auth_mode="",
            permissions="unknown",
            created_at=datetime.now(UTC),
        )
        session.add(row)
        session.flush()
        session.add(SyncCursor(store_id=row.id, modified_after=None, full_sync_done=False))
        session.flush()
    return _store_record(row)


def find_store(session: Session, url: str) -> StoreRecord | None:
    """The profile for ``url``, or None."""
    row = session.scalars(select(StoreProfile).where(StoreProfile.url == url)).one_or_none()
    return None if row is None else _store_record(row)


def get_store(session: Session, store_id: int) -> StoreRecord | None:
    """The profile with this id, or None."""
    row = session.get(StoreProfile, store_id)
    return None if row is None else _store_record(row)


def list_stores(session: Session) -> list[StoreRecord]:
    """All connected stores, oldest first."""
    return [_store_record(r) for r in session.scalars(select(StoreProfile).order_by("id"))]


def update_store(
    session: Session,
    store_id: int,
    *,
    name: str | None = None,
    currency: str | None = None,
    default_country: str | None = None,
    auth_mode: str | None = None,
    permissions: str | None = None,
) -> StoreRecord:
    """Change the given fields of a profile."""
    row = session.get_one(StoreProfile, store_id)
    for attr, value in (
        ("name", name),
        ("currency", currency),
        ("default_country", default_country),
        ("auth_mode", auth_mode),
        ("permissions", permissions),
    ):
        if value is not None:
            setattr(row, attr, value)
    session.flush()
    return _store_record(row)


def get_cursor(session: Session, store_id: int) -> CursorRecord:
    """The store's sync cursor."""
    row = session.get_one(SyncCursor, store_id)
    return CursorRecord(
        store_id=row.store_id,
        modified_after=row.modified_after,
        full_sync_done=row.full_sync_done,
        last_sync_at=row.last_sync_at,
    )


def advance_cursor(
    session: Session,
    store_id: int,
    *,
    modified_after: datetime | None = None,
    full_sync_done: bool | None = None,
    last_sync_at: datetime | None = None,
) -> None:
    """Move the cursor forward; it never moves back."""
    row = session.get_one(SyncCursor, store_id)
    if modified_after is not None and (
        row.modified_after is None or modified_after > row.modified_after
    ):
        row.modified_after = modified_after
    if full_sync_done is not None:
        row.full_sync_done = full_sync_done
    if last_sync_at is not None:
        row.last_sync_at = last_sync_at
    session.flush()
