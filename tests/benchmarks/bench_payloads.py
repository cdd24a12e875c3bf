"""Benchmark: normalize, hash and queue the payloads of 100,000 orders.

Run: ``python tests/benchmarks/bench_payloads.py [--orders 100000]``. Prints figures; the
target (at least 20,000 orders/s) is printed beside them, not asserted.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from shopguard.paths import resolve_paths
from shopguard.privacy.hashing import Salt
from shopguard.privacy.payload import build_order_payload
from shopguard.sharing import RETENTION, enqueue_orders
from shopguard.store.db import open_database
from shopguard.store.records import OrderRecord
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
    """Time payload building alone, then payload building plus outbox writes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args()
    now = datetime.now(UTC)
    batch = orders(args.orders, now)
    salt = Salt.generate()

    started = time.perf_counter()
    for order in batch:
        build_order_payload(order, salt, default_country="GR")
    build_s = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        engine, sessions = open_database(resolve_paths(Path(tmp)))
        with sessions.begin() as session:
            store_id = store_repo.get_or_create_store(session, url="https://bench.example").id
        started = time.perf_counter()
        for start in range(0, len(batch), 1000):
            with sessions.begin() as session:
                enqueue_orders(
                    session, store_id, batch[start : start + 1000], salt, "GR", now - RETENTION
                )
        total_s = time.perf_counter() - started
        engine.dispose()

    n = len(batch)
    print(f"{n} orders, 4 identifiers each")
    print(f"{'':<46}{'seconds':>9}{'orders/s':>11}")
    print(f"{'normalize + hash + payload (in memory)':<46}{build_s:>9.2f}{n / build_s:>11.0f}")
    print(f"{'... and queued in the SQLite outbox':<46}{total_s:>9.2f}{n / total_s:>11.0f}")
    print("target: at least 20000 orders/s for the queued figure")


if __name__ == "__main__":
    main()
