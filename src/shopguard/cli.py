"""The ``shopguard`` command: the GUI with no subcommand, scriptable subcommands otherwise.

Every failure ends in one line that says what happened and what to do, and a non-zero
exit code; never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from shopguard import __version__, cli_assessments, cli_outcomes, cli_service
from shopguard.paths import AppPaths, ProfileError, resolve_paths
from shopguard.scoring.service_client import ServiceError
from shopguard.scoring.settings import ServiceSettingsError
from shopguard.store.db import open_database
from shopguard.store.migrate import DatabaseError, DatabaseUnreadable
from shopguard.store.records import OrderRecord
from shopguard.store.repositories.scores import ScoreRecord
from shopguard.woo.credentials import ENV_KEY as CONSUMER_KEY_ENV
from shopguard.woo.credentials import ENV_SECRET as CONSUMER_SECRET_ENV
from shopguard.woo.credentials import (
    Credentials,
    CredentialsError,
    credentials_from_environment,
    keyring_status,
)
from shopguard.woo.errors import Cancelled, WooError
from shopguard.woo.sync import SyncProgress
from shopguard.woo.urls import normalize_store_url

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CANCELLED = 130


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="keep every ShopGuard file (data, settings, cache, logs) under DIR",
    )


def _port(text: str) -> int:
    """A TCP port number, for argparse (its message names the option and the value)."""
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a port number: use a whole number from 1 to 65535, e.g. 8765"
        )
    return port


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    parser = argparse.ArgumentParser(
        prog="shopguard",
        description="ShopGuard: privacy-first risk and GDPR companion for WooCommerce shops. "
        "With no command it opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"ShopGuard {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the app with a demo WooCommerce store, already synced",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    _add_common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sync = sub.add_parser("sync", help="fetch new and changed orders from a store")
    sync.add_argument("--url", required=True, help="the store's address, e.g. https://shop.example")
    sync.add_argument(
        "--concurrency", type=int, default=4, help="pages fetched at once (default 4)"
    )
    _add_common(sync)

    connect = sub.add_parser(
        "connect", help="test a store's REST API key and keep it in the system keyring"
    )
    connect.add_argument("--url", required=True)
    connect.add_argument("--name", default="", help="what to call the store")
    _add_common(connect)

    orders = sub.add_parser("orders", help="list the orders kept on this computer")
    orders.add_argument("--json", action="store_true", required=True, help="as one JSON array")
    orders.add_argument("--url", help="only this store's orders")
    _add_common(orders)

    demo = sub.add_parser("demo-store", help="run the demo WooCommerce store on its own")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=_port, default=8765, help="1-65535 (default 8765)")
    demo.add_argument("--orders", type=int, default=2000)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument(
        "--latency", type=float, default=0.0, help="seconds of delay added to every request"
    )
    demo.add_argument(
        "--tls", action="store_true", help="serve https with a self-signed certificate"
    )
    _add_common(demo)

    doctor = sub.add_parser("doctor", help="check this computer (and a store) and say what to fix")
    doctor.add_argument("--url", help="also check this store's connection")
    _add_common(doctor)
    cli_service.add_parsers(sub, _add_common)
    cli_outcomes.add_parsers(sub, _add_common)
    cli_assessments.add_parsers(sub, _add_common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``shopguard`` and ``python -m shopguard``."""
    try:
        return _run(argv)
    except BrokenPipeError:
        # Whoever read the output stopped reading (`shopguard orders --json | head`): end
        # quietly, as the Python docs advise. Output still buffered goes nowhere, so the
        # interpreter's final flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit:
        sys.stdout.flush()  # --help, --version: a closed stdout shows here, not at exit
        raise
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    paths = resolve_paths(getattr(args, "data_dir", None))
    try:
        if args.command is None:
            from shopguard.app import run_gui  # Qt is loaded only for the GUI.

            if args.demo and getattr(args, "data_dir", None):
                _fail(
                    "--demo always runs in a temporary profile, deleted when the app closes: "
                    "--data-dir is not used (nor touched)."
                )
            exit_code: int = run_gui(paths, demo=args.demo)
            return exit_code
        handler = _COMMANDS[args.command]
        exit_code = handler(args, paths)
        sys.stdout.flush()  # now, so that a reader gone away is handled in main()
        return exit_code
    except KeyboardInterrupt:
        _fail("Stopped. Everything fetched so far is saved; run the command again to continue.")
        return EXIT_CANCELLED
    except DatabaseUnreadable as exc:
        _fail(f"{exc.message} Run `shopguard doctor` to check the rest of what ShopGuard needs.")
        return EXIT_FAILED
    except (
        WooError,
        CredentialsError,
        DatabaseError,
        ProfileError,
        ServiceError,
        ServiceSettingsError,
    ) as exc:
        _fail(exc.message if hasattr(exc, "message") else str(exc))
        return EXIT_CANCELLED if isinstance(exc, Cancelled) else EXIT_FAILED


