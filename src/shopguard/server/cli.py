"""``shopguard-server``: run the scoring service and do the operator's chores.

Commands: ``serve``, ``create-shop``, ``list-shops``, ``revoke-shop``, ``rotate-secret``,
``purge``, ``subject-export``, ``dispute``. Every command takes ``--database-url`` (else
SHOPGUARD_DATABASE_URL, else SQLite in the data directory) and ``--data-dir``.

Only ``serve`` and ``create-shop`` make a new SQLite database; the other commands refuse
one that does not exist. ``serve`` says "Serving on" once it listens.

Exit codes: 0 done; 1 the action failed (unknown shop, database out of reach, port in use);
2 the command or the configuration is wrong (no pepper or another pepper than the
database's, a database URL that is not SQLite or PostgreSQL, no database at the path, a
public address without --behind-tls-proxy).
Errors are one line on stderr; nothing secret is ever printed except the secret a
``create-shop`` or ``rotate-secret`` exists to hand out.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import socket
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from shopguard.server.listen import ListenError, bind, when_listening
from shopguard.server.migrate import DatabaseError, sqlite_path
from shopguard.server.services import maintenance, operators, subjects
from shopguard.server.services.setup import open_database
from shopguard.server.settings import (
    Pepper,
    ServerSettings,
    SettingsError,
    check_database_url,
    default_data_dir,
    default_database_url,
    pepper_from_env,
    settings_from_env,
)

PROG = "shopguard-server"
EXIT_FAILED = 1
EXIT_USAGE = 2
DEV_PEPPER_NAME = "dev-pepper"


class CommandError(Exception):
    """A one-line error and its exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``shopguard-server``."""
    args = _parser().parse_args(argv)
    # The service logs its work; an operator's command says only what it did.
    level = logging.INFO if args.command == "serve" else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except CommandError as exc:
        _say(f"{PROG}: error: {exc.message}", sys.stderr)
        return exc.code
    except (SettingsError, DatabaseError, operators.OperatorError) as exc:
        code = EXIT_USAGE if isinstance(exc, SettingsError) else EXIT_FAILED
        _say(f"{PROG}: error: {exc.message}", sys.stderr)
        return code


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in data dir)")
    common.add_argument("--data-dir", type=Path, help="where the default database lives")
    parser = argparse.ArgumentParser(prog=PROG, description="ShopGuard's scoring service.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", parents=[common], help="run the service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8787, help="1-65535 (default: 8787)")
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--pepper-file", type=Path, help="file holding the pepper (hex)")
    serve.add_argument("--dev", action="store_true", help="make a pepper in the data dir")
    serve.add_argument(
        "--behind-tls-proxy", action="store_true", help="TLS ends at a reverse proxy in front"
    )
    serve.set_defaults(handler=_serve)

    create = commands.add_parser("create-shop", parents=[common], help="add a member shop")
    create.add_argument("--name", required=True)
    create.set_defaults(handler=_create_shop)
    commands.add_parser("list-shops", parents=[common], help="list shops").set_defaults(
        handler=_list_shops
    )
    for name, handler, text in (
        ("revoke-shop", _revoke_shop, "refuse a shop's requests from now on"),
        ("rotate-secret", _rotate_secret, "give a shop a new secret"),
    ):
        sub = commands.add_parser(name, parents=[common], help=text)
        sub.add_argument("shop_id")
        sub.set_defaults(handler=handler)
    commands.add_parser("purge", parents=[common], help="apply retention now").set_defaults(
        handler=_purge
    )

    export = commands.add_parser(
        "subject-export", parents=[common], help="everything held about a subject (JSON)"
    )
    for kind in ("email", "phone", "name", "address"):
        export.add_argument(f"--{kind}-digest", help=f"the subject's v1 {kind} digest")
    export.add_argument("--pepper-file", type=Path, help="file holding the pepper (hex)")
    export.add_argument(
        "--dev", action="store_true", help="use the pepper `serve --dev` made in the data dir"
    )
    export.set_defaults(handler=_subject_export)

    dispute = commands.add_parser("dispute", parents=[common], help="annotate or remove a record")
    dispute.add_argument("--shop-id", required=True)
    dispute.add_argument("--order-id", required=True)
    action = dispute.add_mutually_exclusive_group(required=True)
    action.add_argument("--note", help="annotate: the record stops counting for other shops")
    action.add_argument("--remove", action="store_true", help="delete the record")
    dispute.set_defaults(handler=_dispute)
    return parser


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give a number from 1 to 65535")
    return port


def _data_dir(args: argparse.Namespace) -> Path:
    path = Path(args.data_dir).expanduser().resolve() if args.data_dir else default_data_dir()
    if path.exists() and not path.is_dir():
        raise CommandError(
            f"The data folder {path} is a file, not a folder: give --data-dir a folder "
            "(one that does not exist yet is made).",
            EXIT_USAGE,
        )
    return path


def _make_data_dir(args: argparse.Namespace) -> Path:
    """The data folder, made if missing: the platform's default with its parents, a
    --data-dir only where its parent exists (a typo should not grow a tree of folders)."""
    path = _data_dir(args)
    if args.data_dir and not path.parent.is_dir():
        raise CommandError(
            f"The folder {path.parent} does not exist: create it first, or check --data-dir.",
            EXIT_USAGE,
        )
    try:
        path.mkdir(parents=not args.data_dir, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"Cannot make the data folder {path}: {exc.strerror}.") from exc
    return path


def _database_url(args: argparse.Namespace) -> str:
    url: str = (
        args.database_url
        or os.environ.get("SHOPGUARD_DATABASE_URL")
        or default_database_url(_data_dir(args))
    )
    return check_database_url(url)


def _service_url(args: argparse.Namespace, *, create: bool) -> str:
    """The database URL, once a SQLite file is known to exist (``create``: to be makeable).

    Only ``serve`` and ``create-shop`` may start a new database, and only in a folder that
    exists (or the data folder): a mistyped path must not turn into a new, empty service
    that answers "no shops" or "nothing held about this subject".
    """
    url = _database_url(args)
    path = sqlite_path(url)
    if path is None or path.exists():
        return url
    explicit = bool(args.database_url or os.environ.get("SHOPGUARD_DATABASE_URL"))
    named_by = "--database-url (or SHOPGUARD_DATABASE_URL)" if explicit else "--data-dir"
    if not create:
        raise CommandError(
            f"There is no service database at {path}: check {named_by}. Nothing was "
            "created; `serve` or `create-shop` makes a new database.",
            EXIT_USAGE,
        )
    if not explicit:
        _make_data_dir(args)
    elif not path.parent.is_dir():
        raise CommandError(
            f"The folder {path.parent} does not exist, so no database can be made there: "
            f"create the folder first, or check {named_by}.",
            EXIT_USAGE,
        )
    return url


def _with_session(
    args: argparse.Namespace,
    work: Callable[[Session], Any],
    *,
    pepper: Pepper | None = None,
    create: bool = False,
) -> Any:
    engine, sessions = open_database(_service_url(args, create=create), pepper=pepper)
    try:
        with sessions.begin() as session:
            return work(session)
    finally:
        engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


def _out(value: Any) -> None:
    """A command's result on stdout (JSON)."""
    _say(json.dumps(value))


