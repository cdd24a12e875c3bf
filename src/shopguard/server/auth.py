"""Signed requests: the server side of ``shopguard.scoring.signing`` (a contract).

Every /v1 request except /v1/health carries X-ShopGuard-Shop, -Timestamp, -Nonce and
-Signature. The signature covers the timestamp, the nonce, the method, the request target
exactly as sent (``raw_path`` plus the raw query string: percent-encoding untouched) and
the SHA-256 of the raw body. Refused with 401: missing or malformed headers, a timestamp
more than ``max_skew_seconds`` from the clock, an unknown or revoked shop, a wrong
signature (constant-time compare), a nonce the shop already used in the window. Then the
shop's rate limit applies, shared by all workers through the database (429 with
Retry-After; see ``ratelimit``).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from shopguard.scoring import signing
from shopguard.server.errors import ApiError
from shopguard.server.ratelimit import RateLimiter
from shopguard.server.repos import requests as request_repo
from shopguard.server.repos import shops as shop_repo
from shopguard.server.services.scoring import ShopContext


@dataclass(frozen=True)
class HeaderRule:
    """A signature header: its form (checked here, and stated in /openapi.json) and meaning."""

    name: str
    pattern: str
    expected: str
    description: str

    def matches(self, value: str) -> bool:
        """Whether the value has the header's form."""
        return re.fullmatch(self.pattern, value) is not None


SIGNATURE_HEADERS = (
    HeaderRule(
        signing.HEADER_SHOP,
        r"^[A-Za-z0-9_\-]{1,40}$",
        "a shop id",
        "The shop id the operator issued (shopguard-server create-shop).",
    ),
    HeaderRule(
        signing.HEADER_TIMESTAMP,
        r"^[0-9]{1,12}$",
        "Unix seconds",
        "The request's time in Unix seconds; refused when more than {skew} s from the "
        "service's clock.",
    ),
    HeaderRule(
        signing.HEADER_NONCE,
        r"^[0-9a-fA-F]{32,128}$",
        "at least 16 random bytes in hex",
        "At least 16 random bytes in hex (32 to 128 hex digits), new for every request: a "
        "nonce the shop already used is refused.",
    ),
    HeaderRule(
        signing.HEADER_SIGNATURE,
        r"^[0-9a-fA-F]{64}$",
        "64 hex digits",
        "HMAC-SHA256 of the request (64 hex digits), keyed with the shop's secret; see the "
        "recipe in the service's description.",
    ),
)
SIGNING_RECIPE = """\
Every /v1 request except /v1/health is signed with the shop's secret (issued with the shop
id) and carries four headers: X-ShopGuard-Shop, X-ShopGuard-Timestamp, X-ShopGuard-Nonce and
X-ShopGuard-Signature. The signature is the lower-case hex HMAC-SHA256, keyed with the UTF-8
bytes of the secret, of these five lines joined by "\\n" (no newline at the end):

    timestamp              the X-ShopGuard-Timestamp value (Unix seconds)
    nonce                  the X-ShopGuard-Nonce value (at least 16 random bytes, hex)
    METHOD                 the HTTP method in upper case
    path-with-query        the request target exactly as sent: the path, then "?" and the
                           raw query string when there is one; percent-encoding untouched
    sha256hex(body)        lower-case hex SHA-256 of the raw body bytes (of no bytes when
                           there is no body)

Refused with 401: a missing or malformed header, a timestamp more than {skew} s from the
service's clock, an unknown or revoked shop, a wrong signature, a nonce the shop already
used. Then each shop may make {rate} requests a minute, counted across all the service's
workers; over that the answer is 429 with Retry-After (seconds)."""
_PRUNE_EVERY = 60.0


@dataclass(frozen=True)
class SignedRequest:
    """The parts of a request that the signature covers, as received."""

    shop_id: str
    timestamp: str
    nonce: str
    signature: str
    method: str
    target: str
    body: bytes


def unauthorized(code: str, message: str) -> ApiError:
    """A 401 with the error shape."""
    return ApiError(401, code, message)


def request_target(raw_path: bytes, query_string: bytes, root_path: str = "") -> str:
    """The path and query exactly as sent on the request line."""
    path = raw_path.decode("latin-1")
    if root_path and not path.startswith(root_path):
        path = root_path + path  # mounted below a prefix the proxy stripped
    query = query_string.decode("latin-1")
    return f"{path}?{query}" if query else path


def read_signed(headers: Mapping[str, str], method: str, target: str, body: bytes) -> SignedRequest:
    """The signature headers, checked for presence and form (401 otherwise)."""
    names = tuple(rule.name for rule in SIGNATURE_HEADERS)
    values = [headers.get(name) for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise unauthorized(
            "missing_signature",
            f"This request is not signed: {', '.join(missing)} missing. Every /v1 request "
            "except /v1/health is signed with the shop's secret.",
        )
    shop_id, timestamp, nonce, signature = (v or "" for v in values)
    for rule, value in zip(
        SIGNATURE_HEADERS, (shop_id, timestamp, nonce, signature.strip()), strict=True
    ):
        if not rule.matches(value):
            raise unauthorized("malformed_signature", f"{rule.name} must be {rule.expected}.")
    return SignedRequest(shop_id, timestamp, nonce, signature, method, target, body)


class RequestGuard:
    """Verifies signed requests against the shops table; remembers nonces; rate-limits.

    One short transaction per request: the shop, the nonce and the rate-limit counter.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        limiter: RateLimiter,
        *,
        max_skew_seconds: int = signing.MAX_SKEW_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._limiter = limiter
        self._skew = max_skew_seconds
        self._lock = threading.Lock()
        self._last_prune = 0.0

    def verify(self, signed: SignedRequest, now: datetime) -> ShopContext:
        """The verified shop, or an ApiError (401, or 429 when over the rate limit)."""
        if abs(now.timestamp() - int(signed.timestamp)) > self._skew:
            raise unauthorized(
                "stale_timestamp",
                f"The request's timestamp is more than {self._skew} s from the service's "
                "clock; check this computer's date and time.",
            )
        with self._sessions.begin() as session:
            shop = shop_repo.get_shop(session, signed.shop_id)
            if shop is None:
                raise unauthorized("unknown_shop", "This shop id is not known to the service.")
            if shop.revoked:
                raise unauthorized("revoked_shop", "This shop's access has been revoked.")
            valid = signing.verify(
                shop.secret,
                signed.signature,
                signed.timestamp,
                signed.nonce,
                signed.method,
                signed.target,
                signed.body,
            )
            if not valid:
                raise unauthorized(
                    "bad_signature", "The signature does not match this shop's secret."
                )
            if not request_repo.remember_nonce(session, shop.id, signed.nonce.lower(), now):
                raise unauthorized(
                    "replayed_nonce", "This nonce was already used; every request needs a new one."
                )
            context = ShopContext(shop.id, shop.medium_cutoff, shop.high_cutoff)
            self._maybe_prune(session, now)
            # Counted in the database, so every worker shares the limit; committed with
            # the nonce, which stays used even when the request is refused. Last, so the
            # counter's row is locked only until the commit right after.
            wait = self._limiter.acquire(session, context.id, now)
        if wait is not None:
            raise ApiError(
                429,
                "rate_limited",
                f"Too many requests from this shop; retry in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        return context

    def _maybe_prune(self, session: Session, now: datetime) -> None:
        with self._lock:
            due = time.monotonic() - self._last_prune >= _PRUNE_EVERY
            if due:
                self._last_prune = time.monotonic()
        if due:
            request_repo.prune_nonces(session, now - timedelta(seconds=3 * self._skew))
