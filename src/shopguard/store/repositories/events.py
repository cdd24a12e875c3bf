"""The append-only event log."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopguard.store import bulk
from shopguard.store.models import Event
from shopguard.store.records import EventRecord


def record_event(
    session: Session,
    kind: str,
    *,
    store_id: int | None = None,
    order_woo_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one event. ``detail`` must hold no secrets and no customer PII."""
    record_events(session, [(kind, order_woo_id, detail or {})], store_id=store_id, at=at)


def record_events(
    session: Session,
    events: Iterable[tuple[str, int | None, Mapping[str, Any]]],
    *,
    store_id: int | None,
    at: datetime | None = None,
) -> int:
    """Append many events at once: (kind, order_woo_id, detail) each. Returns the count."""
    when = at or datetime.now(UTC)
    rows = [
        {
            "at": when,
            "store_id": store_id,
            "kind": kind,
            "order_woo_id": woo_id,
            "detail": json.dumps(dict(detail), sort_keys=True, ensure_ascii=False),
        }
        for kind, woo_id, detail in events
    ]
    bulk.insert_rows(session, Event.metadata.tables["event_log"], rows)
    return len(rows)


def list_events(
    session: Session, *, store_id: int | None = None, kind_prefix: str = "", limit: int = 1000
) -> list[EventRecord]:
    """The newest events first, optionally for one store and one kind prefix."""
    query = select(Event).order_by(Event.id.desc()).limit(limit)
    if store_id is not None:
        query = query.where(Event.store_id == store_id)
    if kind_prefix:
        query = query.where(Event.kind.startswith(kind_prefix))
    return [
        EventRecord(
            id=e.id,
            at=e.at,
            store_id=e.store_id,
            kind=e.kind,
            order_woo_id=e.order_woo_id,
            detail=e.detail,
        )
        for e in session.scalars(query)
    ]
