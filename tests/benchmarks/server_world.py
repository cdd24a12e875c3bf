"""A synthetic multi-shop world for the scoring service's load benchmark, and its seeding.

Everything is derived from a few parameters and a seed, so the seeding process and the load
processes agree on shops, secrets and customers without talking to each other:

* shops: Zipf-sized (exponent 0.8: the biggest of 1,000 holds about 6% of the orders), 60%
  in Greece (EUR) and 40% in the UK (GBP); id ``shop_bench0000``, secret derived from the seed;
* customers: a home town (Zipf over 800 Greek and 1,200 British towns: the biggest town of a
  country gets about 13% of its parcels), one to three shops, a hidden failure rate; 2% share
  a phone with a fraud ring, 10% share a household address, 8% sometimes use a second email,
  names collide (one name digest per six customers); some customers order far more often;
* orders: spread over the last 700 days; 93% of those older than ten days have an outcome
  (delivered, refused, returned, failed, cancelled) a few days after the order.

Identifiers are random digests (SHA-256 of the seed and a customer key): never anything
personal. They are stored exactly as the service stores them, HMAC-SHA256 under the pepper.

Seeding writes straight into the service's tables with the driver's ``executemany`` (SQLite)
or ``COPY`` (PostgreSQL, copied from the seeded SQLite file), not through HTTP.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
import random
import sqlite3
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from shopguard.server.repos.orders import city_key
from shopguard.server.settings import Pepper

SEED_VERSION = 3  # bumped when the generated world or the way it is stored changes
PEPPER_HEX = "5e" * 32  # the benchmark's server-side pepper (a test value, not a secret)
COUNTRIES = (("GR", "EUR", 800, 0.6, 0.45), ("GB", "GBP", 1200, 0.4, 0.12))
FAILED_KINDS = (("refused", 0.5), ("returned", 0.3), ("failed", 0.2))
PAYMENTS = ("stripe", "paypal", "bacs")
SHIPPING = ("flat_rate", "free_shipping", "local_pickup")
SYLLABLES = ("ka", "lo", "ni", "ma", "ra", "to", "pe", "si", "vo", "de", "li", "ko", "an", "or")
HISTORY_DAYS = 700
CHUNK = 20_000
_U32 = 2.0**32


def town_name(country: str, index: int) -> str:
    """A made-up town name (letters only, so it never looks like personal data)."""
    parts = []
    n = index + (0 if country == "GR" else 7919)
    for _ in range(4):
        n, r = divmod(n, len(SYLLABLES))
        parts.append(SYLLABLES[r])
    suffix = "polis" if country == "GR" else "ton"
    return ("".join(parts) + suffix).capitalize()


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = sum(weights)
    out, running = [], 0.0
    for w in weights:
        running += w / total
        out.append(running)
    out[-1] = 1.0
    return out


@dataclass(frozen=True)
class Customer:
    """A customer's stable traits (keys of their identifiers, not digests)."""

    cid: int
    country: int
    town: str
    shops: tuple[int, ...]
    p_fail: float
    cod_bias: float
    email: str
    alt_email: str | None
    phone: str
    name: str
    address: str


