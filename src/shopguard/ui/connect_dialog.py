"""Connecting a WooCommerce store: address, REST API key, a connection test, and saving."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shopguard.store.records import StoreRecord
from shopguard.ui.messages import HEADER_STRIPPED_NOTE, error_text
from shopguard.ui.tasks import TaskRunner
from shopguard.ui.widgets import MessageLabel, Tone
from shopguard.woo.credentials import Credentials
from shopguard.woo.errors import WooError
from shopguard.woo.urls import normalize_store_url

if TYPE_CHECKING:
    from shopguard.services import StoreService
    from shopguard.woo.client import ConnectionInfo

KEYS_PAGE = "WooCommerce → Settings → Advanced → REST API"

HELP_TEXT = (
    f"In your shop's admin, open {KEYS_PAGE} and click “Add key”. Give it a description "
    "(for example “ShopGuard”), choose Read/Write permission (Read is enough just to look), "
    "click “Generate API key” and copy the consumer key and secret into the boxes below. "
    "The key is kept in this computer's keyring, never in ShopGuard's files."
)

READ_ONLY_NOTE = (
    "This is a read-only key: ShopGuard can show and check your orders, but putting an order "
    "on hold or adding a note will need a Read/Write key."
)
WRITE_ONLY_NOTE = (
    "This key can only write, but ShopGuard needs to read your orders. Create a Read/Write key "
    f"in {KEYS_PAGE}."
)

_ACCESS = {"read_write": "read/write key", "read": "read-only key", "write": "write-only key"}


def connection_notes(info: ConnectionInfo) -> list[str]:
    """Things the owner should know about a connection that works."""
    notes = []
    if info.permissions == "read":
        notes.append(READ_ONLY_NOTE)
    elif info.permissions == "write":
        notes.append(WRITE_ONLY_NOTE)
    if info.header_stripped:
        notes.append(HEADER_STRIPPED_NOTE)
    return notes


def connection_summary(info: ConnectionInfo) -> tuple[str, Tone]:
    """The result line of a working connection, with its notes, and how it should read."""
    count = f"{info.order_count:,} order{'s' if info.order_count != 1 else ''}"
    access = _ACCESS.get(info.permissions, "key")
    notes = connection_notes(info)
    text = "\n".join([f"Connected: {count}, {access}.", *notes])
    return text, "warning" if notes else "ok"


class ConnectDialog(QDialog):
    """Asks for a store's address and REST API key, tests them, and connects the store.

    "Test connection" only checks; "Connect" checks, keeps the key in the keyring and
    remembers the store, then closes the dialog. Both run off the GUI thread.

    Signals:
        store_connected(object, object): the store was connected; a ``StoreRecord`` and the
            ``ConnectionInfo`` of the check.
    """

    store_connected = Signal(object, object)

    def __init__(
        self,
        store_service: StoreService,
        network_tasks: TaskRunner,
        parent: QWidget | None = None,
        *,
        url: str = "",
    ) -> None:
        super().__init__(parent)
        self._service = store_service
        self._tasks = network_tasks
        self._busy = False
        self.setWindowTitle("Connect a WooCommerce store")
        self.setMinimumWidth(560)

        title = QLabel("Connect your WooCommerce store")
        title.setObjectName("dialogTitle")
        help_label = QLabel(HELP_TEXT)
        help_label.setObjectName("helpText")
        help_label.setWordWrap(True)

        self.url_edit = QLineEdit(url)
        self.url_edit.setPlaceholderText("https://myshop.example")
        self.key_edit = QLineEdit()
        self.key_edit.setPlaceholderText("ck_…")
        self.secret_edit = QLineEdit()
        self.secret_edit.setPlaceholderText("cs_…")
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_secret = QCheckBox("Show the secret")
        for edit in (self.url_edit, self.key_edit, self.secret_edit):
            edit.setClearButtonEnabled(True)
            edit.setMinimumWidth(360)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Store address", self.url_edit)
        form.addRow("Consumer key", self.key_edit)
        form.addRow("Consumer secret", self.secret_edit)
        form.addRow("", self.show_secret)

        self.result_label = MessageLabel(reserve_lines=3)

        self.test_button = QPushButton("Test connection")
        self.test_button.setToolTip("Check the address and key without saving anything")
        self.test_button.setAutoDefault(False)
        self.buttons = QDialogButtonBox()
        self.connect_button = QPushButton("Connect")
        self.connect_button.setDefault(True)
        self.connect_button.setToolTip("Check, keep the key in the keyring, and fetch the orders")
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(self.connect_button, QDialogButtonBox.ButtonRole.AcceptRole)
        button_row = QHBoxLayout()
        button_row.addWidget(self.test_button)
        button_row.addStretch(1)
        button_row.addWidget(self.buttons)

        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(help_label)
        layout.addLayout(form)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        layout.addLayout(button_row)

        self.test_button.clicked.connect(self._on_test_button_clicked)
        self.connect_button.clicked.connect(self._on_connect_button_clicked)
        self.cancel_button.clicked.connect(self.reject)
        self.show_secret.toggled.connect(self._on_show_secret_toggled)
        for edit in (self.url_edit, self.key_edit, self.secret_edit):
            edit.textEdited.connect(self._on_field_text_edited)

    @property
    def busy(self) -> bool:
        """True while a test or connect runs."""
        return self._busy

    # --- slots -----------------------------------------------------------------------------

    @Slot()
    def _on_test_button_clicked(self) -> None:
        entered = self._entered()
        if entered is None:
            return
        url, credentials = entered
        self._set_busy("Testing the connection…")
        self._tasks.run(
            functools.partial(self._service.test_connection, url, credentials),
            done=self._on_test_finished,
            owner=self,
        )

    @Slot()
    def _on_connect_button_clicked(self) -> None:
        entered = self._entered()
        if entered is None:
            return
        url, credentials = entered
        self._set_busy("Connecting…")
        self._tasks.run(
            functools.partial(self._service.connect, url, credentials, save=True),
            done=self._on_connect_finished,
            owner=self,
        )

    @Slot(bool)
    def _on_show_secret_toggled(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.secret_edit.setEchoMode(mode)

    @Slot(str)
    def _on_field_text_edited(self, _text: str) -> None:
        if not self._busy and self.result_label.tone == "error":
            self.result_label.clear_message()

    # --- results (GUI thread) ----------------------------------------------------------------

    def _on_test_finished(self, info: ConnectionInfo | None, error: BaseException | None) -> None:
        self._set_idle()
        if error is not None or info is None:
            self.result_label.show_message(self._failure(error), "error")
            return
        self.result_label.show_message(*connection_summary(info))

    def _on_connect_finished(
        self,
        result: tuple[StoreRecord, ConnectionInfo] | None,
        error: BaseException | None,
    ) -> None:
        self._set_idle()
        if error is not None or result is None:
            self.result_label.show_message(self._failure(error), "error")
            return
        store, info = result
        self.result_label.show_message(*connection_summary(info))
        self.store_connected.emit(store, info)
        if self.isVisible():
            self.accept()

    # --- helpers ----------------------------------------------------------------------------

    def _entered(self) -> tuple[str, Credentials] | None:
        """The fields, checked; None (with a message) if something is missing."""
        key = self.key_edit.text().strip()
        secret = self.secret_edit.text().strip()
        problem: tuple[str, QLineEdit] | None = None
        try:
            url = normalize_store_url(self.url_edit.text())
        except WooError as exc:
            problem = (exc.message, self.url_edit)
            url = ""
        if problem is None and not key:
            problem = (
                f"Paste the consumer key (it starts with ck_) from {KEYS_PAGE}.",
                self.key_edit,
            )
        elif problem is None and key.startswith("cs_"):
            problem = (
                "That looks like the consumer secret: the consumer key starts with ck_.",
                self.key_edit,
            )
        elif problem is None and not secret:
            problem = ("Paste the consumer secret (it starts with cs_).", self.secret_edit)
        if problem is not None:
            self.result_label.show_message(problem[0], "error")
            problem[1].setFocus(Qt.FocusReason.OtherFocusReason)
            return None
        return url, Credentials(key, secret)

    def _failure(self, error: BaseException | None) -> str:
        if error is None:
            return "The store gave no answer. Please try again."
        return error_text(error)

    def _set_busy(self, message: str) -> None:
        self._busy = True
        self.result_label.show_message(message, "busy")
        for widget in (
            self.test_button,
            self.connect_button,
            self.url_edit,
            self.key_edit,
            self.secret_edit,
        ):
            widget.setEnabled(False)
        self.setCursor(Qt.CursorShape.BusyCursor)

    def _set_idle(self) -> None:
        self._busy = False
        for widget in (
            self.test_button,
            self.connect_button,
            self.url_edit,
            self.key_edit,
            self.secret_edit,
        ):
            widget.setEnabled(True)
        self.unsetCursor()
