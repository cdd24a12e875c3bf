"""The Settings screen: where ShopGuard keeps things, the keyring, and the connected stores."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shopguard import __version__
from shopguard.paths import AppPaths
from shopguard.ui.messages import error_text
from shopguard.ui.models.stores_model import StoresModel
from shopguard.ui.tasks import TaskRunner
from shopguard.ui.widgets import MessageLabel
from shopguard.woo.credentials import KeyringStatus, keyring_status


class SettingsPage(QWidget):
    """Read-only facts about this installation, and the store connections.

    Signals:
        connect_requested(): the person wants to connect a (another) store.
    """

    connect_requested = Signal()

    def __init__(
        self,
        *,
        paths: AppPaths,
        stores: StoresModel,
        tasks: TaskRunner,
        demo: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        heading = QLabel("Settings")
        heading.setObjectName("pageTitle")

        self.data_label = QLabel(str(paths.data))
        self.data_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_label.setWordWrap(True)
        if demo:
            self.data_label.setText(f"{paths.data}\n(a temporary demo profile, deleted on exit)")
        self.keyring_label = MessageLabel()
        self.keyring_label.show_message("Checking the system keyring…", "busy")
        self.version_label = QLabel(f"ShopGuard {__version__}")

        about = QGroupBox("This computer")
        form = QFormLayout(about)
        form.addRow("Data folder", self.data_label)
        form.addRow("Keyring", self.keyring_label)
        form.addRow("Version", self.version_label)

        self.stores_view = QListView()
        self.stores_view.setModel(stores)
        self.stores_view.setMaximumHeight(96)
        self.stores_view.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.connect_button = QPushButton("Connect a store…")
        stores_box = QGroupBox("Store connection")
        stores_layout = QVBoxLayout(stores_box)
        stores_layout.addWidget(
            QLabel("ShopGuard keeps a local copy of the orders of these stores:")
        )
        stores_layout.addWidget(self.stores_view)
        buttons = QHBoxLayout()
        buttons.addWidget(self.connect_button)
        buttons.addStretch(1)
        stores_layout.addLayout(buttons)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(14)
        layout.addWidget(heading)
        layout.addWidget(stores_box)
        layout.addWidget(about)
        layout.addStretch(1)

        self.connect_button.clicked.connect(self.connect_requested)

    def refresh_keyring_status(self) -> None:
        """Ask the keyring (off the GUI thread: some backends talk to D-Bus) how it is."""
        self.keyring_label.show_message("Checking the system keyring…", "busy")
        self._tasks.run(keyring_status, done=self._on_keyring_checked, owner=self)

    def _on_keyring_checked(
        self, status: KeyringStatus | None, error: BaseException | None
    ) -> None:
        if error is not None or status is None:
            self.keyring_label.show_message(error_text(error or RuntimeError()), "error")
        elif status.usable:
            self.keyring_label.show_message(status.message, "ok")
        else:
            self.keyring_label.show_message(status.message, "warning")
