"""What the WooCommerce client tells the owner when a request fails.

Each function turns one kind of failed answer (a redirect, a refused connection, a 401, a
status worth retrying) into the ``WooError`` whose message says what happened and what to
do. They read no client state: the client passes what they need (its address, how it sends
the key).
"""

from __future__ import annotations

from urllib.parse import urljoin

import requests

from shopguard.woo.errors import (
    AuthenticationFailed,
    AuthorizationHeaderStripped,
    NotJson,
    PermissionDenied,
    RateLimited,
    ReadOnlyKey,
    ServerError,
    StoreMoved,
    StoreUnreachable,
    WooError,
)
from shopguard.woo.urls import normalize_store_url

KEYS_PAGE = "WooCommerce → Settings → Advanced → REST API"


class Retryable(Exception):
    """A failure worth another try; ``error`` is raised when tries run out."""

    def __init__(self, error: WooError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


def dropped() -> StoreUnreachable:
    """The connection broke mid-answer, again and again."""
    return StoreUnreachable(
        "The connection to the store kept dropping. Check this computer's internet "
        "connection; if it is fine, the store's server may be overloaded. Try again later."
    )


def server_error_message(status: int, host: str) -> str:
    """A 5xx that outlasted the retries: the store's server, not the owner, must act."""
    return (
        f"The store's server had a problem (error {status}) and could not answer, even after "
        f"retrying. Try again later; if it lasts, ask the host of {host} to check the server "
        "error log."
    )


def status_error(status: int, host: str) -> WooError:
    """The error for a status worth retrying (429, 502-504), raised once tries run out."""
    if status == 429:
        return RateLimited(status=429)
    return ServerError(server_error_message(status, host), status=status)


def connection_error(exc: requests.exceptions.ConnectionError, host: str) -> WooError | Retryable:
    """A failed connection: an unknown name or a refusal is final, a drop worth a retry."""
    text = repr(exc)
    if "NameResolution" in text or "getaddrinfo" in text or "Name or service" in text:
        return StoreUnreachable(
            f"ShopGuard could not find {host}. Check the address for typos and "
            "that this computer is online."
        )
    if "NewConnectionError" in text or "Connection refused" in text:
        return StoreUnreachable(
            f"{host} refused the connection. Check the address (and port), or try "
            "again later if the site is down."
        )
    return Retryable(dropped())


def redirect_error(base_url: str, location: str) -> WooError:
    """What a redirect away from the REST API means: the store moved, or a page stands in
    the way (a login, a security check, maintenance)."""
    target = urljoin(base_url + "/", location)
    marker = target.find("/wp-json/")
    if marker < 0 and "rest_route=" in target:
        marker = target.find("/?")
    if marker >= 0:
        try:
            new_url = normalize_store_url(target[:marker])
        except WooError:
            new_url = ""
        if new_url and new_url != base_url:
            return StoreMoved(
                f"The store now answers at {new_url}, not {base_url}. Connect the "
                "store again with the new address.",
                new_url=new_url,
            )
    return NotJson(
        "The store sent ShopGuard to another page (a login, a security check or a "
        "maintenance page) instead of answering. Allow the REST API (/wp-json/) in your "
        "security plugin or host settings, then try again."
    )


def auth_error(code: str, server_message: str, mode: str, *, auto: bool) -> WooError:
    """What a 401 means, from WooCommerce's error code and message; ``auto``: the client
    chooses how to send the key (so a stripped header was already tried around)."""
    lowered = server_message.lower()
    if "write permission" in lowered:
        return ReadOnlyKey(status=401)
    if "read permission" in lowered:
        return PermissionDenied(
            "This key can only write. Create a key with Read or Read/Write permission in "
            f"{KEYS_PAGE}.",
            status=401,
        )
    if "timestamp" in lowered:
        return AuthenticationFailed(
            "The store rejected the request's time stamp: this computer's clock is more "
            "than 15 minutes off. Correct the date and time, then try again.",
            status=401,
        )
    if code == "woocommerce_rest_cannot_view" and mode == "basic" and not auto:
        return AuthorizationHeaderStripped(
            "The store ignored the key. Either the consumer key is wrong, or your web host "
            "removes the Authorization header; ShopGuard can send the key in the address "
            "instead (automatic mode).",
            status=401,
        )
    # A bad OAuth signature from a known key means the secret is wrong.
    secret_wrong = "secret" in lowered or "signature" in lowered
    what = "consumer secret" if secret_wrong else "consumer key"
    if code == "woocommerce_rest_cannot_view":
        what = "consumer key"
    return AuthenticationFailed(
        f"The store did not accept this {what}. Copy the key and secret again from "
        f"{KEYS_PAGE} (or create a new key) and try again.",
        status=401,
    )
