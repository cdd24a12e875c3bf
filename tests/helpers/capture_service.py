"""A scoring service stand-in on loopback that records every byte the app sends.

It speaks the /v1 contract (signed requests, config, score, outcomes), checks signatures
independently of the app's signing code, and keeps each raw request (request line,
headers, body) so tests can prove no raw PII ever left. Switches simulate an outage.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SALT_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


@dataclass
class Captured:
    """One request exactly as it arrived."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    def raw(self) -> bytes:
        """Everything that crossed the wire for this request."""
        head = f"{self.method} {self.target}\n" + "".join(
            f"{k}: {v}\n" for k, v in self.headers.items()
        )
        return head.encode() + self.body


@dataclass
class CaptureService:
    """Start with ``with CaptureService() as service: ...``; ``service.url`` is its address."""

    shop_id: str = "shop-1"
    secret: str = "s3cret-for-tests"
    captured: list[Captured] = field(default_factory=list)
    fail_next: int = 0  # answer 503 to the next N requests
    fail_posts: bool = False  # answer 503 to every POST (config still works)
    latency: float = 0.0  # seconds between applying a POST and answering it
    replays: int = 0  # requests whose Idempotency-Key was already applied
    refuse_orders: set[str] = field(default_factory=set)  # 422 for a batch holding one
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcomes: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    applied_keys: list[str] = field(default_factory=list)
    bad_signatures: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._answers: dict[str, dict[str, Any]] = {}

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def all_bytes(self) -> bytes:
        """Every request concatenated."""
        return b"\n".join(c.raw() for c in self.captured)

    def __enter__(self) -> CaptureService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                self._handle()

            def do_POST(self) -> None:  # noqa: N802
                self._handle()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                record = Captured(self.command, self.path, dict(self.headers.items()), body)
                status, answer = service._answer(record)
                if self.command == "POST" and service.latency:
                    time.sleep(service.latency)  # applied, not yet acknowledged
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # The app may be killed before it reads the answer: that is a test's point.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _answer(self, request: Captured) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.captured.append(request)
            if self.fail_next > 0 or (self.fail_posts and request.method == "POST"):
                self.fail_next = max(0, self.fail_next - 1)
                return 503, {"error": {"code": "unavailable", "message": "try later"}}
            if not self._signed_ok(request):
                self.bad_signatures += 1
                return 401, {"error": {"code": "bad_signature", "message": "bad signature"}}
            path = request.target.split("?", 1)[0]
            if path == "/v1/config":
                return 200, {"hash_scheme": "v1", "salt": SALT_HEX, "max_batch": 100}
            body = json.loads(request.body or b"{}")
            key = request.headers.get("Idempotency-Key", "")
            if key and key in self._answers:
                self.replays += 1
                return 200, self._answers[key]
            status, answer = self._apply(path, body, key)
            if key and status == 200:
                self._answers[key] = answer
            return status, answer

    def _apply(self, path: str, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        if path == "/v1/orders/score" and any(
            o["order_id"] in self.refuse_orders for o in body["orders"]
        ):
            return 422, {"error": {"code": "invalid", "message": "orders.0.total: invalid"}}
        if path == "/v1/orders/score":
            results = []
            for order in body["orders"]:
                self.orders[order["order_id"]] = order
                cod = order.get("payment_method") == "cod"
                results.append(
                    {
                        "order_id": order["order_id"],
                        "score": 45 if cod else 10,
                        "band": "medium" if cod else "low",
                        "p_fail": 0.45 if cod else 0.1,
                        "reasons": [{"code": "cod", "text": "Cash on delivery", "weight": 0.3}]
                        if cod
                        else [],
                        "model": "capture-1",
                    }
                )
            self.applied_keys.append(key)
            return 200, {"results": results}
        if path == "/v1/outcomes":
            unknown = []
            for outcome in body["outcomes"]:
                if outcome["order_id"] not in self.orders:
                    unknown.append(outcome["order_id"])
                self.outcomes[(outcome["order_id"], outcome["outcome"], outcome["at"])] = outcome
            self.applied_keys.append(key)
            return 200, {"accepted": len(body["outcomes"]), "unknown_orders": unknown}
        return 404, {"error": {"code": "not_found", "message": path}}

    def _signed_ok(self, request: Captured) -> bool:
        h = request.headers
        try:
            shop, ts, nonce, sig = (
                h["X-ShopGuard-Shop"],
                h["X-ShopGuard-Timestamp"],
                h["X-ShopGuard-Nonce"],
                h["X-ShopGuard-Signature"],
            )
        except KeyError:
            return False
        if shop != self.shop_id or len(nonce) < 32:
            return False
        message = "\n".join(
            [ts, nonce, request.method, request.target, hashlib.sha256(request.body).hexdigest()]
        ).encode()
        expected = hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, sig)
