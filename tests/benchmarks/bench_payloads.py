"""Benchmark: normalize, hash and queue the payloads of 100,000 orders.

Run: ``python tests/benchmarks/bench_payloads.py [--orders 100000]``. Prints figures; the
target (at least 20,000 orders/s into the outbox) is printed beside them, not asserted.

* In memory: the reference route (``build_order_payload`` then ``outbox.encode``, the
  definition) and ``PayloadEncoder``, which writes the same bytes, with its memo of raw
  values off and on. How much the memo can help depends on how often raw values repeat in
  the data: the repeat rates are printed first.
* A sync's pages of 100 orders through the page hook (normalize, hash and queue in the
  page's transaction): the route every synced order takes, and the issue's measure.
* The back-fill from the local store to the outbox (the orders are stored first, untimed),
  in this process (memo off and on) and with worker processes (memo on), each from cold
  caches.

Wall-clock figures on a shared machine vary with its load (printed with each figure);
"CPU us/order" is this process's CPU time per order, steadier under load; with worker
processes it is only this process's share (reading the ids and waiting: the workers read,
encode and write).
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import random
import tempfile
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TypeVar

from shopguard import backfill, sync_process
from shopguard.paths import resolve_paths
from shopguard.privacy import normalize as _normalize
from shopguard.privacy.encoder import PayloadEncoder
from shopguard.privacy.hashing import Salt
from shopguard.privacy.payload import build_order_payload
from shopguard.sharing import RETENTION, SharingPipeline
from shopguard.store.db import open_database
from shopguard.store.records import OrderRecord
from shopguard.store.repositories import orders as order_repo
from shopguard.store.repositories import outbox as outbox_repo
from shopguard.store.repositories import stores as store_repo

_T = TypeVar("_T")
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


def repeat_rates(batch: Sequence[OrderRecord]) -> dict[str, float]:
    """Per identifier, the share of orders whose raw value came earlier in the data: the
    most the memo can save (it is keyed by the exact raw values)."""
    keys: dict[str, Callable[[OrderRecord], Hashable]] = {
        "email": lambda o: o.billing_email,
        "phone": lambda o: (o.billing_phone, o.billing_country),
        "name": lambda o: (o.billing_first_name, o.billing_last_name),
        "address": lambda o: (
            o.billing_address_1,
            o.billing_address_2,
            o.billing_postcode,
            o.billing_city,
            o.billing_country,
        ),
    }
    return {kind: 1 - len(set(map(key, batch))) / len(batch) for kind, key in keys.items()}


def _timed(label: str, run: Callable[[], _T], rows: list[tuple[str, float, float, str]]) -> _T:
    load = os.getloadavg()[0]
    _normalize.clear_caches()
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    rows.append((label, time.perf_counter() - wall, time.process_time() - cpu, f"{load:.1f}"))
    return result


def main() -> None:
    """Time payload building alone, then the back-fill from the local store to the outbox."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args()
    now = datetime.now(UTC)
    batch = orders(args.orders, now)
    # The input is not part of the work: kept out of the garbage collector's walks, as the
    # app never holds 100,000 orders in memory while it queues them.
    gc.collect()
    gc.freeze()
    salt = Salt.generate()
    n = len(batch)
    rows: list[tuple[str, float, float, str]] = []

    def reference() -> None:
        for order in batch:
            outbox_repo.encode(build_order_payload(order, salt, default_country="GR"))

    def encoder(memo: bool) -> Callable[[], None]:
        def run() -> None:
            encode = PayloadEncoder(salt, "GR", memo=memo).order
            for order in batch:
                encode(order)

        return run

    _timed("in memory: build_order_payload + outbox.encode", reference, rows)
    _timed("in memory: PayloadEncoder, memo off", encoder(False), rows)
    _timed("in memory: PayloadEncoder, memo on", encoder(True), rows)

    with tempfile.TemporaryDirectory() as tmp:
        # What a sync does with each page of 100 orders it fetched: normalize, hash and
        # queue the payloads (and outcomes) in the page's transaction (the page hook).
        paths = resolve_paths(Path(tmp) / "sync-pages")
        engine, sessions = open_database(paths)
        with sessions.begin() as session:
            store_id = store_repo.get_or_create_store(session, url="https://bench.example").id
        hook = SharingPipeline(sessions, paths, clock=lambda: now).page_hook(salt)

        def sync_pages() -> None:
            for start in range(0, n, 100):
                with sessions.begin() as session:
                    hook(session, store_id, batch[start : start + 100])

        _timed("sync pages of 100: page hook into the outbox", sync_pages, rows)
        with sessions() as session:
            assert outbox_repo.count_pending(session) >= n
        engine.dispose()

        # The app starts the worker processes' fork server at start-up (sync_process.prepare)
        # and a back-fill starts from the Settings screen long after: time the back-fills
        # with it running, and its cold start (a first `shopguard service set`) apart.
        began = time.perf_counter()
        sync_process.prepare()
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver")) as pool:
            pool.submit(int).result()
        cold_start = time.perf_counter() - began

        for workers, memo in ((1, False), (1, True), (backfill.default_workers(n), True)):
            paths = resolve_paths(Path(tmp) / f"workers-{workers}-{memo}")
            engine, sessions = open_database(paths)
            with sessions.begin() as session:
                store_id = store_repo.get_or_create_store(session, url="https://bench.example").id
            for start in range(0, n, 2000):
                with sessions.begin() as session:
                    order_repo.upsert_orders(session, store_id, batch[start : start + 2000])
            run = partial(
                backfill.backfill_store,
                sessions,
                paths.database_url,
                store_id,
                "GR",
                salt,
                now - RETENTION,
                workers=workers,
                memo=memo,
            )
            processes = f"{workers} process" + "es" * (workers > 1)
            queued = _timed(f"back-fill, {processes}, memo {'on' if memo else 'off'}", run, rows)
            engine.dispose()
            assert queued == n, f"queued {queued} of {n}"

    print(f"{n} orders, 4 identifiers each, {os.cpu_count()} CPUs")
    rates = repeat_rates(batch)
    print(
        "raw values seen before in the data: " + ", ".join(f"{k} {v:.0%}" for k, v in rates.items())
    )
    print(f"{'':<52}{'seconds':>8}{'orders/s':>10}{'CPU us/order':>14}{'load':>6}")
    for label, wall, cpu, load in rows:
        print(f"{label:<52}{wall:>8.2f}{n / wall:>10.0f}{cpu / n * 1e6:>14.1f}{load:>6}")
    print(
        f"worker processes' fork server, cold start (once per run of the app): {cold_start:.2f} s"
    )
    print("target: at least 20000 orders/s into the outbox")


if __name__ == "__main__":
    main()
