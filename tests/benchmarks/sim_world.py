"""A simulated network of shops, to evaluate the risk model against known truth (issue #4).

Seeded and pure Python (``random`` and ``math``). Everything the model is scored on comes
out of this file as the desktop app's payloads (digests only); the hidden state stays here.

The world (defaults in ``WorldSpec``):

* **Shops** (40) differ in how much they are chosen, whether they offer cash on delivery
  and how strongly their customers take it, their usual order value, their payment
  gateways and their own failure level (courier, goods: a log-odds shift ~ N(0, 0.35)).
* **Towns** (55 in Greece and Cyprus, Zipf-sized) have their own delivery record
  (log-odds shift ~ N(0, 0.3)).
* **Customers** have a hidden reliability ``q``, the chance that a cash-on-delivery order
  of usual value, at an average shop and town, ends failed, refused or returned, drawn
  from a stated Beta mixture: 85% Beta(1.5, 25) (mean 0.057, reliable) and 15%
  Beta(2.5, 3.5) (mean 0.42, unreliable). Unreliable customers prefer cash on delivery
  (habit ~ Beta(4, 1.5) against Beta(2, 2)). Each places 1 + Poisson(λ) orders in the
  year, λ ~ Gamma(1.5, 3) (about 5.7 orders each), spread over 1 + Poisson(2.5)
  favourite shops (repeat buyers across shops: three in four buy at more than one);
  sometimes with a second email, sometimes without a phone; a tenth share an address
  with another household member; a few move; a few orders carry no email, phone or
  address. After a failed order the shop stops offering that customer cash on delivery,
  and 60% of the time they take their next order there to another shop instead.
* **Fraud rings** (about 2.5% of orders) share one or two phones across many fresh
  emails and a few drop addresses; every week or so, for one to three months, they place
  three orders within six hours at shops offering cash on delivery, always cash on
  delivery, about 2.5× the shop's usual value; ``q`` ~ Beta(6, 3).

The true probability of an order is

    logit p = logit q + shop shift + town shift + payment shift + value shift + first-here

with payment shift -1.6 for anything paid in advance (0 for cash on delivery), value
shift 0.25 per doubling of the total over the shop's usual (clipped to -1..2 doublings)
and +0.25 for the customer's first order at that shop. The order is cancelled (before
shipping, not a failure) with chance 3%; otherwise it fails with chance ``p``: refused,
not delivered or returned, a few days to a few weeks after it was placed.

``schedule`` turns the world into the requests of a replay in time order (scores before
outcomes); ``BayesOracle`` is the posterior mean of p for each order knowing these priors,
every order's true customer and order facts, and the outcomes reported so far.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, cast

from shopguard.privacy.hashing import IdentifierKind, Salt, digest

DAY = 86_400
FAILED = frozenset({"failed", "refused", "returned"})
PREPAID_GATEWAYS = ("stripe", "paypal", "bacs", "woocommerce_payments", "vivawallet")
GREEK_TOWNS = (
    "Athens Thessaloniki Patra Heraklion Larisa Volos Ioannina Chania Chalkida Serres "
    "Alexandroupoli Xanthi Katerini Kalamata Kavala Rhodes Lamia Komotini Agrinio Trikala "
    "Drama Kozani Veria Corfu Karditsa Sparti Preveza Zakynthos Mytilene Chios Syros Naxos "
    "Tripoli Argos Nafplio Kos Pyrgos Florina Kastoria Edessa Arta Igoumenitsa Amaliada Aigio "
    "Rethymno Thiva Livadeia Messolonghi Nafpaktos Kilkis"
)
CYPRIOT_TOWNS = "Nicosia Limassol Larnaca Paphos Paralimni"
TOWNS = tuple(("GR", name) for name in GREEK_TOWNS.split()) + tuple(
    ("CY", name) for name in CYPRIOT_TOWNS.split()
)


@dataclass(frozen=True)
class Priors:
    """The simulator's generative constants: what the Bayes oracle is allowed to know."""

    reliable: tuple[float, float] = (1.5, 25.0)
    unreliable: tuple[float, float] = (2.5, 3.5)
    unreliable_share: float = 0.15
    ring: tuple[float, float] = (6.0, 3.0)
    prepaid_shift: float = -1.6
    value_per_doubling: float = 0.25
    first_here_shift: float = 0.25
    shop_sd: float = 0.35
    town_sd: float = 0.3
    cancel_rate: float = 0.03


