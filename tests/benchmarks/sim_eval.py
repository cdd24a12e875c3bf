"""Evaluating p_fail on a simulated world: metrics, and an in-process twin of the service.

* ``auc``, ``brier``, ``calibration_error``: pure Python. AUC is the Mann-Whitney statistic
  with tied scores sharing their average rank (so ties count a half); the calibration
  error is the expected calibration error over 10 **equal-mass** bins (orders sorted by
  p_fail, cut into ten groups of equal size; the mean |mean p - failure rate| weighted by
  size): equal-width bins would put nearly every order in the first two.
* ``NetworkView`` keeps, in memory, what the service has been told so far (stored orders,
  reported outcomes) and builds the model's
  input for an order exactly as ``shopguard.server.repos.history`` and
  ``shopguard.server.services.scoring`` do: earlier orders sharing an email, phone or
  address (each once), split into this shop and other shops, outcomes reported by then,
  orders in the last 24 hours, emails per phone and phones per email, the shop's median
  order value and the town's record (outcomes reported by then). With ``own_only`` it
  sees this shop's orders alone: the single-shop baseline.
* ``replay`` runs a schedule through a ``NetworkView`` and the Bayes oracle in process.
"""

from __future__ import annotations

import math
from bisect import insort
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from shopguard.scoring.model import (
    Activity,
    ModelConfig,
    ModelInput,
    OrderFacts,
    PlaceHistory,
    SubjectHistory,
    Tally,
    assess,
)
from tests.benchmarks.sim_world import DAY, BayesOracle, SimOrder, Step, World

STRONG = ("email", "phone", "address")
_COUNTERPART = {"phone": "email", "email": "phone"}
MEDIAN_MIN_ORDERS = 20  # as shopguard.server.repos.orders
MEDIAN_WINDOW = 1001  # as shopguard.server.repos.orders
STALE_SECONDS = 365 * DAY


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve: P(a failing order scores above a good one); ties half."""
    ranked = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and scores[ranked[j + 1]] == scores[ranked[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[ranked[k]] = (i + j) / 2 + 1
        i = j + 1
    positives = sum(1 for y in labels if y)
    negatives = len(labels) - positives
    if not positives or not negatives:
        raise ValueError("AUC needs both failed and delivered orders.")
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def brier(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Mean squared difference between p_fail and the outcome (1 failed, 0 delivered)."""
    return sum((p - y) ** 2 for p, y in zip(scores, labels, strict=True)) / len(scores)


