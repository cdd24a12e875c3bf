"""ConnectDialog against the demo store: checks, clear messages, and saving the key."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from shopguard.demo.server import DemoStore
from shopguard.services import StoreService
from shopguard.ui.connect_dialog import HELP_TEXT, ConnectDialog
from shopguard.woo.credentials import SERVICE
from tests.helpers.memory_keyring import MemoryKeyring
from tests.ui.conftest import Runners

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def store() -> Iterator[DemoStore]:
    with DemoStore(orders=120, seed=5) as demo:
        yield demo


@pytest.fixture
def dialog(qtbot: QtBot, store_service: StoreService, runners: Runners) -> ConnectDialog:
    dialog = ConnectDialog(store_service, runners.network)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _fill(qtbot: QtBot, dialog: ConnectDialog, url: str, key: str, secret: str) -> None:
    for edit, text in (
        (dialog.url_edit, url),
        (dialog.key_edit, key),
        (dialog.secret_edit, secret),
    ):
        edit.clear()
        qtbot.keyClicks(edit, text)


def _result_after(qtbot: QtBot, dialog: ConnectDialog, runners: Runners) -> str:
    qtbot.waitUntil(lambda: not dialog.busy, timeout=15_000)
    assert runners.wait_until_idle()
    return dialog.result_label.text()


def test_explains_where_keys_come_from(dialog: ConnectDialog) -> None:
    assert "WooCommerce → Settings → Advanced → REST API" in HELP_TEXT
    assert dialog.url_edit.placeholderText() == "https://myshop.example"
    assert dialog.key_edit.placeholderText().startswith("ck_")
    assert dialog.secret_edit.echoMode() == dialog.secret_edit.EchoMode.Password


def test_test_connection_reports_orders_and_access(
    qtbot: QtBot, dialog: ConnectDialog, store: DemoStore, runners: Runners
) -> None:
    key, secret = store.credentials
    _fill(qtbot, dialog, store.url, key, secret)
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert dialog.busy and not dialog.test_button.isEnabled()
    assert not dialog.connect_button.isEnabled()
    text = _result_after(qtbot, dialog, runners)
    assert text.startswith("Connected: 120 orders, read/write key")
    assert dialog.result_label.tone == "ok"
    assert dialog.test_button.isEnabled() and dialog.connect_button.isEnabled()


def test_read_only_key_is_connected_with_a_warning(
    qtbot: QtBot, dialog: ConnectDialog, store: DemoStore, runners: Runners
) -> None:
    key, secret = store.read_only_credentials
    _fill(qtbot, dialog, store.url, key, secret)
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    text = _result_after(qtbot, dialog, runners)
    assert text.startswith("Connected: 120 orders, read-only key")
    assert "Read/Write" in text
    assert dialog.result_label.tone == "warning"


def test_wrong_secret_shows_the_stores_message(
    qtbot: QtBot, dialog: ConnectDialog, store: DemoStore, runners: Runners
) -> None:
    key, _secret = store.credentials
    _fill(qtbot, dialog, store.url, key, "cs_" + "0" * 40)
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    text = _result_after(qtbot, dialog, runners)
    assert dialog.result_label.tone == "error"
    assert "Traceback" not in text
    assert "REST API" in text or "key" in text.lower()


def test_bad_address_is_explained_before_any_request(
    qtbot: QtBot, dialog: ConnectDialog, runners: Runners
) -> None:
    _fill(qtbot, dialog, "not an address", "ck_abc", "cs_def")
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert runners.running == 0
    assert "web address" in dialog.result_label.text()
    assert dialog.result_label.tone == "error"


def test_unreachable_store_is_explained(
    qtbot: QtBot, dialog: ConnectDialog, runners: Runners
) -> None:
    _fill(qtbot, dialog, "http://127.0.0.1:9", "ck_abc", "cs_def")
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    text = _result_after(qtbot, dialog, runners)
    assert dialog.result_label.tone == "error"
    assert text and "Traceback" not in text


@pytest.mark.parametrize(
    ("url", "key", "secret", "expected"),
    [
        ("", "ck_a", "cs_b", "web address"),
        ("https://shop.example", "", "cs_b", "consumer key"),
        ("https://shop.example", "cs_b", "cs_b", "looks like the consumer secret"),
        ("https://shop.example", "ck_a", "", "consumer secret"),
    ],
)
def test_empty_fields_are_named(
    qtbot: QtBot,
    dialog: ConnectDialog,
    runners: Runners,
    url: str,
    key: str,
    secret: str,
    expected: str,
) -> None:
    _fill(qtbot, dialog, url, key, secret)
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    assert expected in dialog.result_label.text()
    assert runners.running == 0
    assert dialog.isVisible()


def test_connect_saves_the_key_and_reports_the_store(
    qtbot: QtBot,
    dialog: ConnectDialog,
    store: DemoStore,
    runners: Runners,
    memory_keyring: MemoryKeyring,
) -> None:
    key, secret = store.credentials
    _fill(qtbot, dialog, store.url, key, secret)
    with qtbot.waitSignal(dialog.store_connected, timeout=15_000) as connected:
        qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    record, info = connected.args
    assert record.url == store.url.rstrip("/")
    assert info.order_count == 120
    saved = json.loads(memory_keyring.passwords[(SERVICE, record.url)])
    assert saved == {"consumer_key": key, "consumer_secret": secret}
    assert runners.wait_until_idle()
    assert not dialog.isVisible()
