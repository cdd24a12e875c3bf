"""The Dashboard: the shop's risk at a glance, in four cards.

Orders by risk band per week, the failed/refused/returned rate per month, the top risk
reasons, and the outbox (what waits for the scoring service). The numbers come from
``shopguard.dashboard.DashboardService`` on the database runner; a card with nothing to
draw says so in a sentence instead of showing empty axes.
"""

from __future__ import annotations

import logging

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from shopguard.dashboard import (
    DashboardData,
    DashboardService,
    MonthOutcomes,
    OutboxState,
    ReasonCount,
    WeekBands,
    outbox_line,
)
from shopguard.ui.messages import error_text
from shopguard.ui.risk_badge import FILLS, OUTLINES
from shopguard.ui.tasks import TaskRunner
from shopguard.ui.widgets import MessageLabel

log = logging.getLogger(__name__)

BAND_SERIES = (
    ("high", "High"),
    ("medium", "Medium"),
    ("low", "Low"),
    ("unknown", "Unknown or not scored"),
)
RATE_COLOUR = FILLS["high"]
REASON_COLOUR = "#0072B2"  # Okabe-Ito blue: not a band colour, so it reads as "a count"
REASON_CHARS = 64
CARD_STYLE = """
QFrame#dashboardCard { background: white; border: 1px solid #d9dde3; border-radius: 8px; }
QLabel#cardTitle { font-size: 11pt; font-weight: 600; color: #1d2229; }
QLabel#emptyCard { color: #5c6470; font-size: 10.5pt; }
QLabel#figure { font-size: 20pt; font-weight: 600; color: #1d2229; }
QLabel#figureCaption { color: #5c6470; }
"""

EMPTY_WEEKS = (
    "No orders in the last 12 weeks yet. Once your store is connected and synced, each "
    "week's orders appear here by risk."
)
EMPTY_RATE = (
    "No delivery outcomes in the last 12 months yet. Orders count here once they are "
    "completed, refused or returned, or you report what happened to them."
)
EMPTY_REASONS = (
    "No risk reasons in the last 90 days yet. They appear here once recent orders are scored."
)


class ChartCard(QFrame):
    """A titled card showing a chart, or a sentence when there is nothing to draw."""

    def __init__(
        self, title: str, empty_text: str, note: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("dashboardCard")
        self.title_label = QLabel(title)
        self.title_label.setObjectName("cardTitle")
        self.chart = QChart()
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart.setBackgroundVisible(False)
        self.chart.setMargins(QMargins(0, 4, 0, 0))
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
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

    def show_empty(self) -> None:
        """Nothing to draw: the sentence instead of empty axes."""
        self._clear()
        self.empty_label.setText(self._empty_text)
        self.note_label.hide()
        self.stack.setCurrentWidget(self.empty_label)

    def reset_chart(self) -> QChart:
        """An empty chart to fill in (series and axes removed); shows it."""
        self._clear()
        self.stack.setCurrentWidget(self.view)
        self.note_label.setVisible(bool(self.note_label.text()))
        return self.chart

    def _clear(self) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)


