"""The risk badge: a band word and score on a colour-blind-safe fill, drawn by a delegate.

Colours come from the Okabe-Ito palette (distinguishable with every common colour-vision
deficiency), and the word is always written, so colour is never the only cue. Dark text on
every fill keeps a contrast of at least 4.5:1. Two markers change a badge:

* scored on this computer (the embedded scorer): a small house after the word, and the
  tooltip says "Scored on this computer from your shop's own history";
* out of date (the order changed after it was scored, or waits in the outbox): a pale fill,
  a dashed outline and italic words, and the tooltip says when it was scored.

"Not scored yet" is an empty dotted outline with grey words.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from shopguard.store.repositories.order_risk import BAND_FILTERS, BandFilter
from shopguard.ui.models.risk_format import BAND_WORDS, BadgeKind, BadgeSpec

RISK_ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 2
"""``data(index, RISK_ROW_ROLE)`` is the row's ``OrderRiskRow`` (the model defines it too)."""
BADGE_ROLE = int(Qt.ItemDataRole.UserRole) + 3
"""``data(index, BADGE_ROLE)`` is the risk cell's ``BadgeSpec``."""

# Okabe-Ito vermillion, yellow and a light tint of its sky blue (darker means riskier, so
# the bands differ in lightness as well as hue), and a neutral grey for "Unknown".
FILLS: dict[BadgeKind, str] = {
    "high": "#D55E00",
    "medium": "#F0E442",
    "low": "#B3DEF5",
    "unknown": "#D5D9DF",
    "unscored": "#FFFFFF",
}
TEXT = "#111111"
MUTED_TEXT = "#4A515C"
OUTLINES: dict[BadgeKind, str] = {
    "high": "#8F3F00",
    "medium": "#8A8200",
    "low": "#1F6F99",
    "unknown": "#6B7280",
    "unscored": "#8A919C",
}
STALE_FILL_ALPHA = 70
PAD_X = 7
MARK_W = 11
HEIGHT = 20

FILTER_LABELS: dict[BandFilter, str] = {
    "all": "All risks",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
    "unknown": "Unknown",
    "unscored": BAND_WORDS["unscored"],
}


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""

    def luminance(name: str) -> float:
        color = QColor(name)
        channels = []
        for value in (color.redF(), color.greenF(), color.blueF()):
            channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def badge_font(base: QFont, spec: BadgeSpec) -> QFont:
    """The badge's font: semi-bold, italic when out of date."""
    font = QFont(base)
    font.setWeight(QFont.Weight.DemiBold if spec.kind != "unscored" else QFont.Weight.Normal)
    font.setItalic(spec.stale)
    return font


def badge_size(base: QFont, spec: BadgeSpec) -> QSize:
    """How much room a badge needs."""
    width = QFontMetrics(badge_font(base, spec)).horizontalAdvance(spec.text) + 2 * PAD_X
    if spec.local:
        width += MARK_W + 3
    return QSize(width, HEIGHT)


def paint_badge(painter: QPainter, rect: QRect, spec: BadgeSpec, base: QFont) -> QRect:
    """Draw a badge at the left of ``rect``, centred vertically; returns where it went."""
    size = badge_size(base, spec)
    badge = QRect(
        rect.left(), rect.top() + (rect.height() - size.height()) // 2, size.width(), size.height()
    )
    if badge.width() > rect.width():
        badge.setWidth(max(rect.width(), 0))
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    fill = QColor(FILLS[spec.kind])
    outline = QColor(OUTLINES[spec.kind])
    pen = QPen(outline, 1.2)
    if spec.kind == "unscored":
        pen.setStyle(Qt.PenStyle.DotLine)
        fill.setAlpha(0)
    elif spec.stale:
        pen.setStyle(Qt.PenStyle.DashLine)
        pen.setWidthF(1.5)
        fill.setAlpha(STALE_FILL_ALPHA)
    painter.setPen(pen)
    painter.setBrush(fill)
    painter.drawRoundedRect(badge.adjusted(1, 1, -1, -1), 6, 6)
    painter.setFont(badge_font(base, spec))
    painter.setPen(QColor(MUTED_TEXT if spec.kind == "unscored" else TEXT))
    text_rect = badge.adjusted(PAD_X, 0, -PAD_X - (MARK_W + 3 if spec.local else 0), 0)
    painter.drawText(
        text_rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), spec.text
    )
    if spec.local:
        _paint_house(painter, QRect(text_rect.right() + 4, badge.top() + 4, MARK_W, MARK_W))
    painter.restore()
    return badge


def _paint_house(painter: QPainter, box: QRect) -> None:
    """The "this shop only" mark: a small outlined house."""
    w, h = box.width(), box.height()
    x, y = box.left(), box.top()
    path = QPainterPath(QPointF(x + w / 2, y))
    path.lineTo(x + w, y + h * 0.45)
    path.lineTo(x + w * 0.85, y + h * 0.45)
    path.lineTo(x + w * 0.85, y + h)
    path.lineTo(x + w * 0.15, y + h)
    path.lineTo(x + w * 0.15, y + h * 0.45)
    path.lineTo(x, y + h * 0.45)
    path.closeSubpath()
    painter.setPen(QPen(QColor(TEXT), 1.1))
    painter.setBrush(QColor("#FFFFFF"))
    painter.drawPath(path)


class RiskBadgeDelegate(QStyledItemDelegate):
    """Draws the Risk column's cells as badges (the model gives a ``BadgeSpec``)."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        spec = index.data(BADGE_ROLE)
        if not isinstance(spec, BadgeSpec):
            super().paint(painter, option, index)
            return
        # The cell itself (selection, alternate rows, focus) as the style draws it, no text.
        cell = QStyleOptionViewItem(option)
        self.initStyleOption(cell, index)
        cell.text = ""
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, cell, painter, widget)
        rect = option.rect.adjusted(6, 0, -4, 0)
        paint_badge(painter, rect, spec, option.font)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        spec = index.data(BADGE_ROLE)
        if not isinstance(spec, BadgeSpec):
            return super().sizeHint(option, index)
        size = badge_size(option.font, spec)
        return QSize(size.width() + 12, size.height() + 8)


class RiskBadgeWidget(QWidget):
    """One badge on its own (the detail pane's header)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spec: BadgeSpec | None = None
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    @property
    def spec(self) -> BadgeSpec | None:
        """What the badge shows (None: nothing)."""
        return self._spec

    def set_spec(self, spec: BadgeSpec | None) -> None:
        """Show this badge (None hides it)."""
        self._spec = spec
        self.setAccessibleName(spec.text if spec is not None else "")
        self.setVisible(spec is not None)
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        if self._spec is None:
            return QSize(0, HEIGHT)
        return badge_size(self.font(), self._spec) + QSize(2, 4)

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._spec is None:
            return
        painter = QPainter(self)
        paint_badge(painter, self.rect(), self._spec, self.font())
        painter.end()


class BandFilterCombo(QComboBox):
    """Which bands to show: All, High, Medium, Low, Unknown, Not scored yet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for band in BAND_FILTERS:
            self.addItem(FILTER_LABELS[band], band)
        self.setToolTip("Show only orders of one risk band (Alt+R)")
        self.setAccessibleName("Risk filter")

    @property
    def band(self) -> BandFilter:
        """The chosen band filter."""
        value: BandFilter = self.currentData()
        return value

    def set_band(self, band: BandFilter) -> None:
        """Choose a band filter."""
        self.setCurrentIndex(BAND_FILTERS.index(band))
