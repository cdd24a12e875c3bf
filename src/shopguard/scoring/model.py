"""The risk model: how likely an order is to end failed, refused or returned (``p_fail``).

Small, explained and versioned (``MODEL_VERSION``). Pure functions over dataclasses: the
scoring service gathers the aggregates with SQL and calls ``assess``; the desktop app's
embedded scorer can feed it local aggregates the same way. Nothing here knows a customer:
the inputs are counts, and every reason's text carries counts only.

How it works: the customer's own failure rate is estimated from their delivery history
with a Beta prior (mean ``base_rate``, weight ``prior_strength`` earlier parcels), so one
refusal moves the estimate but is no verdict. Order facts (cash on delivery, value against
the shop's usual, first order here, orders in the last 24 hours, one phone under many
emails, the delivery town's record) then shift it on the log-odds scale by fixed,
documented weights. Each shift is a reason; its weight is the shift in log-odds.

Safeguards for customers:

* what other shops reported can raise the band at most to Medium unless at least
  ``high_needs_shops`` other shops reported failed deliveries; the shop's own history
  counts fully (``p_own`` alone may reach High);
* no strong identifier (email, phone or address) means no history: the band is
  ``unknown``, with a reason saying why, never a made-up confident score;
* an identifier the customer objected with is never scored (``unknown``, reason given).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

MODEL_VERSION = "sg-1"
Band = Literal["low", "medium", "high", "unknown"]
STRONG_KINDS = ("email", "phone", "address")
FAILED_OUTCOMES = ("failed", "refused", "returned")
PREPAID_METHODS = frozenset(
    {"bacs", "paypal", "ppcp-gateway", "stripe", "stripe_cc", "woocommerce_payments"}
)

# Log-odds weights of sg-1 (hand-set; each is small so no single fact dominates history).
W_COD = 0.45
W_PREPAID = -0.35
W_FIRST_ORDER_HERE = 0.25
W_VALUE_PER_DOUBLING = 0.3
W_PER_RECENT_ORDER = 0.2
W_PER_EXTRA_LINK = 0.25
W_PLACE_SCALE = 0.5
STALE_WEIGHT = 0.5  # outcomes more than a year before the order count half
PLACE_PRIOR_STRENGTH = 20.0
PLACE_MIN_PARCELS = 20
MAX_REASONS = 6
_P_EPS = 1e-4

_KIND_WORDS = {"email": "email", "phone": "phone number", "address": "address", "name": "name"}


@dataclass(frozen=True)
class Tally:
    """Outcomes of a customer's earlier orders, as known when this order was placed.

    Attributes:
        orders: earlier orders, with or without an outcome.
        delivered, refused, returned, undelivered: outcomes ("undelivered" is "failed").
        stale_delivered, stale_failed: of those, how many are more than a year old.
        shops: distinct shops behind the outcomes; failing_shops: those reporting failures.
        last_failure_days: days from the latest failure to this order (None: no failure).
    """

    orders: int = 0
    delivered: int = 0
    refused: int = 0
    returned: int = 0
    undelivered: int = 0
    stale_delivered: int = 0
    stale_failed: int = 0
    shops: int = 0
    failing_shops: int = 0
    last_failure_days: float | None = None

    @property
    def failed(self) -> int:
        """Failed, refused or returned parcels."""
        return self.refused + self.returned + self.undelivered

    @property
    def outcomes(self) -> int:
        """Parcels with a known outcome (cancellations are not counted)."""
        return self.delivered + self.failed

    def weighted(self) -> tuple[float, float]:
        """(failures, deliveries), old ones counting ``STALE_WEIGHT``."""
        stale = 1.0 - STALE_WEIGHT
        return (
            self.failed - stale * min(self.stale_failed, self.failed),
            self.delivered - stale * min(self.stale_delivered, self.delivered),
        )


@dataclass(frozen=True)
class KindHistory:
    """One identifier kind's matches: at this shop and at other shops."""

    own: Tally = field(default_factory=Tally)
    network: Tally = field(default_factory=Tally)


@dataclass(frozen=True)
class SubjectHistory:
    """The customer's earlier orders, matched by any strong identifier (each order once)."""

    own: Tally = field(default_factory=Tally)
    network: Tally = field(default_factory=Tally)
    by_kind: Mapping[str, KindHistory] = field(default_factory=dict)


@dataclass(frozen=True)
class Activity:
    """Recent and linked activity around the order's identifiers.

    Attributes:
        own_orders_24h, network_orders_24h: earlier orders in the 24 hours before this one,
            at this shop and at other shops; network_shops_24h: how many other shops.
        emails_per_phone: distinct emails seen with this order's phone (this one included).
        phones_per_email: distinct phones seen with this order's email (this one included).
    """

    own_orders_24h: int = 0
    network_orders_24h: int = 0
    network_shops_24h: int = 0
    emails_per_phone: int = 0
    phones_per_email: int = 0


