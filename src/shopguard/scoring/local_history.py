"""The shop's own order history, in memory, as the risk model wants it (pure; no database).

The embedded scorer (``shopguard.scoring.embedded``) loads orders into ``LocalOrder``
objects and files them in a ``DigestIndex`` under each of their strong identifier digests
(email, phone, address; local salt). ``model_input`` then gathers for one order what the
scoring service gathers with SQL (``shopguard.server.repos.history``), from this shop's
orders only, so the same ``assess`` scores it the same way:

* Earlier orders: those sharing any strong identifier and placed before this one. Orders
  are ordered by (created, WooCommerce id), so two placed in the same second count in id
  order, identically in a full pass and an incremental one. An identifier on more than
  ``MAX_ORDERS_PER_IDENTIFIER`` of the shop's orders is not one customer's (a placeholder
  email the staff type for phone orders, a pickup point's address): it links nothing,
  which also keeps every look-up bounded. (Counted over the shop's orders at scoring time:
  orders scored before an identifier crossed the line keep their scores until re-scored.)
* Outcomes (``privacy.payload.outcome_for_status``; the completion date of a delivered
  order, else the modification date, is when the outcome became known) count only when
  known by the order's *decision time*: its creation for an order that is no longer open,
  like the service; for an open order (pending, processing, on hold) the time of scoring,
  because the owner has yet to decide whether to ship it and should see every outcome
  known by now. Later orders never count, whatever their outcome.
* Activity: this customer's earlier orders in the 24 hours before; distinct emails seen
  with the phone (and phones with the email) on orders up to this one.
* The shop's usual order value: the median total of the latest ``MEDIAN_WINDOW`` orders
  in the currency up to this one (None below ``MEDIAN_MIN_ORDERS``), as the service keeps
  it, but as of the order rather than as of today.

Network tallies stay empty and there is no town record (it is network data).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import deque
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from shopguard.scoring.model import (
    FAILED_OUTCOMES,
    STRONG_KINDS,
    UNKNOWN_METHOD,
    Activity,
    KindHistory,
    ModelInput,
    OrderFacts,
    SubjectHistory,
    Tally,
)

OPEN_STATUSES = frozenset({"pending", "processing", "on-hold"})
DAY = 86_400.0
RECENT = DAY
STALE_AFTER = 365 * DAY
MEDIAN_MIN_ORDERS = 20  # the scoring service's figures (server.repos.orders)
MEDIAN_WINDOW = 1001
MAX_ORDERS_PER_IDENTIFIER = 500  # more is not one customer (see the module docstring)
_COUNTERPART = {"phone": "email", "email": "phone"}

OrderKey = tuple[float, int]
_NO_TALLY = Tally()
_NO_HISTORY = SubjectHistory(own=_NO_TALLY, network=_NO_TALLY, by_kind={})


@dataclass(slots=True, eq=False)
class LocalOrder:
    """One order as the embedded scorer sees it (no raw personal data).

    Attributes:
        created: creation time, epoch seconds (UTC).
        outcome, outcome_at: the delivery outcome its status means and when it was known.
        total_cents: the total in minor units (for the median, exact).
        payment_method: the WooCommerce code, lower-case ("other" when empty).
        digests: strong identifier digests by kind (email, phone, address).
        kinds: every identifier kind the order has (name too); only needed for orders
            being scored.
    """

    woo_id: int
    created: float
    status: str
    outcome: str | None
    outcome_at: float | None
    total: float
    total_cents: int
    currency: str
    payment_method: str
    digests: Mapping[str, str]
    kinds: frozenset[str] = frozenset()
    key: OrderKey = field(init=False)

    def __post_init__(self) -> None:
        self.key = (self.created, self.woo_id)

    @property
    def open(self) -> bool:
        """Still waiting for the owner's decision (pending, processing, on hold)."""
        return self.status in OPEN_STATUSES

    def decision_time(self, now: float) -> float:
        """Outcomes known by this moment count: now while open, else its creation."""
        return now if self.open else self.created


def method_code(raw: str) -> str:
    """The payment method as the model reads it (what the payload would send)."""
    return (raw or "").strip().lower() or UNKNOWN_METHOD


class _Bucket:
    """The orders carrying one digest, sorted by key."""

    __slots__ = ("keys", "orders")

    def __init__(self) -> None:
        self.keys: list[OrderKey] = []
        self.orders: list[LocalOrder] = []

    def before(self, key: OrderKey) -> list[LocalOrder]:
        return self.orders[: bisect_left(self.keys, key)]

    def up_to(self, key: OrderKey) -> list[LocalOrder]:
        return self.orders[: bisect_right(self.keys, key)]


