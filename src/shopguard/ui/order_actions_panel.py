"""The outcome buttons and the WooCommerce actions for the selected order.

Thin: it shows what the core ``OrderActionService`` says, asks for confirmation, and runs
every call through a ``TaskRunner`` (never on the GUI thread).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shopguard.money import money
from shopguard.order_actions import (
    ActionResult,
    OutcomeResult,
    OutcomeView,
    unavailable_reason,
)
from shopguard.privacy.payload import OWNER_DECIDES, outcome_for_status
from shopguard.store.records import OrderRecord, StoreRecord
from shopguard.store.repositories.outcomes import OWNER_OUTCOMES, owner_word
from shopguard.ui.messages import error_text
from shopguard.ui.prepayment_dialog import PrepaymentDialog
from shopguard.ui.tasks import TaskRunner
from shopguard.ui.widgets import MessageLabel

if TYPE_CHECKING:
    from shopguard.order_actions import OrderActionService

OUTCOME_WORDS = {
    "delivered": "Delivered",
    "failed": "Failed",
    "refused": "Refused",
    "returned": "Returned",
    "cancelled": "Cancelled",
}
STATUS_WORDS = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
}
ACTIONS: dict[str, tuple[str, str, str]] = {
    # action: (button, confirmation title, confirmation text with {number})
    "on_hold": (
        "On hold",
        "Put the order on hold?",
        "Put order {number} on hold in WooCommerce? The customer is not told; you can take "
        "it off hold in WooCommerce at any time.",
    ),
    "risk_note": (
        "Add risk note",
        "Add a private risk note?",
        "Add a private note to order {number} in WooCommerce with its risk band, score and "
        "main reasons? Only your staff see private notes; the customer does not.",
    ),
    "prepayment": ("Ask for prepayment", "", ""),
    "cancel": (
        "Cancel order",
        "Cancel the order?",
        "Cancel order {number} in WooCommerce? WooCommerce may email the customer and put "
        "the stock back. This cannot be undone from ShopGuard.",
    ),
}


def _status_word(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("-", " ").capitalize() or "Unknown")


def outcome_text(view: OutcomeView) -> str:
    """Where the order's outcome stands, in words."""
    if view.source == "owner":
        return f"Outcome: {owner_word(view.outcome or '')} (you reported it)."
    if view.needs_decision:
        return (
            f"WooCommerce says {_status_word(view.status)}: was the parcel sent, and what "
            "happened to it?"
        )
    if view.outcome is not None:
        return (
            f"Outcome: {OUTCOME_WORDS[view.outcome]} (from the WooCommerce status "
            f"{_status_word(view.status)})."
        )
    return "No delivery outcome yet. Report one when you know what happened to the parcel."


