"""Sync benchmark: ShopGuard's concurrent sync against a plain serial page loop.

Run: ``python tests/benchmarks/bench_sync.py [--orders 20000] [--latency 0.04]``.
Prints figures side by side; asserts nothing about timings (that is not a test's job).

Both sides fetch the same demo store with the same injected latency per request:
* ShopGuard: ``SyncService`` at --concurrency 8, writing every order to SQLite.
* Serial loop: the official ``woocommerce`` client, page after page, only collecting JSON.
Then an incremental sync after 50 orders change.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from woocommerce import API

from shopguard.demo.server import DemoStore
from shopguard.paths import resolve_paths
from shopguard.store.db import open_database
from shopguard.woo.client import WooClient
from shopguard.woo.sync import SyncService


def serial_official_client(store: DemoStore) -> tuple[int, float]:
    """Orders fetched and seconds taken by a page-after-page loop with the official client."""
    key, secret = store.credentials
    api = API(url=store.url, consumer_key=key, consumer_secret=secret, version="wc/v3", timeout=60)
    started = time.perf_counter()
    fetched, page = 0, 1
    while True:
        response = api.get("orders", params={"per_page": 100, "page": page, "orderby": "id"})
        response.raise_for_status()
        batch = response.json()
        fetched += len(batch)
        if page >= int(response.headers["X-WP-TotalPages"]):
            break
        page += 1
    return fetched, time.perf_counter() - started


def shopguard_sync(store: DemoStore, profile: Path, concurrency: int) -> tuple[int, float]:
    """Orders stored and seconds taken by ShopGuard's sync into a fresh database."""
    engine, sessions = open_database(resolve_paths(profile))
    key, secret = store.credentials
    client = WooClient(store.url, key, secret)
    try:
        summary = SyncService(sessions, client, concurrency=concurrency).sync()
    finally:
        client.close()
        engine.dispose()
    return summary.fetched, summary.seconds


def incremental(store: DemoStore, profile: Path, concurrency: int) -> tuple[int, float]:
    """Changed orders picked up and seconds taken by a sync after 50 orders changed."""
    store.touch_orders(50)
    engine, sessions = open_database(resolve_paths(profile))
    key, secret = store.credentials
    client = WooClient(store.url, key, secret)
    try:
        started = time.perf_counter()
        summary = SyncService(sessions, client, concurrency=concurrency).sync()
        return summary.changed, time.perf_counter() - started
    finally:
        client.close()
        engine.dispose()


def main() -> None:
    """Run both, print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--latency", type=float, default=0.04)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    with DemoStore(orders=args.orders, seed=7) as store, tempfile.TemporaryDirectory() as tmp:
        store.faults.latency = args.latency
        serial_n, serial_s = serial_official_client(store)
        ours_n, ours_s = shopguard_sync(store, Path(tmp), args.concurrency)
        changed, inc_s = incremental(store, Path(tmp), args.concurrency)

    print(f"{args.orders} orders, {args.latency * 1000:.0f} ms latency per request")
    print(f"{'':<44}{'orders':>8}{'seconds':>10}{'orders/s':>11}")
    rows = [
        ("official client, serial page loop (fetch only)", serial_n, serial_s),
        (f"ShopGuard sync, concurrency {args.concurrency} (fetch + store)", ours_n, ours_s),
    ]
    for label, n, seconds in rows:
        print(f"{label:<44}{n:>8}{seconds:>10.2f}{n / seconds:>11.0f}")
    print(f"speed-up: {serial_s / ours_s:.1f}x  (target: at least 4x; full sync target < 5 s)")
    print(f"incremental sync: {changed} changed orders picked up in {inc_s:.2f} s (target < 1 s)")


if __name__ == "__main__":
    main()
