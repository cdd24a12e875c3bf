"""Consumer key and secret: kept only in the OS keyring.

They are never written to the database, config files, logs or the event log. Where no
usable keyring exists (a headless Linux without a Secret Service), ShopGuard says so and
accepts ``SHOPGUARD_CONSUMER_KEY`` / ``SHOPGUARD_CONSUMER_SECRET`` for that run only.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import fail

log = logging.getLogger(__name__)

SERVICE = "ShopGuard WooCommerce"
ENV_KEY = "SHOPGUARD_CONSUMER_KEY"
ENV_SECRET = "SHOPGUARD_CONSUMER_SECRET"


class CredentialsError(Exception):
    """Credentials could not be found or kept; ``message`` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Credentials:
    """A WooCommerce REST API key pair. Its repr never shows the secret."""

    consumer_key: str
    consumer_secret: str
    source: Literal["keyring", "environment", "entered"] = "entered"

    def __repr__(self) -> str:
        return f"Credentials(consumer_key={self.consumer_key[:7]}…, source={self.source!r})"


@dataclass(frozen=True)
class KeyringStatus:
    """Whether the OS keyring can hold secrets here, and which backend it is."""

    usable: bool
    backend: str
    message: str


def keyring_status() -> KeyringStatus:
    """Check the active keyring backend by actually asking it for a value."""
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, fail.Keyring):
        return KeyringStatus(False, name, _NO_KEYRING)
    try:
        backend.get_password(SERVICE, "__shopguard_probe__")
    except Exception as exc:  # noqa: BLE001 - any backend failure means "not usable"
        log.info("Keyring backend %s is not usable: %s", name, type(exc).__name__)
        return KeyringStatus(False, name, _NO_KEYRING)
    return KeyringStatus(True, name, f"Secrets are kept in the system keyring ({name}).")


_NO_KEYRING = (
    "No system keyring is available, so ShopGuard cannot store your WooCommerce key. "
    "On Linux, install and unlock GNOME Keyring or KWallet (Debian/Ubuntu: "
    "sudo apt install gnome-keyring), or set SHOPGUARD_CONSUMER_KEY and "
    "SHOPGUARD_CONSUMER_SECRET for this run."
)


def save_credentials(store_url: str, credentials: Credentials) -> None:
    """Keep the key pair for ``store_url`` in the keyring.

    Raises:
        CredentialsError: no usable keyring (the message says what to install).
    """
    payload = json.dumps(
        {"consumer_key": credentials.consumer_key, "consumer_secret": credentials.consumer_secret}
    )
    try:
        keyring.set_password(SERVICE, store_url, payload)
    except (keyring.errors.KeyringError, RuntimeError, OSError) as exc:
        log.warning("Could not save the store key to the keyring: %s", type(exc).__name__)
        raise CredentialsError(_NO_KEYRING) from exc


def load_credentials(store_url: str) -> Credentials | None:
    """The key pair kept for ``store_url``, or None (also when there is no keyring)."""
    try:
        payload = keyring.get_password(SERVICE, store_url)
    except (keyring.errors.KeyringError, RuntimeError, OSError) as exc:
        log.info("Keyring not readable: %s", type(exc).__name__)
        return None
    if not payload:
        return None
    try:
        data = json.loads(payload)
        return Credentials(data["consumer_key"], data["consumer_secret"], source="keyring")
    except (ValueError, KeyError, TypeError):
        log.warning("The keyring entry for a store is damaged; ignoring it")
        return None


def delete_credentials(store_url: str) -> None:
    """Forget the key pair for ``store_url`` (no error if there was none)."""
    try:
        keyring.delete_password(SERVICE, store_url)
    except keyring.errors.PasswordDeleteError:
        pass
    except (keyring.errors.KeyringError, RuntimeError, OSError) as exc:
        raise CredentialsError(_NO_KEYRING) from exc


def credentials_from_environment(env: Mapping[str, str] | None = None) -> Credentials | None:
    """The key pair from SHOPGUARD_CONSUMER_KEY / SHOPGUARD_CONSUMER_SECRET, if both are set."""
    env = os.environ if env is None else env
    key, secret = env.get(ENV_KEY, "").strip(), env.get(ENV_SECRET, "").strip()
    if key and secret:
        return Credentials(key, secret, source="environment")
    return None


def resolve_credentials(store_url: str, env: Mapping[str, str] | None = None) -> Credentials:
    """The environment's key pair if set (it wins for this run), else the keyring's.

    Raises:
        CredentialsError: neither has a key for this store.
    """
    found = credentials_from_environment(env) or load_credentials(store_url)
    if found is not None:
        return found
    status = keyring_status()
    if not status.usable:
        raise CredentialsError(status.message)
    raise CredentialsError(
        f"No WooCommerce key is saved for {store_url}. Connect the store in ShopGuard "
        "(Settings → Store connection), or set SHOPGUARD_CONSUMER_KEY and "
        "SHOPGUARD_CONSUMER_SECRET."
    )