@dataclass(frozen=True)
class World:
    """The benchmark world: ``orders`` stored orders across ``shops`` shops."""

    orders: int = 1_000_000
    shops: int = 1_000
    seed: int = 7

    @property
    def customers(self) -> int:
        """Customers who may have ordered (about three orders each, skewed)."""
        return max(10, self.orders // 3)

    @property
    def names(self) -> int:
        """Distinct names: several customers share one."""
        return max(5, self.customers // 6)

    @property
    def rings(self) -> int:
        """Phones shared by fraud rings."""
        return max(1, self.customers // 500)

    def key(self) -> str:
        """What a seeded database depends on (cache key)."""
        return f"o{self.orders}-s{self.shops}-r{self.seed}-v{SEED_VERSION}"

    # Shops ---------------------------------------------------------------------------

    def shop_id(self, index: int) -> str:
        """The id of shop ``index``."""
        return f"shop_bench{index:05d}"

    def shop_secret(self, index: int) -> str:
        """The secret of shop ``index`` (derived: the load processes need it too)."""
        return hashlib.sha256(f"sg-bench|{self.seed}|secret|{index}".encode()).hexdigest()

    def shop_country(self, index: int) -> int:
        """0 for Greece, 1 for the UK."""
        return 0 if index % 5 < 3 else 1

    @cached_property
    def shop_weights(self) -> list[float]:
        """Each shop's share of the orders (Zipf, exponent 0.8)."""
        return [(i + 1) ** -0.8 for i in range(self.shops)]

    @cached_property
    def _shops_by_country(self) -> list[tuple[list[int], list[float]]]:
        out = []
        for country in range(len(COUNTRIES)):
            members = [i for i in range(self.shops) if self.shop_country(i) == country]
            if not members:
                members = list(range(self.shops))
            out.append((members, _cumulative([self.shop_weights[i] for i in members])))
        return out

    @cached_property
    def _shops_overall(self) -> list[float]:
        return _cumulative(self.shop_weights)

    def pick_shop(self, u: float) -> int:
        """A shop, in proportion to its size."""
        return min(bisect.bisect_left(self._shops_overall, u), self.shops - 1)

    # Towns ---------------------------------------------------------------------------

    @cached_property
    def _towns(self) -> list[tuple[list[str], list[float]]]:
        out = []
        for country, _currency, count, _share, _cod in COUNTRIES:
            names = [town_name(country, i) for i in range(count)]
            out.append((names, _cumulative([1.0 / (i + 1) for i in range(count)])))
        return out

    # Customers -------------------------------------------------------------------------

    def customer(self, cid: int) -> Customer:
        """Customer ``cid``'s traits, the same in every process."""
        raw = hashlib.blake2b(f"{self.seed}|{cid}".encode(), digest_size=40).digest()
        u = [x / _U32 for x in struct.unpack("<10I", raw)]
        country = 0 if u[0] < COUNTRIES[0][3] else 1
        names, cumulative = self._towns[country]
        town = names[min(bisect.bisect_left(cumulative, u[1]), len(names) - 1)]
        members, shop_cumulative = self._shops_by_country[country]

        def shop(v: float) -> int:
            return members[min(bisect.bisect_left(shop_cumulative, v), len(members) - 1)]

        shops = [shop(u[2])]
        if u[3] < 0.35:
            shops.append(shop((u[2] + u[4]) % 1.0))
            if u[3] < 0.10:
                shops.append(shop((u[2] + 2 * u[4]) % 1.0))
        ring = u[5] < 0.02
        p_fail = 0.45 if ring else min(0.9, -math.log(max(u[6], 1e-9)) * 0.07)
        household = u[7] < 0.10 and cid > 0
        return Customer(
            cid=cid,
            country=country,
            town=town,
            shops=tuple(dict.fromkeys(shops)),
            p_fail=p_fail,
            cod_bias=COUNTRIES[country][4],
            email=f"e{cid}",
            alt_email=f"e{cid}b" if u[8] < 0.08 else None,
            phone=f"ring{int(u[9] * self.rings)}" if ring else f"p{cid}",
            name=f"n{cid % self.names}",
            address=f"a{cid - 1}" if household else f"a{cid}",
        )

    def pick_customer(self, u: float) -> int:
        """A customer id, skewed: a few customers order far more often."""
        return min(int(self.customers * u**1.5), self.customers - 1)

    def client_digest(self, kind: str, key: str) -> str:
        """What a shop would send for this identifier: a random-looking v1 digest."""
        return hashlib.sha256(f"sg-bench|{self.seed}|{kind}|{key}".encode()).hexdigest()


def pepper() -> Pepper:
    """The benchmark's pepper."""
    return Pepper.from_hex(PEPPER_HEX)


# Seeding ---------------------------------------------------------------------------------


@dataclass
class _Row:
    orders: list[tuple[Any, ...]]
    identifiers: list[tuple[Any, ...]]


def _timestamp(moment: datetime) -> str:
    """How SQLAlchemy stores a naive UTC datetime in SQLite."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def generate(world: World, now: datetime) -> Iterator[_Row]:
    """The stored orders and identifiers, in chunks, oldest order first."""
    rng = random.Random(world.seed)
    stored = pepper().stored
    digests: dict[tuple[str, str], str] = {}

    def digest(kind: str, key: str) -> str:
        value = digests.get((kind, key))
        if value is None:
            value = digests[(kind, key)] = stored(world.client_digest(kind, key))
        return value

    customers: dict[int, Customer] = {}
    next_order = [0] * world.shops
    span = HISTORY_DAYS * 86400
    ages = sorted((rng.random() * span for _ in range(world.orders)), reverse=True)
    pk = ident_pk = 0
    for start in range(0, world.orders, CHUNK):
        rows = _Row([], [])
        for age in ages[start : start + CHUNK]:
            cid = world.pick_customer(rng.random())
            customer = customers.get(cid) or customers.setdefault(cid, world.customer(cid))
            shop = customer.shops[int(rng.random() * len(customer.shops))]
            next_order[shop] += 1
            pk += 1
            created = now - timedelta(seconds=int(age))
            cod = rng.random() < customer.cod_bias
            outcome = outcome_at = None
            days_old = age / 86400
            if (days_old > 10 and rng.random() < 0.93) or (days_old > 3 and rng.random() < 0.5):
                outcome = _outcome(rng, customer.p_fail * (1.6 if cod else 0.6))
                outcome_at = min(now, created + timedelta(seconds=rng.randrange(86400, 9 * 86400)))
            country, currency = COUNTRIES[world.shop_country(shop)][:2]
            del country
            total = int(math.exp(rng.gauss(3.8, 0.7)) * 100)
            rows.orders.append(
                (
                    pk,
                    world.shop_id(shop),
                    str(next_order[shop]),
                    _timestamp(created),
                    total,
                    currency,
                    "cod" if cod else PAYMENTS[int(rng.random() * 3)],
                    SHIPPING[int(rng.random() * 3)],
                    "completed" if outcome == "delivered" else "processing",
                    customer.town,
                    city_key(customer.town),
                    COUNTRIES[customer.country][0],
                    outcome,
                    _timestamp(outcome_at) if outcome_at else None,
                    _timestamp(outcome_at or created),
                    None,
                    0,
                )
            )
            email = customer.email
            if customer.alt_email and rng.random() < 0.3:
                email = customer.alt_email
            keys = {"email": email, "phone": customer.phone}
            keys.update(name=customer.name, address=customer.address)
            roll = rng.random()
            if roll < 0.05:
                del keys["phone"]
            elif roll < 0.08:
                del keys["email"]
            for kind, key in keys.items():
                ident_pk += 1
                rows.identifiers.append((ident_pk, pk, kind, digest(kind, key)))
        yield rows


def _outcome(rng: random.Random, p_fail: float) -> str:
    roll = rng.random()
    if roll < 0.03:
        return "cancelled"
    if roll < 0.03 + 0.97 * min(p_fail, 0.95):
        pick = rng.random()
        for kind, share in FAILED_KINDS:
            if pick < share:
                return kind
            pick -= share
        return "failed"
    return "delivered"


ORDER_COLUMNS = (
    "id",
    "shop_id",
    "order_id",
    "created_at",
    "total_cents",
    "currency",
    "payment_method",
    "shipping_method",
    "status",
    "ship_city",
    "city_key",
    "ship_country",
    "outcome",
    "outcome_at",
    "updated_at",
    "dispute_note",
    "network_excluded",
)
IDENTIFIER_COLUMNS = ("id", "order_pk", "kind", "digest")
SHOP_COLUMNS = (
    "id",
    "name",
    "secret",
    "revoked",
    "created_at",
    "revoked_at",
    "medium_cutoff",
    "high_cutoff",
)


def shop_rows(world: World, now: datetime) -> list[tuple[Any, ...]]:
    """The shops table's rows."""
    created = _timestamp(now - timedelta(days=HISTORY_DAYS + 30))
    return [
        (world.shop_id(i), f"Bench shop {i}", world.shop_secret(i), 0, created, None, None, None)
        for i in range(world.shops)
    ]


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


def seed_sqlite(path: Path, world: World, now: datetime) -> dict[str, float]:
    """Fill a migrated, empty SQLite database; seconds per phase."""
    timings: dict[str, float] = {}
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-2000000")
        # The indexes stay while the rows go in, so their pages are as full as a year of
        # traffic leaves them. Built at the end instead, they would be packed full, and the
        # first batches stored would split a page with nearly every new identifier.
        started = _clock()
        connection.execute("BEGIN")
        connection.executemany(_insert_sql("shops", SHOP_COLUMNS), shop_rows(world, now))
        for rows in generate(world, now):
            connection.executemany(_insert_sql("orders", ORDER_COLUMNS), rows.orders)
            connection.executemany(
                _insert_sql("order_identifiers", IDENTIFIER_COLUMNS), rows.identifiers
            )
        connection.execute("COMMIT")
        timings["generate and insert"] = _clock() - started
    finally:
        connection.close()
    return timings


def copy_to_postgres(sqlite_path: Path, url: str) -> dict[str, float]:
    """Copy the seeded tables from the SQLite file into a migrated, empty PostgreSQL
    database with COPY (indexes dropped meanwhile and rebuilt after)."""
    import psycopg

    timings: dict[str, float] = {}
    parsed = make_url(url)
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    tables = (
        ("shops", SHOP_COLUMNS),
        ("orders", ORDER_COLUMNS),
        ("order_identifiers", IDENTIFIER_COLUMNS),
    )
    with psycopg.connect(
        host=str(parsed.query["host"]),
        port=int(str(parsed.query.get("port", 5432))),
        user=parsed.username,
        dbname=parsed.database,
        autocommit=True,
    ) as target:
        indexes = target.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
            "AND i.tablename IN ('orders', 'order_identifiers') AND NOT EXISTS ("
            "SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ).fetchall()
        for name, _sql in indexes:
            target.execute(f'DROP INDEX "{name}"')  # type: ignore[arg-type]
        started = _clock()
        # The rows are consistent by construction: no foreign-key checks, and no triggers
        # (the towns' statistics are built from the orders afterwards).
        target.execute("SET session_replication_role = replica")
        booleans = {"revoked", "network_excluded"}
        for table, columns in tables:
            flags = [i for i, c in enumerate(columns) if c in booleans]
            select = f"SELECT {', '.join(columns)} FROM {table} ORDER BY id"
            copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with target.cursor() as cursor, cursor.copy(copy_sql) as copy:  # type: ignore[arg-type]
                for row in source.execute(select):
                    if flags:
                        row = list(row)
                        for i in flags:
                            row[i] = bool(row[i])
                    copy.write_row(row)
        for table in ("orders", "order_identifiers"):
            target.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # type: ignore[arg-type]
                f"(SELECT max(id) FROM {table}))"
            )
        target.execute("SET session_replication_role = DEFAULT")
        timings["copy"] = _clock() - started
        started = _clock()
        for _name, sql in indexes:
            target.execute(sql)  # type: ignore[arg-type]
        timings["build indexes"] = _clock() - started
    source.close()
    return timings


def settle_postgres(url: str) -> dict[str, float]:
    """What a running server's database looks like after a while: vacuumed (the triggers'
    changes, folded into the towns' statistics, leave dead rows), analyzed, and every table
    and index in the buffers (the SQLite runs read their freshly copied file from the OS's
    cache alike)."""
    import psycopg

    parsed = make_url(url)
    timings = {}
    with psycopg.connect(
        host=str(parsed.query["host"]),
        port=int(str(parsed.query.get("port", 5432))),
        user=parsed.username,
        dbname=parsed.database,
        autocommit=True,
    ) as target:
        started = _clock()
        target.execute("VACUUM ANALYZE")
        timings["vacuum"] = _clock() - started
        started = _clock()
        target.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        target.execute(
            "SELECT pg_prewarm(c.oid) FROM pg_class c "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i')"
        )
        timings["prewarm"] = _clock() - started
    return timings


def _clock() -> float:
    import time

    return time.perf_counter()


# Load ------------------------------------------------------------------------------------


class BatchMaker:
    """Batches of new orders for the load processes: returning and new customers mixed.

    With ``share=(k, n)`` only the shops whose index is ``k`` modulo ``n`` send: ``n``
    load processes then act for disjoint sets of shops, as real shops do (a shop's app
    sends its batches one after the other, never two at once).
    """

    def __init__(
        self,
        world: World,
        stream: int,
        returning: float = 0.6,
        share: tuple[int, int] = (0, 1),
    ) -> None:
        self.world = world
        self.rng = random.Random(world.seed * 1000 + stream)
        self.stream = stream
        self.returning = returning
        self.share = share
        self.counter = itertools.count(1)

    def batch(self, size: int, now: datetime) -> tuple[int, list[dict[str, Any]]]:
        """(shop index, order payloads) of one batch from one shop."""
        rng, world = self.rng, self.world
        mine, parts = self.share
        shop = world.pick_shop(rng.random())
        while shop % parts != mine:  # the shops' sizes still weigh, within this share
            shop = world.pick_shop(rng.random())
        currency = COUNTRIES[world.shop_country(shop)][1]
        orders = []
        for _ in range(size):
            if rng.random() < self.returning:
                customer = world.customer(world.pick_customer(rng.random()))
                ids = {
                    "email": customer.email,
                    "phone": customer.phone,
                    "name": customer.name,
                    "address": customer.address,
                }
                digests = {kind: world.client_digest(kind, key) for kind, key in ids.items()}
                town, country, cod_bias = (
                    customer.town,
                    COUNTRIES[customer.country][0],
                    customer.cod_bias,
                )
            else:
                digests = {kind: rng.randbytes(32).hex() for kind in ("email", "phone", "address")}
                digests["name"] = world.client_digest("name", f"n{rng.randrange(world.names)}")
                country_index = world.shop_country(shop)
                names, cumulative = world._towns[country_index]
                town = names[min(bisect.bisect_left(cumulative, rng.random()), len(names) - 1)]
                country, cod_bias = COUNTRIES[country_index][0], COUNTRIES[country_index][4]
            created = now - timedelta(seconds=rng.randrange(120))
            orders.append(
                {
                    "order_id": f"L{self.stream}-{next(self.counter)}",
                    "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "total": f"{math.exp(rng.gauss(3.8, 0.7)):.2f}",
                    "currency": currency,
                    "payment_method": "cod" if rng.random() < cod_bias else "stripe",
                    "shipping_method": SHIPPING[int(rng.random() * 3)],
                    "status": "processing",
                    "ship_city": town,
                    "ship_country": country,
                    "identifiers": digests,
                    "hash_scheme": "v1",
                }
            )
        return shop, orders


def utc_now() -> datetime:
    """Now, in UTC, whole seconds."""
    return datetime.now(UTC).replace(microsecond=0)
