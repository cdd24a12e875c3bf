"""Settings > Risk scoring and Notifications, against a real scoring service on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session, sessionmaker

from shopguard.paths import AppPaths
from shopguard.scoring.alert_settings import (
    AlertLevel,
    AlertSettings,
    load_alert_settings,
    make_alert_settings,
    save_alert_settings,
)
from shopguard.scoring.settings import (
    ENV_SECRET,
    FILE_NAME,
    KEYRING_SERVICE,
    load_settings,
    make_settings,
    save_settings,
)
from shopguard.sharing import SharingPipeline
from shopguard.store.repositories import events as event_repo
from shopguard.ui.models.stores_model import StoresModel
from shopguard.ui.settings_page import LOCAL_MODE, SettingsPage
from tests.helpers.memory_keyring import MemoryKeyring
from tests.helpers.scoring_server import RunningServer, free_port, scoring_server
from tests.ui.conftest import Runners

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with scoring_server(tmp_path_factory.mktemp("service")) as running:
        yield running


@pytest.fixture
def page(
    qtbot: QtBot,
    paths: AppPaths,
    sessions: sessionmaker[Session],
    runners: Runners,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[SettingsPage]:
    monkeypatch.delenv(ENV_SECRET, raising=False)
    stores = StoresModel()
    settings = SettingsPage(
        paths=paths,
        stores=stores,
        tasks=runners.network,
        sharing=SharingPipeline(sessions, paths),
    )
    qtbot.addWidget(settings)
    settings.refresh()
    settings.show()
    assert runners.wait_until_idle()
    yield settings
    assert runners.wait_until_idle()


def _fill(qtbot: QtBot, page: SettingsPage, url: str, shop: str, secret: str) -> None:
    box = page.scoring_box
    for edit, text in ((box.url_edit, url), (box.shop_edit, shop), (box.secret_edit, secret)):
        edit.clear()
        qtbot.keyClicks(edit, text)


def _click_and_wait(qtbot: QtBot, page: SettingsPage, runners: Runners, button: object) -> None:
    box = page.scoring_box
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]
    # Busy while the work runs on the network pool: nothing can be clicked twice.
    assert box.busy
    assert not box.test_button.isEnabled() and not box.save_button.isEnabled()
    assert box.result_label.tone == "busy"
    assert runners.wait_until_idle(60)
    assert not box.busy and box.test_button.isEnabled()


def test_starts_in_this_shop_only_mode(page: SettingsPage) -> None:
    box = page.scoring_box
    assert box.mode_label.text() == LOCAL_MODE
    assert "scored on this computer" in box.mode_label.text()
    assert box.secret_edit.echoMode() is box.secret_edit.EchoMode.Password
    assert not box.stop_button.isEnabled()


def test_test_connection_says_ok_and_saves_nothing(
    qtbot: QtBot, page: SettingsPage, runners: Runners, service: RunningServer, paths: AppPaths
) -> None:
    box = page.scoring_box
    _fill(qtbot, page, service.url, service.shop_id, service.secret)
    _click_and_wait(qtbot, page, runners, box.test_button)
    assert box.result_label.tone == "ok"
    assert box.result_label.text().startswith("Connected")
    assert not (paths.config / FILE_NAME).exists()
    assert box.mode_label.text() == LOCAL_MODE


def test_test_connection_explains_a_wrong_secret_and_a_dead_port(
    qtbot: QtBot, page: SettingsPage, runners: Runners, service: RunningServer
) -> None:
    box = page.scoring_box
    _fill(qtbot, page, service.url, service.shop_id, "wrong-secret")
    _click_and_wait(qtbot, page, runners, box.test_button)
    assert box.result_label.tone == "error"
    assert "ask whoever runs the service for a new secret" in box.result_label.text()

    _fill(qtbot, page, f"http://127.0.0.1:{free_port()}", service.shop_id, service.secret)
    _click_and_wait(qtbot, page, runners, box.test_button)
    assert box.result_label.tone == "error"
    assert box.result_label.text().startswith("Nothing answered at http://127.0.0.1:")


def test_save_and_use_then_stop_using_the_service(
    qtbot: QtBot,
    page: SettingsPage,
    runners: Runners,
    service: RunningServer,
    paths: AppPaths,
    sessions: sessionmaker[Session],
    memory_keyring: MemoryKeyring,
) -> None:
    box = page.scoring_box
    _fill(qtbot, page, service.url, service.shop_id, service.secret)
    with qtbot.waitSignal(box.service_changed, timeout=60_000):
        _click_and_wait(qtbot, page, runners, box.save_button)
    assert box.result_label.tone == "ok", box.result_label.text()
    assert box.result_label.text().startswith(
        f"Saved. ShopGuard now uses the scoring service at {service.url}."
    )
    assert "No existing orders needed queueing." in box.result_label.text()
    saved = load_settings(paths.config)
    assert saved is not None and saved.shop_id == service.shop_id
    assert memory_keyring.passwords[(KEYRING_SERVICE, saved.keyring_user)] == service.secret
    assert box.mode_label.text().startswith(
        f"Scoring service at {service.url}, shop ID {service.shop_id}"
    )
    assert box.secret_edit.text() == ""  # never left on screen
    assert box.stop_button.isEnabled()

    # Stopping asks first; Cancel changes nothing.
    qtbot.mouseClick(box.stop_button, Qt.MouseButton.LeftButton)
    assert isinstance(box.confirm_stop, QMessageBox) and box.confirm_stop.isVisible()
    qtbot.mouseClick(
        box.confirm_stop.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton
    )
    assert runners.wait_until_idle()
    assert load_settings(paths.config) is not None

    qtbot.mouseClick(box.stop_button, Qt.MouseButton.LeftButton)
    assert box.confirm_stop is not None
    with qtbot.waitSignal(box.service_changed, timeout=30_000):
        qtbot.mouseClick(box.stop_confirm_button, Qt.MouseButton.LeftButton)
        assert runners.wait_until_idle()
    assert load_settings(paths.config) is None
    assert memory_keyring.passwords == {}
    with sessions() as session:
        kinds = [e.kind for e in event_repo.list_events(session, kind_prefix="service.")]
    assert sorted(kinds) == ["service.configured", "service.stopped"]
    assert box.mode_label.text() == LOCAL_MODE
    assert box.result_label.text().startswith("Stopped.")
    assert not box.stop_button.isEnabled()


def test_save_with_a_wrong_secret_saves_nothing(
    qtbot: QtBot, page: SettingsPage, runners: Runners, service: RunningServer, paths: AppPaths
) -> None:
    box = page.scoring_box
    _fill(qtbot, page, service.url, service.shop_id, "wrong-secret")
    _click_and_wait(qtbot, page, runners, box.save_button)
    assert box.result_label.tone == "error"
    assert "Nothing was saved" in box.result_label.text()
    assert load_settings(paths.config) is None


def test_notification_threshold_is_saved_in_the_profile(
    qtbot: QtBot, page: SettingsPage, runners: Runners, paths: AppPaths
) -> None:
    box = page.notifications_box
    assert box.current() == AlertSettings(AlertLevel.HIGH, 0)
    assert box.min_score_spin.text() == "Any score"
    with qtbot.waitSignal(box.changed, timeout=10_000) as changed:
        box.level_combo.setCurrentIndex(box.level_combo.findData(AlertLevel.HIGH_AND_MEDIUM))
    assert changed.args[0] == AlertSettings(AlertLevel.HIGH_AND_MEDIUM, 0)
    with qtbot.waitSignal(box.changed, timeout=10_000):
        box.min_score_spin.setValue(60)
    assert runners.wait_until_idle()
    assert load_alert_settings(paths.config) == AlertSettings(AlertLevel.HIGH_AND_MEDIUM, 60)
    assert "score of 60 or more" in box.summary_label.text()

    with qtbot.waitSignal(box.changed, timeout=10_000):
        box.level_combo.setCurrentIndex(box.level_combo.findData(AlertLevel.OFF))
    assert not box.min_score_spin.isEnabled()
    assert runners.wait_until_idle()
    assert load_alert_settings(paths.config).level is AlertLevel.OFF


def test_saved_threshold_shows_when_the_page_opens(
    qtbot: QtBot,
    paths: AppPaths,
    sessions: sessionmaker[Session],
    runners: Runners,
) -> None:
    save_alert_settings(paths.config, make_alert_settings(AlertLevel.HIGH_AND_MEDIUM, 70))
    settings = SettingsPage(
        paths=paths,
        stores=StoresModel(),
        tasks=runners.network,
        sharing=SharingPipeline(sessions, paths),
    )
    qtbot.addWidget(settings)
    settings.refresh()
    assert runners.wait_until_idle()
    box = settings.notifications_box
    assert box.current() == AlertSettings(AlertLevel.HIGH_AND_MEDIUM, 70)
    assert runners.wait_until_idle()
    # Loading did not write anything back.
    assert load_alert_settings(paths.config) == AlertSettings(AlertLevel.HIGH_AND_MEDIUM, 70)


def _page_with_a_saved_service(
    qtbot: QtBot, paths: AppPaths, sessions: sessionmaker[Session], runners: Runners
) -> SettingsPage:
    """A Settings page opened on a profile with a scoring service saved, loaded."""
    save_settings(paths.config, make_settings("https://score.example", "shop-7"))
    settings = SettingsPage(
        paths=paths,
        stores=StoresModel(),
        tasks=runners.network,
        sharing=SharingPipeline(sessions, paths),
    )
    qtbot.addWidget(settings)
    settings.refresh()
    assert runners.wait_until_idle()
    return settings


def test_a_saved_service_shows_when_the_page_opens(
    qtbot: QtBot, paths: AppPaths, sessions: sessionmaker[Session], runners: Runners
) -> None:
    settings = _page_with_a_saved_service(qtbot, paths, sessions, runners)
    box = settings.scoring_box
    assert box.mode_label.text().startswith(
        "Scoring service at https://score.example, shop ID shop-7: orders are sent pseudonymized"
    )
    assert box.url_edit.text() == "https://score.example"
    assert box.shop_edit.text() == "shop-7"
    assert box.secret_edit.text() == "" and "keyring" in box.secret_edit.placeholderText()
    assert box.stop_button.isEnabled()
    # Typing, then the page refreshing (shown again), keeps what was typed.
    box.url_edit.setText("https://other.example")
    settings.refresh()
    assert runners.wait_until_idle()
    assert box.url_edit.text() == "https://other.example"


def test_without_a_keyring_the_secret_box_does_not_claim_one(
    qtbot: QtBot, paths: AppPaths, sessions: sessionmaker[Session], runners: Runners
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        settings = _page_with_a_saved_service(qtbot, paths, sessions, runners)
    finally:
        keyring.set_keyring(previous)
    assert settings.keyring_label.text().startswith("No system keyring")
    placeholder = settings.scoring_box.secret_edit.placeholderText()
    assert "kept in the keyring" not in placeholder
    assert "SHOPGUARD_SERVICE_SECRET" in placeholder
