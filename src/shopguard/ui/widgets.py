"""Small widgets shared by several screens."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

Tone = Literal["info", "ok", "warning", "error", "busy"]


class MessageLabel(QLabel):
    """A wrapped, selectable one-to-three line message whose colour says how it went.

    The colour comes from the ``tone`` dynamic property, styled in ``ui/style.py``. An empty
    message hides the label, unless ``reserve_lines`` keeps room for that many lines (so a
    dialog does not change size when a message appears).
    """

    def __init__(self, parent: QWidget | None = None, *, reserve_lines: int = 0) -> None:
        super().__init__(parent)
        self._reserve = reserve_lines > 0
        self.setObjectName("message")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._tone: Tone = "info"
        self.setProperty("tone", self._tone)
        if self._reserve:
            self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            self.setMinimumHeight(self.fontMetrics().lineSpacing() * reserve_lines + 4)
        else:
            self.hide()

    @property
    def tone(self) -> Tone:
        """How the current message reads: info, ok, warning, error or busy."""
        return self._tone

    def show_message(self, text: str, tone: Tone = "info") -> None:
        """Show ``text`` in ``tone``'s colour (an empty text hides the label)."""
        self.setText(text)
        if tone != self._tone:
            self._tone = tone
            self.setProperty("tone", tone)
            self.style().unpolish(self)
            self.style().polish(self)
        if not self._reserve:
            self.setVisible(bool(text))

    def clear_message(self) -> None:
        """Hide the label."""
        self.show_message("", self._tone)
