"""A WooCommerce-compatible demo store on a local port: ``shopguard --demo``, tests, benchmarks.

``DemoStore`` generates a seeded shop (see ``generator``) and serves the WooCommerce REST API
v3 orders routes the way a real WordPress + WooCommerce site does: pretty permalinks
(``/wp-json/wc/v3/...``) and plain ones (``/?rest_route=/wc/v3/...``), the same
authentication rules and error bodies, pagination headers, gzip, keep-alive. ``faults``
makes it misbehave like real hosts (slow, rate limited, HTML instead of JSON, dropped
connections, a stripped ``Authorization`` header...).

    with DemoStore(orders=500, seed=3) as store:
        key, secret = store.credentials
        ...  # talk to store.url
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import logging
import shutil
import socket
import socketserver
import ssl
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from shopguard.demo import faults as fault_pages
from shopguard.demo.api import JSON_TYPE, ApiRequest, ApiResponse, StoreApi
from shopguard.demo.auth import ApiKey, Authenticator, AuthRequest, classify, php_parse_query
from shopguard.demo.faults import Faults
from shopguard.demo.generator import credentials_for
from shopguard.demo.shop import Shop
from shopguard.demo.tls import make_self_signed
from shopguard.demo.wp import encode_json, home_page, not_found_page

log = logging.getLogger(__name__)

__all__ = ["DemoStore", "Faults", "RequestRecord"]

_HTML = "text/html; charset=UTF-8"
_ADMIN_USER_ID = 1
_CUSTOMER_USER_ID = 9_000_001


@dataclass
class RequestRecord:
    """One request as the store saw it.

    ``path`` has no query; a ``?rest_route=/wc/v3/x`` request is recorded as
    ``/wp-json/wc/v3/x`` (and ``rest_route`` is left out of ``query``). ``status`` is 0 for a
    dropped connection. ``auth_method`` is the credentials the store looked at: ``query``
    (``consumer_key`` in the URL, https only), ``basic`` (https only), ``oauth`` or ``none``
    (also for Basic over plain http or a stripped header: those are ignored).
    """

    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    auth_method: str


@dataclass
class _Incoming:
    """A request as the store reads it, before it is answered."""

    method: str
    raw_path: str
    route: str | None  # the REST route, None for a web page
    body: bytes
    content_type: str
    auth: AuthRequest
    logged_path: str
    logged_query: dict[str, list[str]]
    auth_method: str

    def record(self, status: int) -> RequestRecord:
        return RequestRecord(
            self.method, self.logged_path, self.logged_query, status, self.auth_method
        )


class DemoStore:
    """A seeded WooCommerce store served over HTTP(S) on a daemon thread.

    Public attributes: ``url`` (after ``start()``), ``credentials`` (a read/write key),
    ``read_only_credentials``, ``write_only_credentials``, ``no_permission_credentials`` (a
    key whose user may not manage orders: 403), ``cert_path`` (https: the certificate to
    trust), ``faults`` (see ``Faults``), ``requests_served`` and ``request_log`` (one
    ``RequestRecord`` per request, oldest first; tests may ``clear()`` it).

    With ``now`` the clock is frozen there: the orders are generated up to it and changes
    are stamped from it (one second apart). Without it the real clock is used, and the
    helpers that change orders return once the second they stamped is over (so a client
    that asks only for complete seconds sees the change at once).
    """

    json_cache_bytes = 128 * 1024 * 1024
    """Memory for encoded orders kept for re-serving (about 4 KB each; 2,000 orders: 8 MB)."""

    def __init__(
        self,
        orders: int = 2000,
        seed: int = 1,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        currency: str = "EUR",
        now: datetime.datetime | None = None,
    ) -> None:
        fixed_now = None
        if now is not None:
            aware = now if now.tzinfo else now.replace(tzinfo=datetime.UTC)
            fixed_now = int(aware.timestamp())
        self.host = host
        self.port = port
        self.tls = tls
        self.faults = Faults()
        self.requests_served = 0
        self.request_log: list[RequestRecord] = []
        self.cert_path: str | None = None
        self.credentials = credentials_for(seed, "read_write")
        self.read_only_credentials = credentials_for(seed, "read")
        self.write_only_credentials = credentials_for(seed, "write")
        self.no_permission_credentials = credentials_for(seed, "customer")
        keys = [
            ApiKey(*self.credentials, permissions="read_write", user_id=_ADMIN_USER_ID),
            ApiKey(*self.read_only_credentials, permissions="read", user_id=_ADMIN_USER_ID),
            ApiKey(*self.write_only_credentials, permissions="write", user_id=_ADMIN_USER_ID),
            ApiKey(
                *self.no_permission_credentials,
                permissions="read_write",
                user_id=_CUSTOMER_USER_ID,
                can_manage_orders=False,
            ),
        ]
        self._shop = Shop(
            orders, seed, currency=currency, now=fixed_now, cache_bytes=self.json_cache_bytes
        )
        self._authenticator = Authenticator(keys, self._home_url())
        self._api = StoreApi(self._shop, self._authenticator, self.faults)
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._tmpdir: str | None = None

    # ------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """The store's home URL, e.g. ``http://127.0.0.1:43211`` (no trailing slash)."""
        return self._home_url()

    def _home_url(self) -> str:
        # A wildcard address is reached as localhost (WordPress has one configured home URL).
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def start(self) -> None:
        """Bind (``OSError`` if the port is taken) and serve on a daemon thread."""
        if self._server is not None:
            return
        context = None
        if self.tls:
            self._tmpdir = tempfile.mkdtemp(prefix="shopguard-demo-tls-")
            cert, key = make_self_signed(Path(self._tmpdir), [self.host])
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            self.cert_path = str(cert)
        try:
            server = _Server((self.host, self.port), _Handler, self, context)
        except OSError:
            self._remove_tmpdir()
            raise
        self._server = server
        self.port = server.server_address[1]
        self._shop.home_url = self._authenticator.home_url = self._home_url()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"demo-store-{self.port}",
            daemon=True,
        )
        self._thread.start()
        log.info("Demo store serving %d orders at %s", self.order_count(), self.url)

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._remove_tmpdir()

    def _remove_tmpdir(self) -> None:
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> DemoStore:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ the shop's data

    def order_count(self) -> int:
        """Orders that are not in the trash."""
        return self._shop.book.count()

    def get_order(self, order_id: int) -> dict[str, Any]:
        """The order's JSON object as served (``KeyError`` if there is no such order)."""
        order = self._shop.book.get(order_id)
        if order is None:
            raise KeyError(order_id)
        return self._shop.order_dict(order, self.faults.plain_permalinks)

    def touch_orders(self, n: int) -> list[int]:
        """Modify ``n`` random orders (not trashed) now; some change status. Their ids."""
        return self._shop.touch_random(n)

    def touch_orders_by_id(self, ids: Iterable[int], *, keep_status: bool = False) -> None:
        """Modify these orders now (``KeyError`` for an unknown id); ``keep_status``: only
        their modification date moves."""
        self._shop.touch(list(ids), keep_status=keep_status)

    def add_orders(self, n: int) -> list[int]:
        """``n`` new orders created now, with new ids."""
        return self._shop.add(n)

    def trash_order(self, order_id: int) -> None:
        """Move an order to the trash (its ``date_modified`` moves on)."""
        order = self._shop.book.get(order_id)
        if order is None:
            raise KeyError(order_id)
        self._shop.trash(order)

    def notes(self, order_id: int) -> list[dict[str, Any]]:
        """Notes added to the order through the API (and the system's status-change notes
        for changes made through it), oldest first."""
        return self._shop.notes(order_id)

    def emails(self) -> list[dict[str, Any]]:
        """The emails WooCommerce would have sent for changes made through the API: dicts
        of ``order_id``, ``email`` (``customer_note``, ``customer_on_hold_order``,
        ``cancelled_order``), ``to`` and, for a customer note, ``note``."""
        return self._shop.emails()

    # ------------------------------------------------------------ serving

    def _take(self, counter: str) -> bool:
        """Use up one request of a fault counter, if any are left."""
        with self._lock:
            left = int(getattr(self.faults, counter))
            if left <= 0:
                return False
            setattr(self.faults, counter, left - 1)
            return True

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self.request_log.append(record)

    def serve(self, handler: _Handler, body: bytes) -> None:
        """Answer one parsed HTTP request (called on the connection's thread)."""
        with self._lock:
            self.requests_served += 1
        self._api.faults = self.faults
        if self.faults.latency > 0:
            time.sleep(self.faults.latency)
        incoming = self._incoming(handler, body)
        if self._take("drop_next"):
            self._record(incoming.record(0))
            handler.drop()
            return
        response = self._faulty_response() or self._answer(incoming)
        self._record(incoming.record(response.status))
        handler.reply(response, truncate=bool(response.body) and self._take("truncate_next"))

    def _incoming(self, handler: _Handler, body: bytes) -> _Incoming:
        split = urlsplit(handler.path)
        raw_path, raw_query = split.path or "/", split.query
        get = php_parse_query(raw_query)
        route = self._route(raw_path, get)
        query = parse_qs(raw_query, keep_blank_values=True)
        if route is not None and isinstance(get.get("rest_route"), str):
            query.pop("rest_route", None)
        content_type = handler.headers.get("Content-Type", "")
        form: dict[str, Any] = {}
        if handler.command == "POST" and content_type.startswith(
            "application/x-www-form-urlencoded"
        ):
            form = php_parse_query(body.decode("utf-8", "replace"))  # PHP's $_POST
        header = handler.headers.get("Authorization", "")
        authorization = "" if self.faults.strip_authorization else header
        auth = AuthRequest(handler.command, raw_path, get, form, authorization)
        is_wc = route is not None and route.startswith(("/wc/", "/wc-"))
        return _Incoming(
            method=handler.command,
            raw_path=raw_path,
            route=route,
            body=body,
            content_type=content_type,
            auth=auth,
            logged_path=raw_path if route is None else f"/wp-json{route}",
            logged_query=query,
            auth_method=classify(auth, self.tls) if is_wc else "none",
        )

    def _answer(self, incoming: _Incoming) -> ApiResponse:
        if incoming.route is None:
            if incoming.raw_path == "/":
                return ApiResponse(200, home_page(self._rest_root()), content_type=_HTML)
            return ApiResponse(404, not_found_page(self._rest_root()), content_type=_HTML)
        request = ApiRequest(
            incoming.method,
            incoming.route,
            incoming.auth.get,
            incoming.body,
            incoming.content_type,
            incoming.auth,
            tls=self.tls,
        )
        return self._api.handle(request)

    def _route(self, raw_path: str, get: dict[str, Any]) -> str | None:
        """The REST route a request goes to, or None for a web page."""
        rest_route = get.get("rest_route")
        if isinstance(rest_route, str):
            return rest_route.rstrip("/") or "/"  # WordPress's untrailingslashit
        if raw_path == "/wp-json" or raw_path.startswith("/wp-json/"):
            if self.faults.plain_permalinks:
                return None
            return unquote(raw_path[len("/wp-json") :]) or "/"
        return None

    def _rest_root(self) -> str:
        return self._shop.rest_url("/", self.faults.plain_permalinks)

    def _faulty_response(self) -> ApiResponse | None:
        faults = self.faults
        if self._take("rate_limit_next"):
            error = fault_pages.rate_limited()
            retry = fault_pages.retry_after_header(faults.retry_after)
            return ApiResponse(429, encode_json(error.body()), [("Retry-After", retry)])
        if self._take("server_error_next"):
            content_type, page = fault_pages.server_error(faults.server_error_status)
            return ApiResponse(faults.server_error_status, page, content_type=content_type)
        if self._take("html_next"):
            return ApiResponse(200, fault_pages.challenge_page(), content_type=_HTML)
        return None


