"""HTTP header values both of ShopGuard's clients read: the WooCommerce store's and the
scoring service's (dates, and how long ``Retry-After`` asks them to wait)."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime


def http_date(value: str | None) -> datetime | None:
    """An HTTP date header (``Date``) as aware UTC; None if missing or garbled."""
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After in seconds (a number or an HTTP date), None when absent or unreadable."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    when = http_date(text)
    return None if when is None else max(0.0, (when - datetime.now(UTC)).total_seconds())
