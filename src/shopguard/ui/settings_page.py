"""The Settings screen: the connected stores, risk scoring (this shop only or a scoring
service), desktop notifications, and where ShopGuard keeps things."""

from __future__ import annotations

import functools

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from shopguard import __version__
from shopguard.paths import AppPaths
from shopguard.scoring.alert_settings import (
    AlertLevel,
    AlertSettings,
    load_alert_settings,
    make_alert_settings,
    save_alert_settings,
)
from shopguard.scoring.connection_check import ConnectionCheck, check_connection
from shopguard.scoring.settings import ServiceSettings
from shopguard.sharing import Configured, SharingPipeline
from shopguard.ui.messages import error_text
from shopguard.ui.models.stores_model import StoresModel
from shopguard.ui.tasks import TaskRunner
from shopguard.ui.widgets import MessageLabel
from shopguard.woo.credentials import KeyringStatus, keyring_status

LOCAL_MODE = (
    "This shop only: orders are scored on this computer from your own history. Nothing is "
    "sent anywhere."
)
SECRET_KEPT = "(kept in the keyring: type it again to save changes)"
SECRET_NOT_KEPT = "(no keyring here: it comes from SHOPGUARD_SERVICE_SECRET; type it to change)"


def service_mode_text(settings: ServiceSettings | None) -> str:
    """The scoring mode in plain words."""
    if settings is None:
        return LOCAL_MODE
    return (
        f"Scoring service at {settings.url}, shop ID {settings.shop_id}: orders are sent "
        "pseudonymized (no names, emails or addresses) and scored with what other shops saw."
    )


def configured_text(result: Configured) -> str:
    """What "Save and use" did, in plain words."""
    queued = result.backfilled
    line = f"Saved. ShopGuard now uses the scoring service at {result.settings.url}. " + (
        f"{queued} existing order{'s' if queued != 1 else ''} were queued and will be "
        "sent with the next sync."
        if queued
        else "No existing orders needed queueing."
    )
    if not result.secret_in_keyring:
        line += (
            " No keyring is available, so the secret was not kept: set "
            "SHOPGUARD_SERVICE_SECRET before starting ShopGuard."
        )
    return line


def check_then_configure(
    sharing: SharingPipeline, url: str, shop_id: str, secret: str
) -> ConnectionCheck | Configured:
    """Test first (for the same plain answers as "Test connection"), then save and back-fill.

    Runs on a worker thread; returns the failed check, or what ``configure`` did.
    """
    check = check_connection(url, shop_id, secret)
    if not check.ok:
        return check
    return sharing.configure(url, shop_id, secret)


