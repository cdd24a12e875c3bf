"""A loopback proxy in front of a scoring service that misbehaves on demand.

``with FaultProxy(upstream_url) as proxy:`` listens on 127.0.0.1 (``proxy.url``) and
forwards every request byte for byte (the path as sent, so signatures still verify).
Switch what it does while it runs:

- ``proxy.set(Fault.PASS)`` pass through; ``Fault.DOWN`` drop every connection unanswered;
  ``Fault.DELAY`` forward, then answer ``delay`` seconds late; ``Fault.UNAUTHORIZED`` 401;
  ``Fault.RATE_LIMITED`` 429 with ``Retry-After: retry_after``; ``Fault.SERVER_ERROR`` 500;
  ``Fault.NOT_JSON``, ``Fault.WRONG_SHAPE``, ``Fault.TRUNCATED``: garbage with status 200.
- The server-error and garbage faults first forward the request, so the service has applied
  it when its answer is lost on the way back: the hardest case for "applied once".
- ``proxy.flap([Fault.PASS, Fault.SERVER_ERROR])``: request *i* gets fault *i mod n*
  (deterministic, never timing-based); ``proxy.next(Fault.RATE_LIMITED, 2)``: the next two
  requests get that fault, then the standing one again.
- ``proxy.log``: one ``Exchange`` per request (what arrived, which fault, what status went
  back), so tests can inspect every byte the app sent.
"""

from __future__ import annotations

import enum
import http.client
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class Fault(enum.Enum):
    """What the proxy does with a request."""

    PASS = "pass"
    DOWN = "down"
    DELAY = "delay"
    UNAUTHORIZED = "401"
    RATE_LIMITED = "429"
    SERVER_ERROR = "500"
    NOT_JSON = "not_json"
    WRONG_SHAPE = "wrong_shape"
    TRUNCATED = "truncated"


FORWARDED_FIRST = frozenset(
    {Fault.SERVER_ERROR, Fault.NOT_JSON, Fault.WRONG_SHAPE, Fault.TRUNCATED}
)


@dataclass
class Exchange:
    """One request as it arrived, the fault applied, and the status sent back (None: none)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    fault: Fault
    status: int | None = None
    forwarded: bool = False

    def raw(self) -> bytes:
        """Everything the client sent for this request."""
        head = f"{self.method} {self.path}\n" + "".join(
            f"{k}: {v}\n" for k, v in self.headers.items()
        )
        return head.encode() + self.body


class FaultProxy:
    """See the module docstring. Thread-safe; every switch takes effect on the next request."""

    def __init__(self, upstream: str, *, delay: float = 2.0, retry_after: str = "1") -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.delay = delay
        self.retry_after = retry_after
        self.log: list[Exchange] = []
        self._lock = threading.Lock()
        self._standing = Fault.PASS
        self._cycle: list[Fault] = []
        self._queued: list[Fault] = []
        self._count = 0
        self._in_flight = 0
        self._idle = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ switches

    def set(self, fault: Fault) -> None:
        """From now on, every request gets ``fault`` (ends flapping and queued faults)."""
        with self._lock:
            self._standing, self._cycle, self._queued = fault, [], []

    def flap(self, faults: Sequence[Fault]) -> None:
        """Request *i* (counted from now) gets ``faults[i % len(faults)]``."""
        with self._lock:
            self._cycle, self._queued, self._count = list(faults), [], 0

    def next(self, fault: Fault, times: int = 1) -> None:
        """The next ``times`` requests get ``fault``; then the standing behaviour again."""
        with self._lock:
            self._queued.extend([fault] * times)

    def _pick(self) -> Fault:
        with self._lock:
            if self._queued:
                return self._queued.pop(0)
            if self._cycle:
                fault = self._cycle[self._count % len(self._cycle)]
                self._count += 1
                return fault
            return self._standing

    # ------------------------------------------------------------ inspection

    def all_bytes(self) -> bytes:
        """Every request the client sent, concatenated."""
        return b"\n".join(exchange.raw() for exchange in self.log)

    def statuses(self) -> list[int | None]:
        """The status of each answer, in order (None: the connection was dropped)."""
        return [exchange.status for exchange in self.log]

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ------------------------------------------------------------ serving

    def __enter__(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                proxy._handle(self)

            def do_POST(self) -> None:  # noqa: N802
                proxy._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no request is being handled (a delayed answer may still be due)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._idle:
            self._in_flight += 1
        try:
            self._handle_one(handler)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # the client gave up waiting
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _handle_one(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        fault = self._pick()
        exchange = Exchange(handler.command, handler.path, dict(handler.headers), body, fault)
        with self._lock:
            self.log.append(exchange)
        if fault is Fault.DOWN:
            handler.close_connection = True
            handler.connection.close()  # no answer at all: the client sees a dropped connection
            return
        if fault is Fault.UNAUTHORIZED:
            error = {"error": {"code": "unauthorized", "message": "unknown or revoked shop"}}
            self._reply(handler, exchange, 401, json.dumps(error).encode())
            return
        if fault is Fault.RATE_LIMITED:
            error = {"error": {"code": "rate_limited", "message": "slow down"}}
            extra = {"Retry-After": self.retry_after}
            self._reply(handler, exchange, 429, json.dumps(error).encode(), extra)
            return
        try:
            status, headers, answer = self._forward(handler.command, handler.path, handler, body)
        except OSError:
            handler.close_connection = True
            return  # the service itself is gone: the client sees a dropped connection
        exchange.forwarded = True
        if fault is Fault.DELAY:
            time.sleep(self.delay)  # applied by the service, answered too late
        if fault is Fault.SERVER_ERROR:
            self._reply(handler, exchange, 500, b'{"error": {"code": "internal"}}')
        elif fault is Fault.NOT_JSON:
            self._reply(handler, exchange, 200, b"<html>Service temporarily unavailable</html>")
        elif fault is Fault.WRONG_SHAPE:
            self._reply(handler, exchange, 200, b'{"results": "none", "accepted": "many"}')
        elif fault is Fault.TRUNCATED:
            self._reply(handler, exchange, 200, answer[: max(1, len(answer) // 2)])
        else:
            self._reply(handler, exchange, status, answer, headers)

    def _forward(
        self, method: str, path: str, handler: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(*self._upstream, timeout=60)
        try:
            headers = {
                k: v
                for k, v in handler.headers.items()
                if k.lower() not in ("host", "connection", "keep-alive")
            }
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            kept = {
                k: v
                for k, v in response.getheaders()
                if k.lower() in ("content-type", "retry-after")
            }
            return response.status, kept, answer
        finally:
            connection.close()

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler,
        exchange: Exchange,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
    ) -> None:
        exchange.status = status
        handler.send_response(status)
        sent = {k.lower() for k in (headers or {})}
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        if "content-type" not in sent:
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