class OutboxCard(QFrame):
    """Waiting, sent and failing payloads, and the last error in plain words."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dashboardCard")
        title = QLabel("Scoring service outbox")
        title.setObjectName("cardTitle")
        self.mode_label = QLabel()
        self.mode_label.setWordWrap(True)
        self.mode_label.setObjectName("helpText")
        self.figures: dict[str, QLabel] = {}
        row = QHBoxLayout()
        for key, caption in (
            ("waiting", "waiting to be sent"),
            ("failing", "of them failed to send"),
            ("sent", "sent"),
        ):
            figure = QLabel("0")
            figure.setObjectName("figure")
            label = QLabel(caption)
            label.setObjectName("figureCaption")
            column = QVBoxLayout()
            column.addWidget(figure)
            column.addWidget(label)
            row.addLayout(column)
            self.figures[key] = figure
        row.addStretch(1)
        self.error_label = MessageLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 10)
        layout.addWidget(title)
        layout.addWidget(self.mode_label)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        layout.addStretch(1)

    def show_state(self, state: OutboxState) -> None:
        """Fill in the figures and sentences."""
        self.figures["waiting"].setText(f"{state.waiting:,}")
        self.figures["failing"].setText(f"{state.failing:,}")
        self.figures["sent"].setText(f"{state.sent:,}")
        if not state.configured:
            self.mode_label.setText(
                "No scoring service is set up: orders are scored on this computer from your "
                "own history and nothing is sent. You can set one up in Settings → Risk "
                "scoring."
            )
        else:
            when = (
                f" Last sent {state.last_sent_at:%d %b %Y, %H:%M} UTC."
                if state.last_sent_at
                else ""
            )
            self.mode_label.setText(outbox_line(state) + "." + when)
        if state.configured and state.failing and state.last_error:
            self.error_label.show_message(
                f"Last problem: {state.last_error} ShopGuard retries on its own; nothing is lost.",
                "warning",
            )
        else:
            self.error_label.clear_message()


class DashboardPage(QWidget):
    """The first screen: four cards over the local data, refreshed after every sync.

    Signals:
        refreshed(): new numbers were drawn (or the failure was shown).
    """

    refreshed = Signal()

    def __init__(
        self, *, service: DashboardService, db_tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._tasks = db_tasks
        self._loading = False
        self._again = False
        self.data: DashboardData | None = None
        self.setStyleSheet(CARD_STYLE)

        heading = QLabel("Dashboard")
        heading.setObjectName("pageTitle")
        self.updated_label = QLabel("Loading…")
        self.updated_label.setObjectName("subtle")
        self.error_label = MessageLabel()
        self.weeks_card = ChartCard("Orders by risk, per week (last 12 weeks)", EMPTY_WEEKS)
        self.rate_card = ChartCard(
            "Failed, refused or returned deliveries, per month (last 12 months)",
            EMPTY_RATE,
            note="Share of the month's orders whose delivery outcome is known (cancelled orders "
            "left out). A month with no known outcome shows 0%.",
        )
        self.reasons_card = ChartCard("Top risk reasons (orders, last 90 days)", EMPTY_REASONS)
        self.outbox_card = OutboxCard()

        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.updated_label)
        grid = QGridLayout()
        grid.setSpacing(14)
        grid.addWidget(self.weeks_card, 0, 0)
        grid.addWidget(self.rate_card, 0, 1)
        bottom = QHBoxLayout()  # reasons get more width: their labels are sentences
        bottom.setSpacing(14)
        bottom.addWidget(self.reasons_card, 3)
        bottom.addWidget(self.outbox_card, 2)
        grid.addLayout(bottom, 1, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.error_label)
        layout.addLayout(grid, 1)

    def refresh(self) -> None:
        """Load fresh numbers on the database runner (one load at a time; a request during
        a load runs once it is done)."""
        if self._loading:
            self._again = True
            return
        self._loading = True
        self._tasks.run(self._service.snapshot, done=self._on_snapshot_loaded, owner=self)

    def show_data(self, data: DashboardData) -> None:
        """Draw the four cards."""
        self.data = data
        self.error_label.clear_message()
        self.updated_label.setText(f"Updated {data.generated_at.astimezone():%H:%M}")
        self._draw_weeks(data.weeks)
        if data.has_outcomes:
            self._draw_rates(data.months)
        else:
            self.rate_card.show_empty()
        self._draw_reasons(data.reasons)
        self.outbox_card.show_state(data.outbox)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    # --- drawing ----------------------------------------------------------------------------

    def _draw_weeks(self, weeks: list[WeekBands]) -> None:
        if not any(w.total for w in weeks):
            self.weeks_card.show_empty()
            return
        chart = self.weeks_card.reset_chart()
        series = QStackedBarSeries()
        for band, name in BAND_SERIES:
            bar_set = QBarSet(name)
            bar_set.append([float(w.counts.get(band, 0)) for w in weeks])
            _paint(bar_set, FILLS[band], OUTLINES[band])
            series.append(bar_set)
        chart.addSeries(series)
        _category_axis(chart, series, [w.label for w in weeks], "Week starting Monday (day/month)")
        top = max(w.total for w in weeks)
        _value_axis(chart, series, "Orders", top, Qt.AlignmentFlag.AlignLeft)
        chart.legend().setVisible(True)

    def _draw_rates(self, months: list[MonthOutcomes]) -> None:
        chart = self.rate_card.reset_chart()
        series = QBarSeries()
        bar_set = QBarSet("Failed, refused or returned (% of orders with a known outcome)")
        bar_set.append([m.rate or 0.0 for m in months])
        _paint(bar_set, RATE_COLOUR, OUTLINES["high"])
        series.append(bar_set)
        series.setLabelsVisible(True)
        series.setLabelsFormat("@value%")
        series.setLabelsPrecision(3)
        chart.addSeries(series)
        # Twelve consecutive months have twelve different names: the year goes in the title.
        span = f"{_long(months[0])} to {_long(months[-1])}"
        _category_axis(
            chart, series, [m.label[:3] for m in months], f"Month the order was placed ({span})"
        )
        top = max(10.0, max((m.rate or 0.0) for m in months))  # whole percents on the axis
        axis = _value_axis(chart, series, "% of known outcomes", top, Qt.AlignmentFlag.AlignLeft)
        axis.setLabelFormat("%d%%")
        chart.legend().setVisible(False)

    def _draw_reasons(self, reasons: list[ReasonCount]) -> None:
        if not reasons:
            self.reasons_card.show_empty()
            return
        chart = self.reasons_card.reset_chart()
        shown = list(reversed(reasons))  # horizontal bars draw bottom-up: biggest on top
        series = QHorizontalBarSeries()
        bar_set = QBarSet("Orders")
        bar_set.append([float(r.orders) for r in shown])
        labels: list[str] = []
        for reason in shown:  # categories must differ: two wordings may shorten alike
            label = _shorten(reason.text)
            labels.append(label if label not in labels else f"{label} ({reason.code})")
        _paint(bar_set, REASON_COLOUR, "#00507d")
        series.append(bar_set)
        series.setLabelsVisible(True)
        series.setLabelsFormat("@value")
        series.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd)
        chart.addSeries(series)
        axis_y = QBarCategoryAxis()
        axis_y.append(labels)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(axis_y)
        _value_axis(
            chart, series, "Orders", max(r.orders for r in reasons), Qt.AlignmentFlag.AlignBottom
        )
        chart.legend().setVisible(False)

    # --- results ----------------------------------------------------------------------------

    def _on_snapshot_loaded(self, data: DashboardData | None, error: BaseException | None) -> None:
        self._loading = False
        if error is not None or data is None:
            self.error_label.show_message(
                "The dashboard could not be loaded: " + error_text(error or RuntimeError()),
                "error",
            )
        else:
            self.show_data(data)
        self.refreshed.emit()
        if self._again:
            self._again = False
            self.refresh()


def _paint(bar_set: QBarSet, fill: str, outline: str) -> None:
    bar_set.setColor(QColor(fill))
    bar_set.setBorderColor(QColor(outline))
    bar_set.setPen(QPen(QColor(outline), 1))
    bar_set.setLabelColor(QColor("#1d2229"))


def _category_axis(
    chart: QChart, series: QBarSeries | QStackedBarSeries, labels: list[str], title: str
) -> QBarCategoryAxis:
    axis = QBarCategoryAxis()
    axis.append(labels)
    axis.setTitleText(title)
    font = QFont(axis.labelsFont())
    font.setPointSizeF(8.0)
    axis.setLabelsFont(font)
    # Twelve labels do not fit side by side under twelve narrow bars; upright they do.
    if max(len(label) for label in labels) > 3:
        axis.setLabelsAngle(-90)
    chart.addAxis(axis, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(axis)
    return axis


def _value_axis(
    chart: QChart,
    series: QBarSeries | QStackedBarSeries | QHorizontalBarSeries,
    title: str,
    top: float,
    where: Qt.AlignmentFlag,
) -> QValueAxis:
    axis = QValueAxis()
    axis.setTitleText(title)
    axis.setRange(0, max(1.0, top * 1.15))
    axis.setLabelFormat("%d")
    axis.applyNiceNumbers()
    font = QFont(axis.titleFont())
    font.setBold(False)
    axis.setTitleFont(font)
    chart.addAxis(axis, where)
    series.attachAxis(axis)
    return axis


def _long(month: MonthOutcomes) -> str:
    """ "Mar 2026"."""
    return f"{month.label[:3]} {month.month[:4]}"


def _shorten(text: str) -> str:
    text = text.rstrip(".")
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1].rstrip() + "…"
