"""The Dashboard page over a real database: empty-state sentences with no data, and charts
with the exact numbers, titles, axis labels and band colours with some."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QHorizontalBarSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session, sessionmaker

from shopguard.dashboard import DashboardService
from shopguard.paths import AppPaths
from shopguard.scoring.settings import ServiceSettings, save_settings
from shopguard.store.repositories import outbox as outbox_repo
from shopguard.store.repositories import stores as store_repo
from shopguard.store.repositories.orders import upsert_orders
from shopguard.store.repositories.scores import ScoreRecord, write_scores
from shopguard.ui.chart_card import ChartCard
from shopguard.ui.dashboard_page import (
    EMPTY_RATE,
    EMPTY_REASONS,
    EMPTY_WEEKS,
    DashboardPage,
    all_delivered_text,
)
from shopguard.ui.risk_badge import FILLS
from tests.helpers.factories import add_scored_order, make_order
from tests.ui.conftest import Runners

pytestmark = pytest.mark.gui

NOW = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)


@pytest.fixture
def page(
    qtbot: QtBot, paths: AppPaths, sessions: sessionmaker[Session], runners: Runners
) -> Iterator[DashboardPage]:
    service = DashboardService(sessions, paths.config, clock=lambda: NOW)
    made = DashboardPage(service=service, db_tasks=runners.db)
    qtbot.addWidget(made)
    made.resize(1100, 760)
    yield made
    assert runners.wait_until_idle()


def _load(qtbot: QtBot, page: DashboardPage) -> None:
    with qtbot.waitSignal(page.refreshed, timeout=15_000):
        page.show()  # showing the page loads it
    assert page.data is not None


def _fill(sessions: sessionmaker[Session], paths: AppPaths) -> None:
    reasons_a = [
        {"code": "cod_failures", "text": "Failed cash-on-delivery orders before", "weight": 2.0}
    ]
    reasons_b = [
        *reasons_a,
        {"code": "new_customer", "text": "First order from this customer", "weight": 1.0},
    ]
    rows = [
        # (woo id, days ago, status, band, score, reasons)
        (1, 0, "processing", "high", 87, reasons_b),
        (2, 1, "processing", "high", 80, reasons_a),
        (3, 1, "completed", "medium", 41, reasons_b),
        (4, 8, "completed", "low", 8, []),
        (5, 8, "returned", None, None, []),
        (6, 9, "completed", "low", 10, []),
    ]
    with sessions.begin() as session:
        store = store_repo.get_or_create_store(session, url="https://shop.example").id
        for woo_id, days, status, band, score, reasons in rows:
            add_scored_order(
                session,
                store,
                woo_id,
                NOW - timedelta(days=days),
                status=status,
                band=band,
                score=score,
                reasons=reasons,
            )
        outbox_repo.enqueue(session, store, "order", [(1, {"order_id": "1"}), (2, {"x": 2})])
        items = outbox_repo.due(session, store, "order", now=NOW)
        outbox_repo.mark_failed(
            session,
            [items[0].id],
            error="The scoring service could not be reached.",
            retry_at=NOW + timedelta(minutes=5),
        )
    save_settings(paths.config, ServiceSettings("http://127.0.0.1:9", "shop-1"))


def _values(card: ChartCard) -> dict[str, list[float]]:
    (series,) = card.chart.series()
    assert isinstance(series, QStackedBarSeries | QBarSeries | QHorizontalBarSeries)
    return {s.label(): [s.at(i) for i in range(s.count())] for s in series.barSets()}


def _axes(card: ChartCard) -> tuple[QBarCategoryAxis, QValueAxis]:
    category = [a for a in card.chart.axes() if isinstance(a, QBarCategoryAxis)]
    value = [a for a in card.chart.axes() if isinstance(a, QValueAxis)]
    assert len(category) == 1 and len(value) == 1
    return category[0], value[0]


def test_zero_data_shows_sentences_not_empty_axes(qtbot: QtBot, page: DashboardPage) -> None:
    assert page.weeks_card.empty_label.text() == "Loading…"  # not "no orders" before it knows
    _load(qtbot, page)
    for card, sentence in (
        (page.weeks_card, EMPTY_WEEKS),
        (page.rate_card, EMPTY_RATE),
        (page.reasons_card, EMPTY_REASONS),
    ):
        assert not card.showing_chart
        assert card.empty_label.text() == sentence
        assert not card.view.isVisibleTo(page)
    assert page.outbox_card.figures["waiting"].text() == "0"
    assert "No scoring service is set up" in page.outbox_card.mode_label.text()
    assert page.outbox_card.error_label.isHidden()
    assert page.updated_label.text().startswith("Updated ")


def test_charts_show_the_exact_numbers(
    qtbot: QtBot, page: DashboardPage, sessions: sessionmaker[Session], paths: AppPaths
) -> None:
    _fill(sessions, paths)
    _load(qtbot, page)

    weeks = page.weeks_card
    assert weeks.showing_chart
    assert weeks.title_label.text() == "Orders by risk, per week (last 12 weeks)"
    values = _values(weeks)
    assert list(values) == ["High", "Medium", "Low", "Unknown or not scored"]
    assert all(len(v) == 12 for v in values.values())
    assert values["High"][-1] == 2 and values["Medium"][-1] == 1
    assert values["Low"][-2] == 2 and values["Unknown or not scored"][-2] == 1
    assert sum(sum(v) for v in values.values()) == 6
    category, value = _axes(weeks)
    assert category.titleText() == "Week starting Monday (day/month)"
    assert category.categories()[-1] == "16/3"
    assert value.titleText() == "Orders" and value.max() >= 3
    (series,) = weeks.chart.series()
    colours = {s.label(): s.color() for s in series.barSets()}  # type: ignore[attr-defined]
    assert colours["High"] == QColor(FILLS["high"])
    assert colours["Medium"] == QColor(FILLS["medium"])
    assert colours["Low"] == QColor(FILLS["low"])

    rate = page.rate_card
    assert rate.showing_chart
    (rates,) = _values(rate).values()
    # March: 3 completed (delivered), 1 returned: 25 %. Earlier months: no outcome.
    assert rates[-1] == pytest.approx(25.0)
    assert rates[:-1] == [0.0] * 11
    category, value = _axes(rate)
    assert category.categories()[-1] == "Mar"
    assert category.titleText() == "Month the order was placed (Apr 2025 to Mar 2026)"
    assert value.titleText() == "% of known outcomes"

    reasons = page.reasons_card
    assert reasons.showing_chart
    (counts,) = _values(reasons).values()
    category, value = _axes(reasons)
    # Drawn bottom-up: the most frequent reason is the last category (on top).
    assert category.categories() == [
        "First order from this customer",
        "Failed cash-on-delivery orders before",
    ]
    assert counts == [2.0, 3.0]
    assert value.titleText() == "Orders"

    outbox = page.outbox_card
    assert outbox.figures["waiting"].text() == "2"
    assert outbox.figures["failing"].text() == "1"
    assert outbox.figures["sent"].text() == "0"
    assert outbox.mode_label.text().startswith(
        "Scoring service unreachable: 2 waiting, will retry."
    )
    assert outbox.error_label.text().startswith(
        "Last problem: The scoring service could not be reached."
    )


def test_a_refresh_during_a_refresh_runs_once_more(
    qtbot: QtBot, page: DashboardPage, sessions: sessionmaker[Session], paths: AppPaths
) -> None:
    _load(qtbot, page)
    assert not page.weeks_card.showing_chart
    _fill(sessions, paths)
    done: list[bool] = []
    page.refreshed.connect(lambda: done.append(page.weeks_card.showing_chart))
    page.refresh()
    page.refresh()  # while the first runs: remembered, run after it (never in parallel)
    page.refresh()  # ... and only once more
    qtbot.waitUntil(lambda: len(done) == 2, timeout=15_000)
    assert done == [True, True]
    qtbot.wait(50)
    assert len(done) == 2


def _scene_items(page: DashboardPage) -> list[int]:
    cards = (page.weeks_card, page.rate_card, page.reasons_card)
    return [len(card.chart.scene().items()) for card in cards]


def test_refreshes_update_the_charts_in_place_and_leave_nothing_behind(
    qtbot: QtBot, page: DashboardPage, sessions: sessionmaker[Session], paths: AppPaths
) -> None:
    """Each refresh once rebuilt the charts and left the old graphics items in the scene,
    so the Dashboard drew more slowly after every sync."""
    _fill(sessions, paths)
    _load(qtbot, page)
    (series,) = page.weeks_card.chart.series()
    items = _scene_items(page)
    for _ in range(6):  # (the old way added about a hundred items to each card every time)
        with qtbot.waitSignal(page.refreshed, timeout=15_000):
            page.refresh()
        # A value axis may settle on one tick fewer; nothing grows.
        assert all(now <= before for now, before in zip(_scene_items(page), items, strict=True))
    assert page.weeks_card.chart.series() == [series]  # the same series, updated

    # New numbers are drawn on the same series and axes.
    with sessions.begin() as session:
        store = store_repo.get_or_create_store(session, url="https://shop.example").id
        upsert_orders(session, store, [make_order(7, date_created_gmt=NOW, status="processing")])
        write_scores(
            session,
            store,
            [ScoreRecord(7, 90, "high", None, [], "sg-2", NOW, "local")],
        )
    with qtbot.waitSignal(page.refreshed, timeout=15_000):
        page.refresh()
    assert _values(page.weeks_card)["High"][-1] == 3
    assert page.weeks_card.chart.series() == [series]


def test_a_year_of_deliveries_only_says_so_instead_of_drawing_empty_bars(
    qtbot: QtBot, page: DashboardPage, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        store = store_repo.get_or_create_store(session, url="https://shop.example").id
        upsert_orders(
            session,
            store,
            [
                make_order(i, status="completed", date_created_gmt=NOW - timedelta(days=i))
                for i in (3, 40, 100)
            ],
        )
    _load(qtbot, page)
    assert not page.rate_card.showing_chart
    assert (
        page.rate_card.empty_label.text()
        == all_delivered_text(3)
        == (
            "No failed, refused or returned deliveries in the last 12 months: all 3 parcels "
            "with a known outcome were delivered."
        )
    )
    assert page.weeks_card.showing_chart
    assert all_delivered_text(1).endswith("the one parcel with a known outcome was delivered.")