@dataclass(frozen=True)
class WorldSpec:
    """Size and shape of one world."""

    orders: int = 40_000
    seed: int = 1
    shops: int = 40
    days: int = 365
    ring_share: float = 0.025
    priors: Priors = field(default_factory=Priors)


@dataclass(frozen=True)
class Shop:
    """A member shop. ``cod_bias`` is None when it does not offer cash on delivery."""

    index: int
    popularity: float
    cod_bias: float | None
    shift: float
    median_total: float
    gateways: tuple[str, ...]


@dataclass(frozen=True)
class Town:
    """A delivery town and its hidden failure shift."""

    country: str
    name: str
    weight: float
    shift: float


@dataclass
class SimOrder:
    """One order, with its hidden truth.

    Attributes:
        index: position in time order; order_id: the shop's order number (text).
        shop, entity: who sold and who bought (entity: a customer or a ring).
        created: Unix seconds. identifiers: normalized values by kind (never sent raw).
        p_true: the true failure probability; offset: its log-odds minus ``logit q``
            (the order-fact part, known to the Bayes oracle).
        outcome, outcome_at: what happened and when (Unix seconds).
    """

    index: int
    order_id: str
    shop: int
    entity: int
    created: int
    total: float
    method: str
    identifiers: dict[str, str]
    town: int
    p_true: float
    offset: float
    outcome: str
    outcome_at: int

    @property
    def failed(self) -> bool:
        """Failed, refused or returned."""
        return self.outcome in FAILED

    @property
    def shipped(self) -> bool:
        """Not cancelled before shipping (only shipped orders are evaluated)."""
        return self.outcome != "cancelled"


@dataclass
class World:
    """Shops, towns, the entities' kinds and every order in time order."""

    spec: WorldSpec
    start: int
    shops: list[Shop]
    towns: list[Town]
    entity_kinds: list[str]
    orders: list[SimOrder]

    def payload(self, order: SimOrder, salt: Salt) -> dict[str, object]:
        """The order as the desktop app sends it (hash scheme v1: digests only)."""
        town = self.towns[order.town]
        return {
            "order_id": order.order_id,
            "created_at": iso(order.created),
            "total": f"{order.total:.2f}",
            "currency": "EUR",
            "payment_method": order.method,
            "shipping_method": "free_shipping" if order.total >= 70 else "flat_rate",
            "status": "on-hold" if order.method == "bacs" else "processing",
            "ship_city": town.name,
            "ship_country": town.country,
            "identifiers": {
                kind: digest(salt, cast(IdentifierKind, kind), value)
                for kind, value in sorted(order.identifiers.items())
            },
            "hash_scheme": "v1",
        }

    @staticmethod
    def outcome_payload(order: SimOrder) -> dict[str, str]:
        """The order's delivery outcome as the desktop app sends it."""
        return {"order_id": order.order_id, "outcome": order.outcome, "at": iso(order.outcome_at)}


