"""How order values read on screen: status labels, money, local dates, country names."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QLocale

from shopguard.money import money

__all__ = ["country_name", "local_time", "money", "status_label"]

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


def status_label(status: str) -> str:
    """WooCommerce's status slug as the shop's admin shows it ("on-hold" → "On hold")."""
    if status in STATUS_LABELS:
        return STATUS_LABELS[status]
    words = status.removeprefix("wc-").replace("-", " ").replace("_", " ").strip()
    return words.capitalize() if words else "Unknown"


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
