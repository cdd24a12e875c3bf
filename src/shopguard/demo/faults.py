"""Switches that make the demo store misbehave like real hosts do, and the pages they serve.

Counters (``*_next``) count down by one for every request they affect; set them from any
thread (the store reads them under its own lock).
"""

from __future__ import annotations

from dataclasses import dataclass

from shopguard.demo.wp import WpError, encode_json, html_page


@dataclass
class Faults:
    """What goes wrong, for how many requests. All off by default."""

    latency: float = 0.0
    """Seconds slept before answering every request."""
    rate_limit_next: int = 0
    """The next N requests get ``429`` ``rest_too_many_requests`` with ``Retry-After``."""
    retry_after: float = 1
    """The ``Retry-After`` value (whole seconds are sent without a fraction)."""
    server_error_next: int = 0
    """The next N requests answer ``server_error_status``."""
    server_error_status: int = 503
    """500 answers WordPress's "critical error" JSON; other codes a proxy's HTML page."""
    html_next: int = 0
    """The next N requests answer 200 with a security plugin's "Just a moment..." page."""
    truncate_next: int = 0
    """The next N requests: full headers, but the JSON body is cut in half."""
    drop_next: int = 0
    """The next N requests: the connection is closed without any answer."""
    strip_authorization: bool = False
    """Behave like a host that drops the ``Authorization`` header before PHP sees it."""
    plain_permalinks: bool = False
    """``/wp-json/...`` is a 404 page; only ``?rest_route=/...`` reaches the API."""
    woocommerce_inactive: bool = False
    """WooCommerce is deactivated: every ``wc/`` route is ``rest_no_route``."""


def retry_after_header(seconds: float) -> str:
    """``1`` for 1.0, ``1.5`` for 1.5."""
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


def rate_limited() -> WpError:
    """What a rate-limiting security layer answers."""
    return WpError("rest_too_many_requests", "Too many requests. Please slow down.", 429)


def server_error(status: int) -> tuple[str, bytes]:
    """(content type, body) of a failing server: WordPress's fatal-error JSON for 500."""
    if status == 500:
        body = {
            "code": "internal_server_error",
            "message": "<p>There has been a critical error on this website.</p>"
            '<p><a href="https://wordpress.org/documentation/article/faq-troubleshooting/">'
            "Learn more about troubleshooting WordPress.</a></p>",
            "data": {"status": 500},
            "additional_errors": [],
        }
        return "application/json; charset=UTF-8", encode_json(body)
    reason = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}.get(
        status, "Server Error"
    )
    page = html_page(
        f"{status} {reason}",
        f"<center><h1>{status} {reason}</h1></center>\n<hr><center>nginx</center>",
    )
    return "text/html; charset=UTF-8", page


def challenge_page() -> bytes:
    """A bot-protection interstitial served with status 200 instead of the JSON."""
    return html_page(
        "Just a moment...",
        "<noscript>Please enable JavaScript and cookies to continue.</noscript>\n"
        "<h1>Checking your browser before accessing the site.</h1>\n"
        "<script>setTimeout(function(){location.reload()},5000)</script>",
    )
