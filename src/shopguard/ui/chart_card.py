"""A Dashboard card: a titled bar chart built once and updated in place, or a sentence
when there is nothing to draw.

The chart's series, bar sets and axes are made when the card is and only their values,
categories and range change afterwards: rebuilding them on every refresh left their
graphics items behind in the scene, so each refresh drew more slowly than the one before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QFrame, QLabel, QStackedWidget, QVBoxLayout, QWidget


@dataclass(frozen=True)
class BarLayout:
    """What a card's bar chart is made of, built once: the series (bars stacked, side by
    side, or horizontal), its bar sets (name, fill, outline) and where the axes go."""

    series: type[QAbstractBarSeries]
    sets: tuple[tuple[str, str, str], ...]
    category_side: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignBottom
    value_side: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft
    value_title: str = ""
    value_format: str = "%d"
    bar_labels: str = ""  # e.g. "@value%": each bar labelled with its value ("": none)
    legend: bool = False


class ChartCard(QFrame):
    """A titled card showing a bar chart, or a sentence when there is nothing to draw.

    The chart's series, bar sets and axes are made once and updated in place: rebuilding
    them on every refresh left their graphics items behind in the scene, so each refresh
    drew more slowly than the one before.
    """

    def __init__(
        self,
        title: str,
        empty_text: str,
        layout_of: BarLayout,
        note: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("dashboardCard")
        self.title_label = QLabel(title)
        self.title_label.setObjectName("cardTitle")
        self.title_label.setWordWrap(True)  # whole in the smallest window, on two lines
        self.chart = QChart()
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart.setBackgroundVisible(False)
        self.chart.setMargins(QMargins(0, 4, 0, 0))
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart.legend().setVisible(layout_of.legend)
        self._reach = 0.0  # the value axis's reach, as last asked for
        self.series = layout_of.series()
        self.bar_sets: list[QBarSet] = []
        for name, fill, outline in layout_of.sets:
            bar_set = QBarSet(name)
            _paint(bar_set, fill, outline)
            self.series.append(bar_set)
            self.bar_sets.append(bar_set)
        if layout_of.bar_labels:
            self.series.setLabelsVisible(True)
            self.series.setLabelsFormat(layout_of.bar_labels)
            self.series.setLabelsPrecision(3)
            if isinstance(self.series, QHorizontalBarSeries):
                self.series.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd)
        self.chart.addSeries(self.series)
        self.category_axis = QBarCategoryAxis()
        small = QFont(self.category_axis.labelsFont())
        small.setPointSizeF(8.0)  # twelve week labels, or reasons that are sentences
        self.category_axis.setLabelsFont(small)
        self.chart.addAxis(self.category_axis, layout_of.category_side)
        self.series.attachAxis(self.category_axis)
        self.value_axis = QValueAxis()
        self.value_axis.setTitleText(layout_of.value_title)
        self.value_axis.setLabelFormat(layout_of.value_format)
        plain = QFont(self.value_axis.titleFont())
        plain.setBold(False)
        self.value_axis.setTitleFont(plain)
        self.chart.addAxis(self.value_axis, layout_of.value_side)
        self.series.attachAxis(self.value_axis)

        self.view = QChartView(self.chart)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumHeight(220)
        self._empty_text = empty_text
        self.empty_label = QLabel("Loading…")
        self.empty_label.setObjectName("emptyCard")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 10)
        layout.addWidget(self.title_label)
        layout.addWidget(self.stack, 1)
        self.note_label = QLabel(note)
        self.note_label.setObjectName("figureCaption")
        self.note_label.setWordWrap(True)
        self.note_label.setVisible(bool(note))
        layout.addWidget(self.note_label)

    @property
    def showing_chart(self) -> bool:
        """True when the chart is shown (False: the empty-state sentence)."""
        return self.stack.currentWidget() is self.view

    def show_empty(self, text: str = "") -> None:
        """Nothing to draw: a sentence (the card's own unless given) instead of empty axes."""
        self.empty_label.setText(text or self._empty_text)
        self._show(self.empty_label, note=False)

    def show_bars(
        self,
        values: Sequence[Sequence[float]],
        categories: list[str],
        top: float,
        category_title: str = "",
    ) -> None:
        """Show these values (one sequence per bar set) over these categories, the value
        axis reaching a little above ``top``. Only what changed is touched."""
        for bar_set, numbers in zip(self.bar_sets, values, strict=True):
            _set_values(bar_set, numbers)
        axis = self.category_axis
        if axis.categories() != categories:
            axis.setCategories(categories)
        if axis.titleText() != category_title:
            axis.setTitleText(category_title)
        # Twelve labels do not fit side by side under twelve narrow bars; upright they do.
        upright = not isinstance(self.series, QHorizontalBarSeries) and any(
            len(c) > 3 for c in categories
        )
        if axis.labelsAngle() != (angle := -90 if upright else 0):
            axis.setLabelsAngle(angle)
        reach = max(1.0, top * 1.15)
        if reach != self._reach:  # a new range lays the whole chart out again
            self._reach = reach
            self.value_axis.setRange(0, reach)
            self.value_axis.applyNiceNumbers()
        self._show(self.view, note=True)

    def _show(self, widget: QWidget, *, note: bool) -> None:
        """Show the chart or the sentence. Each call, even for the page already shown, lays
        the window out again: only a change is made."""
        if self.stack.currentWidget() is not widget:
            self.stack.setCurrentWidget(widget)
        if self.note_label.isVisibleTo(self) != (shown := note and bool(self.note_label.text())):
            self.note_label.setVisible(shown)


def _paint(bar_set: QBarSet, fill: str, outline: str) -> None:
    bar_set.setColor(QColor(fill))
    bar_set.setBorderColor(QColor(outline))
    bar_set.setPen(QPen(QColor(outline), 1))
    bar_set.setLabelColor(QColor("#1d2229"))


def _set_values(bar_set: QBarSet, values: Sequence[float]) -> None:
    """Give the bar set these values: in place when their number is the same."""
    if bar_set.count() == len(values):
        for index, value in enumerate(values):
            if bar_set.at(index) != value:
                bar_set.replace(index, value)
    else:
        bar_set.remove(0, bar_set.count())
        bar_set.append(list(values))
