"""What the network knew about each order when the order was placed.

The only queries that read across shops: they return aggregate counts (per shop, then
summed here), never another shop's rows. Point in time: for an order placed at ``t`` only
earlier orders count, and only outcomes reported at or before ``t``; so a back-filled
history scores each order as it would have been scored live.

Identifier history (``gather``): two queries per batch, whatever its size: which stored
orders share a digest with the batch (from the digest index alone), then those orders
once each, with their email and phone digests; the statistics of each order (union over
its identifiers, per kind, own shop against the network, the last 24 hours, identities
linked through shared identifiers) are counted here from those rows.

Town history (``places``): delivered and failed parcels of the order's town known at ``t``,
one query per batch. Three parts add up to an exact count without scanning a big town's
whole history: the cumulative count up to the day before (``place_stats``, rebuilt by
maintenance), the changes made since that rebuild (``place_deltas``, written by database
triggers on ``orders``), and the outcomes of the order's own day up to ``t`` itself.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, false, or_, select, text, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from shopguard.scoring.model import (
    FAILED_OUTCOMES,
    STRONG_KINDS,
    Activity,
    KindHistory,
    SubjectHistory,
    Tally,
)
from shopguard.server.models import Order, OrderIdentifier
from shopguard.server.repos import one_of, time_decoder, time_encoder

STALE_AFTER = timedelta(days=365)
RECENT = timedelta(hours=24)
_COUNTERPART = {"phone": "email", "email": "phone"}
# Shared answers for nothing known (the model's inputs are frozen, never changed).
_NO_TALLY = Tally()
_NOTHING = (SubjectHistory(), Activity())


@dataclass(frozen=True)
class Probe:
    """One order to look up: its position, its time, its stored digests by kind."""

    index: int
    at: datetime
    digests: dict[str, str]


@dataclass(frozen=True)
class PlaceProbe:
    """One order's town to look up: its position, its time, country and town key."""

    index: int
    at: datetime
    country: str
    city_key: str


@dataclass
class _ShopCounts:
    """One shop's matching orders for one probe (what ``_Counts.add`` sums up)."""

    orders: int = 0
    delivered: int = 0
    refused: int = 0
    returned: int = 0
    undelivered: int = 0
    stale_delivered: int = 0
    stale_failed: int = 0
    last_failure: Any = None  # stored form
    orders_24h: int = 0


@dataclass
class _Counts:
    orders: int = 0
    delivered: int = 0
    refused: int = 0
    returned: int = 0
    undelivered: int = 0
    stale_delivered: int = 0
    stale_failed: int = 0
    shops: int = 0
    failing_shops: int = 0
    last_failure: Any = None  # stored form
    orders_24h: int = 0
    shops_24h: int = 0

    def add(self, row: _ShopCounts) -> None:
        failed = row.refused + row.returned + row.undelivered
        self.orders += row.orders
        self.delivered += row.delivered
        self.refused += row.refused
        self.returned += row.returned
        self.undelivered += row.undelivered
        self.stale_delivered += row.stale_delivered
        self.stale_failed += row.stale_failed
        self.shops += 1 if failed + row.delivered else 0
        self.failing_shops += 1 if failed else 0
        if row.last_failure is not None and (
            self.last_failure is None or row.last_failure > self.last_failure
        ):
            self.last_failure = row.last_failure
        self.orders_24h += row.orders_24h
        self.shops_24h += 1 if row.orders_24h else 0

    def tally(self, at: datetime, decode: Callable[[Any], datetime]) -> Tally:
        if not self.orders:
            return _NO_TALLY  # most customers are new somewhere: one shared empty tally
        days = None
        if self.last_failure is not None:
            last = decode(self.last_failure)
            days = max(0.0, (at - last).total_seconds() / 86400)
        return Tally(
            orders=self.orders,
            delivered=self.delivered,
            refused=self.refused,
            returned=self.returned,
            undelivered=self.undelivered,
            stale_delivered=self.stale_delivered,
            stale_failed=self.stale_failed,
            shops=self.shops,
            failing_shops=self.failing_shops,
            last_failure_days=days,
        )


# Times are compared as the database hands them back, without converting thousands of
# them per batch: the probe's moments are put in the stored form instead (a text on
# SQLite, whose order is the time order; a naive UTC datetime on PostgreSQL).
_RAW = NullType()


@dataclass(frozen=True)
class _Moments:
    """A probe's moment and its thresholds, in the stored form."""

    at: Any
    recent: Any
    stale: Any

    @classmethod
    def of(cls, at: datetime, encode: Callable[[datetime], Any]) -> _Moments:
        return cls(encode(at), encode(at - RECENT), encode(at - STALE_AFTER))


