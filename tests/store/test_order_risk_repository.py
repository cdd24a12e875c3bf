"""Orders with their latest risk: sort by risk, band filters, freshness, the detail pane's data,
and the query plans that keep it fast on a big store."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, sessionmaker

from shopguard.store.repositories import order_risk as risk_repo
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import outbox as outbox_repo
from shopguard.store.repositories import scores as score_repo
from shopguard.store.repositories.scores import ScoreRecord
from tests.helpers.factories import make_order
from tests.helpers.risk_rows import (
    ALL_IDS,
    PAYLOAD_1,
    SCORED,
    SCORES,
    UNSCORED,
    RiskShop,
    risk_order,
    seed_risk_shop,
)


@pytest.fixture
def shop(sessions: sessionmaker[Session]) -> RiskShop:
    return seed_risk_shop(sessions)


def _ids(sessions: sessionmaker[Session], shop: RiskShop, **kwargs: object) -> list[int]:
    with sessions() as session:
        rows = risk_repo.list_rows(session, shop.store_id, **kwargs)  # type: ignore[arg-type]
    return [r.order.woo_id for r in rows]


@pytest.mark.parametrize("descending", [True, False])
def test_risk_sort_puts_unknown_then_not_scored_last(
    sessions: sessionmaker[Session], shop: RiskShop, descending: bool
) -> None:
    assert _ids(sessions, shop, sort="risk", descending=descending) == risk_order(descending)


@pytest.mark.parametrize("descending", [True, False])
def test_risk_pages_join_up_across_the_runs(
    sessions: sessionmaker[Session], shop: RiskShop, descending: bool
) -> None:
    whole = risk_order(descending)
    for limit in (1, 2, 3, 5):
        for offset in range(0, 14):
            got = _ids(
                sessions, shop, sort="risk", descending=descending, offset=offset, limit=limit
            )
            assert got == whole[offset : offset + limit], (offset, limit)


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        ("high", {1, 8}),
        ("medium", {2, 4, 7}),
        ("low", {3, 5, 9}),
        ("unknown", {6}),
        ("unscored", set(UNSCORED)),
        ("all", set(ALL_IDS)),
    ],
)
def test_band_filter_counts_and_rows(
    sessions: sessionmaker[Session], shop: RiskShop, band: str, expected: set[int]
) -> None:
    with sessions() as session:
        assert risk_repo.count_rows(session, shop.store_id, band=band) == len(expected)  # type: ignore[arg-type]
    for sort in ("risk", "date_created", "total"):
        ids = _ids(sessions, shop, band=band, sort=sort)
        assert set(ids) == expected
        assert len(ids) == len(expected)
    by_date = _ids(sessions, shop, band=band, sort="date_created", descending=True)
    assert by_date == sorted(expected, reverse=True)  # the factory's dates follow the ids


def test_band_filter_and_search_together(sessions: sessionmaker[Session], shop: RiskShop) -> None:
    # Odd ids are "Maria".
    with sessions() as session:
        assert risk_repo.count_rows(session, shop.store_id, band="medium", search="maria") == 1
        assert risk_repo.count_rows(session, shop.store_id, band="unscored", search="maria") == 1
    assert _ids(sessions, shop, band="medium", search="maria", sort="risk") == [7]
    assert _ids(sessions, shop, band="unscored", search="maria") == [11]
    assert _ids(sessions, shop, search="maria", sort="risk") == [1, 7, 9, 3, 5, 11]


def test_rows_carry_the_score_and_who_gave_it(
    sessions: sessionmaker[Session], shop: RiskShop
) -> None:
    with sessions() as session:
        rows = {r.order.woo_id: r for r in risk_repo.list_rows(session, shop.store_id)}
    assert rows[1].score is not None
    assert (rows[1].score.score, rows[1].score.band, rows[1].score.scored_by) == (
        87,
        "high",
        "network",
    )
    assert rows[4].score is not None and rows[4].score.scored_by == "local"
    assert rows[6].score is not None and rows[6].score.score is None
    assert rows[10].score is None
    assert not any(r.stale for r in rows.values())
    assert rows[1].score.scored_at == SCORED


def test_a_changed_or_queued_order_is_out_of_date(
    sessions: sessionmaker[Session], shop: RiskShop
) -> None:
    later = SCORED + timedelta(hours=1)
    changed = make_order(2, status="on-hold", date_modified_gmt=later)
    with sessions.begin() as session:
        order_repo.upsert_orders(session, shop.store_id, [changed], now=later)
        outbox_repo.enqueue_encoded(session, shop.store_id, "order", [(3, "{}", "e" * 64)])
        outbox_repo.enqueue_encoded(session, shop.store_id, "order", [(10, "{}", "f" * 64)])
    with sessions() as session:
        rows = {
            r.order.woo_id: r for r in risk_repo.rows_for(session, shop.store_id, [2, 3, 4, 10])
        }
    assert rows[2].changed and not rows[2].waiting and rows[2].stale
    assert rows[3].waiting and not rows[3].changed and rows[3].stale
    assert not rows[4].stale
    assert rows[10].waiting and not rows[10].stale  # not scored at all: nothing to be stale

    # Scored again after the change: fresh.
    with sessions.begin() as session:
        score_repo.write_scores(
            session,
            shop.store_id,
            [ScoreRecord(2, 30, "medium", 0.3, [], "sg-2", later + timedelta(minutes=1))],
        )
        sent = [i.id for i in outbox_repo.due(session, shop.store_id, "order", now=later)]
        outbox_repo.mark_sent(session, sent, at=later)
    with sessions() as session:
        rows = {r.order.woo_id: r for r in risk_repo.rows_for(session, shop.store_id, [2, 3])}
    assert not rows[2].stale and not rows[3].stale


def test_rows_for_keeps_the_order_asked_and_skips_missing(
    sessions: sessionmaker[Session], shop: RiskShop
) -> None:
    with sessions() as session:
        rows = risk_repo.rows_for(session, shop.store_id, [9, 404, 1, 5])
    assert [r.order.woo_id for r in rows] == [9, 1, 5]


def test_order_detail_has_history_what_was_sent_and_digests(
    sessions: sessionmaker[Session], shop: RiskShop
) -> None:
    with sessions.begin() as session:
        session.connection().exec_driver_sql(
            "INSERT INTO local_identifiers (store_id, order_woo_id, kind, digest) "
            "VALUES (?, 4, 'email', 'abcdef123456'), (?, 4, 'phone', '987654fedcba')",
            (shop.store_id, shop.store_id),
        )
    with sessions() as session:
        one = risk_repo.order_detail(session, shop.store_id, 1)
        four = risk_repo.order_detail(session, shop.store_id, 4)
        gone = risk_repo.order_detail(session, shop.store_id, 404)
    assert one.row is not None and one.row.order.woo_id == 1
    assert [(h.score, h.band, h.model) for h in one.history] == [
        (55, "medium", "sg-1"),
        (87, "high", "sg-2"),
    ]
    assert one.sent_payload == PAYLOAD_1  # the exact text, byte for byte
    assert one.network_digests() == {"email": "f18339aa11", "phone": "f20a1dbb22"}
    assert not one.waiting_payload and one.local_digests == {}
    assert four.sent_payload is None and four.network_digests() == {}
    assert four.local_digests == {"email": "abcdef123456", "phone": "987654fedcba"}
    assert gone.row is None and gone.history == []


def _plan(sessions: sessionmaker[Session], query: object) -> str:
    sql = str(
        query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})  # type: ignore[attr-defined]
    )
    with sessions() as session:
        rows = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql).all()
    return "\n".join(str(r[3]) for r in rows)


def test_risk_sort_and_band_filter_walk_the_score_indexes(
    sessions: sessionmaker[Session], shop: RiskShop
) -> None:
    """Migration 0007's indexes give the rows in order: no sort of the whole store."""
    scored, unknown, _unscored = risk_repo._risk_segments(shop.store_id, "", "all", True)
    plan = _plan(sessions, scored.limit(200))
    assert "ix_order_scores_score" in plan and "TEMP B-TREE" not in plan
    assert "TEMP B-TREE" not in _plan(sessions, unknown.limit(200))
    (high, _unknown_high) = risk_repo._risk_segments(shop.store_id, "", "high", False)
    plan = _plan(sessions, high.limit(200))
    assert "ix_order_scores_band" in plan and "TEMP B-TREE" not in plan


