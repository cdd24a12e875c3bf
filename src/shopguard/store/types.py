"""Column types for domain values: UTC datetimes and Decimal money.

SQLite has no timezone-aware datetime and no exact decimal; these types make the
Python side exact and the stored form portable (naive UTC ISO text, decimal text).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as naive UTC and always returned timezone-aware (UTC).

    A naive value handed in is taken to be UTC already (WooCommerce's ``*_gmt`` fields).
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is UTC:  # the common case, and astimezone() is costly
            return value.replace(tzinfo=None)
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else utc_from_stored(value)


def utc_from_stored(value: str | datetime) -> datetime:
    """A stored ``UTCDateTime`` value (naive UTC text, or a datetime from a driver that
    parses them) as an aware UTC datetime."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """An exact decimal amount stored as text (``"29.35"``), never as a float."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: Decimal | str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(Decimal(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)