def _fail(message: str) -> None:
    print(f"shopguard: {message}", file=sys.stderr)


def _cmd_sync(args: argparse.Namespace, paths: AppPaths) -> int:
    from shopguard.services import ClientOptions, StoreService, default_client_factory
    from shopguard.sharing import SharingPipeline

    if args.concurrency < 1 or args.concurrency > 32:
        _fail("--concurrency must be between 1 and 32.")
        return EXIT_USAGE
    _engine, sessions = open_database(paths)
    service = StoreService(
        sessions, default_client_factory(ClientOptions()), sharing=SharingPipeline(sessions, paths)
    )
    cancel = threading.Event()

    def progress(p: SyncProgress) -> None:
        print(
            f"\rpage {p.pages_done}/{p.pages_total}  {p.orders_done}/{p.orders_total} orders",
            end="",
            file=sys.stderr,
            flush=True,
        )

    try:
        summary = service.sync(
            args.url, progress=progress, cancel_event=cancel, concurrency=args.concurrency
        )
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        print(file=sys.stderr)
    if summary.header_stripped:
        print(
            "Note: your web host removes the Authorization header, so ShopGuard sends the key "
            "in the address instead (safe over https). Ask your host to pass the header on.",
            file=sys.stderr,
        )
    for warning in summary.warnings:
        print(f"Note: {warning}", file=sys.stderr)
    if summary.sharing:
        print(summary.sharing, file=sys.stderr)
    print(summary.line())
    return EXIT_OK


def _cmd_connect(args: argparse.Namespace, paths: AppPaths) -> int:
    from shopguard.services import ClientOptions, StoreService, default_client_factory

    credentials = credentials_from_environment()
    if credentials is None:
        if not sys.stdin.isatty():
            _fail(
                "Set SHOPGUARD_CONSUMER_KEY and SHOPGUARD_CONSUMER_SECRET, or run this "
                "command in a terminal to type them."
            )
            return EXIT_USAGE
        key = input("Consumer key (ck_…): ").strip()
        secret = getpass.getpass("Consumer secret (cs_…, not shown): ").strip()
        credentials = Credentials(key, secret)
    _engine, sessions = open_database(paths)
    service = StoreService(sessions, default_client_factory(ClientOptions()))
    # No keyring here: the key is tested and the store remembered, but the key stays where
    # it came from (the environment, for each run).
    keep = keyring_status().usable
    store, info = service.connect(args.url, credentials, name=args.name, save=keep)
    access = "read and write" if info.permissions == "read_write" else "read only"
    print(f"Connected to {store.url}: {info.order_count} orders, key is {access}.")
    if info.permissions != "read_write":
        print("Actions that change orders (hold, notes) will need a Read/Write key.")
    if keep:
        return EXIT_OK
    if credentials.source == "environment":
        print(
            "The key works. It was not saved: this computer has no system keyring, so set "
            f"{CONSUMER_KEY_ENV} and {CONSUMER_SECRET_ENV} every time you run ShopGuard "
            "(sync, doctor --url)."
        )
        return EXIT_OK
    _fail(
        "The key works, but it was not saved: this computer has no system keyring. Install "
        f"one (Debian/Ubuntu: sudo apt install gnome-keyring), or set {CONSUMER_KEY_ENV} and "
        f"{CONSUMER_SECRET_ENV} every time you run ShopGuard."
    )
    return EXIT_FAILED


