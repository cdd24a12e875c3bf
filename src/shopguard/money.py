"""Amounts as the owner and their customers read them: "€59.90", "£12.00" (no Qt: the core
writes them into messages too)."""

from __future__ import annotations

from decimal import Decimal

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


def money(amount: Decimal, currency: str) -> str:
    """An amount with its currency: "€59.90", "£12.00", "-€5.00", "12.50 XYZ"."""
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    if symbol is None:
        return f"{sign}{digits} {currency}".strip()
    return f"{sign}{symbol}{digits}"
