"""``shopguard doctor``: check this computer (and optionally a store) and say what to fix."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from shopguard.paths import AppPaths, ProfileError
from shopguard.services import ClientOptions, default_client_factory
from shopguard.store.migrate import (
    DatabaseUnreadable,
    current_revision,
    head_revision,
    known_revisions,
)
from shopguard.woo.credentials import (
    ENV_KEY,
    ENV_SECRET,
    CredentialsError,
    credentials_from_environment,
    keyring_status,
    resolve_credentials,
)
from shopguard.woo.errors import WooError
from shopguard.woo.urls import normalize_store_url

log = logging.getLogger(__name__)

_QT_PROBE = (
    "from PySide6.QtWidgets import QApplication; app = QApplication([]); print(app.platformName())"
)

# Debian/Ubuntu packages Qt's xcb platform plugin needs, by the library it reports missing.
_XCB_PACKAGES = (
    "libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 "
    "libxcb-randr0 libxcb-render-util0 libxcb-image0 libegl1 libgl1"
)


@dataclass(frozen=True)
class Check:
    """One doctor finding: ``detail`` says what was seen, or what to do when not ``ok``."""

    title: str
    ok: bool
    detail: str


def check_qt() -> Check:
    """Start a QApplication in a child process: a broken plugin must not crash the doctor."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    ):
        return Check(
            "Display",
            False,
            "No display found (DISPLAY is not set). Run ShopGuard from your desktop session, "
            "or for a headless machine set QT_QPA_PLATFORM=offscreen or use xvfb-run.",
        )
    try:
        probe = subprocess.run(
            [sys.executable, "-c", _QT_PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Check("Qt", False, "Qt did not start within 60 s: the display is not answering.")
    if probe.returncode == 0:
        platform = probe.stdout.strip().splitlines()[-1] if probe.stdout.strip() else "?"
        return Check("Qt", True, f"Qt starts with the '{platform}' platform plugin.")
    stderr = probe.stderr
    if "xcb" in stderr and ("xcb-cursor" in stderr or "could not load" in stderr.lower()):
        return Check(
            "Qt",
            False,
            "Qt's X11 plugin cannot load a system library. On Debian/Ubuntu run: "
            f"sudo apt install {_XCB_PACKAGES}",
        )
    if "could not connect to display" in stderr.lower():
        return Check("Display", False, "The display in DISPLAY does not answer. Is X running?")
    last = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit code {probe.returncode}"
    return Check("Qt", False, f"Qt failed to start: {last}")


def check_keyring() -> Check:
    """Whether the store key can be kept in the system keyring, or comes in through the
    environment on a machine without one (what a headless server does)."""
    status = keyring_status()
    if not status.usable and credentials_from_environment() is not None:
        return Check(
            "Keyring",
            True,
            f"No system keyring here; the store key comes from {ENV_KEY} and {ENV_SECRET} "
            "(set them for every run: they are never saved).",
        )
    return Check("Keyring", status.usable, status.message)


def check_data_dir(paths: AppPaths) -> Check:
    """The data directory is writable and the database (if any) is one this version can open."""
    try:
        paths.ensure()
    except ProfileError as exc:
        return Check("Data folder", False, exc.message)
    try:
        with tempfile.NamedTemporaryFile(dir=paths.data, prefix=".write-test-"):
            pass
    except OSError as exc:
        return Check(
            "Data folder",
            False,
            f"Cannot write to {paths.data} ({exc.strerror}). Free some disk space or choose "
            "another folder with --data-dir.",
        )
    try:
        revision = current_revision(paths.database)
    except DatabaseUnreadable as exc:
        return Check("Database", False, exc.message)
    except Exception as exc:  # noqa: BLE001 - a file that cannot be read is what we report
        log.info("The database cannot be read: %s", type(exc).__name__)
        return Check("Database", False, f"{paths.database} cannot be read ({type(exc).__name__}).")
    head = head_revision()
    if revision is None:
        return Check("Data folder", True, f"{paths.data} (a new database will be created).")
    if revision == head:
        return Check("Data folder", True, f"{paths.data} (database up to date).")
    if revision not in known_revisions():
        return Check(
            "Database",
            False,
            f"{paths.database} was written by a newer ShopGuard. Install the latest version.",
        )
    return Check("Data folder", True, f"{paths.data} (database will be upgraded on start).")


def check_store(url: str) -> Check:
    """Resolve the key and test the store connection."""

    try:
        credentials = resolve_credentials(normalize_store_url(url))
    except WooError as exc:
        return Check("Store", False, exc.message)
    except CredentialsError as exc:
        return Check("Store key", False, exc.message)
    client = default_client_factory(ClientOptions())(url, credentials, None)
    try:
        info = client.check_connection()
    except WooError as exc:
        return Check("Store", False, exc.message)
    finally:
        client.close()
    access = "read and write" if info.permissions == "read_write" else "read only"
    detail = f"{info.store_url}: {info.order_count} orders, key is {access} ({info.auth_mode})."
    if info.header_stripped:
        detail += " Your host strips the Authorization header; ShopGuard works around it."
    return Check("Store", True, detail)


def run_checks(paths: AppPaths, *, url: str | None = None) -> Iterator[Check]:
    """Every check, in the order a person would fix them."""
    yield check_data_dir(paths)
    yield check_keyring()
    yield check_qt()
    if url:
        yield check_store(url)