def iso(seconds: int) -> str:
    """Unix seconds as the payloads' UTC text."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def logit(p: float) -> float:
    """log(p / (1 - p)), with p kept inside (1e-9, 1 - 1e-9)."""
    p = min(1 - 1e-9, max(1e-9, p))
    return math.log(p / (1 - p))


def sigmoid(x: float) -> float:
    """The inverse of ``logit``."""
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    z = math.exp(x)
    return z / (1 + z)


@dataclass
class _Draft:
    """An order drawn with its outcome, before the world is sorted into time order."""

    shop: int
    entity: int
    created: int
    total: float
    method: str
    identifiers: dict[str, str]
    town: int
    p: float
    offset: float
    outcome: str
    outcome_at: int


class _Generator:
    """Draws one world; ``build`` returns it."""

    def __init__(self, spec: WorldSpec, start: int) -> None:
        self.spec = spec
        self.priors = spec.priors
        self.rng = random.Random(spec.seed)
        self.start = start
        self.span = spec.days * DAY
        self.shops = self._shops()
        self.towns = self._towns()
        self.qs: list[float] = []
        self.kinds: list[str] = []
        self.drafts: list[_Draft] = []
        self.households: list[tuple[str, int]] = []
        self.names = [f"name {i}" for i in range(max(200, spec.orders // 15))]

    def _shops(self) -> list[Shop]:
        rng, shops = self.rng, []
        for i in range(self.spec.shops):
            gateways = tuple(g for g in PREPAID_GATEWAYS if rng.random() < 0.5) or ("stripe",)
            shops.append(
                Shop(
                    index=i,
                    popularity=rng.lognormvariate(0, 0.8),
                    cod_bias=rng.gauss(0, 0.7) if rng.random() < 0.85 else None,
                    shift=rng.gauss(0, self.priors.shop_sd),
                    median_total=round(math.exp(rng.uniform(math.log(15), math.log(180))), 2),
                    gateways=gateways,
                )
            )
        return shops

    def _towns(self) -> list[Town]:
        return [
            Town(country, name, 1 / (rank + 1), self.rng.gauss(0, self.priors.town_sd))
            for rank, (country, name) in enumerate(TOWNS)
        ]

    def _time(self) -> int:
        """A moment in the span: a uniform day, busier in the daytime."""
        day = self.rng.randrange(self.spec.days)
        hour = self.rng.choices(range(24), weights=[1] * 7 + [3] * 16 + [2])[0]
        return self.start + day * DAY + hour * 3600 + self.rng.randrange(3600)

    def _shop_choice(self, k: int, *, cod_only: bool = False) -> list[int]:
        """k distinct shops, drawn by popularity."""
        pool = [s for s in self.shops if not cod_only or s.cod_bias is not None]
        chosen: list[int] = []
        while len(chosen) < min(k, len(pool)):
            pick = self.rng.choices(pool, weights=[s.popularity for s in pool])[0].index
            if pick not in chosen:
                chosen.append(pick)
        return chosen

    def _town(self) -> int:
        return self.rng.choices(range(len(self.towns)), weights=[t.weight for t in self.towns])[0]

    def customer(self) -> int:
        """One customer and all their orders, in time order; how many orders.

        After a failed order, the shop stops offering them cash on delivery, and they
        often (60%) take their next order to another shop instead.
        """
        rng, priors = self.rng, self.priors
        entity = len(self.qs)
        unreliable = rng.random() < priors.unreliable_share
        a, b = priors.unreliable if unreliable else priors.reliable
        self.qs.append(rng.betavariate(a, b))
        self.kinds.append("customer")
        habit = rng.betavariate(4, 1.5) if unreliable else rng.betavariate(2, 2)
        count = 1 + _poisson(rng, rng.gammavariate(1.5, 3.0))
        favourites = self._shop_choice(1 + _poisson(rng, 2.5))
        spend = rng.lognormvariate(0, 0.3)
        if self.households and rng.random() < 0.1:
            address, town = rng.choice(self.households)
        else:
            address, town = f"address {entity}", self._town()
            self.households.append((address, town))
        email, phone = f"customer{entity}@mail.example", f"+30690{entity:07d}"
        second_email = f"other{entity}@mail.example" if rng.random() < 0.2 else None
        name = rng.choice(self.names)
        moves_at = self._time() if rng.random() < 0.05 else None
        failed_at: dict[int, int] = {}  # shop -> when the customer's failure there was known
        visited: set[int] = set()
        for created in sorted(self._time() for _ in range(count)):
            weights = [1.0 / math.sqrt(i + 1) for i in range(len(favourites))]
            where = rng.choices(favourites, weights=weights)[0]
            burnt = {s for s, at in failed_at.items() if at <= created}
            if where in burnt and rng.random() < 0.6:
                others = [s for s in favourites if s not in burnt]
                where = rng.choice(others) if others else self._shop_choice(1)[0]
                if where not in favourites:
                    favourites.append(where)
            ids = {"name": name}
            if rng.random() > 0.004:
                ids["email"] = second_email if second_email and rng.random() < 0.3 else email
                if rng.random() < 0.9:
                    ids["phone"] = phone
                moved = moves_at is not None and created >= moves_at
                ids["address"] = f"new {address}" if moved else address
            shop = self.shops[where]
            cod = (
                shop.cod_bias is not None
                and where not in burnt
                and rng.random() < sigmoid(logit(habit) + shop.cod_bias)
            )
            total = shop.median_total * spend * rng.lognormvariate(0, 0.55)
            draft = self._order(entity, where, created, total, cod, ids, town, where not in visited)
            visited.add(where)
            if draft.outcome in FAILED:
                failed_at.setdefault(where, draft.outcome_at)
        return count

    def ring(self) -> int:
        """One fraud ring's bursts of orders; how many orders."""
        rng = self.rng
        entity = len(self.qs)
        self.qs.append(rng.betavariate(*self.priors.ring))
        self.kinds.append("ring")
        phones = [f"+30699{entity:05d}{i}" for i in range(rng.choice((1, 1, 2)))]
        drops = [f"drop {entity} {i}" for i in range(rng.randint(2, 4))]
        town = self._town()
        emails: list[str] = []
        visited: set[int] = set()
        at = float(self._time())
        end = min(at + rng.uniform(30, 90) * DAY, self.start + self.span)
        count = 0
        while at < end:
            for created in sorted(int(at + rng.uniform(0, 6 * 3600)) for _ in range(3)):
                where = self._shop_choice(1, cod_only=True)[0]
                if not emails or rng.random() < 0.85:
                    emails.append(f"ring{entity}.{len(emails)}@mail.example")
                ids = {
                    "email": emails[-1] if rng.random() < 0.85 else rng.choice(emails),
                    "phone": rng.choice(phones),
                    "name": rng.choice(self.names),
                    "address": rng.choice(drops) if rng.random() < 0.5 else f"r{entity}.{count}",
                }
                total = self.shops[where].median_total * rng.lognormvariate(math.log(2.5), 0.4)
                self._order(entity, where, created, total, True, ids, town, where not in visited)
                visited.add(where)
                count += 1
            at += rng.expovariate(1 / (7 * DAY))
        return count

    def _order(
        self,
        entity: int,
        where: int,
        created: int,
        total: float,
        cod: bool,
        ids: dict[str, str],
        town: int,
        first_here: bool,
    ) -> _Draft:
        """The order's true probability and its outcome (kept in ``drafts``)."""
        rng, priors = self.rng, self.priors
        shop = self.shops[where]
        total = round(max(1.0, total), 2)
        doublings = min(2.0, max(-1.0, math.log2(total / shop.median_total)))
        offset = (
            shop.shift
            + self.towns[town].shift
            + (0.0 if cod else priors.prepaid_shift)
            + priors.value_per_doubling * doublings
            + (priors.first_here_shift if first_here else 0.0)
        )
        p = sigmoid(logit(self.qs[entity]) + offset)
        if rng.random() < priors.cancel_rate:
            outcome, delay = "cancelled", rng.uniform(0.1, 1.0)
        elif rng.random() < p:
            kinds = ("refused", "failed", "returned")
            outcome = rng.choices(kinds, weights=(7, 2, 1) if cod else (0, 4, 6))[0]
            low, high = {"refused": (2, 9), "failed": (3, 12), "returned": (10, 30)}[outcome]
            delay = rng.uniform(low, high)
        else:
            outcome, delay = "delivered", rng.uniform(1, 6)
        method = "cod" if cod else rng.choice(shop.gateways)
        draft = _Draft(
            where,
            entity,
            created,
            total,
            method,
            ids,
            town,
            p,
            offset,
            outcome,
            created + int(delay * DAY),
        )
        self.drafts.append(draft)
        return draft

    def build(self) -> World:
        """Customers, then rings, until the order count is reached; in time order."""
        target = self.spec.orders
        ring_target = round(target * self.spec.ring_share)
        made = 0
        while made < target - ring_target:
            made += self.customer()
        while made < target:
            made += self.ring()
        self.drafts.sort(key=lambda d: d.created)
        numbers: dict[int, int] = defaultdict(lambda: 1000)
        orders = []
        for index, d in enumerate(self.drafts):
            numbers[d.shop] += 1
            orders.append(
                SimOrder(
                    index=index,
                    order_id=str(numbers[d.shop]),
                    shop=d.shop,
                    entity=d.entity,
                    created=d.created,
                    total=d.total,
                    method=d.method,
                    identifiers=d.identifiers,
                    town=d.town,
                    p_true=d.p,
                    offset=d.offset,
                    outcome=d.outcome,
                    outcome_at=d.outcome_at,
                )
            )
        return World(self.spec, self.start, self.shops, self.towns, self.kinds, orders)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def default_start(days: int) -> int:
    """Midnight UTC, so that the world ends about a hundred days before today.

    Relative to today: the service refuses order times in the future and purges records
    older than 24 months, so a fixed date would stop working one day.
    """
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return int((today - timedelta(days=days + 100)).timestamp())


