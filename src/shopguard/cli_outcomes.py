"""The ``shopguard outcome`` and ``shopguard pending-outcomes`` commands.

``outcome ORDER_NUMBER delivered|failed|refused|returned|cancelled`` records what happened
to an order's parcel ("cancelled": never sent; ``undo`` forgets it: the WooCommerce status
counts again); with a scoring service it is queued and sent, without one the shop's own
scores are updated.
``pending-outcomes`` lists the orders whose status (failed, refunded) leaves the parcel's
fate to the owner.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from shopguard.paths import AppPaths
from shopguard.store.db import open_database
from shopguard.store.records import StoreRecord
from shopguard.store.repositories.outcomes import OWNER_OUTCOMES
from shopguard.woo.urls import normalize_store_url

EXIT_OK = 0
EXIT_FAILED = 1
UNDO = "undo"

AddCommon = Callable[[argparse.ArgumentParser], None]

if TYPE_CHECKING:
    from shopguard.order_actions import OrderActionService


def add_parsers(sub: Any, add_common: AddCommon) -> None:
    """Add the outcome commands to the ``shopguard`` parser's subcommands."""
    outcome = sub.add_parser(
        "outcome",
        help="record what happened to an order's parcel (delivered, failed, refused, returned)",
        description="Record what happened to an order's parcel. Your outcome counts instead "
        "of the one its WooCommerce status implies; 'undo' forgets it. With a scoring service "
        "it is queued and sent (never lost if the service is down); without one, this shop's "
        "scores are updated.",
    )
    outcome.add_argument("order_number", metavar="ORDER_NUMBER", help="as WooCommerce shows it")
    outcome.add_argument(
        "outcome",
        choices=(*OWNER_OUTCOMES, UNDO),
        help="what happened ('cancelled': the parcel was never sent), or 'undo'",
    )
    outcome.add_argument("--store", metavar="URL", help="which store (needed if several)")
    add_common(outcome)

    pending = sub.add_parser(
        "pending-outcomes",
        help="orders (failed, refunded) waiting for you to say what happened to the parcel",
    )
    pending.add_argument("--json", action="store_true", help="as one JSON array")
    pending.add_argument("--store", metavar="URL", help="only this store")
    add_common(pending)


def _service(paths: AppPaths) -> tuple[OrderActionService, list[StoreRecord]]:
    # Imported here, like the other commands' services: `shopguard --version` stays quick.
    from shopguard.order_actions import OrderActionService
    from shopguard.services import ClientOptions, OrderQueryService, default_client_factory
    from shopguard.sharing import SharingPipeline

    _engine, sessions = open_database(paths)
    actions = OrderActionService(
        sessions,
        default_client_factory(ClientOptions()),
        paths,
        sharing=SharingPipeline(sessions, paths),
    )
    return actions, OrderQueryService(sessions).stores()


def _pick_stores(stores: list[StoreRecord], url: str | None) -> list[StoreRecord]:
    if url is None:
        return stores
    wanted = normalize_store_url(url)
    return [s for s in stores if s.url == wanted]


def cmd_outcome(args: argparse.Namespace, paths: AppPaths) -> int:
    """``shopguard outcome ORDER_NUMBER OUTCOME``."""
    actions, stores = _service(paths)
    chosen = _pick_stores(stores, args.store)
    if not chosen:
        where = f" for {args.store}" if args.store else ""
        return _fail(f"No orders are kept{where}. Run `shopguard sync --url URL` first.")
    if len(chosen) > 1:
        names = ", ".join(s.url for s in chosen)
        return _fail(f"Several stores are connected ({names}): say which with --store URL.")
    store = chosen[0]
    order = actions.find_order(store.id, args.order_number)
    if order is None:
        return _fail(
            f"No order numbered {args.order_number} is kept for {store.url}. Check the number, "
            f"or run `shopguard sync --url {store.url}` first."
        )
    from shopguard.order_actions import ActionUnavailable

    try:
        result = actions.record_outcome(
            store.id, order.woo_id, None if args.outcome == UNDO else args.outcome
        )
    except ActionUnavailable as exc:
        return _fail(exc.message)
    _out(result.message)
    if result.service_refused:
        from shopguard.scoring.service_client import ServiceRejected

        return _fail(ServiceRejected.MESSAGE)  # as `shopguard push` says it: a failure
    return EXIT_OK


def cmd_pending(args: argparse.Namespace, paths: AppPaths) -> int:
    """``shopguard pending-outcomes [--json]``."""
    actions, stores = _service(paths)
    chosen = _pick_stores(stores, args.store)
    if args.store and not chosen:
        return _fail(f"No orders are kept for {args.store}. Run `shopguard sync` first.")
    rows: list[dict[str, Any]] = [
        {
            "store": store.url,
            "number": o.number,
            "woo_id": o.woo_id,
            "status": o.status,
            "date_created_gmt": o.date_created_gmt.strftime("%Y-%m-%dT%H:%M:%S"),
            "total": str(o.total),
            "currency": o.currency,
        }
        for store in chosen
        for o in actions.pending_decisions(store.id)
    ]
    if args.json:
        _out(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    if not rows:
        _out("No order is waiting for an outcome.")
        return EXIT_OK
    _out(f"{len(rows)} order(s) wait for you to say what happened to the parcel:")
    for row in rows:
        _out(
            f"  {row['number']:>8}  {row['status']:<9} {row['date_created_gmt'][:10]}  "
            f"{row['total']} {row['currency']}  ({row['store']})"
        )
    _out(
        "Record one with: shopguard outcome ORDER_NUMBER "
        "delivered|failed|refused|returned|cancelled (cancelled: never sent)"
    )
    return EXIT_OK


def _out(text: str) -> None:
    """Command output (this module's ``print``)."""
    sys.stdout.write(text + "\n")


def _fail(message: str) -> int:
    sys.stderr.write(f"shopguard: {message}\n")
    return EXIT_FAILED
