"""What can go wrong talking to a WooCommerce store, in words a shop owner can act on.

Every error carries ``message``: one or two short sentences saying what happened and what
to do. Messages never contain the consumer key's secret, request URLs with credentials,
or raw server bodies, so they are safe to show, log and print.
"""

from __future__ import annotations


class WooError(Exception):
    """Base of every WooCommerce failure; ``message`` is for people."""

    default_message = "Something went wrong while talking to the store."

    def __init__(self, message: str | None = None, *, status: int | None = None) -> None:
        self.message = message or self.default_message
        self.status = status
        super().__init__(self.message)


class InvalidStoreUrl(WooError):
    """The address typed in is not a web address ShopGuard can use."""

    default_message = (
        "That is not a web address ShopGuard can use. Type your shop's address as it appears "
        "in the browser, for example https://myshop.example."
    )


class StoreUnreachable(WooError):
    """DNS failure, refused or reset connection: nothing answered."""


class StoreMoved(WooError):
    """The API answered with a redirect to another address (https, www, a new domain)."""

    def __init__(self, message: str, *, new_url: str) -> None:
        super().__init__(message)
        self.new_url = new_url


class WrongScheme(WooError):
    """The address has http:// where the store speaks only https, or the other way round."""

    def __init__(self, message: str, *, suggested_url: str) -> None:
        super().__init__(message)
        self.suggested_url = suggested_url


class TlsFailure(WooError):
    """The HTTPS certificate could not be verified."""


class AuthenticationFailed(WooError):
    """The store did not accept the consumer key or secret."""


class AuthorizationHeaderStripped(AuthenticationFailed):
    """The host removes the Authorization header and the query-string fallback is off."""


class PermissionDenied(WooError):
    """The key works but may not do this (403, or a write-only key reading)."""


class ReadOnlyKey(PermissionDenied):
    """A write was refused because the key only has Read permission."""

    default_message = (
        "This WooCommerce key can only read. To let ShopGuard write back to orders, create "
        "a key with Read/Write permission in WooCommerce → Settings → Advanced → REST API "
        "and connect the store again."
    )


class WooCommerceNotFound(WooError):
    """No WooCommerce REST API at this address (inactive plugin, plain permalinks, wrong URL)."""


class NotJson(WooError):
    """A web page came back where the REST API's JSON was expected."""

    default_message = (
        "The store answered with a web page instead of order data. A security or firewall "
        "plugin, maintenance mode or a login redirect is probably blocking the REST API. "
        "Allow /wp-json/ in that plugin (or end maintenance mode) and try again."
    )


class InvalidResponse(WooError):
    """The answer was cut off, not valid JSON, or not the shape WooCommerce sends."""

    default_message = (
        "The store's answer was incomplete or damaged, even after retrying. Nothing from it "
        "was saved. Try again later; if it keeps happening, ask your host to check the server."
    )


class RateLimited(WooError):
    """429 Too Many Requests, still after the retries."""

    default_message = (
        "The store (or its host) is limiting how fast ShopGuard may ask for data. Wait a few "
        "minutes and sync again; a lower --concurrency setting also helps."
    )


class ServerError(WooError):
    """5xx answers, still after the retries."""


class RequestTimedOut(WooError):
    """The store did not answer within the timeout, still after the retries."""

    default_message = (
        "The store took too long to answer. It may be overloaded; try again in a few "
        "minutes. Everything fetched so far is saved."
    )


class RequestRejected(WooError):
    """A 4xx the store explained (bad parameter, missing order) that fits no other case."""


class Cancelled(WooError):
    """The user cancelled; what was saved before stays."""

    default_message = "Cancelled. Everything fetched so far is saved; sync again to continue."