class DigestIndex:
    """Orders by each of their strong digests, in (created, id) order.

    ``ignored``: digests that link nothing (on too many of the shop's orders); without it,
    those among ``orders`` (which are then all the shop's orders) are found here.
    """

    def __init__(
        self, orders: Iterable[LocalOrder], ignored: Collection[str] | None = None
    ) -> None:
        buckets: dict[str, _Bucket] = {}
        for order in sorted(orders, key=lambda o: o.key):
            for digest in order.digests.values():
                bucket = buckets.get(digest)
                if bucket is None:
                    bucket = buckets[digest] = _Bucket()
                bucket.keys.append(order.key)
                bucket.orders.append(order)
        if ignored is None:
            ignored = too_common({d: len(b.orders) for d, b in buckets.items()})
        for digest in ignored:
            buckets.pop(digest, None)
        self._buckets = buckets
        self.ignored = frozenset(ignored)

    def bucket(self, digest: str) -> _Bucket | None:
        """The orders with this digest, or None (also for a digest that links nothing)."""
        return self._buckets.get(digest)


def too_common(counts: Mapping[str, int]) -> set[str]:
    """The digests on more than ``MAX_ORDERS_PER_IDENTIFIER`` orders (they link nothing)."""
    return {digest for digest, n in counts.items() if n > MAX_ORDERS_PER_IDENTIFIER}


def model_input(
    order: LocalOrder, index: DigestIndex, as_of: float, median_total: float | None
) -> ModelInput:
    """What ``assess`` looks at for ``order`` (``as_of``: see ``decision_time``)."""
    facts = OrderFacts(
        payment_method=order.payment_method,
        total=order.total,
        identifier_kinds=order.kinds,
        shop_median_total=median_total,
    )
    if not order.digests:
        return ModelInput(facts)
    history, activity = gather(order, index, as_of)
    return ModelInput(facts, history, activity, None)


def gather(order: LocalOrder, index: DigestIndex, as_of: float) -> tuple[SubjectHistory, Activity]:
    """The customer's history at this shop and recent activity, as known at ``as_of``."""
    links: dict[str, int] = {}
    matched: list[tuple[str, list[LocalOrder]]] = []
    for kind in STRONG_KINDS:
        digest = order.digests.get(kind)
        if digest is None:
            continue
        bucket = index.bucket(digest)
        counterpart = _COUNTERPART.get(kind)
        if counterpart is not None:
            # Distinct counterpart digests on orders up to and including this one.
            matches = bucket.up_to(order.key) if bucket is not None else ()
            seen = {m.digests.get(counterpart) for m in matches}
            seen.add(order.digests.get(counterpart))
            seen.discard(None)
            if seen:
                links[kind] = len(seen)
        earlier = bucket.before(order.key) if bucket is not None else []
        if earlier:
            matched.append((kind, earlier))
    emails, phones = links.get("phone", 0), links.get("email", 0)
    if not matched:
        return _NO_HISTORY, _activity(0, emails, phones)
    union = matched[0][1]
    if any(earlier != union for _kind, earlier in matched[1:]):  # the same objects?
        merged: dict[int, LocalOrder] = {}
        for _kind, earlier in matched:
            merged.update((m.woo_id, m) for m in earlier)
        union = sorted(merged.values(), key=lambda m: m.key)
    own, recent = _tally(union, order, as_of)
    by_kind = _KindTallies(order, as_of, dict(matched), (union, own))
    history = SubjectHistory(own=own, network=_NO_TALLY, by_kind=by_kind)
    return history, _activity(recent, emails, phones)


class _KindTallies(Mapping[str, KindHistory]):
    """``SubjectHistory.by_kind``, each kind's tally counted when first read.

    The model reads it only to word what *other shops* reported, which never happens here;
    counting it up front would cost as much as the rest of the history.
    """

    def __init__(
        self,
        order: LocalOrder,
        as_of: float,
        matched: dict[str, list[LocalOrder]],
        known: tuple[list[LocalOrder], Tally],
    ) -> None:
        self._order, self._as_of, self._matched = order, as_of, matched
        self._known = known
        self._done: dict[str, KindHistory] = {}

    def __getitem__(self, kind: str) -> KindHistory:
        found = self._done.get(kind)
        if found is None:
            earlier = self._matched[kind]  # KeyError for a kind without earlier orders
            if earlier == self._known[0]:
                tally = self._known[1]
            else:
                tally = _tally(earlier, self._order, self._as_of)[0]
            found = self._done[kind] = KindHistory(own=tally, network=_NO_TALLY)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._matched)

    def __len__(self) -> int:
        return len(self._matched)


