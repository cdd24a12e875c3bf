"""``shopguard connect`` and ``doctor`` on a machine without a system keyring, where the
store key comes in through SHOPGUARD_CONSUMER_KEY / SHOPGUARD_CONSUMER_SECRET."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopguard.demo.server import DemoStore
from tests.test_cli import run


@pytest.fixture(scope="module")
def store() -> Iterator[DemoStore]:
    with DemoStore(orders=50, seed=8) as demo:
        yield demo


def _no_keyring(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPGUARD_")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env


def test_connect_without_a_keyring_tests_the_key_from_the_environment(
    store: DemoStore, tmp_path: Path
) -> None:
    key, secret = store.credentials
    env = _no_keyring(SHOPGUARD_CONSUMER_KEY=key, SHOPGUARD_CONSUMER_SECRET=secret)
    result = run("connect", "--url", store.url, "--data-dir", str(tmp_path), env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"Connected to {store.url}: 50 orders, key is read and write." in result.stdout
    assert "The key works. It was not saved" in result.stdout
    assert "SHOPGUARD_CONSUMER_KEY and SHOPGUARD_CONSUMER_SECRET every time" in result.stdout
    con = sqlite3.connect(tmp_path / "data" / "shopguard.sqlite3")
    try:
        assert con.execute("SELECT url FROM store_profiles").fetchall() == [(store.url,)]
    finally:
        con.close()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path

    # The next run with the same variables syncs that store.
    synced = run("sync", "--url", store.url, "--data-dir", str(tmp_path), env=env)
    assert synced.returncode == 0, synced.stderr


def test_connect_without_a_keyring_still_reports_a_wrong_key(
    store: DemoStore, tmp_path: Path
) -> None:
    key, _secret = store.credentials
    env = _no_keyring(SHOPGUARD_CONSUMER_KEY=key, SHOPGUARD_CONSUMER_SECRET="cs_" + "1" * 40)
    result = run("connect", "--url", store.url, "--data-dir", str(tmp_path), env=env)
    assert result.returncode == 1
    assert "did not accept" in result.stderr and "Traceback" not in result.stderr


def test_doctor_accepts_the_environment_in_place_of_a_keyring(
    store: DemoStore, tmp_path: Path
) -> None:
    key, secret = store.credentials
    env = _no_keyring(SHOPGUARD_CONSUMER_KEY=key, SHOPGUARD_CONSUMER_SECRET=secret)
    result = run("doctor", "--url", store.url, "--data-dir", str(tmp_path), env=env)
    assert result.returncode == 0, result.stdout
    line = next(x for x in result.stdout.splitlines() if "Keyring" in x)
    assert line.startswith("[ok ]") and "SHOPGUARD_CONSUMER_KEY" in line
    assert "[ok ] Store" in result.stdout

    without = run("doctor", "--data-dir", str(tmp_path), env=_no_keyring())
    assert "[FIX] Keyring" in without.stdout and without.returncode == 1


def test_sync_without_a_scheme_on_a_plain_http_store_says_to_use_http(
    store: DemoStore, tmp_path: Path
) -> None:
    key, secret = store.credentials
    env = _no_keyring(SHOPGUARD_CONSUMER_KEY=key, SHOPGUARD_CONSUMER_SECRET=secret)
    bare = store.url.removeprefix("http://")
    result = run("sync", "--url", bare, "--data-dir", str(tmp_path), env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"The address probably needs http:// instead: try {store.url}" in result.stderr
    assert "certificate" not in result.stderr
