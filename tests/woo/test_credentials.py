"""The store key lives only in the keyring: real Secret Service, environment fallback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from shopguard.demo.server import DemoStore
from shopguard.woo import credentials as creds

HELPER = Path(__file__).parent.parent / "helpers" / "keyring_session.sh"


def _secret_service_available() -> bool:
    return bool(shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon"))


needs_secret_service = pytest.mark.skipif(
    not _secret_service_available() and os.environ.get("CI") != "true",
    reason="needs dbus-run-session and gnome-keyring (installed by .ci/run)",
)


def _in_keyring_session(*command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["dbus-run-session", "--", "bash", str(HELPER), *command],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.fixture
def demo_store() -> Iterator[DemoStore]:
    with DemoStore(orders=250, seed=3) as store:
        yield store


@pytest.mark.keyring
@needs_secret_service
def test_key_saved_by_connect_is_used_by_sync_and_never_written_to_disk(
    demo_store: DemoStore, tmp_path: Path
) -> None:
    key, secret = demo_store.credentials
    data_dir = tmp_path / "profile"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPGUARD_")}
    shopguard = [sys.executable, "-m", "shopguard", "--data-dir", str(data_dir)]
    script = (
        # 1. connect: the key comes from the environment and is saved in the keyring;
        # 2. sync: a new process, no key in the environment: it must come from the keyring.
        f"SHOPGUARD_CONSUMER_KEY={key} SHOPGUARD_CONSUMER_SECRET={secret} "
        f"{' '.join(shopguard)} connect --url {demo_store.url} && "
        f"{' '.join(shopguard)} sync --url {demo_store.url} && "
        "secret-tool search --all service 'ShopGuard WooCommerce' 2>/dev/null | grep -c '^label'"
    )
    result = _in_keyring_session("bash", "-c", script, env=base_env)
    assert result.returncode == 0, result.stderr
    assert "Connected to" in result.stdout
    assert "250 orders checked" in result.stdout

    for file in data_dir.rglob("*"):
        if file.is_file():
            blob = file.read_bytes()
            assert secret.encode() not in blob, f"secret found in {file}"
            assert key.encode() not in blob, f"consumer key found in {file}"


def test_environment_wins_and_is_read_for_this_run_only() -> None:
    env = {creds.ENV_KEY: " ck_abc ", creds.ENV_SECRET: "cs_def"}
    found = creds.resolve_credentials("https://shop.example", env)
    assert (found.consumer_key, found.consumer_secret, found.source) == (
        "ck_abc",
        "cs_def",
        "environment",
    )
    assert "cs_def" not in repr(found)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.mark.usefixtures("no_keyring")
def test_without_a_keyring_the_message_says_what_to_do() -> None:
    status = creds.keyring_status()
    assert not status.usable
    with pytest.raises(creds.CredentialsError) as caught:
        creds.resolve_credentials("https://shop.example", env={})
    assert "SHOPGUARD_CONSUMER_KEY" in caught.value.message
    assert "gnome-keyring" in caught.value.message
    with pytest.raises(creds.CredentialsError):
        creds.save_credentials("https://shop.example", creds.Credentials("ck_x", "cs_y"))
