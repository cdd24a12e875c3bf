"""OrdersTableModel over a real SQLite store: Qt model rules, lazy blocks, sort, search, and
the risk column (sort by risk, band filter, refreshing a row)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from shopguard.services import OrderQueryService
from shopguard.store.models import Order
from shopguard.store.records import ORDER_FIELDS, OrderRecord, StoreRecord
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import scores as score_repo
from shopguard.store.repositories import stores as store_repo
from shopguard.store.repositories.scores import ScoreRecord
from shopguard.store.search import search_key
from shopguard.ui.models.order_columns import count_text
from shopguard.ui.models.order_format import local_time, money, status_label
from shopguard.ui.models.orders_model import (
    COLUMNS,
    ORDER_ROLE,
    RISK_COLUMN,
    RISK_ROW_ROLE,
    OrdersTableModel,
)
from shopguard.ui.tasks import TaskRunner
from tests.helpers.factories import make_order
from tests.helpers.risk_rows import risk_order, seed_risk_shop
from tests.ui.conftest import Runners

pytestmark = pytest.mark.gui

STATUSES = ("processing", "completed", "on-hold", "pending", "cancelled")
FIRST_NAMES = ("Anna", "Maria", "Giorgos", "Oliver", "Sophie", "Nikos")
COLUMN = {c.title: i for i, c in enumerate(COLUMNS)}


def _orders(count: int, seed: int = 3) -> list[OrderRecord]:
    rng = random.Random(seed)
    return [
        make_order(
            i,
            status=rng.choice(STATUSES),
            billing_first_name=rng.choice(FIRST_NAMES),
            total=Decimal(rng.randint(100, 50_000)) / 100,
            currency=rng.choice(("EUR", "GBP")),
            billing_country=rng.choice(("GR", "GB", "DE", "CY")),
        )
        for i in range(1, count + 1)
    ]


def _fill(sessions: sessionmaker[Session], store_id: int, orders: list[OrderRecord]) -> None:
    with sessions.begin() as session:
        order_repo.upsert_orders(session, store_id, orders)


def _store(sessions: sessionmaker[Session], store_id: int) -> StoreRecord:
    with sessions() as session:
        found = store_repo.find_store(session, "https://shop.example")
    assert found is not None and found.id == store_id
    return found


@pytest.fixture
def filled(sessions: sessionmaker[Session], store_id: int) -> list[OrderRecord]:
    orders = _orders(1000)
    _fill(sessions, store_id, orders)
    return orders


@pytest.fixture
def model(
    sessions: sessionmaker[Session],
    store_id: int,
    filled: list[OrderRecord],
    sync_runner: TaskRunner,
) -> OrdersTableModel:
    model = OrdersTableModel(OrderQueryService(sessions), sync_runner)
    model.set_store(_store(sessions, store_id))
    return model


def _column(model: OrdersTableModel, title: str) -> list[str]:
    return [model.index(r, COLUMN[title]).data() for r in range(model.rowCount())]


def test_passes_the_qt_model_checks(qtmodeltester: ModelTester, model: OrdersTableModel) -> None:
    qtmodeltester.check(model)
    model.sort(COLUMN["Total"], Qt.SortOrder.AscendingOrder)
    model.set_search("anna")
    qtmodeltester.check(model)


def test_loads_lazily_in_blocks(model: OrdersTableModel) -> None:
    assert model.total == 1000
    assert model.rowCount() == 200
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 400
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 1000
    numbers = {model.index(r, 0).data() for r in range(1000)}
    assert len(numbers) == 1000  # no row twice, none missing


def test_default_order_is_newest_first(model: OrdersTableModel, filled: list[OrderRecord]) -> None:
    newest = max(filled, key=lambda o: o.date_created_gmt)
    assert model.index(0, COLUMN["Order #"]).data() == f"#{newest.number}"


def test_cells_read_like_the_shop(model: OrdersTableModel) -> None:
    order = model.index(0, 0).data(ORDER_ROLE)
    row = {title: model.index(0, i).data() for title, i in COLUMN.items()}
    assert row["Order #"] == f"#{order.number}"
    assert row["Date"] == local_time(order.date_created_gmt)
    assert row["Status"] == status_label(order.status)
    assert row["Customer"] == f"{order.billing_first_name} {order.billing_last_name}"
    assert row["Email"] == order.billing_email
    assert row["Total"] == money(order.total, order.currency)
    assert row["Payment"] == "Cash on delivery"
    assert row["Country"] == order.billing_country
    total = model.index(0, COLUMN["Total"])
    assert total.data(Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    assert order.billing_email in model.index(0, 2).data(Qt.ItemDataRole.ToolTipRole)
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Order #"


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("Total", lambda o: (o.total, o.woo_id)),
        ("Order #", lambda o: o.woo_id),
        ("Status", lambda o: (o.status, o.woo_id)),
        ("Country", lambda o: (o.billing_country, o.woo_id)),
    ],
)
def test_sorts_by_column_both_ways(
    model: OrdersTableModel, filled: list[OrderRecord], title: str, key: object
) -> None:
    expected = sorted(filled, key=key)  # type: ignore[arg-type]
    model.sort(COLUMN[title], Qt.SortOrder.AscendingOrder)
    assert [r.woo_id for r in _loaded(model)] == [o.woo_id for o in expected[:200]]
    model.sort(COLUMN[title], Qt.SortOrder.DescendingOrder)
    assert [r.woo_id for r in _loaded(model)] == [o.woo_id for o in expected[::-1][:200]]


def test_an_unsortable_column_keeps_the_order(model: OrdersTableModel) -> None:
    before = _column(model, "Order #")
    model.sort(COLUMN["Email"], Qt.SortOrder.AscendingOrder)
    assert not model.is_sortable(COLUMN["Email"])
    assert model.sort_column == COLUMN["Date"]
    assert _column(model, "Order #") == before


def test_search_narrows_and_counts(
    qtbot: QtBot, model: OrdersTableModel, filled: list[OrderRecord]
) -> None:
    with qtbot.waitSignal(model.total_changed) as signal:
        model.set_search("  giorgos  ")
    expected = [o for o in filled if o.billing_first_name == "Giorgos"]
    assert signal.args == [len(expected)]
    assert model.total == len(expected)
    assert set(_column(model, "Customer")) <= {f"Giorgos {o.billing_last_name}" for o in expected}

    model.set_search("anna7@example.com")
    assert _column(model, "Email") == ["anna7@example.com"]
    model.set_search("no such customer")
    assert model.total == 0 and model.rowCount() == 0
    assert not model.canFetchMore(QModelIndex())
    model.set_search("")
    assert model.total == 1000


def test_reload_picks_up_new_orders(
    model: OrdersTableModel, sessions: sessionmaker[Session], store_id: int
) -> None:
    _fill(sessions, store_id, [make_order(5000, date_created_gmt=datetime(2030, 1, 1, tzinfo=UTC))])
    assert model.total == 1000
    model.reload()
    assert model.total == 1001
    assert model.index(0, 0).data() == "#5000"


def test_keep_loaded_reload_refetches_what_was_shown(model: OrdersTableModel) -> None:
    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    shown = model.rowCount()
    model.reload(keep_loaded=True)
    assert model.rowCount() == shown


def test_no_store_means_no_rows(model: OrdersTableModel) -> None:
    model.set_store(None)
    assert model.rowCount() == 0 and model.total == 0
    assert not model.canFetchMore(QModelIndex())


def test_threaded_loads_keep_old_rows_until_new_ones_arrive(
    qtbot: QtBot,
    sessions: sessionmaker[Session],
    store_id: int,
    filled: list[OrderRecord],
    runners: Runners,
) -> None:
    model = OrdersTableModel(OrderQueryService(sessions), runners.db)
    with qtbot.waitSignal(model.total_changed, timeout=5000):
        model.set_store(_store(sessions, store_id))
    assert model.rowCount() == 200

    # Several searches in a row: only the last one's rows are shown.
    with qtbot.waitSignal(model.busy_changed, check_params_cb=lambda busy: not busy, timeout=5000):
        model.set_search("maria")
        assert model.rowCount() == 200  # still the old rows while the query runs
        model.set_search("oliver")
    assert runners.wait_until_idle()
    expected = sum(1 for o in filled if o.billing_first_name == "Oliver")
    assert model.total == expected
    assert all(name.startswith("Oliver ") for name in _column(model, "Customer"))

    model.set_search("")
    assert runners.wait_until_idle()
    with qtbot.waitSignal(model.rowsInserted, timeout=5000):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 400
    assert runners.wait_until_idle()


def test_format_helpers() -> None:
    assert money(Decimal("59.9"), "EUR") == "€59.90"
    assert money(Decimal("12"), "GBP") == "£12.00"
    assert money(Decimal("-5"), "EUR") == "-€5.00"
    assert money(Decimal("1234.5"), "XYZ") == "1,234.50 XYZ"
    assert status_label("on-hold") == "On hold"
    assert status_label("processing") == "Processing"
    assert status_label("wc-awaiting-shipment") == "Awaiting shipment"
    moment = datetime(2026, 1, 5, 12, 5, tzinfo=UTC)
    assert local_time(moment).endswith(moment.astimezone().strftime("%b %Y, %H:%M"))


def _loaded(model: OrdersTableModel) -> list[OrderRecord]:
    return [model.index(r, 0).data(ORDER_ROLE) for r in range(model.rowCount())]


@pytest.mark.slow
def test_100k_orders_stay_lazy(
    qtbot: QtBot, sessions: sessionmaker[Session], store_id: int, runners: Runners
) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(1, 100_001):
        record = make_order(i, date_created_gmt=now + timedelta(minutes=i))
        values = {name: getattr(record, name) for name in ORDER_FIELDS}
        rows.append(
            values | {"store_id": store_id, "synced_at": now, "search_text": search_key(values)}
        )
    with sessions.begin() as session:
        session.execute(insert(Order), rows)

    model = OrdersTableModel(OrderQueryService(sessions), runners.db)
    view = QTableView()
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.setModel(model)
    view.show()
    with qtbot.waitSignal(model.total_changed, timeout=10_000):
        model.set_store(_store(sessions, store_id))
    assert runners.wait_until_idle()
    assert model.total == 100_000
    assert model.rowCount() == 200
    assert model.index(0, 0).data() == "#100000"

    # Scrolling to the end asks for one more block, not for everything.
    with qtbot.waitSignal(model.rowsInserted, timeout=10_000):
        view.scrollToBottom()
    assert runners.wait_until_idle()
    assert 200 < model.rowCount() <= 1000
    with qtbot.waitSignal(model.total_changed, timeout=10_000):
        model.set_search("anna99999@example.com")
    assert model.total == 1
    assert runners.wait_until_idle()


# --- risk: the badge column, sort by risk, band filter, refreshing one row ----------------


@pytest.fixture
def risk_model(sessions: sessionmaker[Session], sync_runner: TaskRunner) -> OrdersTableModel:
    shop = seed_risk_shop(sessions)
    model = OrdersTableModel(OrderQueryService(sessions), sync_runner)
    model.set_store(_store(sessions, shop.store_id))
    return model


def _ids(model: OrdersTableModel) -> list[int]:
    return [model.order_at(r).woo_id for r in range(model.rowCount())]  # type: ignore[union-attr]


def test_risk_column_reads_and_sorts_by_score(
    qtmodeltester: ModelTester, risk_model: OrdersTableModel
) -> None:
    model = risk_model
    risk = COLUMN["Risk"]
    assert risk == RISK_COLUMN and model.is_sortable(risk)
    row = model.row_of(1)
    assert model.index(row, risk).data() == "High 87"
    assert model.index(model.row_of(4), risk).data() == "Medium 64, this shop only"
    assert model.index(model.row_of(6), risk).data() == "Unknown"
    assert model.index(model.row_of(11), risk).data() == "Not scored yet"
    assert "scoring service" in model.index(row, risk).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(row, risk).data(RISK_ROW_ROLE).score.score == 87
    assert model.index(row, risk).data(ORDER_ROLE).woo_id == 1
    model.sort(risk, Qt.SortOrder.DescendingOrder)
    assert _ids(model) == risk_order(True)
    model.sort(risk, Qt.SortOrder.AscendingOrder)
    assert _ids(model) == risk_order(False)
    qtmodeltester.check(model)


def test_band_filter_narrows_with_the_search(qtbot: QtBot, risk_model: OrdersTableModel) -> None:
    model = risk_model
    with qtbot.waitSignal(model.total_changed) as signal:
        model.set_band_filter("medium")
    assert signal.args == [3] and model.band_filter == "medium"
    assert set(_ids(model)) == {2, 4, 7}
    model.set_search("maria")  # odd ids
    assert _ids(model) == [7]
    model.set_band_filter("unscored")
    assert _ids(model) == [11]
    model.set_search("")
    model.set_band_filter("all")
    assert model.total == 12


def test_refresh_orders_updates_a_row_in_place(
    qtbot: QtBot, risk_model: OrdersTableModel, sessions: sessionmaker[Session]
) -> None:
    model = risk_model
    row = model.row_of(10)
    assert model.index(row, RISK_COLUMN).data() == "Not scored yet"
    with sessions.begin() as session:
        score_repo.write_scores(
            session,
            model.store.id,  # type: ignore[union-attr]
            [ScoreRecord(10, 77, "high", 0.7, [], "sg-2", datetime.now(UTC), "local")],
        )
    with qtbot.waitSignal(model.dataChanged) as changed, qtbot.waitSignal(model.rows_refreshed):
        model.refresh_orders([10])
    assert changed.args[0].row() == row and changed.args[1].column() == len(COLUMNS) - 1
    assert model.index(row, RISK_COLUMN).data() == "High 77, this shop only"
    assert model.rowCount() == 12  # no reset: the view keeps its place and selection


def test_count_line_names_the_band_and_the_search() -> None:
    assert count_text(2000, "", "all") == "2,000 orders"
    assert count_text(0, "", "all").startswith("No orders yet. Click “Sync now”")
    assert count_text(12, "", "high") == "12 High-risk orders"
    assert count_text(1, "", "unknown") == "1 order with unknown risk"
    assert count_text(0, "", "unscored") == (
        "No orders not scored yet. Choose “All risks” to see every order."
    )
    assert count_text(1, "anna", "low") == "1 Low-risk order matches “anna”"
    assert count_text(3, "anna", "all") == "3 orders match “anna”"
    assert count_text(0, "anna", "medium") == "No Medium-risk orders match “anna”."
