"""Desktop notifications: the system tray when there is one, else the status bar."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtWidgets import QMainWindow, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from shopguard.dashboard import Alert
from shopguard.store.repositories.alerts import RiskyOrder
from shopguard.ui.notifier import Notifier

pytestmark = pytest.mark.gui

WHEN = datetime(2026, 3, 18, tzinfo=UTC)
ALERT = Alert(
    [
        RiskyOrder(1, 1234, "1234", "high", 87, WHEN),
        RiskyOrder(1, 1240, "1240", "high", 80, WHEN),
    ]
)


def test_without_a_tray_the_status_bar_says_it(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    notifier = Notifier(window.statusBar(), tray_available=False, parent=window)
    assert not notifier.uses_tray
    with qtbot.waitSignal(notifier.notified) as shown:
        notifier.notify(ALERT)
    line = "2 new high-risk orders: #1234 (High 87), #1240 (High 80). Open ShopGuard to see why."
    assert shown.args == [line]
    assert window.statusBar().currentMessage() == line


def test_the_platform_decides_by_default(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    notifier = Notifier(window.statusBar(), parent=window)
    assert notifier.uses_tray == QSystemTrayIcon.isSystemTrayAvailable()
    notifier.notify(ALERT)
    assert notifier.last_line == ALERT.line
    notifier.close()


def test_a_click_on_the_tray_asks_for_the_window(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    notifier = Notifier(window.statusBar(), tray_available=True, parent=window)
    assert notifier.tray is not None and not notifier.tray.icon().isNull()
    with qtbot.waitSignal(notifier.activated):
        notifier.tray.messageClicked.emit()
    notifier.close()
