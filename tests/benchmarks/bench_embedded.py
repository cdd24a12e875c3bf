"""Benchmark: the embedded scorer on a big shop.

Run: ``python tests/benchmarks/bench_embedded.py [--orders 200000] [--new 5000]``. Prints
figures; the targets are printed beside them, not asserted.

The store is seeded (untimed) with orders of the demo generator's customers (returning
customers, realistic names, phones and addresses of several countries; some customers
refuse cash-on-delivery parcels; a few orders typed in by staff with one placeholder
email, which links nothing). Timed, each from cold normalization caches as in a new
sync process:

1. the full pass: every order digested, indexed and scored, scores and index written;
2. an incremental pass after a sync brought ``--new`` new orders (returning and new
   customers);
3. an incremental pass after a sync changed ``--new`` existing orders (open orders
   completed, refused or cancelled: their customers' later orders are scored again);
4. an incremental pass after a sync of 100 new orders.

Wall and CPU seconds are printed: on a machine shared with other work the wall time
includes waiting for the CPU (the load average is printed too).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from shopguard.demo import generator, pools
from shopguard.paths import resolve_paths
from shopguard.privacy import normalize
from shopguard.scoring.embedded import LocalScoreSummary, score_store
from shopguard.scoring.local_salt import local_salt
from shopguard.store.db import open_database
from shopguard.store.records import OrderRecord
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import stores as store_repo

NOW = 1_780_000_000  # a fixed "now" (2026-05-28): the same shop every run
PHONE_ORDERS = 0.005  # share of orders the staff typed in with a placeholder email


def _record(
    order: generator.DemoOrder, customer: generator.Customer, rng: random.Random
) -> OrderRecord:
    """One demo order as the local store keeps it (built directly, no JSON)."""
    billing = customer.billing
    method, title, _weight = pools.PAYMENT_METHODS[order.payment]
    status = order.status
    # Some customers refuse parcels they ordered cash on delivery.
    if method == "cod" and status == "completed" and customer.customer_id % 13 == 1:
        status = "refused" if rng.random() < 0.6 else status
    completed = order.completed
    # The generator gives many different customers one email ("maria@..."): make it the
    # customer's own, except on the staff's phone orders (one placeholder email for all).
    local, domain = billing["email"].split("@")
    email = f"{local}{order.customer}@{domain}"
    if rng.random() < PHONE_ORDERS:
        email = "phone-orders@bench-shop.example"
    return OrderRecord(
        woo_id=order.id,
        number=str(order.id),
        status=status,
        date_created_gmt=datetime.fromtimestamp(order.created, UTC),
        date_modified_gmt=datetime.fromtimestamp(order.modified, UTC),
        total=Decimal(rng.randrange(900, 25_000)) / 100,
        currency="EUR",
        payment_method=method,
        payment_method_title=title,
        shipping_method="flat_rate",
        billing_first_name=billing["first_name"],
        billing_last_name=billing["last_name"],
        billing_email=email,
        billing_phone=billing["phone"],
        billing_address_1=billing["address_1"],
        billing_address_2=billing["address_2"],
        billing_city=billing["city"],
        billing_postcode=billing["postcode"],
        billing_country=billing["country"],
        date_completed_gmt=None if completed is None else datetime.fromtimestamp(completed, UTC),
    )


def shop_orders(count: int, seed: int = 3) -> list[OrderRecord]:
    """``count`` orders over two years, by the demo generator's customers."""
    customers, orders = generator.generate(count, seed, NOW)
    rng = random.Random(seed)
    return [_record(o, customers[o.customer], rng) for o in orders]


def new_orders(base: Sequence[OrderRecord], count: int, seed: int = 9) -> list[OrderRecord]:
    """``count`` new orders placed after ``base``: half by returning customers (their
    details as before, typed differently now and then), half by new ones."""
    rng = random.Random(seed)
    last = max(o.woo_id for o in base)
    start = max(o.date_created_gmt for o in base)
    fresh = shop_orders(count, seed=seed + 1)
    out = []
    for i in range(count):
        if i % 2:
            template = base[min(len(base) - 1, int(len(base) * rng.random() ** 0.5))]
            email = template.billing_email.upper() if rng.random() < 0.1 else None
        else:
            template, email = fresh[i], None
        created = start + timedelta(seconds=30 * (i + 1))
        out.append(
            template._replace(
                woo_id=last + 1 + i,
                number=str(last + 1 + i),
                status="processing",
                date_created_gmt=created,
                date_modified_gmt=created + timedelta(seconds=5),
                date_completed_gmt=None,
                billing_email=email or template.billing_email,
            )
        )
    return out


