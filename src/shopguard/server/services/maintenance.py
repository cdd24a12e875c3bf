"""Retention purge and housekeeping (CLI ``purge`` and, once a day, the running service).

Deleted: orders (with identifiers) whose subject's last order is older than the retention
period, nonces past the replay window, Idempotency-Key answers past 24 h, audit rows past
retention. Each purge is logged with counts, never identifiers. The towns' statistics are
then recounted from what remains (changes since are recorded as they happen).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from shopguard.server.repos import logs as log_repo
from shopguard.server.repos import requests as request_repo
from shopguard.server.repos import retention as retention_repo
from shopguard.server.repos import subjects as subject_repo

log = logging.getLogger(__name__)


def purge(
    session: Session,
    now: datetime,
    trigger: str,
    *,
    retention_days: int,
    max_skew_seconds: int = 300,
    idempotency_hours: int = 24,
) -> dict[str, int]:
    """Apply retention; the counts of what went."""
    retention = timedelta(days=retention_days)
    ids = retention_repo.expired_order_ids(session, now - retention)
    orders, identifiers = subject_repo.delete_orders_by_id(session, ids)
    counts = {
        "orders": orders,
        "identifiers": identifiers,
        "nonces": request_repo.prune_nonces(session, now - timedelta(seconds=3 * max_skew_seconds)),
        "idempotency": request_repo.prune_answers(
            session, now - timedelta(hours=idempotency_hours)
        ),
        "audit": log_repo.prune_audit(session, now - retention),
    }
    counts["places"] = retention_repo.rebuild_place_stats(session)
    log_repo.add_purge(session, now, trigger, counts)
    log.info("Purge (%s): %s", trigger, counts)
    return counts


def refresh_statistics(session: Session) -> int:
    """Recount the towns' delivery statistics at start-up, unless they are current (built,
    and no change recorded since); how many towns were recounted."""
    if retention_repo.place_stats_current(session):
        return 0
    return retention_repo.rebuild_place_stats(session)
