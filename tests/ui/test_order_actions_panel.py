"""The outcome buttons and WooCommerce actions against the demo store on loopback (real HTTP,
real SQLite, real thread pools; keys in the in-memory keyring)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session, sessionmaker

from shopguard.demo.server import DemoStore
from shopguard.money import money
from shopguard.order_actions import (
    READ_ONLY_REASON,
    OrderActionService,
)
from shopguard.paths import AppPaths
from shopguard.prepayment import DEFAULT_PREPAYMENT_TEMPLATE
from shopguard.services import ClientOptions, StoreService, default_client_factory
from shopguard.sharing import SharingPipeline
from shopguard.store.records import OrderRecord, StoreRecord
from shopguard.store.repositories import orders as order_repo
from shopguard.ui.order_actions_panel import OrderActionsPanel
from shopguard.woo.credentials import Credentials
from tests.ui.conftest import Runners

FACTORY = default_client_factory(ClientOptions(timeout=(2.0, 10.0)))


@pytest.fixture
def demo() -> Iterator[DemoStore]:
    with DemoStore(orders=150, seed=31) as store:
        yield store


Connect = Callable[[tuple[str, str]], StoreRecord]


@pytest.fixture
def connect(demo: DemoStore, sessions: sessionmaker[Session], paths: AppPaths) -> Connect:
    """Connect the demo store with a key (kept in the in-memory keyring) and sync it."""

    def run(credentials: tuple[str, str]) -> StoreRecord:
        stores = StoreService(sessions, FACTORY, sharing=SharingPipeline(sessions, paths))
        store, _info = stores.connect(demo.url, Credentials(*credentials))
        stores.sync(demo.url)
        return store

    return run


@pytest.fixture
def panel(
    qtbot: QtBot, runners: Runners, sessions: sessionmaker[Session], paths: AppPaths
) -> OrderActionsPanel:
    actions = OrderActionService(sessions, FACTORY, paths, sharing=SharingPipeline(sessions, paths))
    widget = OrderActionsPanel(actions=actions, tasks=runners.network)
    qtbot.addWidget(widget)
    return widget


def _order(
    sessions: sessionmaker[Session], store: StoreRecord, status: str, *, cod: bool = False
) -> OrderRecord:
    with sessions() as session:
        for order in order_repo.list_orders(session, store.id, limit=None):
            if order.status == status and (not cod or order.payment_method == "cod"):
                return order
    raise AssertionError(f"the demo store has no {status} order")


def _show(
    panel: OrderActionsPanel, runners: Runners, store: StoreRecord, order: OrderRecord
) -> None:
    panel.set_order(store, order)
    assert runners.wait_until_idle()


def test_outcome_buttons_ask_report_and_undo(
    qtbot: QtBot,
    panel: OrderActionsPanel,
    runners: Runners,
    connect: Connect,
    demo: DemoStore,
    sessions: sessionmaker[Session],
) -> None:
    store = connect(demo.credentials)
    order = _order(sessions, store, "refunded")
    _show(panel, runners, store, order)
    assert panel.outcome_label.text() == (
        "WooCommerce says Refunded: was the parcel sent, and what happened to it?"
    )
    assert not panel.undo_button.isEnabled()

    with qtbot.waitSignal(panel.order_changed, timeout=15_000) as changed:
        panel.outcome_buttons["returned"].click()
    assert changed.args == [store.id, order.woo_id]
    assert runners.wait_until_idle()
    assert panel.outcome_label.text() == "Outcome: Returned (you reported it)."
    assert panel.outcome_buttons["returned"].isChecked()
    assert not panel.outcome_buttons["delivered"].isChecked()
    assert f"Order {order.number} is marked returned." in panel.message.text()

    # Another order and back: the owner's outcome is read from the store again.
    _show(panel, runners, store, _order(sessions, store, "completed"))
    assert panel.outcome_label.text().startswith("Outcome: Delivered (from the WooCommerce status")
    _show(panel, runners, store, order)
    assert panel.outcome_buttons["returned"].isChecked()

    with qtbot.waitSignal(panel.order_changed, timeout=15_000):
        panel.undo_button.click()
    assert runners.wait_until_idle()
    assert panel.outcome_label.text().startswith("WooCommerce says Refunded")
    assert not any(b.isChecked() for b in panel.outcome_buttons.values())


def test_a_failed_payment_can_be_reported_as_never_sent(
    qtbot: QtBot,
    panel: OrderActionsPanel,
    runners: Runners,
    connect: Connect,
    demo: DemoStore,
    sessions: sessionmaker[Session],
) -> None:
    store = connect(demo.credentials)
    order = _order(sessions, store, "failed")
    _show(panel, runners, store, order)
    assert panel.outcome_label.text().startswith("WooCommerce says Failed: was the parcel sent")
    button = panel.outcome_buttons["cancelled"]
    assert button.text() == "Not sent"

    with qtbot.waitSignal(panel.order_changed, timeout=15_000):
        button.click()
    assert runners.wait_until_idle()
    assert panel.outcome_label.text() == "Outcome: Not sent (you reported it)."
    assert f"Order {order.number} is marked not sent." in panel.message.text()


def test_on_hold_asks_first_then_changes_woocommerce(
    qtbot: QtBot,
    panel: OrderActionsPanel,
    runners: Runners,
    connect: Connect,
    demo: DemoStore,
    sessions: sessionmaker[Session],
) -> None:
    store = connect(demo.credentials)
    order = _order(sessions, store, "processing")
    _show(panel, runners, store, order)
    button = panel.action_buttons["on_hold"]
    assert button.isEnabled()

    button.click()
    assert panel.confirm_box is not None
    assert order.number in panel.confirm_box.text()
    panel.confirm_box.button(QMessageBox.StandardButton.Cancel).click()
    assert runners.wait_until_idle()
    assert demo.get_order(order.woo_id)["status"] == "processing"

    button.click()
    assert panel.confirm_box is not None
    with qtbot.waitSignal(panel.order_changed, timeout=15_000) as changed:
        panel.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    assert changed.args == [store.id, order.woo_id]
    assert runners.wait_until_idle()
    assert demo.get_order(order.woo_id)["status"] == "on-hold"
    assert "on hold in WooCommerce" in panel.message.text()
    assert not button.isEnabled() and button.toolTip() == "The order is already on hold."
    with sessions() as session:
        assert order_repo.get_order(session, store.id, order.woo_id).status == "on-hold"  # type: ignore[union-attr]


def test_risk_note_after_confirmation(
    qtbot: QtBot,
    panel: OrderActionsPanel,
    runners: Runners,
    connect: Connect,
    demo: DemoStore,
    sessions: sessionmaker[Session],
) -> None:
    store = connect(demo.credentials)
    order = _order(sessions, store, "processing")
    _show(panel, runners, store, order)
    panel.action_buttons["risk_note"].click()
    assert panel.confirm_box is not None
    with qtbot.waitSignal(panel.order_changed, timeout=15_000):
        panel.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    assert runners.wait_until_idle()
    notes = demo.notes(order.woo_id)
    assert len(notes) == 1 and notes[0]["customer_note"] is False
    assert notes[0]["note"].startswith("ShopGuard risk: ")
    assert order.billing_email not in notes[0]["note"]


def test_prepayment_shows_the_editable_message_before_sending(
    qtbot: QtBot,
    panel: OrderActionsPanel,
    runners: Runners,
    connect: Connect,
    demo: DemoStore,
    sessions: sessionmaker[Session],
    paths: AppPaths,
) -> None:
    store = connect(demo.credentials)
    order = _order(sessions, store, "processing", cod=True)
    _show(panel, runners, store, order)
    panel.action_buttons["prepayment"].click()
    assert runners.wait_until_idle()
    dialog = panel.prepayment_dialog
    assert dialog is not None
    assert dialog.editor.toPlainText() == DEFAULT_PREPAYMENT_TEMPLATE
    assert f"order {order.number} at {store.name}" in dialog.preview.text()
    assert f"total of {money(order.total, order.currency)} in" in dialog.preview.text()
    send = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert send.isEnabled() and not dialog.warning.isVisibleTo(dialog)

    # A placeholder ShopGuard does not fill in, or one with a brace missing, is never sent
    # to the customer as typed.
    dialog.editor.setPlainText("Pay here: {payment_link}. Total {order_total")
    assert not send.isEnabled()
    assert "“{payment_link}”, “{order_total”" in dialog.warning.text()

    dialog.editor.setPlainText("Please pay for order {order_number} first. {shop_name}")
    dialog.keep_box.setChecked(True)
    with qtbot.waitSignal(panel.order_changed, timeout=15_000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert runners.wait_until_idle()

    notes = demo.notes(order.woo_id)
    expected = f"Please pay for order {order.number} first. {store.name}"
    assert [(n["note"], n["customer_note"]) for n in notes] == [
        (expected, True),
        ("Order status changed from Processing to On hold.", False),
    ]
    assert [e["email"] for e in demo.emails()] == ["customer_note"]  # WooCommerce emails it
    assert demo.get_order(order.woo_id)["status"] == "on-hold"
    saved = (paths.config / "prepayment_message.txt").read_text(encoding="utf-8")
    assert saved == "Please pay for order {order_number} first. {shop_name}"


def test_prepayment_dialog_cancelled_sends_nothing(
    panel: OrderActionsPanel,
    runners: Runners,
    connect: Connect,
    demo: DemoStore,
    sessions: sessionmaker[Session],
) -> None:
    store = connect(demo.credentials)
    order = _order(sessions, store, "processing", cod=True)
    _show(panel, runners, store, order)
    panel.action_buttons["prepayment"].click()
    assert runners.wait_until_idle()
    assert panel.prepayment_dialog is not None
    panel.prepayment_dialog.editor.setPlainText("   ")
    ok = panel.prepayment_dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # an empty message cannot be sent
    panel.prepayment_dialog.reject()
    assert runners.wait_until_idle()
    assert demo.notes(order.woo_id) == []
    assert demo.get_order(order.woo_id)["status"] == "processing"


def test_read_only_key_disables_actions_and_says_why(
    panel: OrderActionsPanel,
    runners: Runners,
    connect: Connect,
    demo: DemoStore,
    sessions: sessionmaker[Session],
) -> None:
    store = connect(demo.read_only_credentials)
    assert store.permissions == "read"
    order = _order(sessions, store, "processing", cod=True)
    _show(panel, runners, store, order)

    for button in panel.action_buttons.values():
        assert not button.isEnabled()
        assert button.toolTip() == READ_ONLY_REASON
    assert "Read/Write" in READ_ONLY_REASON
    assert "WooCommerce → Settings → Advanced → REST API" in READ_ONLY_REASON
    assert panel.actions_note.text() == READ_ONLY_REASON
    # Outcomes are kept on this computer: they need no write access to the store.
    assert all(b.isEnabled() for b in panel.outcome_buttons.values())


def test_unreachable_store_loses_nothing_and_says_so(
    qtbot: QtBot,
    panel: OrderActionsPanel,
    runners: Runners,
    connect: Connect,
    demo: DemoStore,
    sessions: sessionmaker[Session],
) -> None:
    store = connect(demo.credentials)
    order = _order(sessions, store, "processing")
    _show(panel, runners, store, order)
    demo.stop()

    panel.action_buttons["cancel"].click()
    assert panel.confirm_box is not None
    with qtbot.assertNotEmitted(panel.order_changed):
        panel.confirm_box.button(QMessageBox.StandardButton.Yes).click()
        assert runners.wait_until_idle()
    assert panel.message.tone == "error"
    # The client's own words: what happened, and what to do.
    assert "refused the connection" in panel.message.text()
    assert "try again later" in panel.message.text()
    with sessions() as session:
        assert order_repo.get_order(session, store.id, order.woo_id).status == "processing"  # type: ignore[union-attr]
    assert panel.action_buttons["cancel"].isEnabled()  # ready to try again

    # Outcomes are kept locally: still recorded while the store is down.
    with qtbot.waitSignal(panel.order_changed, timeout=15_000):
        panel.outcome_buttons["delivered"].click()
    assert runners.wait_until_idle()
    assert panel.outcome_label.text() == "Outcome: Delivered (you reported it)."


def test_nothing_selected(panel: OrderActionsPanel) -> None:
    panel.set_order(None, None)
    assert panel.outcome_label.text() == "Select an order to see its outcome."
    assert not any(b.isEnabled() for b in panel.outcome_buttons.values())
    assert not any(b.isEnabled() for b in panel.action_buttons.values())


def test_show_order_by_id_reads_the_order_first(
    panel: OrderActionsPanel,
    runners: Runners,
    connect: Connect,
    demo: DemoStore,
    sessions: sessionmaker[Session],
) -> None:
    store = connect(demo.credentials)
    order = _order(sessions, store, "failed")
    panel.show_order(store, order.woo_id)
    assert runners.wait_until_idle()
    assert panel.outcome_label.text().startswith("WooCommerce says Failed: was the parcel sent")
    assert all(b.isEnabled() for b in panel.outcome_buttons.values())

    panel.show_order(store, 987654)  # not kept here (yet)
    assert runners.wait_until_idle()
    assert panel.message.tone == "error" and "Sync the store" in panel.message.text()
    assert not any(b.isEnabled() for b in panel.outcome_buttons.values())
    panel.show_order(None, None)
    assert panel.outcome_label.text() == "Select an order to see its outcome."
