"""The audit log (one row per call, counts, no identifiers) and the retention purge."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shopguard.server.models import (
    AuditEntry,
    IdempotencyRecord,
    Order,
    PlaceStat,
    PurgeEntry,
    SeenNonce,
)
from shopguard.server.services import maintenance
from tests.server.helpers import (
    ShopKey,
    SignedClient,
    identifiers,
    order,
    outcome,
)


def test_every_api_call_is_audited_without_identifiers(
    client: TestClient, a: SignedClient, shop_a: ShopKey, sessions: sessionmaker[Session]
) -> None:
    a.score(order(1), order(2, "bob"))
    a.outcomes(outcome(1, "refused", datetime(2026, 3, 2, tzinfo=UTC)))
    a.post("/v1/subjects/access", {"identifiers": {"email": identifiers("anna")["email"]}})
    client.get("/v1/config")  # unsigned: refused, still audited
    client.get("/v1/health")  # not an API call worth a row
    client.get("/v1/" + identifiers("anna")["email"])  # a stray path is not written down
    with sessions() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    seen = [(r.endpoint, r.status, r.shop_id) for r in rows]
    assert seen == [
        ("/v1/orders/score", 200, shop_a.id),
        ("/v1/outcomes", 200, shop_a.id),
        ("/v1/subjects/access", 200, shop_a.id),
        ("/v1/config", 401, None),
        ("(unknown)", 404, None),
    ]
    assert json.loads(rows[0].counts) == {"orders": 2, "stored": 2, "objected": 0, "unknown": 0}
    assert json.loads(rows[1].counts)["accepted"] == 1
    everything = " ".join(f"{r.endpoint} {r.counts}" for r in rows)
    for digest in identifiers("anna").values():
        assert digest not in everything


def _old_order(order_id: int, person: str, when: datetime) -> dict[str, object]:
    return order(order_id, person, at=when)


def test_purge_deletes_subjects_whose_last_order_is_past_retention(
    a: SignedClient, b: SignedClient, sessions: sessionmaker[Session]
) -> None:
    now = datetime.now(UTC)
    old = now - timedelta(days=800)
    # Anna: only old orders -> purged. Bob: an old order, and a recent one at another shop
    # under the same phone -> kept. Carol: recent -> kept.
    a.score(order(1, "anna", at=old), order(2, "bob", at=old))
    a.outcomes(outcome(1, "refused", old + timedelta(days=2)))
    b.score(
        order(3, ids={"phone": identifiers("bob")["phone"]}, at=now - timedelta(days=3)),
        order(4, "carol", at=now - timedelta(days=1)),
    )
    with sessions.begin() as session:
        counts = maintenance.purge(session, now, "test", retention_days=730)
    assert counts["orders"] == 1 and counts["identifiers"] == 4
    with sessions() as session:
        left = sorted(session.scalars(select(Order.order_id)))
        log = session.scalars(select(PurgeEntry)).one()
    assert left == ["2", "3", "4"]
    assert log.trigger == "test" and json.loads(log.counts)["orders"] == 1
    assert identifiers("anna")["email"] not in log.counts


def test_purge_prunes_nonces_answers_and_recounts_places(
    a: SignedClient, sessions: sessionmaker[Session]
) -> None:
    a.score(order(1, city="Patra"), key="k")
    a.outcomes(outcome(1, "refused", datetime(2026, 3, 2, tzinfo=UTC)))
    with sessions() as session:
        assert session.scalars(select(SeenNonce)).all()
    later = datetime.now(UTC) + timedelta(days=2)
    with sessions.begin() as session:
        counts = maintenance.purge(session, later, "test", retention_days=730)
    assert counts["nonces"] >= 2 and counts["idempotency"] == 1
    with sessions() as session:
        assert session.scalars(select(SeenNonce)).all() == []
        assert session.scalars(select(IdempotencyRecord)).all() == []
        places = session.scalars(select(PlaceStat)).all()
    assert [(p.country, p.city_key, p.day.isoformat(), p.delivered, p.failed) for p in places] == [
        ("GR", "patra", "2026-03-02", 0, 1)
    ]
