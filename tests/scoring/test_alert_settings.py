"""The notification threshold kept in the profile's config folder."""

from __future__ import annotations

from pathlib import Path

from shopguard.scoring.alert_settings import (
    FILE_NAME,
    AlertLevel,
    AlertSettings,
    load_alert_settings,
    load_seen,
    make_alert_settings,
    save_alert_settings,
    save_seen,
)


def test_default_is_high_only(tmp_path: Path) -> None:
    settings = load_alert_settings(tmp_path)
    assert settings == AlertSettings(AlertLevel.HIGH, 0)
    assert settings.bands == ("high",)
    assert settings.describe() == "ShopGuard notifies you after a sync about new high-risk orders."


def test_saved_settings_come_back(tmp_path: Path) -> None:
    config = tmp_path / "config"
    save_alert_settings(config, make_alert_settings(AlertLevel.HIGH_AND_MEDIUM, 55))
    settings = load_alert_settings(config)
    assert settings == AlertSettings(AlertLevel.HIGH_AND_MEDIUM, 55)
    assert settings.bands == ("high", "medium")
    assert settings.describe().endswith("high- or medium-risk orders with a score of 55 or more.")
    assert not (config / "alerts.tmp").exists()


def test_off_has_no_bands_and_scores_are_clamped(tmp_path: Path) -> None:
    off = make_alert_settings(AlertLevel.OFF, 250)
    assert off.bands == () and off.min_score == 100
    assert make_alert_settings(AlertLevel.HIGH, -5).min_score == 0
    assert off.describe() == "ShopGuard does not notify you about new orders."
    assert [level.label for level in AlertLevel] == [
        "High-risk orders only",
        "High- and medium-risk orders",
        "Never (no notifications)",
    ]


def test_a_damaged_file_falls_back_to_the_default(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text('{"level": "loud"}', encoding="utf-8")
    assert load_alert_settings(tmp_path) == AlertSettings()
    (tmp_path / FILE_NAME).write_text("nonsense", encoding="utf-8")
    assert load_alert_settings(tmp_path) == AlertSettings()


def test_seen_orders_round_trip(tmp_path: Path) -> None:
    save_seen(tmp_path, {3: {12: 1.5, 4: 2.0}, 1: {}})
    assert load_seen(tmp_path) == {1: {}, 3: {4: 2.0, 12: 1.5}}
