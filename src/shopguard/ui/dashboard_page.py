"""The Dashboard: the shop's risk at a glance, in four cards.

Orders by risk band per week, the failed/refused/returned rate per month, the top risk
reasons, and the outbox (what waits for the scoring service). The numbers come from
``shopguard.dashboard.DashboardService`` on the database runner; a card with nothing to
draw says so in a sentence instead of showing empty axes.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from PySide6.QtCharts import (
    QBarSeries,
    QHorizontalBarSeries,
    QStackedBarSeries,
)
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
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
from shopguard.ui.chart_card import BarLayout, ChartCard
from shopguard.ui.messages import error_text
from shopguard.ui.models.order_format import local_time
from shopguard.ui.models.risk_format import BadgeKind
from shopguard.ui.risk_badge import FILLS, OUTLINES
from shopguard.ui.tasks import TaskRunner
from shopguard.ui.widgets import MessageLabel

log = logging.getLogger(__name__)

BAND_SERIES: tuple[tuple[BadgeKind, str], ...] = (
    ("high", "High"),
    ("medium", "Medium"),
    ("low", "Low"),
    ("unknown", "Unknown or not scored"),
)
RATE_COLOUR = FILLS["high"]
REASON_COLOUR = "#0072B2"  # Okabe-Ito blue: not a band colour, so it reads as "a count"
REASON_CHARS = 64
STEP_MS = 1  # between drawing one chart and the next
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


def all_delivered_text(known: int) -> str:
    """The rate card's sentence when every known outcome was a delivery."""
    which = "the one parcel" if known == 1 else f"all {known:,} parcels"
    verb = "was" if known == 1 else "were"
    return (
        "No failed, refused or returned deliveries in the last 12 months: "
        f"{which} with a known outcome {verb} delivered."
    )


EMPTY_REASONS = (
    "No risk reasons in the last 90 days yet. They appear here once recent orders are scored."
)


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
            ("sent", "items sent"),
        ):
            figure = QLabel("0")
            figure.setObjectName("figure")
            label = QLabel(caption)
            label.setObjectName("figureCaption")
            if key == "sent":
                label.setToolTip(
                    "Each order, each later change to it and each delivery outcome counts as "
                    "one item: there are more items than orders."
                )
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
            # In this computer's time, as every other time on screen.
            when = f" Last sent {local_time(state.last_sent_at)}." if state.last_sent_at else ""
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
        self._steps: list[Callable[[], None]] = []
        self.setStyleSheet(CARD_STYLE)

        heading = QLabel("Dashboard")
        heading.setObjectName("pageTitle")
        self.updated_label = QLabel("Loading…")
        self.updated_label.setObjectName("subtle")
        self.error_label = MessageLabel()
        self.weeks_card = ChartCard(
            "Orders by risk, per week (last 12 weeks)",
            EMPTY_WEEKS,
            BarLayout(
                QStackedBarSeries,
                tuple((name, FILLS[band], OUTLINES[band]) for band, name in BAND_SERIES),
                value_title="Orders",
                legend=True,
            ),
        )
        self.rate_card = ChartCard(
            "Failed, refused or returned, per month (last 12 months)",
            EMPTY_RATE,
            BarLayout(
                QBarSeries,
                (
                    (
                        "Failed, refused or returned (% of orders with a known outcome)",
                        RATE_COLOUR,
                        OUTLINES["high"],
                    ),
                ),
                value_title="% of known outcomes",
                value_format="%d%%",
                bar_labels="@value%",
            ),
            note="Share of the month's orders whose delivery outcome is known (cancelled orders "
            "left out). A month with no known outcome shows 0%.",
        )
        self.reasons_card = ChartCard(
            "Top risk reasons (orders, last 90 days)",
            EMPTY_REASONS,
            BarLayout(
                QHorizontalBarSeries,
                (("Orders", REASON_COLOUR, "#00507d"),),
                category_side=Qt.AlignmentFlag.AlignLeft,
                value_side=Qt.AlignmentFlag.AlignBottom,
                value_title="Orders",
                bar_labels="@value",
            ),
        )
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
        """Draw the four cards: the outbox at once, then one chart per turn of the event
        loop, and ``refreshed`` after the last. A chart shown for the first time lays itself
        out for 10 ms or more; three in one go held the window up for 30 ms or more."""
        self.data = data
        self.error_label.clear_message()
        self.updated_label.setText(f"Updated {data.generated_at.astimezone():%H:%M}")
        self.outbox_card.show_state(data.outbox)
        self._steps = [
            functools.partial(self._draw_weeks, data.weeks),
            functools.partial(self._draw_rates, data.months),
            functools.partial(self._draw_reasons, data.reasons),
        ]
        self._next_step()

    def _next_step(self) -> None:
        if not self._steps:
            return
        self._steps.pop(0)()
        if self._steps:
            # A timer, not a queued call: the card just drawn is painted first.
            QTimer.singleShot(STEP_MS, self, self._next_step)
        else:
            self._drawn()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    # --- drawing ----------------------------------------------------------------------------

    def _draw_weeks(self, weeks: list[WeekBands]) -> None:
        if not any(w.total for w in weeks):
            self.weeks_card.show_empty()
            return
        self.weeks_card.show_bars(
            [[float(w.counts.get(band, 0)) for w in weeks] for band, _name in BAND_SERIES],
            [w.label for w in weeks],
            max(w.total for w in weeks),
            "Week starting Monday (day/month)",
        )

    def _draw_rates(self, months: list[MonthOutcomes]) -> None:
        known = sum(m.known for m in months)
        if not known:
            self.rate_card.show_empty()
            return
        if not any(m.bad for m in months):  # twelve bars of height 0 look like a fault
            self.rate_card.show_empty(all_delivered_text(known))
            return
        # Twelve consecutive months have twelve different names: the year goes in the title.
        span = f"{_long(months[0])} to {_long(months[-1])}"
        self.rate_card.show_bars(
            [[m.rate or 0.0 for m in months]],
            [m.label[:3] for m in months],
            max(10.0, max((m.rate or 0.0) for m in months)),  # whole percents on the axis
            f"Month the order was placed ({span})",
        )

    def _draw_reasons(self, reasons: list[ReasonCount]) -> None:
        if not reasons:
            self.reasons_card.show_empty()
            return
        shown = list(reversed(reasons))  # horizontal bars draw bottom-up: biggest on top
        labels: list[str] = []
        for reason in shown:  # categories must differ: two wordings may shorten alike
            label = _shorten(reason.text)
            labels.append(label if label not in labels else f"{label} ({reason.code})")
        self.reasons_card.show_bars(
            [[float(r.orders) for r in shown]], labels, max(r.orders for r in reasons)
        )

    # --- results ----------------------------------------------------------------------------

    def _on_snapshot_loaded(self, data: DashboardData | None, error: BaseException | None) -> None:
        if error is not None or data is None:
            self.error_label.show_message(
                "The dashboard could not be loaded: " + error_text(error or RuntimeError()),
                "error",
            )
            self._drawn()
        else:
            self.show_data(data)  # still loading (not to be refreshed) until drawn

    def _drawn(self) -> None:
        self._loading = False
        self.refreshed.emit()
        if self._again:
            self._again = False
            self.refresh()


def _long(month: MonthOutcomes) -> str:
    """ "Mar 2026"."""
    return f"{month.label[:3]} {month.month[:4]}"


def _shorten(text: str) -> str:
    text = text.rstrip(".")
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1].rstrip() + "…"
