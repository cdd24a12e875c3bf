"""How order values read on screen: status labels, money, local dates, country names."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from PySide6.QtCore import QLocale

STATUS_LABELS: dict[str, str] = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
    "checkout-draft": "Draft",
    "trash": "Deleted in WooCommerce",
}

CURRENCY_SYMBOLS: dict[str, str] = {
    "EUR": "€",
    "GBP": "£",
    "USD": "$",
    "CAD": "CA$",
    "AUD": "A$",
    "JPY": "¥",
    "CHF": "CHF ",
    "PLN": "zł ",
    "SEK": "kr ",
    "DKK": "kr ",
    "NOK": "kr ",
    "CZK": "Kč ",
    "HUF": "Ft ",
    "RON": "lei ",
    "BGN": "лв ",
}


def status_label(status: str) -> str:
    """WooCommerce's status slug as the shop's admin shows it ("on-hold" → "On hold")."""
    if status in STATUS_LABELS:
        return STATUS_LABELS[status]
    words = status.removeprefix("wc-").replace("-", " ").replace("_", " ").strip()
    return words.capitalize() if words else "Unknown"


def money(amount: Decimal, currency: str) -> str:
    """An amount with its currency: "€59.90", "£12.00", "-€5.00", "12.50 XYZ"."""
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    if symbol is None:
        return f"{sign}{digits} {currency}".strip()
    return f"{sign}{symbol}{digits}"


def local_time(moment: datetime) -> str:
    """A UTC moment in this computer's time zone: "5 Jan 2026, 14:05"."""
    local = moment.astimezone()
    return f"{local.day} {local:%b %Y, %H:%M}"


def country_name(code: str) -> str:
    """The English name of an ISO 3166-1 alpha-2 code ("GR" → "Greece"), or the code."""
    if not code:
        return ""
    territory = QLocale.codeToTerritory(code.upper())
    if territory == QLocale.Country.AnyTerritory:
        return code
    return QLocale.territoryToString(territory)