def generate(spec: WorldSpec, start: int | None = None) -> World:
    """The world of ``spec`` (the same seed gives the same world, whatever the start)."""
    return _Generator(spec, default_start(spec.days) if start is None else start).build()


# --- The replay's requests ------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One request of the replay: score orders, or report outcomes, for one shop."""

    kind: Literal["score", "outcomes"]
    shop: int
    orders: tuple[int, ...]


def schedule(world: World, *, slice_hours: float = 72.0, max_batch: int = 100) -> list[Step]:
    """The replay in time order, one slice of ``slice_hours`` at a time (each shop syncs
    once a slice, as the desktop app does on each sync).

    At the start of each slice, the outcomes that happened by then are reported (per shop,
    in batches); then the slice's orders are scored (per shop, shops in order of their
    first order in the slice). So an order is always scored before its outcome is
    reported, and it sees the outcomes that happened before its slice began.
    """
    steps: list[Step] = []
    length = int(slice_hours * 3600)
    pending = sorted(world.orders, key=lambda o: o.outcome_at)
    orders = world.orders
    done = i = 0
    t = world.start
    while i < len(orders):
        due: dict[int, list[int]] = defaultdict(list)
        while done < len(pending) and pending[done].outcome_at <= t:
            due[pending[done].shop].append(pending[done].index)
            done += 1
        for shop, indices in sorted(due.items()):
            steps.extend(_batches("outcomes", shop, indices, max_batch))
        now: dict[int, list[int]] = {}
        while i < len(orders) and orders[i].created < t + length:
            now.setdefault(orders[i].shop, []).append(i)
            i += 1
        for shop, indices in now.items():
            steps.extend(_batches("score", shop, indices, max_batch))
        t += length
    return steps


