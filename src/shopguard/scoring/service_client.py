"""The desktop app's client for the scoring service (``shopguard-server``).

One ``requests.Session`` per service; every call is signed (see ``signing``); bodies are
sent as the exact bytes the outbox holds. Failures become ``ServiceError`` with a message
a shop owner can act on; nothing in a message or log names a customer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from shopguard import __version__
from shopguard.http_headers import retry_after_seconds
from shopguard.privacy.hashing import InvalidSalt, Salt
from shopguard.scoring.signing import signed_headers

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
BANDS = frozenset({"low", "medium", "high", "unknown"})
MAX_RETRY_AFTER = 30.0
"""Seconds: a longer Retry-After ends this attempt (orders stay queued) instead of waiting."""


class ServiceError(Exception):
    """The scoring service could not be used; ``message`` says what to do.

    Attributes:
        retryable: False when resending the same request can never succeed (the service
            refused this request itself); the outbox then looks for the item it refuses.
        status: the HTTP status the service answered with (None: no answer).
    """

    def __init__(self, message: str, *, retryable: bool = True, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status


class ServiceRejected(ServiceError):
    """401: the service no longer accepts this shop's ID or secret (revoked, or rotated).

    No payload is at fault, so it is ``retryable``: everything stays queued, and is sent
    once the owner has entered the new secret.
    """

    MESSAGE = (
        "The scoring service did not accept this shop's ID or secret: the secret was "
        "replaced or mistyped, or the shop was switched off. Ask whoever runs the "
        "service for the current secret and enter it in Settings → Risk scoring (or "
        "run `shopguard service set`). Until then new orders are not scored by the "
        "network; they wait on this computer and nothing is lost."
    )

    def __init__(self) -> None:
        super().__init__(self.MESSAGE, retryable=True, status=401)

    @classmethod
    def is_recorded(cls, error: str) -> bool:
        """Whether an outbox item's stored error (cut to 300 characters) is this one."""
        return bool(error) and cls.MESSAGE.startswith(error)


class ServiceUnreachable(ServiceError):
    """Nothing answered (refused, timed out or dropped), still after the retries."""

    def __init__(self) -> None:
        super().__init__(
            "The scoring service could not be reached. Orders stay queued on this computer "
            "and are sent on the next sync."
        )


class ServiceCertificateError(ServiceError):
    """The https connection failed (certificate not verified, or no https at all)."""

    def __init__(self) -> None:
        super().__init__(
            "The scoring service's certificate could not be verified. Check its address "
            "(it should start with https://) or ask its operator.",
            retryable=False,
        )


class ServiceCancelled(ServiceError):
    """The user cancelled."""

    def __init__(self) -> None:
        super().__init__("Cancelled; unsent orders stay queued.", retryable=True)


@dataclass(frozen=True)
class ServiceConfig:
    """What ``GET /v1/config`` says."""

    hash_scheme: str
    salt: Salt
    max_batch: int


@dataclass(frozen=True)
class ScoreResult:
    """One order's score from the service."""

    order_id: str
    score: int | None
    band: str
    p_fail: float | None
    reasons: list[dict[str, Any]]
    model: str


@dataclass(frozen=True)
class OutcomeAck:
    """What ``POST /v1/outcomes`` accepted."""

    accepted: int
    unknown_orders: list[str]


