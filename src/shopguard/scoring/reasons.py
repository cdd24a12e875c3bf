"""The risk model's reasons, in words a shop owner understands.

Each feature of ``shopguard.scoring.model`` but the intercept makes a reason when its share
(the weight in log-odds) is at least 0.05: its words carry counts only ("2 of 3 earlier
parcels to this phone number were refused"), never a customer. ``model.assess`` adds the
reasons that are not features (no history, the safeguard, no identifiers, objected).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopguard.scoring.model import ModelInput, SubjectHistory, Tally

REASON_TITLES = {
    "own_history": "Customer's record at this shop",
    "network_history": "Customer's record at other shops",
    "cod": "Cash on delivery",
    "prepaid": "Pays before delivery",
    "high_value": "Order far above the usual value",
    "low_value": "Order below the usual value",
    "first_order_here": "First order from this customer",
    "recent_orders": "Several orders within 24 hours",
    "linked_identities": "Phone or email linked to others",
    "place_history": "Deliveries to this town often fail",
    "no_identifiers": "No email, phone or address",
    "no_history": "No earlier orders anywhere",
    "safeguard_shops": "Held at Medium (too few shops)",
    "objected": "Customer objected to scoring",
}
"""A short title per reason code, for summaries over many orders (a reason's own text
speaks of one order: "At 2 other shops, 3 of 4 parcels ..."); short enough for a chart's
labels beside a narrow window (at most 35 characters)."""

# The strong identifier kinds (``model.STRONG_KINDS``, in its order), as a reason names them.
STRONG_KIND_WORDS = {"email": "email", "phone": "phone number", "address": "address"}


@dataclass(frozen=True)
class Reason:
    """One contributor, in words a shop owner understands; weight is in log-odds."""

    code: str
    text: str
    weight: float


def strength(reason: Reason) -> float:
    """Sort key: the strongest contributor first."""
    return -abs(reason.weight)


class _Reasons(list[Reason]):
    """The reasons of one order: a contributor is kept only when its share (the weight in
    log-odds) is at least 0.05, with that share rounded to two decimals."""

    def add(self, code: str, text: str, weight: float) -> None:
        """Keep the contributor if it is strong enough."""
        if abs(weight) >= 0.05:
            self.append(Reason(code, text, round(weight, 2)))


def contributions(
    data: ModelInput, measured: Mapping[str, tuple[float, float]], weights: Mapping[str, float]
) -> list[Reason]:
    """The features that make reasons, with their words (the intercept and a shop-usual
    order value make none); those too weak to mention are left out."""

    def weight(name: str) -> float:
        return weights[name] * measured[name][0]

    history, activity, order = data.history, data.activity, data.order
    parts = _Reasons()
    if history.own.outcomes:
        text = f"At this shop, {_outcome_words(history.own, 'this customer')}."
        parts.add("own_history", text, weight("own_history"))
    if history.network.outcomes:
        net = history.network
        shops = f"{net.shops} other shop{'s' if net.shops != 1 else ''}"
        text = f"At {shops}, {_outcome_words(net, _matched(history))}"
        if net.failed and net.last_failure_days is not None:
            text += f"; the latest {_age_words(net.last_failure_days)} before this order"
        parts.add("network_history", text + ".", weight("network_history"))
    if measured["cod"][0]:
        text = "Cash on delivery: nothing is paid until the parcel arrives."
        parts.add("cod", text, weight("cod"))
    if measured["prepaid"][0]:
        parts.add(
            "prepaid", "Pays before the parcel is sent (not cash on delivery).", weight("prepaid")
        )
    median = order.shop_median_total
    if measured["value"][0] and median:
        ratio = order.total / median
        if ratio >= 1:
            times = f"{ratio:.0f}" if ratio >= 2 else f"{ratio:.1f}"
            text = f"The order is about {times}× this shop's usual order value."
            parts.add("high_value", text, weight("value"))
        else:
            text = f"The order is below this shop's usual order value (about {ratio:.0%} of it)."
            parts.add("low_value", text, weight("value"))
    if measured["first_order_here"][0]:
        text = "First order from this customer at this shop."
        parts.add("first_order_here", text, weight("first_order_here"))
    here, elsewhere = activity.own_orders_24h, activity.network_orders_24h
    if here + elsewhere:
        total = here + elsewhere
        where = ""
        if elsewhere:
            n = activity.network_shops_24h
            at = f"{n} other shop{'s' if n != 1 else ''}"
            where = f", {elsewhere} of them at {at}" if total > 1 else f", at {at}"
        orders = "other orders" if total > 1 else "other order"
        text = f"{total} {orders} from this customer in the 24 hours before this one{where}."
        parts.add("recent_orders", text, weight("recent_orders"))
    emails, phones = activity.emails_per_phone, activity.phones_per_email
    if measured["extra_links"][0]:
        if emails >= phones:
            text = f"This phone number has been used with {emails} different email addresses."
        else:
            text = f"This email address has been used with {phones} different phone numbers."
        parts.add("linked_identities", text, weight("extra_links"))
    if measured["place"][0] and data.place is not None:
        place = data.place
        parcels = place.delivered + place.failed
        share = round(100 * place.failed / parcels)
        text = f"{share}% of {parcels} earlier parcels to {place.city} failed across the network."
        parts.add("place_history", text, weight("place"))
    return parts


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
        STRONG_KIND_WORDS[k]
        for k in STRONG_KIND_WORDS
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
