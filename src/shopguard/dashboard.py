"""What the Dashboard, the status bar and the desktop notifications show, as plain data.

``DashboardService.snapshot`` gathers the charts' numbers (orders by band per week, the
failed/refused/returned rate per month, the top reasons, the outbox); ``outbox_line`` is the
status bar's sentence; ``AlertService`` finds new risky orders after a sync, never the same
order twice. Qt-free: the UI calls these on a worker thread and draws the results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from shopguard.privacy.payload import outcome_for_status
from shopguard.scoring.alert_settings import (
    AlertSettings,
    load_alert_settings,
    load_seen,
    save_seen,
)
from shopguard.scoring.reasons import REASON_TITLES
from shopguard.scoring.service_client import ServiceRejected
from shopguard.scoring.settings import ServiceSettingsError, load_settings
from shopguard.store.repositories import alerts as alert_repo
from shopguard.store.repositories import dashboard as dashboard_repo
from shopguard.store.repositories.alerts import RiskyOrder

BANDS = ("high", "medium", "low", "unknown")
WEEKS = 12
MONTHS = 12
REASON_DAYS = 90
TOP_REASONS = 8
ALERT_WINDOW = timedelta(days=14)
BAD_OUTCOMES = ("failed", "refused", "returned")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WeekBands:
    """Orders created in one week (Monday to Sunday, UTC), by risk band."""

    start: date
    counts: dict[str, int]

    @property
    def label(self) -> str:
        """The week as a short axis label, day/month of its Monday ("16/3")."""
        return f"{self.start.day}/{self.start.month}"

    @property
    def total(self) -> int:
        """Every order of the week."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class MonthOutcomes:
    """Delivery outcomes of the orders created in one month (UTC).

    Attributes:
        month: "YYYY-MM".
        delivered, failed, refused, returned: orders with that outcome.
    """

    month: str
    delivered: int = 0
    failed: int = 0
    refused: int = 0
    returned: int = 0

    @property
    def label(self) -> str:
        """The month as an axis label ("Mar 26")."""
        year, month = self.month.split("-")
        return f"{_MONTH_NAMES[int(month) - 1]} {year[2:]}"

    @property
    def known(self) -> int:
        """Orders whose delivery outcome is known (cancelled ones are not counted)."""
        return self.delivered + self.failed + self.refused + self.returned

    @property
    def bad(self) -> int:
        """Failed, refused and returned orders."""
        return self.failed + self.refused + self.returned

    @property
    def rate(self) -> float | None:
        """The share (0-100 %) of known outcomes that failed, were refused or returned."""
        return None if self.known == 0 else 100.0 * self.bad / self.known


@dataclass(frozen=True)
class ReasonCount:
    """How many orders a risk reason was given for."""

    code: str
    text: str
    orders: int


@dataclass(frozen=True)
class OutboxState:
    """The outbox at a glance.

    Attributes:
        configured: a scoring service is set up (else scoring runs on this computer).
        waiting: items not sent yet; ``failing`` of them failed at least once.
        last_error: the newest failure in plain words ("" when none).
        catch_up: a sync could not reach the service (no network salt): the orders it
            brought are queued at the next sync, so they are in no count yet.
    """

    configured: bool
    waiting: int
    failing: int
    sent: int
    last_error: str
    last_sent_at: datetime | None
    catch_up: bool = False


@dataclass(frozen=True)
class DashboardData:
    """Everything the Dashboard draws, computed at ``generated_at``."""

    generated_at: datetime
    weeks: list[WeekBands]
    months: list[MonthOutcomes]
    reasons: list[ReasonCount]
    outbox: OutboxState
    orders_in_weeks: int = field(default=0)

    @property
    def has_orders(self) -> bool:
        """Any order in the last 12 weeks."""
        return self.orders_in_weeks > 0

    @property
    def has_outcomes(self) -> bool:
        """Any known delivery outcome in the last 12 months."""
        return any(m.known for m in self.months)


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def month_keys(now: datetime, count: int = MONTHS) -> list[str]:
    """The last ``count`` months up to ``now``'s, oldest first, as "YYYY-MM"."""
    year, month = now.year, now.month
    keys: list[str] = []
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return keys[::-1]


