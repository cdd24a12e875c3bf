"""The ``shopguard service``, ``push`` and ``score`` commands: which scoring service orders go
to, sending what waits now, and scoring on this computer when there is none."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import Any

from shopguard.paths import AppPaths
from shopguard.scoring.service_client import (
    ServiceCertificateError,
    ServiceError,
    ServiceRejected,
    ServiceUnreachable,
)
from shopguard.store.db import open_database
from shopguard.store.repositories import outbox as outbox_repo
from shopguard.store.repositories import stores as store_repo

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

AddCommon = Callable[[argparse.ArgumentParser], None]


def add_parsers(sub: Any, add_common: AddCommon) -> None:
    """Add the scoring-service commands to the ``shopguard`` parser's subcommands."""
    service = sub.add_parser("service", help="the scoring service orders are scored by")
    service_sub = service.add_subparsers(dest="service_command", metavar="ACTION", required=True)
    service_set = service_sub.add_parser(
        "set",
        help="use a scoring service (secret from SHOPGUARD_SERVICE_SECRET or asked for)",
    )
    service_set.add_argument("--url", required=True, help="e.g. https://score.example")
    service_set.add_argument("--shop-id", required=True, help="the shop ID the service gave you")
    add_common(service_set)
    service_show = service_sub.add_parser("show", help="print the configuration (no secret)")
    add_common(service_show)
    service_stop = service_sub.add_parser(
        "stop",
        help="stop using the scoring service: score on this computer only, forget the secret",
    )
    add_common(service_stop)

    push = sub.add_parser("push", help="send queued payloads to the scoring service now")
    add_common(push)

    score = sub.add_parser(
        "score", help="score orders on this computer (no scoring service: this shop only)"
    )
    score.add_argument(
        "--all", action="store_true", help="score every order again, not only new and changed"
    )
    add_common(score)


def cmd_service(args: argparse.Namespace, paths: AppPaths) -> int:
    """``shopguard service set|show|stop``."""
    from shopguard.scoring.settings import ENV_SECRET
    from shopguard.sharing import SharingPipeline

    _engine, sessions = open_database(paths)
    pipeline = SharingPipeline(sessions, paths)
    if args.service_command == "show":
        settings = pipeline.settings()
        if settings is None:
            print("No scoring service is configured: orders are scored on this computer only.")
            return EXIT_OK
        print(f"Scoring service: {settings.url}")
        print(f"Shop ID:         {settings.shop_id}")
        with sessions() as session:
            pending = outbox_repo.count_pending(session)
        print(f"Queued to send:  {pending}")
        return EXIT_OK
    if args.service_command == "stop":
        stopped = pipeline.stop()
        if stopped is None:
            print("No scoring service was configured: orders are scored on this computer only.")
        else:
            print(
                f"Stopped using the scoring service at {stopped.url}; its secret was removed. "
                "Orders are now scored on this computer only. Anything still queued stays "
                "here, unsent, in case you set the service again."
            )
        return EXIT_OK
    secret = os.environ.get(ENV_SECRET, "").strip()
    if not secret:
        if not sys.stdin.isatty():
            _fail(f"Set {ENV_SECRET}, or run this command in a terminal to type the secret.")
            return EXIT_USAGE
        secret = getpass.getpass("Shop secret from the scoring service (not shown): ").strip()
    try:
        configured = pipeline.configure(args.url, args.shop_id, secret)
    except ServiceError as exc:
        _fail(_setup_failure(exc, args.url.strip().rstrip("/"), args.shop_id))
        return EXIT_FAILED
    print(f"Scoring service set: {configured.settings.url} (shop {configured.settings.shop_id}).")
    if not configured.secret_in_keyring:
        print(
            f"No system keyring here: set {ENV_SECRET} whenever ShopGuard syncs or pushes.",
            file=sys.stderr,
        )
    print(
        f"{configured.backfilled} orders already on this computer were queued for scoring; "
        "they are sent on the next sync or `shopguard push`."
    )
    return EXIT_OK


def cmd_push(args: argparse.Namespace, paths: AppPaths) -> int:
    """``shopguard push``: send everything queued now, the back-off after a failure included."""
    from shopguard.sharing import SharingPipeline

    _engine, sessions = open_database(paths)
    pipeline = SharingPipeline(sessions, paths)
    pipeline.ready()
    # The owner asked to send now: what waits after a failure goes too. Syncs and the
    # app's background sending keep the back-off.
    with sessions.begin() as session:
        outbox_repo.retry_now(session)
        stores = store_repo.list_stores(session)
    failed = False
    for store in stores:
        summary = pipeline.push(store.id)
        print(f"{store.url}: {summary.line()}")
        if summary.error:
            _fail(summary.error)
            failed = True
    return EXIT_FAILED if failed else EXIT_OK


def cmd_score(args: argparse.Namespace, paths: AppPaths) -> int:
    """``shopguard score [--all]``: score on this computer (no scoring service set up)."""
    from shopguard.sharing import SharingPipeline

    _engine, sessions = open_database(paths)
    pipeline = SharingPipeline(sessions, paths)
    settings = pipeline.settings()
    if settings is not None:
        _fail(
            f"Orders are scored by the scoring service at {settings.url}; nothing was scored "
            "on this computer. `shopguard push` sends what waits."
        )
        return EXIT_FAILED
    with sessions() as session:
        stores = store_repo.list_stores(session)
    if not stores:
        print("No store is connected yet: nothing to score.")
    for store in stores:
        summary = pipeline.score_locally(store.id, full=args.all)
        print(f"{store.url}: {summary.line()}")
    return EXIT_OK


def _setup_failure(error: ServiceError, url: str, shop_id: str) -> str:
    """What to say when setting up a service failed (``error`` came from its first call):
    nothing was saved, so nothing waits for it; say what to check instead."""
    again = "then run `shopguard service set` again."
    if isinstance(error, ServiceRejected):
        reason = (
            f"The service at {url} did not accept this shop's ID or secret (shop ID "
            f"{shop_id}): one of them is mistyped, or the shop was switched off. Check both "
            f"with whoever runs the service, {again}"
        )
    elif isinstance(error, ServiceUnreachable):
        reason = (
            f"Nothing answered at {url}. Check the address (and port) and that the scoring "
            f"service is running, {again}"
        )
    elif isinstance(error, ServiceCertificateError):
        reason = (
            f"The secure connection to {url} failed: its certificate could not be verified. "
            f"Check the address (it should start with https://) or ask whoever runs the "
            f"service, {again}"
        )
    elif error.status is not None and error.status < 500 and error.status != 429:
        reason = (
            f"{url} does not answer like a ShopGuard scoring service (HTTP {error.status}). "
            "Check the address with whoever runs the service (the scoring service's own "
            f"address, not your shop's), {again}"
        )
    elif error.status is not None:
        reason = (
            f"The scoring service at {url} answered with an error (HTTP {error.status}). Try "
            "again later; if it keeps happening, tell whoever runs the service."
        )
    else:
        reason = error.message
    return f"The scoring service was not set up; nothing was saved. {reason}"


def _fail(message: str) -> None:
    print(f"shopguard: {message}", file=sys.stderr)