class _Server(ThreadingHTTPServer):
    """Threaded, keep-alive capable; TLS handshakes happen on the connection's thread."""

    daemon_threads = True
    request_queue_size = 64
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        store: DemoStore,
        tls_context: ssl.SSLContext | None,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.store = store
        self.tls_context = tls_context
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (getfqdn), which can hang offline.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("Demo store connection from %s failed", client_address, exc_info=True)

    def close_connections(self) -> None:
        """Wake up every thread still waiting on a keep-alive connection."""
        with self.connections_lock:
            live = list(self.connections)
        for connection in live:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 30  # seconds an idle keep-alive connection is kept
    server: _Server

    def version_string(self) -> str:
        return "Apache"

    def setup(self) -> None:
        context = self.server.tls_context
        if context is not None:
            self.request.settimeout(self.timeout)
            self.request = context.wrap_socket(self.request, server_side=True)
        with self.server.connections_lock:
            self.server.connections.add(self.request)
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.request)
            if isinstance(self.request, ssl.SSLSocket):
                self.request.close()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("demo store %s - %s", self.address_string(), format % args)

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            body = None
        if body is None:
            self.close_connection = True
            self.send_error(400, "Bad request body")
            return
        try:
            self.server.store.serve(self, body)
        except Exception:
            log.exception("The demo store failed on %s %s", self.command, self.path)
            content_type, page = fault_pages.server_error(500)
            self.reply(ApiResponse(500, page, content_type=content_type), truncate=False)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def drop(self) -> None:
        """Close the connection without answering."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.request.shutdown(socket.SHUT_RDWR)

    def reply(self, response: ApiResponse, *, truncate: bool) -> None:
        """Send a response: gzip when accepted, a half body when asked to truncate."""
        body = response.body
        if truncate:
            body = body[: len(body) // 2]
        headers = list(response.headers)
        if body and _accepts_gzip(self.headers.get("Accept-Encoding", "")):
            body = gzip.compress(body, compresslevel=1)
            headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type or JSON_TYPE)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _accepts_gzip(header: str) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (``gzip;q=0`` does not)."""
    for part in header.split(","):
        coding, _sep, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=").strip() or "1"
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False