def changed_orders(base: Sequence[OrderRecord], count: int, seed: int = 11) -> list[OrderRecord]:
    """``count`` existing open orders now completed, refused or cancelled."""
    rng = random.Random(seed)
    open_ones = [o for o in base if o.status in ("processing", "on-hold", "pending")]
    picked = rng.sample(open_ones, min(count, len(open_ones)))
    moment = max(o.date_modified_gmt for o in base) + timedelta(hours=1)
    return [
        o._replace(
            status=rng.choice(["completed", "completed", "refused", "cancelled"]),
            date_modified_gmt=moment,
            date_completed_gmt=moment,
        )
        for o in picked
    ]


def _store(sessions: sessionmaker[Session], records: Sequence[OrderRecord], store_id: int) -> None:
    for start in range(0, len(records), 5_000):
        with sessions.begin() as session:
            order_repo.upsert_orders(session, store_id, records[start : start + 5_000])


def _timed(
    label: str, run: Callable[[], LocalScoreSummary]
) -> tuple[str, LocalScoreSummary, float]:
    """Run cold (a sync's child process starts with empty caches); with its CPU seconds."""
    normalize.clear_caches()
    started = time.process_time()
    summary = run()
    return label, summary, time.process_time() - started


def main() -> None:
    """Seed the shop, then time a full pass and incremental passes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--new", type=int, default=5_000)
    args = parser.parse_args()
    started = time.perf_counter()
    base = shop_orders(args.orders)
    with tempfile.TemporaryDirectory() as tmp:
        paths = resolve_paths(Path(tmp) / "profile")
        engine, sessions = open_database(paths)
        with sessions.begin() as session:
            store_id = store_repo.get_or_create_store(session, url="https://bench.example").id
        _store(sessions, base, store_id)
        salt = local_salt(paths.config)
        seeded = time.perf_counter() - started
        load = os.getloadavg()[0]
        print(f"seeded {len(base)} orders in {seeded:.1f} s ({os.cpu_count()} CPUs)")

        def score() -> LocalScoreSummary:
            return score_store(sessions, store_id, salt, default_country="GR")

        rows = [_timed(f"full pass, {len(base)} orders", score)]
        _store(sessions, new_orders(base, args.new), store_id)
        rows.append(_timed(f"incremental: sync of {args.new} new orders", score))
        _store(sessions, changed_orders(base, args.new), store_id)
        rows.append(_timed(f"incremental: sync changed {args.new} orders", score))
        _store(sessions, _more(sessions, store_id), store_id)
        rows.append(_timed("incremental: sync of 100 new orders", score))
        engine.dispose()
    print(f"load average before the runs: {load:.2f} (other work on this machine)")
    print(f"{'':<44}{'seconds':>9}{'CPU s':>8}{'scored':>9}{'changed':>9}{'ms/100':>9}")
    for label, s, cpu in rows:
        per_hundred = 100_000 * s.seconds / max(1, s.scored)
        print(
            f"{label:<44}{s.seconds:>9.2f}{cpu:>8.2f}{s.scored:>9}{s.changed:>9}{per_hundred:>9.1f}"
        )
        print(f"{'':<44}bands: {s.band_words()}")
    print("targets: full pass of 200,000 orders well under 60 s; a sync's new and changed")
    print("orders in milliseconds per hundred")


def _more(sessions: sessionmaker[Session], store_id: int) -> list[OrderRecord]:
    """100 new orders after everything stored so far."""
    with sessions() as session:
        stored = order_repo.list_orders(session, store_id, limit=2_000)
    return new_orders(stored, 100, seed=21)


if __name__ == "__main__":
    main()