def order_json(
    order: OrderRecord,
    store_url: str,
    *,
    sent_payload: str | None = None,
    score: ScoreRecord | None = None,
) -> dict[str, Any]:
    """The ``shopguard orders --json`` shape of one order.

    ``sent_payload`` is exactly what was last sent to the scoring service for the order
    (null if nothing was). ``risk_score``, ``risk_band``, ``risk_reasons`` and
    ``scored_by`` ("network": the scoring service; "local": this computer, from this shop's
    own history) are the latest score, null (reasons: empty) when there is none; ``risk``
    is the same score in the older shape.
    """
    return {
        "id": order.woo_id,
        "number": order.number,
        "store_url": store_url,
        "status": order.status,
        "total": str(order.total),
        "currency": order.currency,
        "payment_method": order.payment_method,
        "payment_method_title": order.payment_method_title,
        "shipping_method": order.shipping_method,
        "shipping_method_title": order.shipping_method_title,
        "item_count": order.item_count,
        "customer_id": order.customer_id,
        "date_created_gmt": _iso(order.date_created_gmt),
        "date_modified_gmt": _iso(order.date_modified_gmt),
        "billing_city": order.billing_city,
        "billing_postcode": order.billing_postcode,
        "billing_country": order.billing_country,
        "shipping_city": order.shipping_city,
        "shipping_postcode": order.shipping_postcode,
        "shipping_country": order.shipping_country,
        "sent_payload": None if sent_payload is None else json.loads(sent_payload),
        "risk_score": None if score is None else score.score,
        "risk_band": None if score is None else score.band,
        "risk_reasons": []
        if score is None
        else [
            {"code": r.get("code"), "text": r.get("text"), "weight": r.get("weight")}
            for r in score.reasons
        ],
        "scored_by": None if score is None else score.scored_by,
        "risk": None
        if score is None
        else {
            "score": score.score,
            "band": score.band,
            "p_fail": score.p_fail,
            "reasons": score.reasons,
            "model": score.model,
        },
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _cmd_orders(args: argparse.Namespace, paths: AppPaths) -> int:
    from shopguard.services import OrderQueryService

    _engine, sessions = open_database(paths)
    query = OrderQueryService(sessions)
    stores = query.stores()
    if args.url:
        wanted = normalize_store_url(args.url)
        stores = [s for s in stores if s.url == wanted]
        if not stores:
            _fail(f"No orders are kept for {args.url}. Run 'shopguard sync --url {args.url}'.")
            return EXIT_FAILED

    def rows() -> Iterator[str]:
        for store in stores:
            offset = 0
            while True:
                batch = query.page(
                    store.id, sort="date_created", descending=False, offset=offset, limit=5000
                )
                if not batch:
                    break
                offset += len(batch)
                ids = [o.woo_id for o in batch]
                sent = query.sent_payloads(store.id, ids)
                scores = query.scores(store.id, ids)
                for order in batch:
                    row = order_json(
                        order,
                        store.url,
                        sent_payload=sent.get(order.woo_id),
                        score=scores.get(order.woo_id),
                    )
                    yield json.dumps(row, ensure_ascii=False)

    out = sys.stdout
    out.write("[")
    for index, row in enumerate(rows()):
        out.write(("," if index else "") + "\n" + row)
    out.write("\n]\n")
    return EXIT_OK


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _cmd_demo_store(args: argparse.Namespace, paths: AppPaths) -> int:
    from shopguard.demo.server import DemoStore

    store = DemoStore(
        orders=args.orders, seed=args.seed, host=args.host, port=args.port, tls=args.tls
    )
    store.faults.latency = max(0.0, args.latency)
    try:
        store.start()
    except OSError as exc:
        _fail(f"Could not listen on {args.host}:{args.port} ({exc.strerror}). Try another --port.")
        return EXIT_FAILED
    # A polite stop (kill, service manager) cleans up like Ctrl+C does.
    signal.signal(signal.SIGTERM, _interrupt)
    key, secret = store.credentials
    print(f"Demo WooCommerce store running at {store.url} with {args.orders} orders.")
    if store.cert_path:
        print(f"  certificate:     {store.cert_path} (self-signed; trust it to use https)")
    print(f"  consumer key:    {key}")
    print(f"  consumer secret: {secret}")
    ro_key, ro_secret = store.read_only_credentials
    print(f"  read-only key:   {ro_key} / {ro_secret}")
    print(
        "Try: SHOPGUARD_CONSUMER_KEY=... SHOPGUARD_CONSUMER_SECRET=... "
        f"shopguard sync --url {store.url}"
    )
    print("Press Ctrl+C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        store.stop()
    return EXIT_OK


def _cmd_doctor(args: argparse.Namespace, paths: AppPaths) -> int:
    from shopguard.doctor import run_checks

    problems = 0
    for check in run_checks(paths, url=args.url):
        mark = "ok " if check.ok else "FIX"
        print(f"[{mark}] {check.title}: {check.detail}")
        if not check.ok:
            problems += 1
    if problems:
        print(f"{problems} problem(s) found; the lines marked FIX say what to do.")
        return EXIT_FAILED
    print("Everything ShopGuard needs is in place.")
    return EXIT_OK


_COMMANDS = {
    "sync": _cmd_sync,
    "connect": _cmd_connect,
    "orders": _cmd_orders,
    "demo-store": _cmd_demo_store,
    "doctor": _cmd_doctor,
    "service": cli_service.cmd_service,
    "push": cli_service.cmd_push,
    "score": cli_service.cmd_score,
    "outcome": cli_outcomes.cmd_outcome,
    "pending-outcomes": cli_outcomes.cmd_pending,
    "assessments": cli_assessments.cmd_assessments,
    "export": cli_assessments.cmd_export,
    "import-assessment": cli_assessments.cmd_import,
}