class ServiceClient:
    """Signed calls to one scoring service for one shop."""

    def __init__(
        self,
        url: str,
        shop_id: str,
        secret: str,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        max_retries: int = 3,
        backoff: float = 0.5,
        cancel_event: threading.Event | None = None,
        verify: bool | str = True,
    ) -> None:
        self.url = normalize_service_url(url)
        self._shop = shop_id
        self._secret = secret
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = f"ShopGuard/{__version__}"
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff = backoff
        self._cancel = cancel_event or threading.Event()
        self._verify = verify
        self._prefix = urlsplit(self.url).path

    def config(self) -> ServiceConfig:
        """The hash scheme, the network salt and the batch limit."""
        body = self._call("GET", "/v1/config", b"")
        try:
            return ServiceConfig(
                hash_scheme=str(body["hash_scheme"]),
                salt=Salt.from_hex(str(body["salt"])),
                max_batch=max(1, int(body.get("max_batch", 100))),
            )
        except (KeyError, TypeError, ValueError, InvalidSalt) as exc:
            raise _bad_answer() from exc

    def score(self, bodies: Sequence[str], *, idempotency_key: str = "") -> list[ScoreResult]:
        """Score a batch of order payloads (each the exact JSON text from the outbox)."""
        raw = ('{"orders":[' + ",".join(bodies) + "]}").encode()
        answer = self._call("POST", "/v1/orders/score", raw, idempotency_key)
        try:
            results = [
                ScoreResult(
                    order_id=str(r["order_id"]),
                    score=None if r.get("score") is None else int(r["score"]),
                    band=str(r["band"]),
                    p_fail=None if r.get("p_fail") is None else float(r["p_fail"]),
                    reasons=[dict(x) for x in r.get("reasons", [])],
                    model=str(r.get("model", "")),
                )
                for r in answer["results"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise _bad_answer() from exc
        if [r.order_id for r in results] != _order_ids(bodies) or not all(
            _plausible(r) for r in results
        ):
            raise _bad_answer()  # an answer for other orders must never be stored as theirs
        return results

    def outcomes(self, bodies: Sequence[str], *, idempotency_key: str = "") -> OutcomeAck:
        """Report delivery outcomes (each the exact JSON text from the outbox)."""
        raw = ('{"outcomes":[' + ",".join(bodies) + "]}").encode()
        answer = self._call("POST", "/v1/outcomes", raw, idempotency_key)
        try:
            return OutcomeAck(
                accepted=int(answer["accepted"]),
                unknown_orders=[str(x) for x in answer.get("unknown_orders", [])],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _bad_answer() from exc

    def close(self) -> None:
        """Close the connections."""
        self._session.close()

    def _call(self, method: str, path: str, body: bytes, idempotency_key: str = "") -> Any:
        target = self._prefix + path
        for attempt in range(self._max_retries + 1):
            if self._cancel.is_set():
                raise ServiceCancelled()
            headers = signed_headers(self._shop, self._secret, method, target, body)
            if body:
                headers["Content-Type"] = "application/json"
            if idempotency_key:
                headers["Idempotency-Key"] = idempotency_key
            try:
                response = self._session.request(
                    method,
                    self.url + path,
                    data=body or None,
                    headers=headers,
                    timeout=self._timeout,
                    verify=self._verify,
                    allow_redirects=False,  # signed headers go to the configured service only
                )
            except requests.exceptions.SSLError as exc:
                raise ServiceCertificateError() from exc
            except requests.exceptions.RequestException as exc:
                log.info("Scoring service unreachable: %s", type(exc).__name__)
                if attempt < self._max_retries:
                    self._pause(attempt, None)
                    continue
                raise ServiceUnreachable() from exc
            retry = response.status_code in RETRY_STATUSES and attempt < self._max_retries
            if retry and self._pause(attempt, response.headers.get("Retry-After")):
                continue
            return self._decode(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _decode(self, response: requests.Response) -> Any:
        status = response.status_code
        if status == 401:
            raise ServiceRejected()
        if status == 429:
            raise ServiceError(
                "The scoring service asked ShopGuard to slow down. Orders stay queued and are "
                "sent on the next sync.",
                status=status,
            )
        if status >= 500 or status in RETRY_STATUSES:
            raise ServiceError(
                f"The scoring service had a problem (error {status}). Orders stay queued and "
                "are sent on the next sync.",
                status=status,
            )
        if status >= 400:
            raise ServiceError(
                f"The scoring service refused the request (error {status}). Please report this.",
                retryable=False,
                status=status,
            )
        if status != 200:
            # A redirect (never followed) or another odd answer: not the service's reply.
            raise _bad_answer(status)
        try:
            return response.json()
        except ValueError as exc:  # not JSON, or cut short on the way
            raise _bad_answer(status) from exc

    def _pause(self, attempt: int, retry_after: str | None) -> bool:
        """Wait before the next attempt; False when the service asks for a longer wait than
        is worth holding a sync for (everything stays queued for the next one)."""
        delay = retry_after_seconds(retry_after)
        if delay is None:
            ceiling = self._backoff * (2**attempt)
            delay = random.uniform(ceiling / 2, ceiling)
        elif delay > MAX_RETRY_AFTER:
            return False
        if self._cancel.wait(delay):
            raise ServiceCancelled()
        return True


def batch_key(keys: Sequence[str]) -> str:
    """One idempotency key for a batch: SHA-256 of its items' keys."""
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()


def normalize_service_url(url: str) -> str:
    """``https://score.example/`` → ``https://score.example`` (http allowed for loopback)."""
    text = (url or "").strip().rstrip("/")
    if not text:
        raise ServiceError(
            "Type the scoring service's address, for example https://score.example (whoever "
            "runs the service gives it to you with your shop ID and secret).",
            retryable=False,
        )
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServiceError(
            "The scoring service address must start with https:// (for example "
            "https://score.example).",
            retryable=False,
        )
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ServiceError(
            "The scoring service must be reached over https:// so digests cannot be read on "
            "the way (plain http:// is allowed only on this computer).",
            retryable=False,
        )
    return text


def _order_ids(bodies: Sequence[str]) -> list[str]:
    ids = []
    for body in bodies:
        try:
            ids.append(str(json.loads(body)["order_id"]))
        except (ValueError, KeyError, TypeError):
            ids.append("")
    return ids


def _plausible(result: ScoreResult) -> bool:
    """A score the app can show: a known band, a score within 0-100, p_fail within 0-1."""
    return (
        result.band in BANDS
        and (result.score is None or 0 <= result.score <= 100)
        and (result.p_fail is None or 0.0 <= result.p_fail <= 1.0)
        and all(isinstance(r.get("text", ""), str) for r in result.reasons)
    )


def _bad_answer(status: int | None = 200) -> ServiceError:
    return ServiceError(
        "The scoring service sent an answer ShopGuard cannot read. Orders stay queued and are "
        "sent again on the next sync; if this keeps happening, check the service address.",
        status=status,
    )