class OrderActionsPanel(QWidget):
    """Delivery outcome buttons and actions back to WooCommerce for one order.

    Signals:
        order_changed(int, int): an outcome or an action succeeded for (store id,
            WooCommerce order id); whoever shows the order should reload it.
    """

    order_changed = Signal(int, int)

    def __init__(
        self,
        *,
        actions: OrderActionService,
        tasks: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._actions = actions
        self._tasks = tasks
        self._store: StoreRecord | None = None
        self._order: OrderRecord | None = None
        self._view: OutcomeView | None = None
        self._busy = False
        self._generation = 0  # results for an order no longer shown are dropped
        self.confirm_box: QMessageBox | None = None
        self.prepayment_dialog: PrepaymentDialog | None = None

        self.outcome_label = QLabel()
        self.outcome_label.setWordWrap(True)
        self.outcome_label.setObjectName("outcomeText")
        self.outcome_buttons: dict[str, QPushButton] = {}
        # Two columns, like the actions below: the pane beside the table is narrow.
        outcome_row = QGridLayout()
        for index, outcome in enumerate(OWNER_OUTCOMES):
            button = QPushButton(owner_word(outcome))
            button.setCheckable(True)
            button.setToolTip(
                "Report that the parcel was never sent (say, the payment failed)"
                if outcome == "cancelled"
                else f"Report that the parcel was {outcome}"
            )
            button.clicked.connect(functools.partial(self._on_outcome_button_clicked, outcome))
            self.outcome_buttons[outcome] = button
            outcome_row.addWidget(button, index // 2, index % 2)
        self.undo_button = QPushButton("Undo my outcome")
        self.undo_button.setToolTip(
            "Forget the outcome you reported: the WooCommerce status counts"
        )
        self.undo_button.clicked.connect(self._on_undo_button_clicked)
        outcome_row.addWidget(self.undo_button, (len(OWNER_OUTCOMES) + 1) // 2, 0, 1, 2)

        self.action_buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for index, (action, (text, _title, _body)) in enumerate(ACTIONS.items()):
            button = QPushButton(text)
            button.clicked.connect(functools.partial(self._on_action_button_clicked, action))
            self.action_buttons[action] = button
            grid.addWidget(button, index // 2, index % 2)
        self.actions_note = QLabel()
        self.actions_note.setWordWrap(True)
        self.actions_note.setObjectName("helpText")
        self.message = MessageLabel(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("Delivery outcome")
        heading.setObjectName("sectionTitle")
        layout.addWidget(heading)
        layout.addWidget(self.outcome_label)
        layout.addLayout(outcome_row)
        actions_heading = QLabel("In WooCommerce")
        actions_heading.setObjectName("sectionTitle")
        layout.addWidget(actions_heading)
        layout.addLayout(grid)
        layout.addWidget(self.actions_note)
        layout.addWidget(self.message)
        self.set_order(None, None)

    # Public ------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """True while an outcome or action is being done."""
        return self._busy

    def set_order(self, store: StoreRecord | None, order: OrderRecord | None) -> None:
        """Show this order (None: nothing selected); its outcome is read off the GUI thread."""
        self._generation += 1
        self._store, self._order = store, order
        self._view = None if order is None or store is None else self._provisional(store, order)
        self.message.clear_message()
        self._refresh()
        if order is not None and store is not None:
            generation = self._generation
            store_id, woo_id = store.id, order.woo_id
            self._tasks.run(
                lambda: self._actions.outcome(store_id, woo_id),
                done=functools.partial(self._on_outcome_loaded, generation),
                owner=self,
            )

    def show_order(self, store: StoreRecord | None, woo_id: int | None) -> None:
        """Like ``set_order`` for a host that knows only the order's id: the order is read
        off the GUI thread first."""
        if store is None or woo_id is None:
            self.set_order(None, None)
            return
        self._generation += 1
        generation, store_id = self._generation, store.id
        self._tasks.run(
            lambda: self._actions.order(store_id, woo_id),
            done=functools.partial(self._on_order_loaded, generation, store),
            owner=self,
        )

    # Slots -------------------------------------------------------------------------------

    def _on_order_loaded(
        self,
        generation: int,
        store: StoreRecord,
        order: OrderRecord | None,
        error: BaseException | None,
    ) -> None:
        if generation != self._generation:
            return
        if error is not None or order is None:
            self.set_order(None, None)
            self.message.show_message(error_text(error or ValueError()), "error")
            return
        self.set_order(store, order)

    def _on_outcome_button_clicked(self, outcome: str, _checked: bool = False) -> None:
        self._record(outcome)

    @Slot()
    def _on_undo_button_clicked(self) -> None:
        self._record(None)

    def _on_action_button_clicked(self, action: str, _checked: bool = False) -> None:
        if self._order is None or self._store is None or self._busy:
            return
        if action == "prepayment":
            self._open_prepayment()
            return
        _text, title, body = ACTIONS[action]
        box = QMessageBox(
            QMessageBox.Icon.Question,
            title,
            body.format(number=self._order.number),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.button(QMessageBox.StandardButton.Yes).setText(ACTIONS[action][0])
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(functools.partial(self._on_confirm_box_finished, action))
        self.confirm_box = box
        box.open()

    def _on_confirm_box_finished(self, action: str, result: int) -> None:
        self.confirm_box = None
        if result == QMessageBox.StandardButton.Yes:
            self._start_action(action)

    @Slot(int)
    def _on_prepayment_dialog_finished(self, result: int) -> None:
        dialog, self.prepayment_dialog = self.prepayment_dialog, None
        if dialog is None or result != QDialog.DialogCode.Accepted:
            return
        message, template, keep = dialog.message, dialog.template, dialog.keep_box.isChecked()
        dialog.deleteLater()
        self._start_action("prepayment", message=message, template=template if keep else None)

    def _on_outcome_loaded(
        self, generation: int, view: OutcomeView | None, error: BaseException | None
    ) -> None:
        if generation != self._generation:
            return
        if error is not None:
            self.message.show_message(error_text(error), "error")
            return
        self._view = view
        self._refresh()

    def _on_template_loaded(
        self, generation: int, template: str | None, error: BaseException | None
    ) -> None:
        self._set_busy(False)
        if generation != self._generation or self._order is None or self._store is None:
            return
        if error is not None or template is None:
            self.message.show_message(error_text(error or ValueError()), "error")
            return
        fill = {
            "order_number": self._order.number,
            "shop_name": self._store.name,
            "order_total": money(self._order.total, self._order.currency),
        }
        dialog = PrepaymentDialog(template, fill, self)
        dialog.finished.connect(self._on_prepayment_dialog_finished)
        self.prepayment_dialog = dialog
        dialog.open()

    def _on_outcome_recorded(
        self, generation: int, result: OutcomeResult | None, error: BaseException | None
    ) -> None:
        self._set_busy(False)
        if error is not None or result is None:
            if generation == self._generation:
                self.message.show_message(error_text(error or ValueError()), "error")
            return
        if generation == self._generation:
            self._view = result.view
            self._refresh()
            self.message.show_message(result.message, "warning" if result.service_refused else "ok")
        if result.changed:
            self.order_changed.emit(result.view.store_id, result.view.woo_id)

    def _on_action_done(
        self,
        generation: int,
        store_id: int,
        result: ActionResult | None,
        error: BaseException | None,
    ) -> None:
        self._set_busy(False)
        if error is not None or result is None:
            if generation == self._generation:
                self.message.show_message(error_text(error or ValueError()), "error")
            return
        if generation == self._generation and self._store is not None:
            self.set_order(self._store, result.order)
            self.message.show_message(result.message, "ok")
        self.order_changed.emit(store_id, result.order.woo_id)

    # Internals ---------------------------------------------------------------------------

    def _record(self, outcome: str | None) -> None:
        if self._order is None or self._store is None or self._busy:
            self._refresh()
            return
        store_id, woo_id = self._store.id, self._order.woo_id
        self._set_busy(True)
        self.message.show_message("Saving…", "busy")
        self._tasks.run(
            lambda: self._actions.record_outcome(store_id, woo_id, outcome),
            done=functools.partial(self._on_outcome_recorded, self._generation),
            owner=self,
        )

    def _open_prepayment(self) -> None:
        self._set_busy(True)
        self._tasks.run(
            self._actions.prepayment_template,
            done=functools.partial(self._on_template_loaded, self._generation),
            owner=self,
        )

    def _start_action(self, action: str, **extra: Any) -> None:
        if self._order is None or self._store is None or self._busy:
            return
        store_id, woo_id = self._store.id, self._order.woo_id
        actions = self._actions

        def work() -> ActionResult:
            if action == "on_hold":
                return actions.put_on_hold(store_id, woo_id)
            if action == "cancel":
                return actions.cancel_order(store_id, woo_id)
            if action == "risk_note":
                return actions.add_risk_note(store_id, woo_id)
            if extra.get("template") is not None:
                actions.save_prepayment_template(extra["template"])
            return actions.ask_for_prepayment(store_id, woo_id, extra["message"])

        self._set_busy(True)
        self.message.show_message("Asking WooCommerce…", "busy")
        self._tasks.run(
            work,
            done=functools.partial(self._on_action_done, self._generation, store_id),
            owner=self,
        )

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._refresh()

    @staticmethod
    def _provisional(store: StoreRecord, order: OrderRecord) -> OutcomeView:
        """What the status alone says, shown until the owner's outcome is read."""
        derived = outcome_for_status(order.status)
        return OutcomeView(
            store.id,
            order.woo_id,
            order.number,
            order.status,
            derived,
            "status" if derived else "",
            order.status in OWNER_DECIDES,
        )

    def _refresh(self) -> None:
        order, view = self._order, self._view
        has_order = order is not None and view is not None
        self.outcome_label.setText(
            outcome_text(view) if view is not None else "Select an order to see its outcome."
        )
        for outcome, button in self.outcome_buttons.items():
            button.setEnabled(has_order and not self._busy)
            button.setChecked(view is not None and view.outcome == outcome)
        self.undo_button.setEnabled(
            has_order and not self._busy and view is not None and view.source == "owner"
        )
        reason = unavailable_reason(self._store) if order is not None else None
        self.actions_note.setText(reason or "")
        self.actions_note.setVisible(bool(reason))
        for action, button in self.action_buttons.items():
            why = reason or (self._not_for_this_order(action, order) if order else None)
            button.setEnabled(order is not None and why is None and not self._busy)
            button.setToolTip(why or "")

    @staticmethod
    def _not_for_this_order(action: str, order: OrderRecord) -> str | None:
        finished = order.status in ("cancelled", "refunded", "completed", "failed", "trash")
        if action in ("on_hold", "prepayment", "cancel") and finished:
            return f"The order is already {_status_word(order.status).lower()}."
        if action in ("on_hold", "prepayment") and order.status == "on-hold":
            return "The order is already on hold."
        if action == "prepayment" and order.payment_method != "cod":
            return "The customer does not pay cash on delivery for this order."
        return None
