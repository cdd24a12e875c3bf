"""A screen whose feature has not been built yet: it says what it will do, honestly."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class PlaceholderPage(QWidget):
    """A title, one sentence about what the screen will do, and "not available yet"."""

    def __init__(self, title: str, purpose: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel(title)
        heading.setObjectName("pageTitle")
        self.purpose_label = QLabel(purpose)
        self.purpose_label.setWordWrap(True)
        status = QLabel("Not available yet: this screen comes in a later version of ShopGuard.")
        status.setObjectName("subtle")
        status.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(self.purpose_label)
        layout.addWidget(status)
        layout.addStretch(1)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)
