"""A small shop with scores of every kind, for the Orders screen's risk tests.

Orders 1-12: scored by the network (high, medium, low), by this computer (local), one
"Unknown" (no score), and orders 10-12 not scored at all. Scores are written the way the
outbox sender and the embedded scorer write them (``write_scores``), and the sent payload
of order 1 is a real outbox row marked sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import outbox as outbox_repo
from shopguard.store.repositories import scores as score_repo
from shopguard.store.repositories import stores as store_repo
from shopguard.store.repositories.scores import ScoreRecord
from tests.helpers.factories import make_order

SYNCED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SCORED = SYNCED + timedelta(minutes=5)
REASONS = [
    {"code": "refused_before", "text": "Other shops saw parcels refused", "weight": 1.4},
    {"code": "cod", "text": "Cash on delivery", "weight": 0.45},
    {"code": "returning", "text": "A returning customer who always paid", "weight": -0.3},
]
# woo_id -> (score, band, scored_by)
SCORES: dict[int, tuple[int | None, str, str]] = {
    1: (87, "high", "network"),
    2: (41, "medium", "network"),
    3: (8, "low", "network"),
    4: (64, "medium", "local"),
    5: (3, "low", "local"),
    6: (None, "unknown", "network"),
    7: (41, "medium", "local"),
    8: (90, "high", "local"),
    9: (15, "low", "network"),
}
UNSCORED = (10, 11, 12)
ALL_IDS = tuple(range(1, 13))
PAYLOAD_1 = (
    '{"created_at":"2026-01-01T01:00:00Z","currency":"EUR","hash_scheme":"v1",'
    '"identifiers":{"email":"f18339aa11","phone":"f20a1dbb22"},"order_id":"1",'
    '"payment_method":"cod","status":"processing","total":"11.00"}'
)


@dataclass(frozen=True)
class RiskShop:
    """The seeded store's id."""

    store_id: int


def seed_risk_shop(sessions: sessionmaker[Session], url: str = "https://shop.example") -> RiskShop:
    """Store, 12 orders, their scores (two writes for order 1: a history of two) and the
    sent payload of order 1."""
    with sessions.begin() as session:
        store_id = store_repo.get_or_create_store(session, url=url).id
        order_repo.upsert_orders(
            session,
            store_id,
            [make_order(i, billing_first_name="Maria" if i % 2 else "Anna") for i in ALL_IDS],
            now=SYNCED,
        )
        score_repo.write_scores(
            session,
            store_id,
            [ScoreRecord(1, 55, "medium", 0.3, REASONS[1:], "sg-1", SCORED - timedelta(days=1))],
        )
        score_repo.write_scores(session, store_id, [_score(i) for i in SCORES])
        outbox_repo.enqueue_encoded(session, store_id, "order", [(1, PAYLOAD_1, "d" * 64)])
        sent = [item.id for item in outbox_repo.due(session, store_id, "order", now=SCORED)]
        outbox_repo.mark_sent(session, sent, at=SCORED)
    return RiskShop(store_id)


def _score(woo_id: int) -> ScoreRecord:
    score, band, scored_by = SCORES[woo_id]
    return ScoreRecord(
        order_woo_id=woo_id,
        score=score,
        band=band,
        p_fail=None if score is None else score / 100,
        reasons=list(REASONS) if band != "unknown" else [],
        model="sg-2",
        scored_at=SCORED,
        scored_by=scored_by,
    )


def risk_order(descending: bool) -> list[int]:
    """The ids in the order "sort by risk" must give (scored, then unknown, then unscored);
    ties in score by when the score row was made (order 2 before order 7)."""
    scored = sorted(
        (i for i, (s, _, _) in SCORES.items() if s is not None),
        key=lambda i: (SCORES[i][0], i),
        reverse=descending,
    )
    unknown = [i for i, (s, _, _) in SCORES.items() if s is None]
    unscored = sorted(UNSCORED, reverse=descending)
    return scored + unknown + unscored
