"""The detail pane over a real SQLite store, loaded on a real database pool: reasons in words,
the score history, digest prefixes, "What was sent" byte for byte, and the actions slot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session, sessionmaker

from shopguard.services import OrderQueryService
from shopguard.store.repositories import outbox as outbox_repo
from shopguard.store.repositories import scores as score_repo
from shopguard.store.repositories.scores import ScoreRecord
from shopguard.ui.order_detail import EMPTY_TEXT, OrderDetailPane
from tests.helpers.risk_rows import PAYLOAD_1, RiskShop, seed_risk_shop
from tests.ui.conftest import Runners


@pytest.fixture
def shop(sessions: sessionmaker[Session]) -> RiskShop:
    return seed_risk_shop(sessions)


@pytest.fixture
def pane(
    qtbot: QtBot, sessions: sessionmaker[Session], runners: Runners
) -> Iterator[OrderDetailPane]:
    pane = OrderDetailPane(OrderQueryService(sessions), runners.db)
    qtbot.addWidget(pane)
    pane.resize(420, 800)
    pane.show()
    yield pane
    runners.wait_until_idle()


def _show(qtbot: QtBot, pane: OrderDetailPane, shop: RiskShop, woo_id: int) -> None:
    with qtbot.waitSignal(pane.detail_loaded, timeout=10_000) as loaded:
        pane.show_order(shop.store_id, woo_id)
    assert loaded.args == [woo_id]


def _reason_texts(pane: OrderDetailPane) -> list[str]:
    layout = pane._reasons_layout
    texts = []
    for i in range(layout.count()):
        item = layout.itemAt(i)
        widget = item.widget() if item is not None else None
        if isinstance(widget, QLabel):
            texts.append(widget.text())
    return texts


def test_nothing_selected_says_what_to_do(pane: OrderDetailPane) -> None:
    assert pane.stack.currentWidget() is pane.empty_label
    assert pane.empty_label.text() == EMPTY_TEXT
    pane.show_order(None, None)
    assert pane.woo_id is None


def test_a_network_score_shows_reasons_history_digests_and_the_exact_bytes(
    qtbot: QtBot, pane: OrderDetailPane, shop: RiskShop
) -> None:
    _show(qtbot, pane, shop, 1)
    assert pane.title_label.text() == "Order #1"
    assert pane.badge.spec is not None and pane.badge.spec.text == "High 87"
    assert "Scored by your scoring service" in pane.score_note.text()
    texts = _reason_texts(pane)
    assert "Other shops saw parcels refused" in texts
    assert "raises the risk a lot" in texts and "lowers the risk a little" in texts
    assert not any(any(ch.isdigit() for ch in t) for t in texts if "risk" in t)  # words only
    bars = pane.reasons_box.findChildren(QProgressBar)
    assert len(bars) == 3 and bars[0].value() == 70 and not bars[0].isTextVisible()

    history = pane.history_model
    assert history.rowCount() == 2  # newest first
    assert [history.index(0, c).data() for c in (1, 2, 3)] == ["87", "High", "Network"]
    assert history.index(1, 2).data() == "Medium"
    tip = history.index(1, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.endswith("with version sg-1 of the risk model")

    identifiers = pane.identifiers_label.text()
    assert "Sent to the scoring service: Email f18339… · Phone f20a1d…" in identifiers
    assert "f18339aa11" not in identifiers  # a prefix only

    assert pane.sent_text.isVisibleTo(pane)
    assert pane.sent_text.toPlainText() == PAYLOAD_1
    assert f"{len(PAYLOAD_1.encode())} bytes" in pane.sent_note.text()
    qtbot.mouseClick(pane.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == PAYLOAD_1


def test_a_local_score_says_nothing_left_this_computer(
    qtbot: QtBot, pane: OrderDetailPane, shop: RiskShop, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        session.connection().exec_driver_sql(
            "INSERT INTO local_identifiers (store_id, order_woo_id, kind, digest) "
            "VALUES (?, 4, 'email', 'abcdef123456')",
            (shop.store_id,),
        )
    _show(qtbot, pane, shop, 4)
    assert pane.badge.spec is not None and pane.badge.spec.local
    assert "Scored on this computer from your shop's own history" in pane.score_note.text()
    assert "Nothing about this order has left this computer" in pane.sent_note.text()
    assert not pane.sent_text.isVisibleTo(pane) and not pane.copy_button.isVisibleTo(pane)
    assert "Kept on this computer (never sent): Email abcdef…" in pane.identifiers_label.text()
    assert pane.history_model.index(0, 3).data() == "This shop"
    tip = pane.history_model.index(0, 3).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Scored by this computer (this shop only), with version ")


def test_waiting_and_unscored_orders_say_so(
    qtbot: QtBot, pane: OrderDetailPane, shop: RiskShop, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        outbox_repo.enqueue_encoded(session, shop.store_id, "order", [(11, "{}", "a" * 64)])
        outbox_repo.enqueue_encoded(session, shop.store_id, "order", [(1, "{}", "b" * 64)])
    _show(qtbot, pane, shop, 11)
    assert pane.badge.spec is not None and pane.badge.spec.text == "Not scored yet"
    assert pane.sent_note.text().startswith("Nothing has been sent yet: this order waits")
    assert "Not scored yet" in pane.reasons_note.text()
    assert _reason_texts(pane) == []
    assert pane.identifiers_label.text().startswith("No digests yet")

    _show(qtbot, pane, shop, 1)  # sent before, and newer details wait: out of date
    assert pane.badge.spec is not None and pane.badge.spec.stale
    assert "Out of date" in pane.score_note.text()
    assert "Newer details wait in the outbox" in pane.sent_note.text()
    assert pane.sent_text.toPlainText() == PAYLOAD_1


def test_a_missing_order_and_the_actions_slot(
    qtbot: QtBot, pane: OrderDetailPane, shop: RiskShop
) -> None:
    _show(qtbot, pane, shop, 404)
    assert pane.title_label.text() == "Order not found"
    assert "Sync to bring it back" in pane.summary_label.text()

    actions = QPushButton("Put on hold")
    pane.set_actions_widget(actions)
    assert pane.actions_area.isVisibleTo(pane) and actions.parent() is pane.actions_area
    other = QPushButton("Add a note")
    pane.set_actions_widget(other)
    assert actions.parent() is None and other.parent() is pane.actions_area
    pane.set_actions_widget(None)
    assert not pane.actions_area.isVisibleTo(pane)
    actions.deleteLater()
    other.deleteLater()


def test_reload_shows_a_new_score(
    qtbot: QtBot, pane: OrderDetailPane, shop: RiskShop, sessions: sessionmaker[Session]
) -> None:
    _show(qtbot, pane, shop, 3)
    assert pane.badge.spec is not None and pane.badge.spec.text == "Low 8"
    with sessions.begin() as session:
        score_repo.write_scores(
            session,
            shop.store_id,
            [ScoreRecord(3, 66, "medium", 0.6, [], "sg-2", datetime.now(UTC))],
        )
    with qtbot.waitSignal(pane.detail_loaded, timeout=10_000):
        pane.reload()
    assert pane.badge.spec is not None and pane.badge.spec.text == "Medium 66"
    assert pane.history_model.rowCount() == 2
    assert pane.reasons_note.text().startswith("Nothing in particular raised or lowered")
