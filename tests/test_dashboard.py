"""The Dashboard's numbers, the status bar's outbox sentence and new-order alerts, over a
real SQLite database filled with known orders, scores and outbox items."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shopguard.dashboard import (
    AlertService,
    DashboardService,
    OutboxState,
    month_keys,
    outbox_line,
    week_start,
)
from shopguard.paths import AppPaths
from shopguard.scoring.alert_settings import (
    AlertLevel,
    load_seen,
    make_alert_settings,
    save_alert_settings,
)
from shopguard.scoring.service_client import ServiceRejected
from shopguard.scoring.settings import ServiceSettings, save_settings
from shopguard.store.repositories import outbox as outbox_repo
from shopguard.store.repositories import stores as store_repo
from shopguard.store.repositories.outcomes import set_outcome
from shopguard.store.repositories.scores import ScoreRecord, write_scores
from tests.helpers.factories import add_scored_order

NOW = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)  # a Wednesday
THIS_MONDAY = date(2026, 3, 16)


def _at(days_ago: float) -> datetime:
    return NOW - timedelta(days=days_ago)


def _reason(code: str, text: str) -> dict[str, object]:
    return {"code": code, "text": text, "weight": 1.0}


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        return store_repo.get_or_create_store(session, url="https://shop.example").id


def _add(
    sessions: sessionmaker[Session], store: int, woo_id: int, created: datetime, **facts: Any
) -> None:
    with sessions.begin() as session:
        add_scored_order(session, store, woo_id, created, **facts)


def _service(sessions: sessionmaker[Session], paths: AppPaths) -> DashboardService:
    return DashboardService(sessions, paths.config, clock=lambda: NOW)


def test_zero_data_gives_empty_but_complete_series(
    sessions: sessionmaker[Session], paths: AppPaths
) -> None:
    data = _service(sessions, paths).snapshot()
    assert len(data.weeks) == 12 and len(data.months) == 12
    assert data.weeks[-1].start == THIS_MONDAY
    assert data.weeks[0].start == THIS_MONDAY - timedelta(weeks=11)
    assert all(w.total == 0 for w in data.weeks)
    assert [m.month for m in data.months][-1] == "2026-03"
    assert [m.month for m in data.months][0] == "2025-04"
    assert all(m.rate is None for m in data.months)
    assert data.reasons == []
    assert not data.has_orders and not data.has_outcomes
    assert data.outbox == OutboxState(False, 0, 0, 0, "", None)


def test_orders_by_band_per_week(
    sessions: sessionmaker[Session], paths: AppPaths, store: int
) -> None:
    _add(sessions, store, 1, _at(0), band="high", score=87)  # this week
    _add(sessions, store, 2, _at(1), band="high", score=80)  # Tuesday, this week
    _add(sessions, store, 3, _at(2.1), band="medium", score=41)  # Monday morning, this week
    _add(sessions, store, 4, _at(3), band="low", score=8)  # last Sunday: last week
    _add(sessions, store, 5, _at(3))  # not scored: unknown
    _add(sessions, store, 6, _at(4), band="unknown")
    _add(sessions, store, 7, _at(78), band="high", score=90)  # Tuesday, 11 weeks back
    _add(sessions, store, 8, _at(80), band="high", score=90)  # a Sunday: too old
    _add(sessions, store, 9, _at(0), status="trash", band="high", score=99)  # trashed

    data = _service(sessions, paths).snapshot()
    this_week, last_week = data.weeks[-1], data.weeks[-2]
    assert this_week.counts == {"high": 2, "medium": 1, "low": 0, "unknown": 0}
    assert last_week.counts == {"high": 0, "medium": 0, "low": 1, "unknown": 2}
    assert data.weeks[0].start == week_start(_at(78).date())
    assert data.weeks[0].counts["high"] == 1
    assert data.orders_in_weeks == 7
    assert this_week.label == "16/3"


def test_bad_outcome_rate_per_month(
    sessions: sessionmaker[Session], paths: AppPaths, store: int
) -> None:
    # March: 3 delivered, 1 returned, 1 refused (custom status), 1 cancelled (not counted),
    # 1 refunded the owner has not judged (not counted), 1 still processing.
    for woo_id, status in enumerate(
        [
            "completed",
            "completed",
            "completed",
            "returned",
            "rejected",
            "cancelled",
            "refunded",
            "processing",
        ],
        start=1,
    ):
        _add(sessions, store, woo_id, _at(woo_id / 10), status=status)
    # February: 1 delivered, and 1 "failed" payment the owner reported as a failed delivery,
    _add(sessions, store, 20, _at(30), status="completed")
    _add(sessions, store, 21, _at(31), status="failed")
    # ... and a completed one the owner says came back (the owner's word wins).
    _add(sessions, store, 22, _at(32), status="completed")
    with sessions.begin() as session:
        set_outcome(session, store, 21, "failed", _at(20))
        set_outcome(session, store, 22, "returned", _at(20))
    data = _service(sessions, paths).snapshot()
    march, february = data.months[-1], data.months[-2]
    assert (march.delivered, march.failed, march.refused, march.returned) == (3, 0, 1, 1)
    assert march.rate == pytest.approx(40.0)
    assert (february.delivered, february.failed, february.returned) == (1, 1, 1)
    assert february.rate == pytest.approx(200 / 3)
    assert data.months[0].rate is None
    assert february.label == "Feb 26"
    assert data.has_outcomes


def test_top_reasons_over_ninety_days(
    sessions: sessionmaker[Session], paths: AppPaths, store: int
) -> None:
    cod = _reason("cod_failures", "Failed cash-on-delivery orders before")
    cod_long = _reason("cod_failures", "Failed cash-on-delivery orders before (3 of 4)")
    new = _reason("new_customer", "First order from this customer")
    town = _reason("town_rate", "Many refusals in this town")
    _add(sessions, store, 1, _at(1), band="high", score=90, reasons=[cod, new])
    _add(sessions, store, 2, _at(2), band="high", score=88, reasons=[cod_long, town])
    _add(sessions, store, 3, _at(3), band="medium", score=45, reasons=[cod, new, town])
    _add(sessions, store, 4, _at(4), band="low", score=5, reasons=[new])
    _add(sessions, store, 5, _at(100), band="high", score=90, reasons=[town, town])  # too old
    data = _service(sessions, paths).snapshot()
    # By count, ties by code: the order is fixed.
    assert [(r.code, r.orders) for r in data.reasons] == [
        ("cod_failures", 3),
        ("new_customer", 3),
        ("town_rate", 2),
    ]
    assert data.reasons[0].text == "Failed cash-on-delivery orders before"


def test_top_reasons_count_what_raised_the_risk_under_a_short_title(
    sessions: sessionmaker[Session], paths: AppPaths, store: int
) -> None:
    """A reason that lowered the risk (paid in advance) is not a risk reason; a known code
    is shown by its title, not one order's wording with that order's figures."""
    prepaid = {"code": "prepaid", "text": "Paid in advance.", "weight": -0.8}
    town = {
        "code": "place_history",
        "text": "22% of 23 earlier parcels to Αθήνα failed.",
        "weight": 0.4,
    }
    _add(sessions, store, 1, _at(1), band="medium", score=50, reasons=[prepaid, town])
    _add(sessions, store, 2, _at(2), band="low", score=9, reasons=[prepaid])
    data = _service(sessions, paths).snapshot()
    assert [(r.code, r.text, r.orders) for r in data.reasons] == [
        ("place_history", "Deliveries to this town often fail", 1)
    ]


def test_outbox_state_and_status_line(
    sessions: sessionmaker[Session], paths: AppPaths, store: int
) -> None:
    service = _service(sessions, paths)
    assert outbox_line(service.outbox_state()) == (
        "Risk scoring on this computer (no scoring service set up)"
    )
    save_settings(paths.config, ServiceSettings("http://127.0.0.1:9", "shop-1"))
    assert outbox_line(service.outbox_state()) == "All sent to the scoring service"

    with sessions.begin() as session:
        outbox_repo.enqueue(
            session, store, "order", [(i, {"order_id": str(i), "n": i}) for i in range(1, 6)]
        )
    assert outbox_line(service.outbox_state()) == "5 waiting to be sent to the scoring service"

    with sessions.begin() as session:
        items = outbox_repo.due(session, store, "order", now=NOW)
        outbox_repo.mark_sent(session, [items[0].id, items[1].id], at=NOW)
        outbox_repo.mark_failed(
            session,
            [items[2].id],
            error="The scoring service could not be reached.",
            retry_at=NOW + timedelta(minutes=5),
        )
    state = service.outbox_state()
    assert (state.waiting, state.failing, state.sent) == (3, 1, 2)
    assert state.last_error == "The scoring service could not be reached."
    assert state.last_sent_at == NOW
    assert outbox_line(state) == "Scoring service unreachable: 3 waiting, will retry"
    assert service.snapshot().outbox == state

    # A revoked or replaced secret (the service's 401) says what to do instead.
    with sessions.begin() as session:
        outbox_repo.mark_failed(
            session,
            [items[3].id],
            error=ServiceRejected().message,  # as the sender stores it
            retry_at=NOW + timedelta(minutes=10),
        )
    assert outbox_line(service.outbox_state()) == (
        "The scoring service refused this shop's secret: 3 waiting. Enter the current secret "
        "in Settings → Risk scoring"
    )


def test_a_sync_that_could_not_use_the_service_is_not_called_all_sent(
    sessions: sessionmaker[Session], paths: AppPaths
) -> None:
    """Orders synced without the network salt are in no outbox count yet."""
    service = DashboardService(sessions, paths.config, clock=lambda: NOW)
    settings = ServiceSettings("http://127.0.0.1:9", "shop-1")
    save_settings(paths.config, replace(settings, catch_up=True))
    state = service.outbox_state()
    assert state.catch_up and state.waiting == 0
    assert outbox_line(state) == (
        "The last sync could not use the scoring service: the orders it brought are sent at "
        "the next sync"
    )
    assert outbox_line(replace(state, waiting=4)).endswith("next sync; 4 more waiting")
    save_settings(paths.config, settings)
    assert outbox_line(service.outbox_state()) == "All sent to the scoring service"


def test_month_keys_cross_the_new_year() -> None:
    keys = month_keys(datetime(2026, 2, 3, tzinfo=UTC), 4)
    assert keys == ["2025-11", "2025-12", "2026-01", "2026-02"]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def test_alerts_announce_each_new_risky_order_once(
    sessions: sessionmaker[Session], paths: AppPaths, store: int
) -> None:
    clock = Clock()
    alerts = AlertService(sessions, paths.config, clock=clock)
    _add(sessions, store, 1, _at(1), band="high", score=90)
    # The first check only notes what is there: a first sync's old orders are not news.
    assert alerts.new_alerts(store) is None
    assert set(load_seen(paths.config)[store]) == {1}

    _add(sessions, store, 1234, _at(0), band="high", score=87)
    _add(sessions, store, 1240, _at(0), band="high", score=92)
    _add(sessions, store, 1241, _at(0), band="medium", score=44)  # below the default level
    _add(sessions, store, 1242, _at(0), band="low", score=3)
    alert = alerts.new_alerts(store)
    assert alert is not None
    assert [o.woo_id for o in alert.orders] == [1240, 1234]
    assert alert.title == "2 new high-risk orders"
    assert alert.text == "#1240 (High 92), #1234 (High 87). Open ShopGuard to see why."
    assert alerts.new_alerts(store) is None  # never the same order twice

    # A medium order below the threshold was not announced, so widening the threshold
    # announces it once; a new one below the minimum score is not.
    save_alert_settings(paths.config, make_alert_settings(AlertLevel.HIGH_AND_MEDIUM, 40))
    _add(sessions, store, 1250, _at(0), band="medium", score=39)
    _add(sessions, store, 1251, _at(0), band="medium", score=55)
    alert = alerts.new_alerts(store)
    assert alert is not None and [o.woo_id for o in alert.orders] == [1251, 1241]
    assert alert.title == "2 new medium-risk orders"
    assert alerts.new_alerts(store) is None

    # An order that was Low, then scored High, is news then.
    with sessions.begin() as session:
        write_scores(
            session, store, [ScoreRecord(1242, 77, "high", None, [], "sg-2", NOW, "local")]
        )
    alert = alerts.new_alerts(store)
    assert alert is not None and alert.line.startswith("1 new high-risk order: #1242 (High 77)")

    save_alert_settings(paths.config, make_alert_settings(AlertLevel.OFF))
    _add(sessions, store, 1260, _at(0), band="high", score=99)
    assert alerts.new_alerts(store) is None

    # Orders seen longer ago than the window are forgotten (they can never come up again).
    clock.now = NOW + timedelta(days=30)
    assert alerts.new_alerts(store) is None
    assert load_seen(paths.config)[store] == {}
    # 1260 was never announced (notifications were off): it is old news now, not announced.
    save_alert_settings(paths.config, make_alert_settings(AlertLevel.HIGH))
    assert alerts.new_alerts(store) is None


def test_alert_text_names_five_then_counts_the_rest(
    sessions: sessionmaker[Session], paths: AppPaths, store: int
) -> None:
    alerts = AlertService(sessions, paths.config, clock=lambda: NOW)
    assert alerts.new_alerts(store) is None
    for woo_id in range(100, 107):
        _add(sessions, store, woo_id, _at(0), band="high", score=woo_id - 20)
    alert = alerts.new_alerts(store)
    assert alert is not None
    assert alert.title == "7 new high-risk orders"
    assert alert.text.startswith("#106 (High 86), #105 (High 85)")
    assert alert.text.endswith(" and 2 more. Open ShopGuard to see why.")


def test_damaged_seen_file_starts_afresh(paths: AppPaths) -> None:
    paths.config.mkdir(parents=True, exist_ok=True)
    (Path(paths.config) / "alerts-seen.json").write_text("{not json", encoding="utf-8")
    assert load_seen(paths.config) == {}