# A stored order sharing a digest with the batch: order pk, shop, created_at, outcome,
# outcome_at (times in stored form), the order's own email and phone digests.
_PK, _CREATED, _EMAIL_OF, _PHONE_OF = 0, 2, 5, 6
_CHUNK = 5000  # order pks per query at most (SQLite's limit on parameters is far above)


# What an earlier order tells a probe, worked out once per probe however many of its
# digests the order shares: its shop, whether it falls in the last 24 hours, its outcome
# as known then (``_CODES``; 0: none yet), whether it is stale, when the outcome came.
_Seen = tuple[str, bool, int, bool, Any]
_CODES = {"delivered": 1, "refused": 2, "returned": 3, "failed": 4}


def _see(order: Sequence[Any], moments: _Moments) -> _Seen | None:
    """The order as the probe sees it, or None when it is not earlier than the probe."""
    _pk, shop, created, outcome, outcome_at, _email, _phone = order
    if created >= moments.at:
        return None
    code = 0
    if outcome_at is not None and outcome_at <= moments.at:
        code = _CODES.get(outcome, 0)
    return shop, created >= moments.recent, code, created < moments.stale, outcome_at


def _split(shop_id: str, seen: Iterable[_Seen]) -> tuple[_Counts, _Counts]:
    """Own shop against the network, each other shop counted on its own first."""
    per_shop: dict[str, _ShopCounts] = {}
    for shop, recent, code, stale, outcome_at in seen:
        counts = per_shop.get(shop)
        if counts is None:
            counts = per_shop[shop] = _ShopCounts()
        counts.orders += 1
        if recent:
            counts.orders_24h += 1
        if code == 1:
            counts.delivered += 1
            counts.stale_delivered += stale
        elif code:
            if code == 2:
                counts.refused += 1
            elif code == 3:
                counts.returned += 1
            else:
                counts.undelivered += 1
            counts.stale_failed += stale
            if counts.last_failure is None or outcome_at > counts.last_failure:
                counts.last_failure = outcome_at
    own, network = _Counts(), _Counts()
    for shop, counts in per_shop.items():
        (own if shop == shop_id else network).add(counts)
    return own, network


_ORDERS = Order.metadata.tables[Order.__tablename__]
_IDENTS = OrderIdentifier.metadata.tables[OrderIdentifier.__tablename__]
_EMAIL = _IDENTS.alias("email_ident")
_PHONE = _IDENTS.alias("phone_ident")


@functools.cache
def _statements(dialect: str) -> tuple[Select[Any], Select[Any]]:
    """Core statements (plain rows, no ORM loading), built once per database kind. First
    the stored orders that share a digest with the batch (any kind, as digests are
    compared across kinds), from the index alone; then each of those orders once, however
    many digests it shares, if the shop may see it and it is not later than the batch."""
    sharing = select(_IDENTS.c.digest, _IDENTS.c.order_pk).where(
        one_of(_IDENTS.c.digest, "digests", dialect)
    )
    matched = (
        select(
            _ORDERS.c.id,
            _ORDERS.c.shop_id,
            type_coerce(_ORDERS.c.created_at, _RAW),
            _ORDERS.c.outcome,
            type_coerce(_ORDERS.c.outcome_at, _RAW),
            _EMAIL.c.digest,
            _PHONE.c.digest,
        )
        .select_from(_ORDERS)
        .outerjoin(_EMAIL, and_(_EMAIL.c.order_pk == _ORDERS.c.id, _EMAIL.c.kind == "email"))
        .outerjoin(_PHONE, and_(_PHONE.c.order_pk == _ORDERS.c.id, _PHONE.c.kind == "phone"))
        .where(
            one_of(_ORDERS.c.id, "pks", dialect),
            _ORDERS.c.created_at <= bindparam("until", type_=_ORDERS.c.created_at.type),
            # A disputed record (network_excluded) still counts for its own shop only.
            or_(_ORDERS.c.shop_id == bindparam("shop_id"), _ORDERS.c.network_excluded == false()),
        )
    )
    return sharing, matched