def test_a_changed_order_moves_within_its_band(
    sessions: sessionmaker[Session], shop: RiskShop
) -> None:
    with sessions.begin() as session:
        score_repo.write_scores(
            session,
            shop.store_id,
            [replace(ScoreRecord(5, 99, "high", 0.99, [], "sg-2", SCORED), scored_by="local")],
        )
    assert _ids(sessions, shop, sort="risk", band="high") == [5, 8, 1]
    assert SCORES[5][1] == "low"


def test_a_common_band_walks_the_sort_index_with_the_same_result(
    sessions: sessionmaker[Session], shop: RiskShop, monkeypatch: pytest.MonkeyPatch
) -> None:
    rare = {band: _ids(sessions, shop, band=band, sort="total") for band in ("low", "medium")}
    monkeypatch.setattr(risk_repo, "RARE_BAND", 1)  # every band counts as common now
    for band, ids in rare.items():
        assert _ids(sessions, shop, band=band, sort="total") == ids
        assert _ids(sessions, shop, band=band, sort="total", descending=False) == ids[::-1]


def test_a_known_unscored_count_is_trusted_and_paging_past_it_is_empty(
    sessions: sessionmaker[Session], shop: RiskShop
) -> None:
    for sort in ("risk", "date_created"):
        assert _ids(sessions, shop, band="unscored", sort=sort, unscored=3) == [12, 11, 10]
        assert _ids(sessions, shop, band="unscored", sort=sort, offset=3) == []
        assert _ids(sessions, shop, band="unscored", sort=sort, unscored=0) == []
    assert _ids(sessions, shop, sort="risk", offset=10, unscored=3) == [11, 10]
