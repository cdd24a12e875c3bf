"""Desktop notifications about new risky orders: the system tray, or the status bar.

The core (``shopguard.dashboard.AlertService``) decides what is news; this only shows it.
Where the platform has no system tray (some Linux desktops, offscreen test runs), the
message goes quietly to the status bar instead.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStatusBar, QStyle, QSystemTrayIcon

from shopguard.dashboard import Alert

log = logging.getLogger(__name__)

TRAY_MESSAGE_MS = 15_000
STATUS_MESSAGE_MS = 30_000


class Notifier(QObject):
    """Shows alerts in the system tray when there is one, else in the status bar.

    Signals:
        notified(str): an alert was shown (its one-line text).
        activated(): the owner clicked the tray icon or a tray message (show the window).
    """

    notified = Signal(str)
    activated = Signal()

    def __init__(
        self,
        status_bar: QStatusBar,
        *,
        tray_available: bool | None = None,
        icon: QIcon | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._status_bar = status_bar
        self.last_line = ""
        available = (
            QSystemTrayIcon.isSystemTrayAvailable() if tray_available is None else tray_available
        )
        self.tray: QSystemTrayIcon | None = None
        if available:
            self.tray = QSystemTrayIcon(icon or _default_icon(), self)
            self.tray.setToolTip("ShopGuard")
            self.tray.activated.connect(self._on_tray_activated)
            self.tray.messageClicked.connect(self._on_tray_message_clicked)
            self.tray.show()

    @property
    def uses_tray(self) -> bool:
        """True when alerts go to the system tray (False: the status bar)."""
        return self.tray is not None

    def notify(self, alert: Alert) -> None:
        """Tell the owner about new risky orders."""
        self.last_line = alert.line
        if self.tray is not None and self.tray.isVisible():
            self.tray.showMessage(
                alert.title, alert.text, QSystemTrayIcon.MessageIcon.Warning, TRAY_MESSAGE_MS
            )
        else:
            self._status_bar.showMessage(alert.line, STATUS_MESSAGE_MS)
        log.info("Notified about %d new risky order(s)", len(alert.orders))
        self.notified.emit(alert.line)

    def close(self) -> None:
        """Remove the tray icon (the window is closing)."""
        if self.tray is not None:
            self.tray.hide()

    @Slot(QSystemTrayIcon.ActivationReason)
    def _on_tray_activated(self, _reason: QSystemTrayIcon.ActivationReason) -> None:
        self.activated.emit()

    @Slot()
    def _on_tray_message_clicked(self) -> None:
        self.activated.emit()


def _default_icon() -> QIcon:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        icon = app.windowIcon()
        if not icon.isNull():
            return icon
        return app.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
    return QIcon()
