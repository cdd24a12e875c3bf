"""Input fields the assessment editors are made of: growing text, dates, people, choices.

They hold no answer logic; ``assessment_editors`` and ``assessment_tables`` build on them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QSize, Qt, Signal, Slot
from PySide6.QtGui import QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QCalendarWidget,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QTextEdit,
    QToolButton,
    QWidget,
    QWidgetAction,
)

DATE_FORMS = "25/11/2026 or 2026-11-25"  # how a date may be typed, as every hint says
DATE_HOW = f"Write the date as {DATE_FORMS}, or pick it from the calendar."
DATE_HINT = f"Not a date: write it as {DATE_FORMS}, or pick it from the calendar."
# Day first, as in the UK, Greece and the rest of the EU (25/11/2026, 25.11.2026, 25-11-2026),
# or year first (2026-11-25); never month first.
_DAY_FIRST = re.compile(r"(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{1,2})")


def parse_date(text: str) -> date | None:
    """The date written in ``text`` (day first, or year first), or None."""
    stripped = text.strip()
    if match := _DAY_FIRST.fullmatch(stripped):
        day, month, year = (int(part) for part in match.groups())
    elif match := _YEAR_FIRST.fullmatch(stripped):
        year, month, day = (int(part) for part in match.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


class GrowingTextEdit(QTextEdit):
    """Plain-text box that grows with its text, from ``min_lines`` to ``max_lines``."""

    def __init__(self, min_lines: int = 3, max_lines: int = 14, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptRichText(False)
        self.setTabChangesFocus(True)
        self._min_lines = min_lines
        self._max_lines = max_lines
        self.document().documentLayout().documentSizeChanged.connect(self._on_layout_changed)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def sizeHint(self) -> QSize:
        return QSize(400, self.height())

    @Slot()
    def _on_layout_changed(self) -> None:
        self._fit()

    def _fit(self) -> None:
        line = self.fontMetrics().lineSpacing()
        chrome = 2 * self.frameWidth() + int(2 * self.document().documentMargin())
        content = int(self.document().size().height()) + 2 * self.frameWidth()
        low, high = self._min_lines * line + chrome, self._max_lines * line + chrome
        height = max(low, min(high, content))
        if height != self.height():
            self.setFixedHeight(height)


def choice_combo(options: tuple[str, ...]) -> QComboBox:
    """A drop-down of ``options`` that starts with nothing chosen ("Choose…")."""
    combo = QComboBox()
    combo.addItems(list(options))
    combo.setPlaceholderText("Choose…")
    combo.setCurrentIndex(-1)
    combo.setMinimumContentsLength(10)
    return combo


class DateField(QWidget):
    """A date typed (25/11/2026 or 2026-11-25) or picked from a calendar; shown and kept as
    ``YYYY-MM-DD`` once the owner leaves the box. Text that is not a date stays in the box,
    marked, and ``is_valid`` says so: the wizard will not complete over it.

    Signals:
        changed(): the owner typed or picked a date (or cleared it).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line_edit = QLineEdit()
        self.line_edit.setPlaceholderText("DD/MM/YYYY")
        self.line_edit.setMaxLength(20)
        self.line_edit.setFixedWidth(self.fontMetrics().horizontalAdvance("00/00/0000-0") + 24)
        self.line_edit.setToolTip(DATE_HOW)
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        menu = QMenu(self)
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.calendar)
        menu.addAction(action)
        self._menu = menu
        self.pick_button = QToolButton()
        self.pick_button.setText("Calendar…")
        self.pick_button.setToolTip("Pick the date from a calendar")
        self.pick_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.pick_button.setMenu(menu)
        self.hint = QLabel(DATE_HINT)
        self.hint.setObjectName("fieldError")
        self.hint.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line_edit)
        layout.addWidget(self.pick_button)
        layout.addWidget(self.hint)
        layout.addStretch(1)
        self.line_edit.textEdited.connect(self._on_line_edit_text_edited)
        self.line_edit.editingFinished.connect(self._on_line_edit_editing_finished)
        self.calendar.clicked.connect(self._on_calendar_clicked)
        menu.aboutToShow.connect(self._on_menu_about_to_show)

    def text(self) -> str:
        """The date as ``YYYY-MM-DD``, or "" when empty or not a date yet."""
        day = parse_date(self.line_edit.text())
        return day.isoformat() if day else ""

    def is_valid(self) -> bool:
        """Whether the box is empty or holds a date."""
        typed = self.line_edit.text()
        return not typed.strip() or parse_date(typed) is not None

    def typed(self) -> str:
        """What is in the box, as typed."""
        return self.line_edit.text().strip()

    def set_text(self, value: str) -> None:
        """Show a date (without emitting ``changed``)."""
        blocked = self.line_edit.blockSignals(True)
        self.line_edit.setText(value or "")
        self.line_edit.blockSignals(blocked)
        self.hint.hide()

    def set_read_only(self, read_only: bool) -> None:
        """Show the date without letting it change."""
        self.line_edit.setReadOnly(read_only)
        self.pick_button.setEnabled(not read_only)

    @Slot(str)
    def _on_line_edit_text_edited(self, text: str) -> None:
        self.hint.setVisible(bool(text.strip()) and parse_date(text) is None)
        self.changed.emit()

    @Slot()
    def _on_line_edit_editing_finished(self) -> None:
        day = parse_date(self.line_edit.text())
        if day is not None and self.line_edit.text() != day.isoformat():
            self.line_edit.setText(day.isoformat())  # the date as understood

    @Slot(QDate)
    def _on_calendar_clicked(self, day: QDate) -> None:
        self.line_edit.setText(day.toString("yyyy-MM-dd"))
        self.hint.hide()
        self._menu.close()
        self.changed.emit()

    @Slot()
    def _on_menu_about_to_show(self) -> None:
        day = parse_date(self.line_edit.text()) or date.today()
        self.calendar.setSelectedDate(QDate(day.year, day.month, day.day))


class PersonField(QWidget):
    """Name, role and date of a person who signs something off.

    Signals:
        changed(): one of the three changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Name")
        self.role_edit = QLineEdit()
        self.role_edit.setPlaceholderText("Role, e.g. Owner")
        self.date_field = DateField()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.name_edit, 3)
        layout.addWidget(self.role_edit, 2)
        layout.addWidget(self.date_field)
        self.name_edit.textEdited.connect(self.changed)
        self.role_edit.textEdited.connect(self.changed)
        self.date_field.changed.connect(self.changed)

    def value(self) -> dict[str, str] | None:
        """``{"name", "role", "date"}``, or None when all three are empty."""
        person = {
            "name": self.name_edit.text().strip(),
            "role": self.role_edit.text().strip(),
            "date": self.date_field.text(),
        }
        return person if any(person.values()) else None

    def set_value(self, value: Any) -> None:
        """Show a person (without emitting ``changed``)."""
        person = value if isinstance(value, dict) else {}
        for edit, key in ((self.name_edit, "name"), (self.role_edit, "role")):
            blocked = edit.blockSignals(True)
            edit.setText(str(person.get(key) or ""))
            edit.blockSignals(blocked)
        self.date_field.set_text(str(person.get("date") or ""))

    def set_read_only(self, read_only: bool) -> None:
        """Show the person without letting them change."""
        self.name_edit.setReadOnly(read_only)
        self.role_edit.setReadOnly(read_only)
        self.date_field.set_read_only(read_only)


class ClickableLabel(QLabel):
    """A wrapped label that reports clicks (the long text of a check box).

    Signals:
        clicked(): the left button was released over it.
    """

    clicked = Signal()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)
