"""Sync benchmark: ShopGuard's concurrent sync against a plain serial page loop.

Run: ``python tests/benchmarks/bench_sync.py [--orders 20000] [--latency 0.04]``.
Prints figures side by side; asserts nothing about timings (that is not a test's job).

The demo store runs in its own process (``shopguard demo-store``), as a real store would be
on another machine, with the same injected latency per request for both sides:

* Serial loop: the official ``woocommerce`` client, page after page, only collecting JSON.
* ShopGuard: ``SyncService`` at --concurrency 8, writing every order to SQLite.
* Then 50 orders are changed through the REST API and an incremental sync picks them up.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from woocommerce import API

from shopguard.paths import resolve_paths
from shopguard.store.db import open_database
from shopguard.woo.client import WooClient
from shopguard.woo.sync import SyncService


class StoreProcess:
    """``shopguard demo-store`` in a child process; reads its URL and key from its output."""

    def __init__(self, orders: int, latency: float) -> None:
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shopguard",
                "demo-store",
                "--port",
                "0",
                "--orders",
                str(orders),
                "--seed",
                "7",
                "--latency",
                str(latency),
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        assert self._process.stdout is not None
        lines = [self._process.stdout.readline() for _ in range(3)]
        self.url = re.search(r"running at (\S+) ", lines[0]).group(1)  # type: ignore[union-attr]
        self.key = lines[1].split()[-1]
        self.secret = lines[2].split()[-1]

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


def serial_official_client(store: StoreProcess) -> tuple[int, float]:
    """Orders fetched and seconds taken by a page-after-page loop with the official client."""
    api = API(
        url=store.url,
        consumer_key=store.key,
        consumer_secret=store.secret,
        version="wc/v3",
        timeout=60,
    )
    started = time.perf_counter()
    fetched, page = 0, 1
    while True:
        response = api.get("orders", params={"per_page": 100, "page": page, "orderby": "id"})
        response.raise_for_status()
        fetched += len(response.json())
        if page >= int(response.headers["X-WP-TotalPages"]):
            break
        page += 1
    return fetched, time.perf_counter() - started


def shopguard_sync(store: StoreProcess, profile: Path, concurrency: int) -> tuple[int, float, int]:
    """Orders fetched, seconds taken and orders changed by one ShopGuard sync."""
    engine, sessions = open_database(resolve_paths(profile))
    client = WooClient(store.url, store.key, store.secret)
    try:
        started = time.perf_counter()
        summary = SyncService(sessions, client, concurrency=concurrency).sync()
        return summary.fetched, time.perf_counter() - started, summary.changed
    finally:
        client.close()
        engine.dispose()


def change_orders(store: StoreProcess, count: int) -> None:
    """Change ``count`` orders through the REST API, as a shop manager would."""
    with WooClient(store.url, store.key, store.secret) as client:
        orders = client.list_orders_page(1, per_page=count, params={"orderby": "id"}).orders
        for order in orders:
            client.update_order(order["id"], {"customer_note": "Changed for the benchmark"})
    time.sleep(1.1)  # a sync only trusts changes older than the store's current second


def main() -> None:
    """Run both, print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--latency", type=float, default=0.04)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    store = StoreProcess(args.orders, args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            serial_n, serial_s = serial_official_client(store)
            ours_n, ours_s, _ = shopguard_sync(store, Path(tmp), args.concurrency)
            change_orders(store, 50)
            _, inc_s, changed = shopguard_sync(store, Path(tmp), args.concurrency)
    finally:
        store.close()

    print(f"{args.orders} orders, {args.latency * 1000:.0f} ms latency per request")
    print(f"{'':<52}{'orders':>8}{'seconds':>10}{'orders/s':>11}")
    rows = [
        ("official client, serial page loop (fetch only)", serial_n, serial_s),
        (f"ShopGuard sync, concurrency {args.concurrency} (fetch + store)", ours_n, ours_s),
    ]
    for label, n, seconds in rows:
        print(f"{label:<52}{n:>8}{seconds:>10.2f}{n / seconds:>11.0f}")
    print(f"speed-up: {serial_s / ours_s:.1f}x  (target: at least 4x; full sync target < 5 s)")
    print(f"incremental sync: {changed} changed orders picked up in {inc_s:.2f} s (target < 1 s)")


if __name__ == "__main__":
    main()
