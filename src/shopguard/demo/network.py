"""A simulated network of other shops for ``--demo``: shared customers, delivery outcomes.

The demo store's customers also buy elsewhere. A few other shops (seeded, so the same
demo always shows the same network) sold to some of them over the last two years: most
parcels were delivered, but some customers refused or returned theirs at two or three
shops. Their orders carry the same email, phone, name and address the demo store's
generator gives those customers, and are pseudonymized exactly as the app does it
(``shopguard.privacy.payload`` with the service's network salt), so the service links
them to the demo store's orders and gives reasons such as "2 of 3 earlier parcels to
this phone were refused" at once.

``simulate_network`` draws the shops' orders (plain ``OrderRecord`` objects, raw data that
never leaves this process); ``post_network`` sends them through the signed API, one
``ServiceClient`` per shop, digests and order facts only.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from shopguard.demo.generator import Customer, DemoOrder, generate, make_customer
from shopguard.privacy.payload import build_order_payload, build_outcome_payload
from shopguard.scoring.service_client import ServiceClient, batch_key
from shopguard.store.records import OrderRecord

NETWORK_SHOPS = (
    "Kalamata Olive House",
    "Thessaloniki Spice Market",
    "North London Deli",
    "Nicosia Sweets",
)
FIRST_NETWORK_ID = 50_001
RECENT_DAYS = 45  # customers with a demo order this recent are shown first by the app
_STATUS_FOR = {
    "delivered": "completed",
    "refused": "cancelled",
    "returned": "refunded",
    "failed": "failed",
}


@dataclass(frozen=True)
class NetworkOrder:
    """One order of another shop, and how its delivery ended (None: still open)."""

    record: OrderRecord
    outcome: str | None
    outcome_at: datetime | None
    default_country: str


@dataclass(frozen=True)
class NetworkShop:
    """Another shop of the network and its orders, oldest first."""

    name: str
    orders: list[NetworkOrder]


@dataclass(frozen=True)
class NetworkSummary:
    """What ``post_network`` sent."""

    shops: int
    orders: int
    outcomes: int
    failed_outcomes: int


def demo_customers(orders: int, seed: int, now: datetime) -> tuple[list[Customer], list[DemoOrder]]:
    """The customers and orders of ``DemoStore(orders=orders, seed=seed)`` (same generator)."""
    return generate(orders, seed, int(now.timestamp()))


def simulate_network(
    customers: Sequence[Customer],
    demo_orders: Sequence[DemoOrder],
    *,
    now: datetime,
    seed: int = 1,
    shops: int = 3,
) -> list[NetworkShop]:
    """Other shops' orders: some of the demo store's customers, and strangers.

    About one customer in six of those with a recent demo order refused or returned
    parcels at two or three other shops (so the service may call them High: it needs two
    independent shops for that); a quarter of the rest ordered elsewhere too and received
    their parcels. Every outcome is dated at least a week before ``now``.
    """
    rng = random.Random(seed * 104_729 + 7)
    names = NETWORK_SHOPS[: max(1, min(shops, len(NETWORK_SHOPS)))]
    orders: dict[str, list[NetworkOrder]] = {name: [] for name in names}
    cutoff = int(now.timestamp()) - RECENT_DAYS * 86400
    recent = sorted({o.customer for o in demo_orders if o.created >= cutoff})
    recent_set = set(recent)
    others = [i for i in range(len(customers)) if i not in recent_set]
    risky = set(rng.sample(recent, k=max(1, len(recent) // 6))) if recent else set()
    risky.update(rng.sample(others, k=min(len(others), len(others) // 30)))
    next_id = FIRST_NETWORK_ID
    for index, customer in enumerate(customers):
        if index in risky:
            visited = rng.sample(names, k=min(len(names), rng.choice((2, 2, 3))))
            fail_odds = 0.85
        elif rng.random() < 0.25:
            visited = rng.sample(names, k=rng.choice((1, 1, 2)))
            fail_odds = 0.04
        else:
            continue
        for shop in visited:
            for _ in range(rng.randint(1, 3) if index in risky else rng.randint(1, 2)):
                orders[shop].append(_order(rng, next_id, customer, now, fail_odds))
                next_id += 1
    for _ in range(len(customers) // 10):  # customers the demo store never met
        stranger = make_customer(rng, 0)
        shop = rng.choice(names)
        orders[shop].append(_order(rng, next_id, stranger, now, 0.08))
        next_id += 1
    return [
        NetworkShop(name, sorted(items, key=lambda o: o.record.date_created_gmt))
        for name, items in orders.items()
    ]


def _order(
    rng: random.Random, woo_id: int, customer: Customer, now: datetime, fail_odds: float
) -> NetworkOrder:
    # Refusals the demo should show are recent (older history counts for less).
    oldest = 240 if fail_odds > 0.5 else 700
    created = now - timedelta(days=rng.uniform(10, oldest), seconds=rng.randrange(86400))
    outcome = "delivered"
    if rng.random() < fail_odds:
        outcome = rng.choice(("refused", "refused", "returned", "failed"))
    outcome_at = min(now - timedelta(days=7), created + timedelta(days=rng.uniform(2, 9)))
    billing = customer.billing
    cod = rng.random() < (0.7 if fail_odds > 0.5 else 0.35)
    record = OrderRecord(
        woo_id=woo_id,
        number=str(woo_id),
        status=_STATUS_FOR[outcome],
        date_created_gmt=created,
        date_modified_gmt=max(created, outcome_at),
        total=Decimal(rng.randrange(1_500, 16_000)) / 100,
        currency="EUR",
        payment_method="cod" if cod else "stripe",
        shipping_method="flat_rate",
        billing_first_name=billing["first_name"],
        billing_last_name=billing["last_name"],
        billing_email=billing["email"],
        billing_phone=billing["phone"],
        billing_address_1=billing["address_1"],
        billing_address_2=billing["address_2"],
        billing_city=billing["city"],
        billing_state=billing["state"],
        billing_postcode=billing["postcode"],
        billing_country=billing["country"],
        # Like the demo store's orders: shipped to the billing address.
        shipping_first_name=billing["first_name"],
        shipping_last_name=billing["last_name"],
        shipping_address_1=billing["address_1"],
        shipping_address_2=billing["address_2"],
        shipping_city=billing["city"],
        shipping_state=billing["state"],
        shipping_postcode=billing["postcode"],
        shipping_country=billing["country"],
    )
    return NetworkOrder(record, outcome, outcome_at, billing["country"])


def post_network(shops: Sequence[NetworkShop], clients: Sequence[ServiceClient]) -> NetworkSummary:
    """Send each shop's orders (scored and stored by the service) and then their outcomes.

    ``clients[i]`` acts for ``shops[i]``. Each batch carries an idempotency key, so posting
    the same network twice changes nothing. Raises ``ServiceError`` if the service fails.
    """
    orders = outcomes = failed = 0
    for shop, client in zip(shops, clients, strict=True):
        config = client.config()
        bodies = [
            _encode(build_order_payload(o.record, config.salt, default_country=o.default_country))
            for o in shop.orders
        ]
        for start in range(0, len(bodies), config.max_batch):
            chunk = bodies[start : start + config.max_batch]
            client.score(chunk, idempotency_key=batch_key(chunk))
        reports = [
            _encode(build_outcome_payload(o.record.woo_id, o.outcome, o.outcome_at))
            for o in shop.orders
            if o.outcome is not None and o.outcome_at is not None
        ]
        for start in range(0, len(reports), config.max_batch):
            chunk = reports[start : start + config.max_batch]
            client.outcomes(chunk, idempotency_key=batch_key(chunk))
        orders += len(bodies)
        outcomes += len(reports)
        failed += sum(1 for o in shop.orders if o.outcome not in (None, "delivered"))
    return NetworkSummary(len(shops), orders, outcomes, failed)


def _encode(payload: dict[str, object]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
