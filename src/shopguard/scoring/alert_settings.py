"""When ShopGuard tells the owner about a risky new order (desktop notifications).

Kept as a small JSON file in the profile's config folder, beside the scoring-service
settings. Nothing here is customer data.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "alerts.json"


class AlertLevel(Enum):
    """Which bands trigger a notification."""

    HIGH = "high"
    HIGH_AND_MEDIUM = "high_and_medium"
    OFF = "off"

    @property
    def label(self) -> str:
        """The choice as the owner reads it in Settings."""
        return _LABELS[self]


_LABELS = {
    AlertLevel.HIGH: "High-risk orders only",
    AlertLevel.HIGH_AND_MEDIUM: "High- and medium-risk orders",
    AlertLevel.OFF: "Never (no notifications)",
}


@dataclass(frozen=True)
class AlertSettings:
    """The notification threshold.

    Attributes:
        level: which bands notify.
        min_score: also require at least this score (0 = any score in those bands).
    """

    level: AlertLevel = AlertLevel.HIGH
    min_score: int = 0

    @property
    def bands(self) -> tuple[str, ...]:
        """The score bands that notify ("high", "medium"); empty when notifications are off."""
        if self.level is AlertLevel.HIGH:
            return ("high",)
        if self.level is AlertLevel.HIGH_AND_MEDIUM:
            return ("high", "medium")
        return ()

    def describe(self) -> str:
        """One sentence saying when the owner is notified."""
        if self.level is AlertLevel.OFF:
            return "ShopGuard does not notify you about new orders."
        what = "high-risk" if self.level is AlertLevel.HIGH else "high- or medium-risk"
        extra = f" with a score of {self.min_score} or more" if self.min_score > 0 else ""
        return f"ShopGuard notifies you after a sync about new {what} orders{extra}."


def make_alert_settings(level: AlertLevel, min_score: int = 0) -> AlertSettings:
    """Validated settings (the minimum score is clamped to 0-100)."""
    return AlertSettings(level=level, min_score=max(0, min(100, int(min_score))))


def load_alert_settings(config_dir: Path) -> AlertSettings:
    """The saved threshold, or the default (High only) when none is saved or it is damaged.

    A damaged file is logged and ignored (the next save replaces it): a notification
    preference is not worth stopping the app for.
    """
    path = config_dir / FILE_NAME
    if not path.exists():
        return AlertSettings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return make_alert_settings(AlertLevel(data["level"]), int(data.get("min_score", 0)))
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("The notification settings in %s are damaged; using the defaults", path)
        return AlertSettings()


def save_alert_settings(config_dir: Path, settings: AlertSettings) -> None:
    """Write the threshold atomically (a crash never leaves half a file)."""
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / FILE_NAME
    temporary = path.with_suffix(".tmp")
    data = {"level": settings.level.value, "min_score": settings.min_score}
    temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(temporary, path)


SEEN_FILE_NAME = "alerts-seen.json"

Seen = dict[int, dict[int, float]]
"""Per store id: order id -> when it was first seen in a notifying band (Unix time)."""


def load_seen(config_dir: Path) -> Seen:
    """The orders already announced (or noted at the first check), per store; empty when none
    or damaged."""
    path = config_dir / SEEN_FILE_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            int(store): {int(woo_id): float(at) for woo_id, at in orders.items()}
            for store, orders in data.items()
        }
    except (OSError, ValueError, TypeError, AttributeError):
        log.warning("The list of announced orders in %s is damaged; starting afresh", path)
        return {}


def save_seen(config_dir: Path, seen: Seen) -> None:
    """Write the announced orders atomically."""
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / SEEN_FILE_NAME
    temporary = path.with_suffix(".tmp")
    data = {
        str(store): {str(woo_id): at for woo_id, at in sorted(orders.items())}
        for store, orders in sorted(seen.items())
    }
    temporary.write_text(json.dumps(data), encoding="utf-8")
    os.replace(temporary, path)