def gather(
    session: Session, shop_id: str, probes: Sequence[Probe]
) -> list[tuple[SubjectHistory, Activity]]:
    """History and activity for each probe, in the probes' order."""
    digests = sorted({d for p in probes for d in p.digests.values()})
    if not digests:
        return [_NOTHING for _ in probes]
    dialect = session.get_bind().dialect
    encode, decode = time_encoder(dialect), time_decoder(dialect)
    sharing_query, matched_query = _statements(dialect.name)
    sharing = _plain_rows(session, sharing_query, {"digests": digests})
    pks = sorted({pk for _digest, pk in sharing})
    params = {"until": max(p.at for p in probes), "shop_id": shop_id}
    orders: dict[int, Sequence[Any]] = {}
    for start in range(0, len(pks), _CHUNK):
        chunk = pks[start : start + _CHUNK]
        for row in _plain_rows(session, matched_query, {**params, "pks": chunk}):
            orders[row[_PK]] = row
    found: dict[str, list[Sequence[Any]]] = defaultdict(list)
    for digest, pk in sharing:
        order = orders.get(pk)
        if order is not None:
            found[digest].append(order)
    return [_history(shop_id, probe, found, encode, decode) for probe in probes]


def _plain_rows(
    session: Session, statement: Select[Any], params: dict[str, Any]
) -> Sequence[Sequence[Any]]:
    """The statement's rows as the driver returns them, without building a SQLAlchemy row
    for each of the thousand or so that a batch reads (2 ms of 15 in the gather). Only for
    statements whose columns need no conversion, as ``_statements``' (times as stored)."""
    result = session.connection().execute(statement, params)
    try:
        rows: Sequence[Sequence[Any]] = result.cursor.fetchall()
    finally:
        result.close()
    return rows


def _history(
    shop_id: str,
    probe: Probe,
    found: dict[str, list[Sequence[Any]]],
    encode: Callable[[datetime], Any],
    decode: Callable[[Any], datetime],
) -> tuple[SubjectHistory, Activity]:
    if not any(digest in found for digest in probe.digests.values()):
        return _NOTHING  # a customer no shop has seen before
    at = probe.at
    moments = _Moments.of(at, encode)
    seen: dict[int, _Seen | None] = {}
    union: set[int] = set()
    kinds: dict[str, KindHistory] = {}
    links: dict[str, int] = {}
    # A returning customer's email, phone and address usually lead to the same orders:
    # the same orders are counted once, and their tallies shared (they are frozen).
    splits: dict[tuple[int, ...], tuple[_Counts, _Counts, Tally, Tally]] = {}

    def split(pks: tuple[int, ...]) -> tuple[_Counts, _Counts, Tally, Tally]:
        done = splits.get(pks)
        if done is None:
            own, network = _split(shop_id, (view for pk in pks if (view := seen[pk]) is not None))
            done = splits[pks] = (own, network, own.tally(at, decode), network.tally(at, decode))
        return done

    for kind, digest in sorted(probe.digests.items()):
        matches = found.get(digest, ())
        counterpart = _COUNTERPART.get(kind)
        if counterpart is not None:
            # Distinct counterpart digests on orders up to and including this one.
            position = _EMAIL_OF if counterpart == "email" else _PHONE_OF
            others = {m[position] for m in matches if m[_CREATED] <= moments.at}
            others.discard(None)
            if others:
                links[kind] = len(others)
        if kind not in STRONG_KINDS:
            continue
        earlier = []
        for match in matches:
            pk = match[_PK]
            if pk not in seen:
                seen[pk] = _see(match, moments)
            if seen[pk] is not None:
                earlier.append(pk)
                union.add(pk)
        if earlier:
            # Sorted, duplicates kept: the key names exactly the views counted.
            _own, _network, own_tally, network_tally = split(tuple(sorted(earlier)))
            kinds[kind] = KindHistory(own=own_tally, network=network_tally)
    own, network, own_tally, network_tally = split(tuple(sorted(union)))
    history = SubjectHistory(own=own_tally, network=network_tally, by_kind=kinds)
    activity = Activity(
        own_orders_24h=own.orders_24h,
        network_orders_24h=network.orders_24h,
        network_shops_24h=network.shops_24h,
        emails_per_phone=links.get("phone", 0),
        phones_per_email=links.get("email", 0),
    )
    return history, activity


# Towns -----------------------------------------------------------------------------------

