"""Benchmark: normalize, hash and queue the payloads of 100,000 orders.

Run: ``python tests/benchmarks/bench_payloads.py [--orders 100000]``. Prints figures; the
target (at least 20,000 orders/s) is printed beside them, not asserted. The back-fill is
timed twice on the same orders, in this process and with worker processes, each time from
cold caches (the orders are stored first, untimed).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from shopguard import backfill
from shopguard.paths import resolve_paths
from shopguard.privacy import normalize as _normalize
from shopguard.privacy.hashing import Salt
from shopguard.privacy.payload import build_order_payload
from shopguard.sharing import RETENTION
from shopguard.store.db import open_database
from shopguard.store.records import OrderRecord
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import stores as store_repo

FIRST = ["Γιώργος", "Μαρία", "Νίκος", "Anna", "Oliver", "Amelia", "Jean-Luc", "Zoë"]
LAST = ["Παπαδόπουλος", "Κωνσταντίνου", "Smith", "O'Brien", "Müller", "García"]
CITIES = [("Αθήνα", "GR", "105 57"), ("London", "GB", "SW1A 2AA"), ("Köln", "DE", "50667")]


def orders(n: int, now: datetime) -> list[OrderRecord]:
    """n varied orders with realistic PII."""
    rng = random.Random(5)
    out = []
    for i in range(1, n + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, country, postcode = rng.choice(CITIES)
        phone = (
            f"+30 69{rng.randrange(10**8):08d}"
            if country == "GR"
            else f"07700 9{rng.randrange(10**5):05d}"
        )
        created = now - timedelta(minutes=rng.randrange(600_000))
        out.append(
            OrderRecord(
                woo_id=i,
                number=str(i),
                status=rng.choice(["processing", "completed", "refunded", "on-hold"]),
                date_created_gmt=created,
                date_modified_gmt=created,
                total=Decimal(rng.randrange(500, 30000)) / 100,
                currency="EUR",
                payment_method=rng.choice(["cod", "stripe", "bacs"]),
                shipping_method="flat_rate",
                billing_first_name=first,
                billing_last_name=last,
                billing_email=f"{first}.{last}+{i}@example.com",
                billing_phone=phone,
                billing_address_1=f"Οδός Ερμού {i % 200}",
                billing_postcode=postcode,
                billing_city=city,
                billing_country=country,
            )
        )
    return out


def main() -> None:
    """Time payload building alone, then the back-fill from the local store to the outbox."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args()
    now = datetime.now(UTC)
    batch = orders(args.orders, now)
    salt = Salt.generate()
    n = len(batch)

    started = time.perf_counter()
    for order in batch:
        build_order_payload(order, salt, default_country="GR")
    build_s = time.perf_counter() - started
    rows = [("normalize + hash + payload, in memory, 1 process", build_s)]

    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, backfill.default_workers(n)):
            paths = resolve_paths(Path(tmp) / f"workers-{workers}")
            engine, sessions = open_database(paths)
            with sessions.begin() as session:
                store_id = store_repo.get_or_create_store(session, url="https://bench.example").id
            for start in range(0, n, 2000):
                with sessions.begin() as session:
                    order_repo.upsert_orders(session, store_id, batch[start : start + 2000])
            _normalize.clear_caches()  # no phone parsed above helps the back-fill
            started = time.perf_counter()
            queued = backfill.backfill_store(
                sessions, paths.database_url, store_id, "GR", salt, now - RETENTION, workers=workers
            )
            label = f"back-fill: store -> payloads -> outbox, {workers} process" + "es" * (
                workers > 1
            )
            rows.append((label, time.perf_counter() - started))
            engine.dispose()
            assert queued == n, f"queued {queued} of {n}"

    print(f"{n} orders, 4 identifiers each, {os.cpu_count()} CPUs")
    print(f"{'':<58}{'seconds':>9}{'orders/s':>11}")
    for label, seconds in rows:
        print(f"{label:<58}{seconds:>9.2f}{n / seconds:>11.0f}")
    print("target: at least 20000 orders/s into the outbox")


if __name__ == "__main__":
    main()