@dataclass(frozen=True)
class PlaceHistory:
    """Delivery record of the order's town across the network (aggregate, no customer)."""

    city: str
    delivered: int = 0
    failed: int = 0


@dataclass(frozen=True)
class OrderFacts:
    """What the order itself says (no customer data: digests are reduced to their kinds)."""

    payment_method: str
    total: float
    identifier_kinds: frozenset[str]
    shop_median_total: float | None = None
    objected: bool = False


@dataclass(frozen=True)
class ModelInput:
    """Everything ``assess`` looks at for one order."""

    order: OrderFacts
    history: SubjectHistory = field(default_factory=SubjectHistory)
    activity: Activity = field(default_factory=Activity)
    place: PlaceHistory | None = None


@dataclass(frozen=True)
class ModelConfig:
    """The model's knobs; bands are configurable per shop."""

    base_rate: float = 0.08
    prior_strength: float = 4.0
    medium_cutoff: int = 30
    high_cutoff: int = 70
    high_needs_shops: int = 2


@dataclass(frozen=True)
class Reason:
    """One contributor, in words a shop owner understands; weight is in log-odds."""

    code: str
    text: str
    weight: float


@dataclass(frozen=True)
class Assessment:
    """The model's answer for one order."""

    p_fail: float | None
    score: int | None
    band: Band
    reasons: tuple[Reason, ...]
    model: str = MODEL_VERSION


@dataclass(frozen=True)
class _Part:
    """A contributor; ``own`` is the share of its weight that is this shop's own evidence."""

    code: str
    text: str
    weight: float
    own: float


def band_for(score: int, config: ModelConfig) -> Band:
    """``low`` < medium_cutoff <= ``medium`` < high_cutoff <= ``high``."""
    if score >= config.high_cutoff:
        return "high"
    if score >= config.medium_cutoff:
        return "medium"
    return "low"


def unknown(code: str, text: str) -> Assessment:
    """An honest "we cannot tell", with the reason why."""
    return Assessment(None, None, "unknown", (Reason(code, text, 0.0),))


def assess(data: ModelInput, config: ModelConfig | None = None) -> Assessment:
    """Score one order (see the module docstring for the rules)."""
    config = config or ModelConfig()
    order = data.order
    if order.objected:
        return unknown(
            "objected",
            "The customer objected to risk scoring; this order was not stored or scored.",
        )
    if not set(STRONG_KINDS) & order.identifier_kinds:
        only_name = "name" in order.identifier_kinds
        return unknown(
            "no_identifiers",
            "Only a name came with this order; names are shared by many people, so there is "
            "no delivery history to go on."
            if only_name
            else "No email, phone or address came with this order, so there is no delivery "
            "history to go on.",
        )
    parts = [
        *_history_parts(data.history, config),
        *_order_parts(data, config),
        *_activity_parts(data.activity),
    ]
    if data.place is not None:
        parts.extend(_place_parts(data.place, config))
    base = _logit(config.base_rate)
    p_full = _sigmoid(base + sum(p.weight for p in parts))
    p_own = _sigmoid(base + sum(p.own for p in parts))
    score = _score(p_full)
    reasons = [Reason(p.code, p.text, round(p.weight, 2)) for p in parts if abs(p.weight) >= 0.05]
    reasons.sort(key=lambda r: -abs(r.weight))
    reasons = reasons[:MAX_REASONS]
    if not data.history.own.orders and not data.history.network.orders:
        reasons.append(
            Reason(
                "no_history",
                "No earlier orders from this customer anywhere in the network; the score "
                "rests on this order's facts alone.",
                0.0,
            )
        )
    failing = data.history.network.failing_shops
    if (
        band_for(score, config) == "high"
        and failing < config.high_needs_shops
        and band_for(_score(p_own), config) != "high"
    ):
        score = config.high_cutoff - 1
        p_full = score / 100
        who = "no other shop has" if failing == 0 else "only 1 other shop has"
        reasons.insert(
            0,
            Reason(
                "safeguard_shops",
                f"Held at Medium: {who} reported failed deliveries for this customer, and High "
                f"needs reports from at least {config.high_needs_shops} shops.",
                0.0,
            ),
        )
    return Assessment(round(p_full, 4), score, band_for(score, config), tuple(reasons))


def _history_parts(history: SubjectHistory, config: ModelConfig) -> list[_Part]:
    k = config.prior_strength
    prior_fail = config.base_rate * k
    own_f, own_d = history.own.weighted()
    net_f, net_d = history.network.weighted()
    p_own = (prior_fail + own_f) / (k + own_f + own_d)
    p_all = (prior_fail + own_f + net_f) / (k + own_f + own_d + net_f + net_d)
    parts = []
    if history.own.outcomes:
        own_weight = _logit(p_own) - _logit(config.base_rate)
        text = f"At this shop, {_outcome_words(history.own, 'this customer')}."
        parts.append(_Part("own_history", text, own_weight, own_weight))
    if history.network.outcomes:
        net = history.network
        shops = f"{net.shops} other shop{'s' if net.shops != 1 else ''}"
        text = f"At {shops}, {_outcome_words(net, _matched(history))}"
        if net.failed and net.last_failure_days is not None:
            text += f"; the latest {_age_words(net.last_failure_days)} before this order"
        parts.append(_Part("network_history", text + ".", _logit(p_all) - _logit(p_own), own=0.0))
    return parts