def _tally(matches: Iterable[LocalOrder], order: LocalOrder, as_of: float) -> tuple[Tally, int]:
    """The outcomes of earlier orders known at ``as_of``, and how many of them were placed
    in the 24 hours before ``order``."""
    recent_from, stale_before = order.created - RECENT, order.created - STALE_AFTER
    orders = delivered = refused = returned = undelivered = stale_delivered = stale_failed = 0
    recent = 0
    last_failure: float | None = None
    for match in matches:
        orders += 1
        if match.created >= recent_from:
            recent += 1
        at = match.outcome_at
        if at is None or at > as_of:
            continue  # no outcome, or not known yet at the decision time
        outcome = match.outcome
        if outcome == "delivered":
            delivered += 1
            stale_delivered += match.created < stale_before
        elif outcome in FAILED_OUTCOMES:
            if outcome == "refused":
                refused += 1
            elif outcome == "returned":
                returned += 1
            else:
                undelivered += 1
            stale_failed += match.created < stale_before
            if last_failure is None or at > last_failure:
                last_failure = at
    failed = refused + returned + undelivered
    days = None if last_failure is None else max(0.0, (order.created - last_failure) / DAY)
    tally = _tally_of(
        orders,
        delivered,
        refused,
        returned,
        undelivered,
        stale_delivered,
        stale_failed,
        1 if failed + delivered else 0,
        1 if failed else 0,
        days,
    )
    return tally, recent


# The model's inputs are immutable and mostly small counts that repeat from order to order:
# one object per distinct value (building a frozen dataclass costs more than looking it up).
@lru_cache(maxsize=65_536)
def _tally_of(
    orders: int,
    delivered: int,
    refused: int,
    returned: int,
    undelivered: int,
    stale_delivered: int,
    stale_failed: int,
    shops: int,
    failing_shops: int,
    last_failure_days: float | None,
) -> Tally:
    return Tally(
        orders=orders,
        delivered=delivered,
        refused=refused,
        returned=returned,
        undelivered=undelivered,
        stale_delivered=stale_delivered,
        stale_failed=stale_failed,
        shops=shops,
        failing_shops=failing_shops,
        last_failure_days=last_failure_days,
    )


@lru_cache(maxsize=4_096)
def _activity(recent: int, emails: int, phones: int) -> Activity:
    return Activity(own_orders_24h=recent, emails_per_phone=emails, phones_per_email=phones)


class MedianWindow:
    """The median of the latest ``size`` totals added (one currency)."""

    def __init__(self, size: int = MEDIAN_WINDOW) -> None:
        self._size = size
        self._arrival: deque[int] = deque()
        self._sorted: list[int] = []

    def add(self, cents: int) -> None:
        """One more order's total; the oldest leaves once the window is full."""
        self._arrival.append(cents)
        insort(self._sorted, cents)
        if len(self._arrival) > self._size:
            old = self._arrival.popleft()
            del self._sorted[bisect_left(self._sorted, old)]

    def median(self) -> float | None:
        """The median total in major units, None below ``MEDIAN_MIN_ORDERS`` orders."""
        n = len(self._sorted)
        return None if n < MEDIAN_MIN_ORDERS else self._sorted[n // 2] / 100


def medians(
    totals: Iterable[tuple[int, str, int]], wanted: Collection[int]
) -> dict[int, float | None]:
    """The shop's usual order value as of each wanted order.

    ``totals``: (woo_id, currency, cents) of the shop's orders in (created, id) order; for
    the first wanted order of each currency at least ``MEDIAN_WINDOW - 1`` earlier ones
    must come first (or all there are).
    """
    windows: dict[str, MedianWindow] = {}
    out: dict[int, float | None] = {}
    for woo_id, currency, cents in totals:
        window = windows.get(currency)
        if window is None:
            window = windows[currency] = MedianWindow()
        window.add(cents)
        if woo_id in wanted:
            out[woo_id] = window.median()
    return out


def clusters(orders: Sequence[LocalOrder], gap: float = 7 * DAY) -> list[list[LocalOrder]]:
    """Orders (in key order) split where more than ``gap`` seconds pass between two: each
    cluster's medians come from one read of the totals around it."""
    out: list[list[LocalOrder]] = []
    for order in orders:
        if out and order.created - out[-1][-1].created <= gap:
            out[-1].append(order)
        else:
            out.append([order])
    return out