def outbox_line(state: OutboxState) -> str:
    """The status bar's sentence about the outbox."""
    if not state.configured:
        if state.waiting:
            return (
                f"No scoring service set up: {state.waiting} left over from an earlier one "
                "wait here"
            )
        return "Risk scoring on this computer (no scoring service set up)"
    if state.catch_up:
        queued = f"; {state.waiting} more waiting" if state.waiting else ""
        return (
            "The last sync could not use the scoring service: the orders it brought are "
            f"sent at the next sync{queued}"
        )
    if state.waiting == 0:
        return "All sent to the scoring service"
    if state.failing and ServiceRejected.is_recorded(state.last_error):
        return (
            f"The scoring service refused this shop's secret: {state.waiting} waiting. Enter "
            "the current secret in Settings → Risk scoring"
        )
    if state.failing:
        return f"Scoring service unreachable: {state.waiting} waiting, will retry"
    return f"{state.waiting} waiting to be sent to the scoring service"


class DashboardService:
    """The Dashboard's numbers from the local database (all stores, or one)."""

    def __init__(
        self, session_factory: sessionmaker[Session], config_dir: Path, *, clock: Clock = _utc_now
    ) -> None:
        self._sessions = session_factory
        self._config = config_dir
        self._clock = clock

    def snapshot(self, store_id: int | None = None) -> DashboardData:
        """The four charts' data as of now."""
        now = self._clock()
        first_week = week_start(now.date()) - timedelta(weeks=WEEKS - 1)
        months = month_keys(now)
        first_month = datetime(int(months[0][:4]), int(months[0][5:]), 1, tzinfo=UTC)
        with self._sessions() as session:
            days = dashboard_repo.band_counts_by_day(
                session, store_id, datetime.combine(first_week, datetime.min.time(), UTC)
            )
            outcomes = dashboard_repo.outcome_counts_by_month(session, store_id, first_month)
            reasons = dashboard_repo.reason_counts(
                session, store_id, now - timedelta(days=REASON_DAYS)
            )
            outbox = dashboard_repo.outbox_counts(session, store_id)
        weeks = _weeks(first_week, days)
        return DashboardData(
            generated_at=now,
            weeks=weeks,
            months=_months(months, outcomes),
            reasons=[
                ReasonCount(code, REASON_TITLES.get(code, text), n)
                for code, text, n in sorted(reasons, key=lambda r: (-r[2], r[0]))[:TOP_REASONS]
            ],
            outbox=self._outbox_state(outbox),
            orders_in_weeks=sum(w.total for w in weeks),
        )

    def outbox_state(self) -> OutboxState:
        """Only the outbox (the status bar's regular refresh): one cheap query."""
        with self._sessions() as session:
            outbox = dashboard_repo.outbox_counts(session)
        return self._outbox_state(outbox)

    def _outbox_state(self, outbox: dashboard_repo.OutboxCounts) -> OutboxState:
        try:
            settings = load_settings(self._config)
            configured, catch_up = settings is not None, bool(settings and settings.catch_up)
        except ServiceSettingsError:
            configured, catch_up = True, False  # damaged: the owner still meant to use one
        return OutboxState(
            configured=configured,
            waiting=outbox.waiting,
            failing=outbox.failing,
            sent=outbox.sent,
            last_error=outbox.last_error,
            last_sent_at=outbox.last_sent_at,
            catch_up=catch_up,
        )


def _weeks(first: date, days: Sequence[tuple[str, str, int]]) -> list[WeekBands]:
    starts = [first + timedelta(weeks=i) for i in range(WEEKS)]
    counts: dict[date, Counter[str]] = {start: Counter() for start in starts}
    for day, band, count in days:
        start = week_start(date.fromisoformat(day))
        if start in counts:
            counts[start][band if band in BANDS else "unknown"] += count
    return [WeekBands(start, {b: counts[start][b] for b in BANDS}) for start in starts]