def _say(text: str, stream: TextIO | None = None) -> None:
    """One line for the operator (stdout, or the given stream)."""
    target = stream or sys.stdout
    target.write(text + "\n")
    target.flush()


def _create_shop(args: argparse.Namespace) -> int:
    shop_id, secret = _with_session(
        args, lambda s: operators.create_shop(s, args.name, _now()), create=True
    )
    _out({"shop_id": shop_id, "secret": secret})
    return 0


def _list_shops(args: argparse.Namespace) -> int:
    shops = _with_session(args, operators.list_shops)
    _out(
        [
            {
                "shop_id": s.shop_id,
                "name": s.name,
                "revoked": s.revoked,
                "created_at": s.created_at.isoformat().replace("+00:00", "Z"),
            }
            for s in shops
        ]
    )
    return 0


def _revoke_shop(args: argparse.Namespace) -> int:
    _with_session(args, lambda s: operators.revoke_shop(s, args.shop_id, _now()))
    _say(f"Shop {args.shop_id} is revoked: its requests are refused from now on.")
    return 0


def _rotate_secret(args: argparse.Namespace) -> int:
    secret = _with_session(args, lambda s: operators.rotate_secret(s, args.shop_id, _now()))
    _out({"shop_id": args.shop_id, "secret": secret})
    return 0


def _purge(args: argparse.Namespace) -> int:
    days = int(os.environ.get("SHOPGUARD_RETENTION_DAYS", "730"))
    counts = _with_session(args, lambda s: maintenance.purge(s, _now(), "cli", retention_days=days))
    _out(counts)
    return 0


def _subject_export(args: argparse.Namespace) -> int:
    digests = {
        kind: value.strip().lower()
        for kind in ("email", "phone", "name", "address")
        if (value := getattr(args, f"{kind}_digest"))
    }
    if not digests:
        raise CommandError("Name the subject: --email-digest (or phone, name, address).", 2)
    for kind, value in digests.items():
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise CommandError(f"--{kind}-digest must be 64 hex digits.", EXIT_USAGE)
    pepper = _pepper(args)
    _out(_with_session(args, lambda s: subjects.export(s, pepper, digests, _now()), pepper=pepper))
    return 0


