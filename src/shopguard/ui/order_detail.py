"""The Orders screen's detail pane: why the selected order got its score, and what left.

It shows the badge, the reasons in plain words (with bars, not numbers), the score history,
the identifiers as short digest prefixes (those sent to the scoring service, or the
embedded scorer's own, which never leave), and "What was sent": the exact JSON text that
left this computer for the order, or a sentence saying nothing did. Everything is read
through ``OrderQueryService.order_detail`` on the database runner. Another part of the
app puts its actions for the order in the place ``set_actions_widget`` names.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from shopguard.ui.messages import error_text
from shopguard.ui.models.order_format import local_time, money, status_label
from shopguard.ui.models.risk_format import (
    badge_spec,
    badge_tooltip,
    digest_prefix,
    reason_rows,
    scorer_words,
)
from shopguard.ui.models.score_history_model import ScoreHistoryModel
from shopguard.ui.risk_badge import RiskBadgeWidget
from shopguard.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from shopguard.services import OrderQueryService
    from shopguard.store.repositories.order_risk import OrderDetail
    from shopguard.store.repositories.scores import ScoreRecord

EMPTY_TEXT = "Select an order to see why it got its score, its history and what was sent."
KIND_WORDS = {"email": "Email", "phone": "Phone", "name": "Name", "address": "Address"}


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    return label


def _wrapping(text: str = "", name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label


def sent_sentence(detail: OrderDetail) -> str:
    """What the "What was sent" section says about this order."""
    row = detail.row
    local = row is not None and row.score is not None and row.score.scored_by == "local"
    if detail.sent_payload is not None:
        size = len(detail.sent_payload.encode())
        text = (
            f"These exact {size:,} bytes (JSON) are what last left this computer for this "
            "order, to your scoring service. The customer's email, phone, name and address "
            "went only as the one-way digests under “identifiers”."
        )
        if detail.waiting_payload:
            text += " Newer details wait in the outbox and go with the next sync."
        return text
    if detail.waiting_payload:
        return (
            "Nothing has been sent yet: this order waits in the outbox and goes to your "
            "scoring service with the next sync (or as soon as the service can be reached)."
        )
    if local:
        return (
            "Nothing about this order has left this computer: it was scored here, from your "
            "shop's own history only."
        )
    return "Nothing about this order has left this computer."


def identifier_lines(detail: OrderDetail) -> list[str]:
    """The identifiers as short digest prefixes, saying where each set lives."""
    lines = []
    sent = detail.network_digests()
    if sent:
        parts = [f"{KIND_WORDS.get(k, k)} {digest_prefix(v)}" for k, v in sorted(sent.items())]
        lines.append("Sent to the scoring service: " + " · ".join(parts))
    if detail.local_digests:
        parts = [
            f"{KIND_WORDS.get(k, k)} {digest_prefix(v)}"
            for k, v in sorted(detail.local_digests.items())
        ]
        lines.append("Kept on this computer (never sent): " + " · ".join(parts))
    if not lines:
        lines.append("No digests yet: they are made when the order is scored.")
    return lines


class OrderDetailPane(QWidget):
    """The selected order's risk in detail.

    Signals:
        detail_loaded(int): the pane shows this order (WooCommerce id) freshly read.
        load_failed(str): reading the order failed; the argument is a sentence for people.
    """

    detail_loaded = Signal(int)
    load_failed = Signal(str)

    def __init__(
        self, queries: OrderQueryService, db_tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._queries = queries
        self._tasks = db_tasks
        self._store_id: int | None = None
        self._woo_id: int | None = None
        self._generation = 0
        self._detail: OrderDetail | None = None
        self._actions: QWidget | None = None

        self.empty_label = _wrapping(EMPTY_TEXT, "subtle")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.title_label = QLabel()
        self.title_label.setObjectName("detailTitle")
        self.badge = RiskBadgeWidget()
        self.summary_label = _wrapping(name="subtle")
        self.score_note = _wrapping()
        self.error_label = _wrapping(name="message")
        self.error_label.setProperty("tone", "error")
        self.error_label.hide()

        # The actions panel (another part of the app) goes here: set_actions_widget.
        self.actions_area = QWidget()
        self.actions_area.setObjectName("orderActionsArea")
        self._actions_layout = QVBoxLayout(self.actions_area)
        self._actions_layout.setContentsMargins(0, 0, 0, 0)
        self.actions_area.hide()

        self.reasons_box = QWidget()
        self._reasons_layout = QGridLayout(self.reasons_box)
        self._reasons_layout.setContentsMargins(0, 0, 0, 0)
        self._reasons_layout.setVerticalSpacing(2)
        self._reasons_layout.setColumnStretch(1, 1)
        self.reasons_note = _wrapping(name="subtle")

        self.history_model = ScoreHistoryModel(self)
        self.history_view = QTableView()
        self.history_view.setModel(self.history_model)
        self.history_view.verticalHeader().hide()
        self.history_view.setShowGrid(False)
        self.history_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        history_header = self.history_view.horizontalHeader()
        history_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        history_header.setStretchLastSection(True)
        self.history_view.setAccessibleName("Score history")

        self.identifiers_label = _wrapping()
        self.sent_note = _wrapping()
        self.sent_text = QPlainTextEdit()
        self.sent_text.setReadOnly(True)
        self.sent_text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.sent_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.sent_text.setMaximumHeight(130)
        self.sent_text.setAccessibleName("What was sent")
        self.copy_button = QPushButton("Copy what was sent")
        self.copy_button.setToolTip("Copy the exact JSON to the clipboard, to show anyone")

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(10, 6, 6, 6)
        top = QHBoxLayout()
        top.addWidget(self.title_label)
        top.addWidget(self.badge)
        top.addStretch(1)
        layout.addLayout(top)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.score_note)
        layout.addWidget(self.error_label)
        layout.addWidget(self.actions_area)
        layout.addWidget(_heading("Why this score"))
        layout.addWidget(self.reasons_box)
        layout.addWidget(self.reasons_note)
        layout.addWidget(_heading("Score history"))
        layout.addWidget(self.history_view)
        layout.addWidget(_heading("Identifiers"))
        layout.addWidget(self.identifiers_label)
        layout.addWidget(_heading("What was sent"))
        layout.addWidget(self.sent_note)
        layout.addWidget(self.sent_text)
        copy_row = QHBoxLayout()
        copy_row.addStretch(1)
        copy_row.addWidget(self.copy_button)
        layout.addLayout(copy_row)
        layout.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(scroll)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.clear()

    # --- what the page calls -----------------------------------------------------------

    @property
    def woo_id(self) -> int | None:
        """The order shown (WooCommerce id), or None."""
        return self._woo_id

    @property
    def detail(self) -> OrderDetail | None:
        """What the pane shows now."""
        return self._detail

    def set_actions_widget(self, widget: QWidget | None) -> None:
        """Put the actions panel for the shown order in the pane (None removes it)."""
        if self._actions is not None:
            self._actions_layout.removeWidget(self._actions)
            self._actions.setParent(None)
        self._actions = widget
        if widget is not None:
            self._actions_layout.addWidget(widget)
        self.actions_area.setVisible(widget is not None)

    def show_order(self, store_id: int | None, woo_id: int | None) -> None:
        """Show this order (None: nothing), read on the database runner."""
        if store_id is None or woo_id is None:
            self.clear()
            return
        if (store_id, woo_id) != (self._store_id, self._woo_id):
            self._detail = None
        self._store_id, self._woo_id = store_id, woo_id
        self.reload()

    def reload(self) -> None:
        """Read the shown order again (after a score, an outcome or an action)."""
        if self._store_id is None or self._woo_id is None:
            return
        self._generation += 1
        self._tasks.run(
            functools.partial(self._queries.order_detail, self._store_id, self._woo_id),
            done=functools.partial(self._on_detail_done, self._generation, self._woo_id),
            owner=self,
        )

    def clear(self) -> None:
        """Show nothing (no order selected)."""
        self._generation += 1
        self._store_id = self._woo_id = None
        self._detail = None
        self.stack.setCurrentWidget(self.empty_label)

    # --- results (GUI thread) ----------------------------------------------------------

    def _on_detail_done(
        self, generation: int, woo_id: int, detail: OrderDetail | None, error: BaseException | None
    ) -> None:
        if generation != self._generation:
            return  # another order was selected meanwhile
        if error is not None or detail is None:
            message = f"Could not read this order: {error_text(error or RuntimeError())}"
            self.error_label.setText(message + " Select it again to retry.")
            self.error_label.show()
            self.stack.setCurrentIndex(1)
            self.load_failed.emit(message)
            return
        self.error_label.hide()
        self._apply(detail)
        self.detail_loaded.emit(woo_id)

    @Slot()
    def _on_copy_button_clicked(self) -> None:
        if self._detail is not None and self._detail.sent_payload is not None:
            QGuiApplication.clipboard().setText(self._detail.sent_payload)

    def _apply(self, detail: OrderDetail) -> None:
        self._detail = detail
        row = detail.row
        self.stack.setCurrentIndex(1)
        if row is None:
            self.title_label.setText("Order not found")
            self.badge.set_spec(None)
            self.summary_label.setText(
                "This order is no longer in the local copy of your shop. Sync to bring it back."
            )
            self.score_note.clear()
            self._set_reasons([], "")
            self._set_history([])
            self.identifiers_label.clear()
            self.sent_note.setText(sent_sentence(detail))
            self.sent_text.hide()
            self.copy_button.hide()
            return
        order = row.order
        self.title_label.setText(f"Order #{order.number}")
        self.badge.set_spec(badge_spec(row))
        self.badge.setToolTip(badge_tooltip(row))
        paid = order.payment_method_title or "no payment method"
        self.summary_label.setText(
            f"{status_label(order.status)} · {money(order.total, order.currency)} · {paid} · "
            f"placed {local_time(order.date_created_gmt)}"
        )
        self.score_note.setText("\n".join(badge_tooltip(row).splitlines()[1:]))
        latest = detail.history[-1] if detail.history else None
        if row.score is None:
            self._set_reasons([], "Not scored yet, so there are no reasons to show.")
        elif latest is not None:
            note = f"From {scorer_words(latest.scored_by)}, model {latest.model or 'unknown'}."
            if not latest.reasons:
                note = "Nothing in particular raised or lowered this order's risk. " + note
            self._set_reasons(latest.reasons, note)
        else:
            self._set_reasons([], "The reasons for this score were not kept.")
        self._set_history(detail.history)
        self.identifiers_label.setText("\n".join(identifier_lines(detail)))
        self.sent_note.setText(sent_sentence(detail))
        sent = detail.sent_payload is not None
        self.sent_text.setPlainText(detail.sent_payload or "")
        self.sent_text.setVisible(sent)
        self.copy_button.setVisible(sent)

    def _set_history(self, history: list[ScoreRecord]) -> None:
        self.history_model.set_history(history)
        # As tall as its rows (up to five; more scroll), not a fixed empty box.
        view = self.history_view
        rows = max(1, min(5, len(history)))
        height = view.horizontalHeader().sizeHint().height() + 2 * view.frameWidth()
        height += rows * view.verticalHeader().defaultSectionSize()
        scrollbar = view.horizontalScrollBar().sizeHint().height()
        view.setFixedHeight(height + scrollbar)

    def _set_reasons(self, reasons: list[dict[str, object]], note: str) -> None:
        while self._reasons_layout.count():
            item = self._reasons_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        # Each reason: its sentence across the pane, then a bar and its strength in words.
        for number, (text, strength, share, raises) in enumerate(reason_rows(reasons)):
            label = _wrapping(text)
            bar = QProgressBar()
            bar.setObjectName("reasonRaises" if raises else "reasonLowers")
            bar.setRange(0, 100)
            bar.setValue(share)
            bar.setTextVisible(False)
            bar.setFixedSize(70, 8)
            bar.setAccessibleName(strength)
            words = QLabel(strength)
            words.setObjectName("subtle")
            self._reasons_layout.addWidget(label, 2 * number, 0, 1, 2)
            self._reasons_layout.addWidget(bar, 2 * number + 1, 0, Qt.AlignmentFlag.AlignVCenter)
            self._reasons_layout.addWidget(words, 2 * number + 1, 1)
        self.reasons_note.setText(note)
        self.reasons_note.setVisible(bool(note))
