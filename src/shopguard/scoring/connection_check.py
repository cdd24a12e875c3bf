"""Testing a scoring service before using it (is it there, is it ShopGuard's, does it know
this shop?).

Settings' "Test connection" calls ``check_connection`` with what the owner typed. Nothing is
saved and no order data is sent: only the unsigned ``GET /v1/health`` and the signed
``GET /v1/config`` (which returns the network salt). The result names one outcome and a
sentence the owner can act on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import requests

from shopguard.privacy.hashing import HASH_SCHEME
from shopguard.scoring.service_client import ServiceClient, ServiceError, normalize_service_url

log = logging.getLogger(__name__)

TIMEOUT = (5.0, 10.0)


class CheckOutcome(Enum):
    """What a connection test found."""

    OK = "ok"
    INVALID = "invalid"  # what was typed cannot be used (address, shop ID, empty secret)
    UNREACHABLE = "unreachable"
    TLS = "tls"
    NOT_SHOPGUARD = "not_shopguard"
    REJECTED = "rejected"  # 401: wrong shop ID or secret, or the shop was revoked
    INCOMPATIBLE = "incompatible"  # a ShopGuard service speaking another hash scheme
    FAILED = "failed"  # the service answered with an error (5xx, 429, ...)


@dataclass(frozen=True)
class ConnectionCheck:
    """The result of a connection test; ``message`` is the sentence to show the owner."""

    outcome: CheckOutcome
    message: str
    url: str = ""
    max_batch: int | None = None

    @property
    def ok(self) -> bool:
        """True when the service answered to this shop and can be used."""
        return self.outcome is CheckOutcome.OK


SessionFactory = Callable[[], requests.Session]


def check_connection(
    url: str,
    shop_id: str,
    secret: str,
    *,
    session_factory: SessionFactory = requests.Session,
) -> ConnectionCheck:
    """Test a scoring service with the typed address, shop ID and secret; save nothing.

    Never raises for anything the service or the network does: every failure is a
    ``ConnectionCheck`` with a plain message. The secret is never logged or returned.
    """
    shop = (shop_id or "").strip()
    key = (secret or "").strip()
    try:
        address = normalize_service_url(url)
    except ServiceError as exc:
        return ConnectionCheck(CheckOutcome.INVALID, exc.message)
    if not shop or any(ch.isspace() for ch in shop):
        return ConnectionCheck(
            CheckOutcome.INVALID, "Type the shop ID exactly as the scoring service gave it."
        )
    if not key:
        return ConnectionCheck(
            CheckOutcome.INVALID, "Type the shop secret the scoring service gave you."
        )
    health = _check_health(address, session_factory)
    if health is not None:
        return health
    return _check_config(address, shop, key, session_factory)


def _check_health(address: str, session_factory: SessionFactory) -> ConnectionCheck | None:
    """None when ``/v1/health`` answers like a ShopGuard service, else what went wrong."""
    session = session_factory()
    try:
        response = session.get(address + "/v1/health", timeout=TIMEOUT, allow_redirects=False)
    except requests.exceptions.SSLError:
        return ConnectionCheck(CheckOutcome.TLS, _TLS_MESSAGE.format(url=address), address)
    except requests.exceptions.RequestException as exc:
        log.info("Scoring service test: unreachable (%s)", type(exc).__name__)
        return ConnectionCheck(
            CheckOutcome.UNREACHABLE,
            f"Nothing answered at {address}. Check the address and that the scoring service "
            "is running, then try again. Nothing was saved.",
            address,
        )
    finally:
        session.close()
    if response.status_code == 200 and _is_health_answer(response):
        return None
    return ConnectionCheck(
        CheckOutcome.NOT_SHOPGUARD,
        f"Something answered at {address}, but it is not a ShopGuard scoring service "
        f"(HTTP {response.status_code}). Check the address with whoever runs the service. "
        "Nothing was saved.",
        address,
    )


def _is_health_answer(response: requests.Response) -> bool:
    try:
        body: Any = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("status") == "ok"


def _check_config(
    address: str, shop: str, secret: str, session_factory: SessionFactory
) -> ConnectionCheck:
    session = session_factory()
    statuses: list[int] = []

    def remember(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        statuses.append(response.status_code)

    session.hooks["response"].append(remember)
    client = ServiceClient(address, shop, secret, session=session, timeout=TIMEOUT, max_retries=0)
    try:
        config = client.config()
    except ServiceError as exc:
        return _config_failure(address, exc, statuses[-1] if statuses else None)
    finally:
        client.close()
    if config.hash_scheme != HASH_SCHEME:
        return ConnectionCheck(
            CheckOutcome.INCOMPATIBLE,
            f"The scoring service uses hash scheme {config.hash_scheme!r}, but this ShopGuard "
            f"speaks {HASH_SCHEME!r}. Update ShopGuard, then test again. Nothing was saved.",
            address,
        )
    return ConnectionCheck(
        CheckOutcome.OK,
        f"Connected: the scoring service at {address} knows shop {shop} and accepted its "
        "secret. Nothing is saved until you choose “Save and use”.",
        address,
        config.max_batch,
    )


def _config_failure(address: str, error: ServiceError, status: int | None) -> ConnectionCheck:
    if status == 401:
        return ConnectionCheck(
            CheckOutcome.REJECTED,
            "The scoring service did not accept this shop ID and secret: one of them is "
            "mistyped, or the secret was replaced or the shop was switched off. Check them, or "
            "ask whoever runs the service for a new secret. Nothing was saved.",
            address,
        )
    if status is None and "certificate" in error.message:
        return ConnectionCheck(CheckOutcome.TLS, _TLS_MESSAGE.format(url=address), address)
    if status is None:
        return ConnectionCheck(
            CheckOutcome.UNREACHABLE,
            f"The scoring service at {address} stopped answering during the test. Try again "
            "in a moment. Nothing was saved.",
            address,
        )
    if status == 200:  # answered, but not with a readable configuration
        return ConnectionCheck(
            CheckOutcome.NOT_SHOPGUARD,
            f"The service at {address} answered, but not like a ShopGuard scoring service. "
            "Check the address with whoever runs the service. Nothing was saved.",
            address,
        )
    if status == 429:
        text = (
            "The scoring service is busy and asked ShopGuard to slow down. Test again in a minute."
        )
    else:
        text = (
            f"The scoring service answered with an error (HTTP {status}). Try again later; if it "
            "keeps happening, tell whoever runs the service."
        )
    return ConnectionCheck(CheckOutcome.FAILED, f"{text} Nothing was saved.", address)


_TLS_MESSAGE = (
    "The secure connection to {url} failed: its certificate could not be verified. Check the "
    "address (it should start with https://) or ask whoever runs the service. Nothing was "
    "saved."
)