def _dispute(args: argparse.Namespace) -> int:
    action = _with_session(
        args,
        lambda s: operators.dispute(
            s, args.shop_id, args.order_id, args.note, bool(args.remove), _now()
        ),
    )
    done = "removed" if action == "dispute.remove" else "annotated (no longer shared)"
    _say(f"Order {args.order_id} of shop {args.shop_id} {done}; the action is logged.")
    return 0


def _pepper(args: argparse.Namespace) -> Pepper:
    """The pepper as ``serve`` would take it: --pepper-file, else the environment, else
    (with --dev) the development pepper in the data directory."""
    if args.pepper_file:
        return Pepper.from_file(Path(args.pepper_file))
    pepper = pepper_from_env(os.environ)
    if pepper is not None:
        return pepper
    dev_file = _data_dir(args) / DEV_PEPPER_NAME
    if args.dev:
        if not dev_file.is_file():
            raise CommandError(
                f"There is no development pepper at {dev_file}: `serve --dev` makes it (with "
                "the same --data-dir).",
                EXIT_USAGE,
            )
        _say(f"WARNING: development mode: the pepper is {dev_file}.", sys.stderr)
        return Pepper.from_file(dev_file)
    hint = (
        f" `serve --dev` made a development pepper at {dev_file}: pass --dev (or "
        f"--pepper-file {dev_file}) to use it."
        if dev_file.is_file()
        else ""
    )
    raise CommandError(
        "No pepper: set SHOPGUARD_PEPPER (hex) or pass --pepper-file." + hint, EXIT_USAGE
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace) -> int:
    if not _is_loopback(args.host) and not args.behind_tls_proxy:
        raise CommandError(
            f"Refusing to serve on {args.host} without TLS: put the service behind a TLS "
            "reverse proxy and pass --behind-tls-proxy (or serve on 127.0.0.1).",
            EXIT_USAGE,
        )
    if args.workers < 1:
        raise CommandError("--workers must be at least 1.", EXIT_USAGE)
    env = dict(os.environ)
    _database_url(args)  # a wrong URL is said before anything else is done
    if args.pepper_file:
        env.pop("SHOPGUARD_PEPPER", None)
        env["SHOPGUARD_PEPPER_FILE"] = str(Path(args.pepper_file).resolve())
    elif pepper_from_env(env) is None:
        if not args.dev:
            raise CommandError(
                "No pepper: set SHOPGUARD_PEPPER (hex), pass --pepper-file, or use --dev "
                "for a throwaway development pepper.",
                EXIT_USAGE,
            )
        env["SHOPGUARD_PEPPER_FILE"] = str(_dev_pepper(_make_data_dir(args)))
    env["SHOPGUARD_DATABASE_URL"] = _service_url(args, create=True)
    if args.behind_tls_proxy:
        env["SHOPGUARD_BEHIND_TLS_PROXY"] = "1"
    settings: ServerSettings = settings_from_env(env)
    # Migrate once here, before any worker starts; refuse a pepper the database was not
    # filled with before anything listens.
    engine, _ = open_database(settings.database_url, pepper=settings.pepper)
    engine.dispose()
    try:
        sock = bind(args.host, args.port)
    except ListenError as exc:
        raise CommandError(exc.message) from exc
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    serving = f"Serving on http://{args.host}:{args.port} (database {shown})"
    announced = when_listening(sock, lambda: _say(serving, sys.stderr))
    try:
        _run_uvicorn(sock, args, env, settings)
    except KeyboardInterrupt:
        pass
    finally:
        announced.set()
        sock.close()
    return 0


def _run_uvicorn(
    sock: socket.socket, args: argparse.Namespace, env: dict[str, str], settings: ServerSettings
) -> None:
    """Serve on the bound socket: one process, or ``--workers`` processes sharing it."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from shopguard.server.main import create_app, tune_garbage_collector

    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "proxy_headers": args.behind_tls_proxy,
        "server_header": False,
        "log_level": "info",
    }
    if args.workers == 1:
        server = uvicorn.Server(uvicorn.Config(create_app(settings), **options))
        tune_garbage_collector()
        server.run(sockets=[sock])
    else:
        os.environ.update(env)  # the workers read their settings from the environment
        config = uvicorn.Config(
            "shopguard.server.main:app_from_env", factory=True, workers=args.workers, **options
        )
        Multiprocess(config, sockets=[sock]).run()


def _dev_pepper(data_dir: Path) -> Path:
    path = data_dir / DEV_PEPPER_NAME
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            message = f"Cannot make the development pepper {path}: {exc.strerror}."
            raise CommandError(message) from exc
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(Pepper.generate().value.hex() + "\n")
    _say(
        f"WARNING: development mode: the pepper is {path}. Never use --dev in production: "
        "a real service keeps its pepper outside the data directory (--pepper-file).",
        sys.stderr,
    )
    return path


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