_FAILED_SQL = ", ".join(f"'{outcome}'" for outcome in FAILED_OUTCOMES)
# The probes travel as one JSON parameter, so the statement is the same for every batch
# (prepared once) whatever its size: [{idx, country, city_key, day, day_start, t}, ...].
# SQLite has no LATERAL join, and a scalar subquery returns one value: each part packs its
# two counts into one integer, delivered + failed * 2**32 (see ``_unpack``).
_PLACES_SQLITE = text(
    f"""
WITH p AS (
    SELECT CAST(json_extract(value, '$.idx') AS INTEGER) AS idx,
           json_extract(value, '$.country') AS country,
           json_extract(value, '$.city_key') AS city_key,
           json_extract(value, '$.day') AS day,
           json_extract(value, '$.day_start') AS day_start,
           json_extract(value, '$.t') AS t
    FROM json_each(:probes)
)
SELECT p.idx,
       coalesce(s.delivered, 0) + coalesce(s.failed, 0) * {1 << 32} AS built,
       (SELECT coalesce(sum(d.delivered + d.failed * {1 << 32}), 0) FROM place_deltas d
        WHERE d.country = p.country AND d.city_key = p.city_key AND d.at < p.day_start
       ) AS changed,
       (SELECT coalesce(sum(CASE WHEN o.outcome = 'delivered' THEN 1 ELSE {1 << 32} END), 0)
        FROM orders o
        WHERE o.ship_country = p.country AND o.city_key = p.city_key
          AND o.outcome_at >= p.day_start AND o.outcome_at <= p.t
          AND o.outcome IN ('delivered', {_FAILED_SQL}) AND o.network_excluded = 0
       ) AS today
FROM p
LEFT JOIN place_stats s
  ON s.country = p.country AND s.city_key = p.city_key
 AND s.day = (SELECT max(s2.day) FROM place_stats s2
              WHERE s2.country = p.country AND s2.city_key = p.city_key AND s2.day < p.day)
"""
)
_PLACES_POSTGRESQL = text(
    f"""
SELECT p.idx,
       coalesce(s.delivered, 0) + coalesce(d.delivered, 0) + o.delivered AS delivered,
       coalesce(s.failed, 0) + coalesce(d.failed, 0) + o.failed AS failed
FROM json_to_recordset(CAST(:probes AS json))
     AS p(idx integer, country text, city_key text, day date, day_start timestamp,
          t timestamp)
LEFT JOIN LATERAL (
    SELECT s.delivered, s.failed FROM place_stats s
    WHERE s.country = p.country AND s.city_key = p.city_key AND s.day < p.day
    ORDER BY s.day DESC LIMIT 1
) s ON true
LEFT JOIN LATERAL (
    SELECT sum(d.delivered) AS delivered, sum(d.failed) AS failed FROM place_deltas d
    WHERE d.country = p.country AND d.city_key = p.city_key AND d.at < p.day_start
) d ON true
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE o.outcome = 'delivered') AS delivered,
           count(*) FILTER (WHERE o.outcome IN ({_FAILED_SQL})) AS failed
    FROM orders o
    WHERE o.ship_country = p.country AND o.city_key = p.city_key
      AND o.outcome_at >= p.day_start AND o.outcome_at <= p.t AND NOT o.network_excluded
) o
"""
)


def places(session: Session, probes: Sequence[PlaceProbe]) -> dict[int, tuple[int, int]]:
    """(delivered, failed) parcels of each probe's town known at its time, by probe index.

    Counts every shop's parcels except disputed records (``network_excluded``); an outcome
    counts from the moment it was reported (``outcome_at``), never before.
    """
    if not probes:
        return {}
    rows = []
    for probe in probes:
        moment = probe.at.astimezone(UTC).replace(tzinfo=None)
        day_start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        rows.append(
            {
                "idx": probe.index,
                "country": probe.country,
                "city_key": probe.city_key,
                "day": day_start.date().isoformat(),
                "day_start": _stored_time(day_start),
                "t": _stored_time(moment),
            }
        )
    parameters = {"probes": json.dumps(rows)}
    if session.get_bind().dialect.name == "postgresql":
        result = session.execute(_PLACES_POSTGRESQL, parameters)
        return {int(row.idx): (int(row.delivered), int(row.failed)) for row in result}
    out = {}
    for idx, *parts in session.execute(_PLACES_SQLITE, parameters):
        counts = [_unpack(int(part)) for part in parts]
        out[int(idx)] = (sum(c[0] for c in counts), sum(c[1] for c in counts))
    return out


def _unpack(packed: int) -> tuple[int, int]:
    """(delivered, failed) from delivered + failed * 2**32 (either may be negative)."""
    delivered = (packed + (1 << 31)) % (1 << 32) - (1 << 31)
    return delivered, (packed - delivered) >> 32


def _stored_time(moment: datetime) -> str:
    """A naive UTC time as the database stores it (SQLite compares these as text)."""
    return moment.isoformat(" ", "microseconds")