class ScoringSettingsBox(QGroupBox):
    """Settings > Risk scoring: this shop only, or a scoring service (test, save, stop).

    Every network and keyring call runs on the network runner; buttons are disabled while
    one runs.

    Signals:
        service_changed(): a service was saved or stopped (the status bar should refresh).
    """

    service_changed = Signal()

    def __init__(
        self,
        *,
        sharing: SharingPipeline,
        tasks: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Risk scoring", parent)
        self._sharing = sharing
        self._tasks = tasks
        self._busy = False
        self._configured = False
        self._shown: ServiceSettings | None = None
        self.keyring_usable: bool | None = None  # None: not checked yet
        self.confirm_stop: QMessageBox | None = None

        self.mode_label = QLabel(LOCAL_MODE)
        self.mode_label.setWordWrap(True)
        self.mode_label.setObjectName("helpText")
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://score.example")
        self.shop_edit = QLineEdit()
        self.shop_edit.setPlaceholderText("as the scoring service gave it")
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setPlaceholderText("the shop secret the scoring service gave you")
        self.test_button = QPushButton("Test connection")
        self.save_button = QPushButton("Save and use")
        self.save_button.setObjectName("primary")
        self.stop_button = QPushButton("Stop using the service…")
        self.stop_button.setEnabled(False)
        self.result_label = MessageLabel()

        form = QFormLayout()
        form.addRow("Service address", self.url_edit)
        form.addRow("Shop ID", self.shop_edit)
        form.addRow("Shop secret", self.secret_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.mode_label)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.result_label)

        self.test_button.clicked.connect(self._on_test_button_clicked)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.stop_button.clicked.connect(self._on_stop_button_clicked)

    @property
    def busy(self) -> bool:
        """A test, save or stop is running."""
        return self._busy

    def refresh(self) -> None:
        """Read the current mode (off the GUI thread: the settings live in a file)."""
        self._tasks.run(self._sharing.settings, done=self._on_settings_loaded, owner=self)

    # --- slots ------------------------------------------------------------------------------

    @Slot()
    def _on_test_button_clicked(self) -> None:
        self._start("Testing the connection… nothing is saved.")
        work = functools.partial(
            check_connection, self.url_edit.text(), self.shop_edit.text(), self.secret_edit.text()
        )
        self._tasks.run(work, done=self._on_connection_checked, owner=self)

    @Slot()
    def _on_save_button_clicked(self) -> None:
        self._start("Checking the service and saving… existing orders are being queued.")
        work = functools.partial(
            check_then_configure,
            self._sharing,
            self.url_edit.text(),
            self.shop_edit.text(),
            self.secret_edit.text(),
        )
        self._tasks.run(work, done=self._on_configured, owner=self)

    @Slot()
    def _on_stop_button_clicked(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Stop using the scoring service?",
            "ShopGuard will score orders on this computer only, from your own history, and "
            "send nothing to the scoring service. The shop secret is removed from the "
            "keyring; to come back you will need it again.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        self.stop_confirm_button = box.addButton(
            "Stop using the service", QMessageBox.ButtonRole.AcceptRole
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(functools.partial(self._on_confirm_stop_finished, box))
        self.confirm_stop = box
        box.open()

    def _on_confirm_stop_finished(self, box: QMessageBox, _result: int) -> None:
        confirmed = box.clickedButton() is self.stop_confirm_button
        box.deleteLater()
        self.confirm_stop = None
        if not confirmed:
            return
        self._start("Stopping…")
        self._tasks.run(self._sharing.stop, done=self._on_stopped, owner=self)

    # --- results (GUI thread) ------------------------------------------------------------

    def _on_settings_loaded(
        self, settings: ServiceSettings | None, error: BaseException | None
    ) -> None:
        if error is not None:
            self.result_label.show_message(error_text(error), "error")
            self._show_mode(None, configured=True)
            return
        self._show_mode(settings)

    def _on_connection_checked(
        self, result: ConnectionCheck | None, error: BaseException | None
    ) -> None:
        self._finish()
        if error is not None or result is None:
            self.result_label.show_message(error_text(error or RuntimeError()), "error")
        else:
            self.result_label.show_message(result.message, "ok" if result.ok else "error")

    def _on_configured(
        self, result: ConnectionCheck | Configured | None, error: BaseException | None
    ) -> None:
        self._finish()
        if isinstance(result, ConnectionCheck):
            self.result_label.show_message(result.message, "error")
            return
        if error is not None or result is None:
            self.result_label.show_message(error_text(error or RuntimeError()), "error")
            return
        self.secret_edit.clear()
        self._show_mode(result.settings)
        self.result_label.show_message(
            configured_text(result), "ok" if result.secret_in_keyring else "warning"
        )
        self.service_changed.emit()

    def _on_stopped(self, _previous: ServiceSettings | None, error: BaseException | None) -> None:
        self._finish()
        if error is not None:
            self.result_label.show_message(error_text(error), "error")
            return
        self.secret_edit.clear()
        self._show_mode(None)
        self.result_label.show_message(
            "Stopped. Orders are scored on this computer only; nothing is sent anywhere.", "ok"
        )
        self.service_changed.emit()

    # --- helpers ----------------------------------------------------------------------------

    def _show_mode(self, settings: ServiceSettings | None, *, configured: bool = False) -> None:
        self._configured = configured or settings is not None
        self.mode_label.setText(service_mode_text(settings))
        changed = settings != self._shown
        self._shown = settings
        if settings is not None:
            if changed:  # never overwrite what the owner is typing with the same old values
                self.url_edit.setText(settings.url)
                self.shop_edit.setText(settings.shop_id)
            self.secret_edit.setPlaceholderText(
                SECRET_NOT_KEPT if self.keyring_usable is False else SECRET_KEPT
            )
        else:
            self.secret_edit.setPlaceholderText("the shop secret the scoring service gave you")
        self.stop_button.setEnabled(self._configured and not self._busy)

    def set_keyring_usable(self, usable: bool) -> None:
        """Whether secrets can be kept here (the page checks the keyring off the GUI thread):
        the secret box never claims a keyring the computer does not have."""
        self.keyring_usable = usable
        self._show_mode(self._shown, configured=self._configured)

    def _start(self, message: str) -> None:
        self._busy = True
        for button in (self.test_button, self.save_button, self.stop_button):
            button.setEnabled(False)
        self.result_label.show_message(message, "busy")

    def _finish(self) -> None:
        self._busy = False
        self.test_button.setEnabled(True)
        self.save_button.setEnabled(True)
        self.stop_button.setEnabled(self._configured)


class NotificationsBox(QGroupBox):
    """Settings > Notifications: which new orders ShopGuard tells the owner about.

    Signals:
        changed(object): the owner changed the threshold (the new ``AlertSettings``, saved).
    """

    changed = Signal(object)

    def __init__(self, *, paths: AppPaths, tasks: TaskRunner, parent: QWidget | None = None):
        super().__init__("Notifications", parent)
        self._paths = paths
        self._tasks = tasks
        self.level_combo = QComboBox()
        for level in AlertLevel:
            self.level_combo.addItem(level.label, level)
        self.min_score_spin = QSpinBox()
        self.min_score_spin.setRange(0, 100)
        self.min_score_spin.setSpecialValueText("Any score")
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setObjectName("helpText")
        form = QFormLayout(self)
        form.addRow("Tell me about new", self.level_combo)
        form.addRow("Only from a score of", self.min_score_spin)
        form.addRow(self.summary_label)
        self._loading = True
        self.level_combo.currentIndexChanged.connect(self._on_level_combo_current_index_changed)
        self.min_score_spin.valueChanged.connect(self._on_min_score_spin_value_changed)

    def refresh(self) -> None:
        """Load the saved threshold (off the GUI thread)."""
        work = functools.partial(load_alert_settings, self._paths.config)
        self._tasks.run(work, done=self._on_loaded, owner=self)

    def current(self) -> AlertSettings:
        """The threshold as the controls show it."""
        level = self.level_combo.currentData()
        return make_alert_settings(level, self.min_score_spin.value())

    @Slot(int)
    def _on_level_combo_current_index_changed(self, _index: int) -> None:
        self.min_score_spin.setEnabled(self.current().level is not AlertLevel.OFF)
        self._save()

    @Slot(int)
    def _on_min_score_spin_value_changed(self, _value: int) -> None:
        self._save()

    def _on_loaded(self, settings: AlertSettings | None, error: BaseException | None) -> None:
        if error is not None or settings is None:
            settings = AlertSettings()
        self._loading = True
        self.level_combo.setCurrentIndex(self.level_combo.findData(settings.level))
        self.min_score_spin.setValue(settings.min_score)
        self.min_score_spin.setEnabled(settings.level is not AlertLevel.OFF)
        self.summary_label.setText(settings.describe())
        self._loading = False

    def _save(self) -> None:
        if self._loading:
            return
        settings = self.current()
        self.summary_label.setText(settings.describe())
        work = functools.partial(save_alert_settings, self._paths.config, settings)
        self._tasks.run(work, done=functools.partial(self._on_saved, settings), owner=self)

    def _on_saved(
        self, settings: AlertSettings, _result: None, error: BaseException | None
    ) -> None:
        if error is not None:
            self.summary_label.setText(
                "The notification setting could not be saved: " + error_text(error)
            )
            return
        self.changed.emit(settings)


class SettingsPage(QWidget):
    """The store connections, risk scoring, notifications and facts about this installation.

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
        sharing: SharingPipeline,
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

        self.scoring_box = ScoringSettingsBox(sharing=sharing, tasks=tasks)
        self.notifications_box = NotificationsBox(paths=paths, tasks=tasks)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(14)
        layout.addWidget(heading)
        layout.addWidget(stores_box)
        layout.addWidget(self.scoring_box)
        layout.addWidget(self.notifications_box)
        layout.addWidget(about)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self.connect_button.clicked.connect(self.connect_requested)

    def refresh(self) -> None:
        """Load everything the page shows that lives outside it (keyring, settings files)."""
        self.refresh_keyring_status()
        self.scoring_box.refresh()
        self.notifications_box.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.scoring_box.refresh()  # the demo (or the CLI) may have set a service meanwhile

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
        if status is not None:
            self.scoring_box.set_keyring_usable(status.usable)
