"""Which scoring service this installation talks to, and as which shop.

The address and shop id live in a small JSON file in the config folder; the shop secret
lives only in the OS keyring (or, where no keyring works, in SHOPGUARD_SERVICE_SECRET for
the run). Nothing here is customer data.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keyring
import keyring.errors

from shopguard.scoring.service_client import normalize_service_url

log = logging.getLogger(__name__)

KEYRING_SERVICE = "ShopGuard scoring service"
ENV_SECRET = "SHOPGUARD_SERVICE_SECRET"
FILE_NAME = "scoring-service.json"


class ServiceSettingsError(Exception):
    """The service settings cannot be used; ``message`` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ServiceSettings:
    """The configured scoring service (never its secret).

    Attributes:
        backfilled: store URLs whose existing orders were already queued for the service.
        catch_up: a sync ran without the salt; queue what it changed on the next run.
    """

    url: str
    shop_id: str
    backfilled: tuple[str, ...] = field(default=())
    catch_up: bool = False

    @property
    def keyring_user(self) -> str:
        """The keyring entry name for this service and shop."""
        return f"{self.url}#{self.shop_id}"


def load_settings(config_dir: Path) -> ServiceSettings | None:
    """The saved settings, or None when no service is configured."""
    path = config_dir / FILE_NAME
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ServiceSettings(
            url=str(data["url"]),
            shop_id=str(data["shop_id"]),
            backfilled=tuple(str(u) for u in data.get("backfilled", [])),
            catch_up=bool(data.get("catch_up", False)),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ServiceSettingsError(
            f"The scoring-service settings in {path} are damaged. Run "
            "`shopguard service set` again to replace them."
        ) from exc


def save_settings(config_dir: Path, settings: ServiceSettings) -> None:
    """Write the settings atomically (a crash never leaves half a file)."""
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / FILE_NAME
    temporary = path.with_suffix(".tmp")
    data = asdict(settings)
    data["backfilled"] = list(settings.backfilled)
    temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(temporary, path)


def make_settings(url: str, shop_id: str) -> ServiceSettings:
    """Validated settings from what the owner typed."""
    shop = (shop_id or "").strip()
    if not shop or any(ch.isspace() for ch in shop) or len(shop) > 100:
        raise ServiceSettingsError("Type the shop ID exactly as the scoring service gave it.")
    return ServiceSettings(url=normalize_service_url(url), shop_id=shop)


def save_secret(settings: ServiceSettings, secret: str) -> bool:
    """Keep the shop secret in the keyring; False when no keyring is usable."""
    try:
        keyring.set_password(KEYRING_SERVICE, settings.keyring_user, secret)
        return True
    except (keyring.errors.KeyringError, RuntimeError, OSError) as exc:
        log.info("No keyring for the service secret: %s", type(exc).__name__)
        return False


def remove_settings(config_dir: Path) -> ServiceSettings | None:
    """Forget the service: remove the settings file and the shop secret from the keyring.

    A keyring that cannot be reached is logged and skipped (the secret is useless without
    the settings); damaged settings are removed all the same. Returns the settings that
    were in use (None if none were).
    """
    try:
        settings = load_settings(config_dir)
    except ServiceSettingsError:
        settings = None  # damaged: removing it is exactly what is wanted
    if settings is not None:
        try:
            keyring.delete_password(KEYRING_SERVICE, settings.keyring_user)
        except keyring.errors.PasswordDeleteError:
            pass  # not in the keyring (it came from SHOPGUARD_SERVICE_SECRET)
        except (keyring.errors.KeyringError, RuntimeError, OSError) as exc:
            log.info("Could not remove the service secret from the keyring: %s", type(exc).__name__)
    (config_dir / FILE_NAME).unlink(missing_ok=True)
    return settings


def load_secret(settings: ServiceSettings, env: Mapping[str, str] | None = None) -> str:
    """The shop secret: SHOPGUARD_SERVICE_SECRET if set, else the keyring's.

    Raises:
        ServiceSettingsError: neither has it.
    """
    env = os.environ if env is None else env
    from_env = env.get(ENV_SECRET, "").strip()
    if from_env:
        return from_env
    try:
        stored = keyring.get_password(KEYRING_SERVICE, settings.keyring_user)
    except (keyring.errors.KeyringError, RuntimeError, OSError):
        stored = None
    if stored:
        return stored
    raise ServiceSettingsError(
        "The scoring service's shop secret is not available: no keyring holds it here. Set "
        f"{ENV_SECRET} for this run, or run `shopguard service set` again."
    )