def _months(
    keys: Sequence[str], rows: Sequence[tuple[str, str, str | None, int]]
) -> list[MonthOutcomes]:
    tally: dict[str, Counter[str]] = {key: Counter() for key in keys}
    for month, status, reported, count in rows:
        outcome = reported or outcome_for_status(status)
        if month in tally and outcome is not None:
            tally[month][outcome] += count
    return [
        MonthOutcomes(
            key,
            delivered=tally[key]["delivered"],
            failed=tally[key]["failed"],
            refused=tally[key]["refused"],
            returned=tally[key]["returned"],
        )
        for key in keys
    ]


@dataclass(frozen=True)
class Alert:
    """New risky orders to tell the owner about, with the words to use."""

    orders: list[RiskyOrder]

    @property
    def title(self) -> str:
        """The headline, like "2 new high-risk orders"."""
        count = len(self.orders)
        bands = {o.band for o in self.orders}
        kind = (
            "high-risk" if bands == {"high"} else "medium-risk" if bands == {"medium"} else "risky"
        )
        return f"{count} new {kind} order{'s' if count != 1 else ''}"

    @property
    def text(self) -> str:
        """Like "#1234 (High 87), #1240 (High 80)": the riskiest five, then how many more."""
        shown = [_order_words(o) for o in self.orders[:5]]
        more = len(self.orders) - len(shown)
        tail = f" and {more} more" if more > 0 else ""
        return ", ".join(shown) + tail + ". Open ShopGuard to see why."

    @property
    def line(self) -> str:
        """Title and text in one line (the status bar's fallback)."""
        return f"{self.title}: {self.text}"


def _order_words(order: RiskyOrder) -> str:
    band = order.band.capitalize()
    score = "" if order.score is None else f" {order.score}"
    return f"#{order.number} ({band}{score})"


class AlertService:
    """Finds new orders at or above the owner's notification threshold after a sync.

    Every order announced is remembered in the config folder, so it is never announced
    twice. The first check of a store only takes note of the risky orders already there (a
    first sync's old orders are not news). An order below the threshold is not remembered:
    if a later score puts it above (Medium to High), it is announced then. Only orders
    created in the last 14 days are ever announced.
    """

    def __init__(
        self, session_factory: sessionmaker[Session], config_dir: Path, *, clock: Clock = _utc_now
    ) -> None:
        self._sessions = session_factory
        self._config = config_dir
        self._clock = clock

    def settings(self) -> AlertSettings:
        """The saved threshold (High only by default)."""
        return load_alert_settings(self._config)

    def new_alerts(self, store_id: int) -> Alert | None:
        """The store's risky orders not announced before, or None; remembers them."""
        settings = self.settings()
        now = self._clock()
        with self._sessions() as session:
            recent = alert_repo.risky_orders(
                session,
                store_id,
                bands=("high", "medium"),
                min_score=0,
                created_since=now - ALERT_WINDOW,
            )
        seen = load_seen(self._config)
        known = seen.get(store_id)
        stamp = now.timestamp()
        # An order remembered longer ago than the window was created before it: it can
        # never come up again, so it is forgotten and the file stays small.
        cutoff = stamp - ALERT_WINDOW.total_seconds()
        remembered = {i: at for i, at in (known or {}).items() if at >= cutoff}
        fresh: list[RiskyOrder] = []
        if known is None:
            remembered.update({o.woo_id: stamp for o in recent})  # the first check: a baseline
        else:
            fresh = [
                o
                for o in recent
                if o.woo_id not in remembered
                and o.band in settings.bands
                and (settings.min_score == 0 or (o.score or 0) >= settings.min_score)
            ]
            remembered.update({o.woo_id: stamp for o in fresh})
        seen[store_id] = remembered
        save_seen(self._config, seen)
        return Alert(fresh) if fresh else None

    def new_alerts_for(self, store_ids: Sequence[int]) -> Alert | None:
        """``new_alerts`` over several stores, riskiest first, in one alert (or None)."""
        found: list[RiskyOrder] = []
        for store_id in store_ids:
            alert = self.new_alerts(store_id)
            if alert is not None:
                found.extend(alert.orders)
        found.sort(key=lambda o: (-(o.score or 0), o.store_id, o.woo_id))
        return Alert(found) if found else None
