"""The scoring-service secret lives in the real keyring; the settings file never holds it."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopguard.demo.server import DemoStore
from shopguard.scoring import signing
from shopguard.scoring.service_client import ServiceError, normalize_service_url
from shopguard.scoring.settings import (
    KEYRING_SERVICE,
    ServiceSettingsError,
    load_settings,
    make_settings,
    remove_settings,
    save_secret,
    save_settings,
)
from tests.helpers.capture_service import CaptureService
from tests.helpers.memory_keyring import MemoryKeyring
from tests.woo.test_credentials import HELPER, needs_secret_service


@pytest.fixture
def store() -> Iterator[DemoStore]:
    with DemoStore(orders=120, seed=8) as demo:
        yield demo


@pytest.mark.keyring
@needs_secret_service
def test_service_secret_is_kept_in_the_keyring_and_used_by_later_runs(
    store: DemoStore, tmp_path: Path
) -> None:
    key, secret = store.credentials
    data_dir = tmp_path / "profile"
    base = f"{sys.executable} -m shopguard --data-dir {data_dir}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPGUARD_")}
    with CaptureService() as service:
        script = (
            f"SHOPGUARD_SERVICE_SECRET={service.secret} {base} service set --url {service.url} "
            f"--shop-id {service.shop_id} && "
            # A new process with no service secret in its environment: from the keyring.
            f"SHOPGUARD_CONSUMER_KEY={key} SHOPGUARD_CONSUMER_SECRET={secret} "
            f"{base} sync --url {store.url} && "
            # Stopping forgets the settings and takes the secret out of the keyring.
            f'{base} service stop && {sys.executable} -c "import keyring; '
            f"print('left in keyring:', keyring.get_password('{KEYRING_SERVICE}', "
            f"'{service.url}#{service.shop_id}'))\" && {base} service show"
        )
        result = subprocess.run(
            ["dbus-run-session", "--", "bash", str(HELPER), "bash", "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "No system keyring here" not in result.stderr
        assert "Scoring service: 120 orders" in result.stderr
        assert len(service.orders) == 120
        assert "Stopped using the scoring service" in result.stdout
        assert "left in keyring: None" in result.stdout
        assert "No scoring service is configured" in result.stdout
    for file in data_dir.rglob("*"):
        if file.is_file():
            assert service.secret.encode() not in file.read_bytes(), file


def test_settings_validate_what_the_owner_types(tmp_path: Path) -> None:
    with pytest.raises(ServiceSettingsError):
        make_settings("https://score.example", "  ")
    with pytest.raises(ServiceError) as caught:
        normalize_service_url("http://score.example")
    assert "https://" in caught.value.message
    with pytest.raises(ServiceError) as empty:
        normalize_service_url("  ")
    assert empty.value.message.startswith("Type the scoring service's address")
    assert normalize_service_url("http://127.0.0.1:8787/") == "http://127.0.0.1:8787"
    (tmp_path / "scoring-service.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ServiceSettingsError) as damaged:
        load_settings(tmp_path)
    assert "service set" in damaged.value.message


def test_signature_matches_the_contract() -> None:
    # From the contract: ts \n nonce \n METHOD \n target \n sha256-hex(body).
    body = b'{"orders":[]}'
    message = signing.string_to_sign("1700000000", "ab" * 16, "post", "/v1/orders/score", body)
    assert message == (
        b"1700000000\n" + b"ab" * 16 + b"\nPOST\n/v1/orders/score\n"
        b"e031acd7d2a0a13081112896146071e885399a95d98315a55efcd0d0e1817b10"
    )
    expected = hmac.new(b"s3cret", message, hashlib.sha256).hexdigest()
    assert signing.sign("s3cret", "1700000000", "ab" * 16, "POST", "/v1/orders/score", body) == (
        expected
    )
    headers = signing.signed_headers("shop-1", "secret", "GET", "/v1/config", b"", now=1700000000)
    assert headers["X-ShopGuard-Timestamp"] == "1700000000"
    assert len(headers["X-ShopGuard-Nonce"]) == 32
    assert signing.verify(
        "secret",
        headers["X-ShopGuard-Signature"],
        "1700000000",
        headers["X-ShopGuard-Nonce"],
        "GET",
        "/v1/config",
        b"",
    )
    assert not signing.verify(
        "other",
        headers["X-ShopGuard-Signature"],
        "1700000000",
        headers["X-ShopGuard-Nonce"],
        "GET",
        "/v1/config",
        b"",
    )


def test_removing_the_settings_forgets_them_and_the_secret(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    settings = make_settings("https://score.example", "shop-1")
    save_settings(tmp_path, settings)
    assert save_secret(settings, "s3cret")
    assert remove_settings(tmp_path) == settings
    assert load_settings(tmp_path) is None
    assert memory_keyring.passwords == {}
    assert remove_settings(tmp_path) is None  # nothing left to remove: harmless
    (tmp_path / "scoring-service.json").write_text("{not json", encoding="utf-8")
    assert remove_settings(tmp_path) is None  # damaged settings go too
    assert not (tmp_path / "scoring-service.json").exists()
