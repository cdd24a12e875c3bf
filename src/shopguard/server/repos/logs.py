"""The audit, purge and operator logs: counts and references, never identifiers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from shopguard.server.models import AuditEntry, OperatorEntry, PurgeEntry


def add_audit(
    session: Session,
    at: datetime,
    shop_id: str | None,
    method: str,
    endpoint: str,
    status: int,
    counts: Mapping[str, int],
) -> None:
    """One API call (a plain INSERT: every request writes one, and the ORM's unit of work
    for a single new row cost twice as much)."""
    session.execute(
        _INSERT_AUDIT,
        {
            "at": at,
            "shop_id": shop_id,
            "method": method,
            "endpoint": endpoint,
            "status": status,
            "counts": json.dumps(dict(counts), sort_keys=True),
        },
    )


_INSERT_AUDIT = insert(AuditEntry.metadata.tables[AuditEntry.__tablename__])


def add_purge(session: Session, at: datetime, trigger: str, counts: Mapping[str, int]) -> None:
    """One retention purge."""
    session.add(PurgeEntry(at=at, trigger=trigger, counts=json.dumps(dict(counts))))


def add_operator(session: Session, at: datetime, action: str, detail: Mapping[str, Any]) -> None:
    """One operator action."""
    session.add(OperatorEntry(at=at, action=action, detail=json.dumps(dict(detail))))


def prune_audit(session: Session, before: datetime) -> int:
    """Delete audit rows older than ``before``."""
    result = session.execute(delete(AuditEntry).where(AuditEntry.at < before))
    return int(getattr(result, "rowcount", 0))