def _order_parts(data: ModelInput, config: ModelConfig) -> list[_Part]:
    order = data.order
    parts = []
    method = order.payment_method
    if method == "cod":
        text = "Cash on delivery: nothing is paid until the parcel arrives."
        parts.append(_Part("cod", text, W_COD, W_COD))
    elif method in PREPAID_METHODS:
        parts.append(_Part("prepaid", "Paid in advance.", W_PREPAID, W_PREPAID))
    median = order.shop_median_total
    if median and median > 0 and order.total >= 2 * median:
        ratio = order.total / median
        weight = W_VALUE_PER_DOUBLING * min(math.log2(ratio), 2.0)
        parts.append(
            _Part(
                "high_value",
                f"The order is about {ratio:.0f}× this shop's usual order value.",
                weight,
                weight,
            )
        )
    if data.history.own.orders == 0:
        parts.append(
            _Part(
                "first_order_here",
                "First order from this customer at this shop.",
                W_FIRST_ORDER_HERE,
                W_FIRST_ORDER_HERE,
            )
        )
    return parts


def _activity_parts(activity: Activity) -> list[_Part]:
    parts = []
    own, net = activity.own_orders_24h, activity.network_orders_24h
    if own + net >= 2:
        total = own + net
        where = ""
        if net:
            n = activity.network_shops_24h
            where = f", {net} of them at {n} other shop{'s' if n != 1 else ''}"
        text = f"{total} other orders from this customer in the 24 hours before this one{where}."
        weight = W_PER_RECENT_ORDER * min(total, 5)
        parts.append(_Part("recent_orders", text, weight, W_PER_RECENT_ORDER * min(own, 5)))
    emails, phones = activity.emails_per_phone, activity.phones_per_email
    if max(emails, phones) >= 3:
        if emails >= phones:
            text = f"This phone number has been used with {emails} different email addresses."
        else:
            text = f"This email address has been used with {phones} different phone numbers."
        weight = W_PER_EXTRA_LINK * min(max(emails, phones) - 2, 4)
        parts.append(_Part("linked_identities", text, weight, 0.0))
    return parts


def _place_parts(place: PlaceHistory, config: ModelConfig) -> list[_Part]:
    parcels = place.delivered + place.failed
    if parcels < PLACE_MIN_PARCELS:
        return []
    k = PLACE_PRIOR_STRENGTH
    rate = (config.base_rate * k + place.failed) / (k + parcels)
    weight = W_PLACE_SCALE * (_logit(rate) - _logit(config.base_rate))
    share = round(100 * place.failed / parcels)
    text = f"{share}% of {parcels} earlier parcels to {place.city} failed across the network."
    return [_Part("place_history", text, weight, 0.0)]


def _outcome_words(tally: Tally, to: str) -> str:
    n, failed = tally.outcomes, tally.failed
    parcel = "parcel" if n == 1 else "parcels"
    if not failed:
        verb = "was" if n == 1 else "were"
        return f"{n} earlier {parcel} to {to} {verb} delivered"
    verb = "was" if failed == 1 else "were"
    kinds = [
        (tally.refused, "refused"),
        (tally.returned, "returned"),
        (tally.undelivered, "not delivered"),
    ]
    present = [(count, word) for count, word in kinds if count]
    if len(present) == 1:
        how = f"{verb} {present[0][1]}"
    else:
        how = "failed (" + ", ".join(f"{count} {word}" for count, word in present) + ")"
    return f"{failed} of {n} earlier {parcel} to {to} {how}"


def _matched(history: SubjectHistory) -> str:
    """Who the network's parcels went to: "this phone number", or the customer and why."""
    kinds = [
        _KIND_WORDS[k]
        for k in STRONG_KINDS
        if k in history.by_kind and history.by_kind[k].network.outcomes
    ]
    if len(kinds) == 1:
        return f"this {kinds[0]}"
    if not kinds:
        return "this customer"
    return f"this customer (same {', '.join(kinds[:-1])} and {kinds[-1]})"


def _age_words(days: float) -> str:
    if days < 1:
        return "less than a day"
    if days < 60:
        whole = int(days)
        return f"{whole} day{'s' if whole != 1 else ''}"
    months = round(days / 30.4)
    return f"about {months} months"


def _score(p: float) -> int:
    return max(0, min(100, round(100 * p)))


def _logit(p: float) -> float:
    p = min(1 - _P_EPS, max(_P_EPS, p))
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    z = math.exp(x)
    return z / (1 + z)