def _batches(
    kind: Literal["score", "outcomes"], shop: int, indices: list[int], size: int
) -> list[Step]:
    return [Step(kind, shop, tuple(indices[k : k + size])) for k in range(0, len(indices), size)]


# --- The Bayes oracle -----------------------------------------------------------------


class BayesOracle:
    """The posterior mean of p for each order, knowing the priors and the true customer.

    Each entity's ``logit q`` has the prior mixture of the simulator (reliable, unreliable,
    ring; weighted by their shares among entities), kept on a grid. Each reported outcome
    multiplies in its likelihood ``sigmoid(z + offset)``; a prediction averages
    ``sigmoid(z + offset)`` over the posterior. It knows every order fact the simulator
    uses (shop, town, payment, value, first order here: ``offset``) but not the entity's
    kind nor any outcome not yet reported.
    """

    def __init__(self, world: World, points: int = 161) -> None:
        priors = world.spec.priors
        rings = world.entity_kinds.count("ring") / len(world.entity_kinds)
        components = (
            ((1 - rings) * (1 - priors.unreliable_share), *priors.reliable),
            ((1 - rings) * priors.unreliable_share, *priors.unreliable),
            (rings, *priors.ring),
        )
        self.grid = [-9.0 + 13.0 * k / (points - 1) for k in range(points)]
        prior = []
        for z in self.grid:
            q = sigmoid(z)
            density = sum(w * _beta_pdf(q, a, b) for w, a, b in components if w > 0)
            prior.append(math.log(max(density * q * (1 - q), 1e-300)))
        self._prior = prior
        self._log_post: dict[int, list[float]] = {}
        self._weights: dict[int, list[float]] = {}
        self._prior_weights = _normalize(prior)

    def observe(self, entity: int, offset: float, failed: bool) -> None:
        """Multiply in one reported outcome of the entity."""
        post = self._log_post.get(entity)
        if post is None:
            post = self._log_post[entity] = list(self._prior)
        for k, z in enumerate(self.grid):
            x = z + offset
            # log sigmoid(x) or log(1 - sigmoid(x)), stable for large |x|.
            s = -x if failed else x
            post[k] -= s + math.log1p(math.exp(-s)) if s > 0 else math.log1p(math.exp(s))
        self._weights.pop(entity, None)

    def predict(self, entity: int, offset: float) -> float:
        """The posterior mean of the order's failure probability."""
        weights = self._weights.get(entity)
        if weights is None:
            post = self._log_post.get(entity)
            weights = self._prior_weights if post is None else _normalize(post)
            self._weights[entity] = weights
        return sum(w * sigmoid(z + offset) for w, z in zip(weights, self.grid, strict=True))


def _normalize(logs: Sequence[float]) -> list[float]:
    top = max(logs)
    raw = [math.exp(v - top) for v in logs]
    total = sum(raw)
    return [r / total for r in raw]


def _beta_pdf(q: float, a: float, b: float) -> float:
    log_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    return math.exp(log_norm + (a - 1) * math.log(q) + (b - 1) * math.log(1 - q))
