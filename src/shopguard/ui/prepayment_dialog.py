"""The dialog that shows the prepayment message, editable, before it goes to the customer."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from shopguard.prepayment import render_message, unfilled_placeholders
from shopguard.ui.widgets import MessageLabel


class PrepaymentDialog(QDialog):
    """Shows the prepayment message (editable) before it is sent to the customer.

    The box holds the wording with its placeholders ({order_number}, {shop_name},
    {order_total}); the preview below is exactly what the customer will read.
    """

    def __init__(self, template: str, fill: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fill = fill
        self.setWindowTitle("Ask for prepayment")
        self.setMinimumWidth(520)
        intro = QLabel(
            "WooCommerce emails this message to the customer as a note on the order, and the "
            "order goes on hold. Edit the wording if you like; {order_number}, {shop_name} and "
            "{order_total} are filled in for you."
        )
        intro.setWordWrap(True)
        self.editor = QPlainTextEdit(template)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setObjectName("helpText")
        self.warning = MessageLabel()
        self.keep_box = QCheckBox("Use this wording next time too")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Send and put on hold")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.editor)
        layout.addWidget(QLabel("The customer will read:"))
        layout.addWidget(self.preview)
        layout.addWidget(self.warning)
        layout.addWidget(self.keep_box)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.editor.textChanged.connect(self._on_editor_text_changed)
        self._on_editor_text_changed()

    @property
    def template(self) -> str:
        """The wording as typed (with placeholders)."""
        return self.editor.toPlainText()

    @property
    def message(self) -> str:
        """What the customer will read."""
        return render_message(self.template, **self._fill)

    @Slot()
    def _on_editor_text_changed(self) -> None:
        self.preview.setText(self.message)
        unfilled = unfilled_placeholders(self.template)
        if unfilled:
            names = ", ".join(f"“{text}”" for text in unfilled)
            self.warning.show_message(
                f"The customer would read {names} exactly as typed: ShopGuard fills in only "
                "{order_number}, {shop_name} and {order_total}. Correct or remove it to send.",
                "warning",
            )
        else:
            self.warning.clear_message()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            bool(self.message.strip()) and not unfilled
        )