def calibration_error(scores: Sequence[float], labels: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error over ``bins`` equal-mass bins (see the module docstring)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    n = len(order)
    total = 0.0
    start = 0
    for b in range(bins):
        end = start + n // bins + (1 if b < n % bins else 0)
        group = order[start:end]
        if group:
            mean_p = sum(scores[i] for i in group) / len(group)
            rate = sum(1 for i in group if labels[i]) / len(group)
            total += len(group) / n * abs(mean_p - rate)
        start = end
    return total


@dataclass
class _ShopSplit:
    orders: int = 0
    delivered: int = 0
    refused: int = 0
    returned: int = 0
    undelivered: int = 0
    stale_delivered: int = 0
    stale_failed: int = 0
    last_failure: int | None = None
    recent: int = 0


@dataclass
class _Side:
    shops: dict[int, _ShopSplit] = field(default_factory=lambda: defaultdict(_ShopSplit))

    def tally(self, t: int) -> Tally:
        rows = self.shops.values()
        failed_shops = [r for r in rows if r.refused + r.returned + r.undelivered]
        last = max((r.last_failure for r in rows if r.last_failure is not None), default=None)
        return Tally(
            orders=sum(r.orders for r in rows),
            delivered=sum(r.delivered for r in rows),
            refused=sum(r.refused for r in rows),
            returned=sum(r.returned for r in rows),
            undelivered=sum(r.undelivered for r in rows),
            stale_delivered=sum(r.stale_delivered for r in rows),
            stale_failed=sum(r.stale_failed for r in rows),
            shops=sum(1 for r in rows if r.delivered + r.refused + r.returned + r.undelivered),
            failing_shops=len(failed_shops),
            last_failure_days=None if last is None else max(0.0, (t - last) / DAY),
        )

    def recent(self) -> tuple[int, int]:
        """(orders in the last 24 hours, shops they were at)."""
        busy = [r.recent for r in self.shops.values() if r.recent]
        return sum(busy), len(busy)


class NetworkView:
    """What the service has been told so far, and the model input it would build."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._by_value: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._reported: set[int] = set()
        # Per shop, (created, total in cents) of every stored order, in that order: the
        # service's usual value is the median of the latest MEDIAN_WINDOW of them.
        self._totals: dict[int, list[tuple[float, int]]] = defaultdict(list)
        self._places: dict[int, list[int]] = {}

    def store(self, indices: Sequence[int]) -> None:
        """The service stores a batch of orders (before scoring them)."""
        for i in indices:
            order = self.world.orders[i]
            for kind, value in order.identifiers.items():
                if kind in STRONG:
                    self._by_value[(kind, value)].append(i)
            insort(self._totals[order.shop], (order.created, round(order.total * 100)))

    def report(self, indices: Sequence[int]) -> None:
        """Outcomes reported to the service."""
        for i in indices:
            order = self.world.orders[i]
            self._reported.add(i)
            counts = self._places.setdefault(order.town, [0, 0])  # [delivered, failed]
            if order.shipped:
                counts[order.failed] += 1

    def model_input(self, order: SimOrder, *, own_only: bool = False) -> ModelInput:
        """The model's input for ``order`` (just stored), as the service would build it."""
        t = order.created
        orders = self.world.orders
        matched: set[int] = set()
        for kind in STRONG:
            value = order.identifiers.get(kind)
            if value is not None:
                matched.update(j for j in self._by_value[(kind, value)] if orders[j].created < t)
        own, network = _Side(), _Side()
        for j in matched:
            other = orders[j]
            side = own if other.shop == order.shop else network
            row = side.shops[other.shop]
            row.orders += 1
            if other.created >= t - DAY:
                row.recent += 1
            if j in self._reported and other.outcome != "cancelled":
                stale = other.created < t - STALE_SECONDS
                if other.outcome == "delivered":
                    row.delivered += 1
                    row.stale_delivered += stale
                else:
                    row.refused += other.outcome == "refused"
                    row.returned += other.outcome == "returned"
                    row.undelivered += other.outcome == "failed"
                    row.stale_failed += stale
                    row.last_failure = max(row.last_failure or 0, other.outcome_at)
        median = None
        latest = self._totals[order.shop][-MEDIAN_WINDOW:]  # newest first, ties: highest total
        if len(latest) >= MEDIAN_MIN_ORDERS:
            totals = sorted(cents for _created, cents in latest)
            median = totals[len(totals) // 2] / 100
        facts = OrderFacts(
            payment_method=order.method,
            total=order.total,
            identifier_kinds=frozenset(order.identifiers),
            shop_median_total=median,
        )
        own_recent, _ = own.recent()
        if own_only:
            history = SubjectHistory(own=own.tally(t))
            return ModelInput(facts, history, Activity(own_orders_24h=own_recent))
        net_recent, net_shops = network.recent()
        activity = Activity(
            own_orders_24h=own_recent,
            network_orders_24h=net_recent,
            network_shops_24h=net_shops,
            emails_per_phone=self._links(order, "phone"),
            phones_per_email=self._links(order, "email"),
        )
        town = self.world.towns[order.town]
        place = None
        if order.town in self._places:
            d, f = self._places[order.town]
            place = PlaceHistory(town.name, delivered=d, failed=f)
        history = SubjectHistory(own=own.tally(t), network=network.tally(t))
        return ModelInput(facts, history, activity, place)

    def _links(self, order: SimOrder, kind: str) -> int:
        value = order.identifiers.get(kind)
        if value is None:
            return 0
        other = _COUNTERPART[kind]
        orders = self.world.orders
        seen = {
            orders[j].identifiers[other]
            for j in self._by_value[(kind, value)]
            if orders[j].created <= order.created and other in orders[j].identifiers
        }
        return len(seen)


FALLBACK = ModelConfig().base_rate  # what an order scored ``unknown`` counts as


@dataclass
class Predictions:
    """Each order's p from every predictor (by order index); the orders the model scored
    ``unknown`` (counted at ``FALLBACK``, by the model and the baseline alike)."""

    model: list[float]
    baseline: list[float]
    bayes: list[float]
    unknown: set[int]


def replay(
    world: World,
    steps: Sequence[Step],
    *,
    on_input: Callable[[SimOrder, ModelInput], None] | None = None,
) -> Predictions:
    """Run the schedule in process: the model, the single-shop baseline, the Bayes oracle.

    ``on_input`` (if given) sees each order's model input (for fitting).
    """
    view = NetworkView(world)
    oracle = BayesOracle(world)
    n = len(world.orders)
    out = Predictions([math.nan] * n, [math.nan] * n, [math.nan] * n, set())
    for step in steps:
        if step.kind == "outcomes":
            view.report(step.orders)
            for i in step.orders:
                order = world.orders[i]
                if order.shipped:
                    oracle.observe(order.entity, order.offset, order.failed)
        else:
            view.store(step.orders)
            for i in step.orders:
                order = world.orders[i]
                full = view.model_input(order)
                alone = view.model_input(order, own_only=True)
                if on_input is not None:
                    on_input(order, full)
                p, p_alone = assess(full).p_fail, assess(alone).p_fail
                if p is None:
                    out.unknown.add(i)
                out.model[i] = FALLBACK if p is None else p
                out.baseline[i] = FALLBACK if p_alone is None else p_alone
                out.bayes[i] = oracle.predict(order.entity, order.offset)
    return out
