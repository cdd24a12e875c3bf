"""The scoring service's settings: a frozen dataclass, from the environment or the CLI.

The pepper (the server-side key of every stored identifier) comes from ``SHOPGUARD_PEPPER``
(hex) or a file (``--pepper-file`` / ``SHOPGUARD_PEPPER_FILE``) and is never stored in the
database; only a one-way check value of it is, to refuse a different pepper later (see
``services.setup``). The network salt, shared with member shops, is made once and kept in the
database's config table (see ``services.setup``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import platformdirs
from sqlalchemy.engine import make_url

APP_NAME = "shopguard-server"
MIN_PEPPER_BYTES = 32
# What the pepper's check value is the HMAC of. Client digests are 64 hex digits, so no
# stored identifier can ever be the HMAC of this label.
_CHECK_LABEL = b"shopguard-server pepper check v1"
_HEX = re.compile(r"^[0-9a-fA-F]+$")


class SettingsError(Exception):
    """A setting is missing or wrong; ``message`` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, repr=False)
class Pepper:
    """The server-side secret key; its repr never shows the value."""

    value: bytes

    def __post_init__(self) -> None:
        if len(self.value) < MIN_PEPPER_BYTES:
            raise SettingsError(
                f"The pepper must be at least {MIN_PEPPER_BYTES} bytes "
                f"({2 * MIN_PEPPER_BYTES} hex digits)."
            )

    @classmethod
    def from_hex(cls, text: str) -> Pepper:
        """Parse a hex pepper (whitespace around it is ignored)."""
        cleaned = (text or "").strip()
        if not cleaned or len(cleaned) % 2 or not _HEX.match(cleaned):
            raise SettingsError("The pepper must be hexadecimal digits (an even number).")
        return cls(bytes.fromhex(cleaned))

    @classmethod
    def from_file(cls, path: Path) -> Pepper:
        """Read a hex pepper from a file."""
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"Cannot read the pepper file {path}: {exc}.") from exc
        return cls.from_hex(text)

    @classmethod
    def generate(cls) -> Pepper:
        """A fresh random pepper."""
        return cls(secrets.token_bytes(MIN_PEPPER_BYTES))

    @cached_property
    def _mac(self) -> hmac.HMAC:
        return hmac.new(self.value, digestmod=hashlib.sha256)

    def stored(self, client_digest: str) -> str:
        """The stored form of a client digest: hex HMAC-SHA256(pepper, digest)."""
        mac = self._mac.copy()
        mac.update(client_digest.encode("ascii"))
        return mac.hexdigest()

    def check_value(self) -> str:
        """A one-way fingerprint of the pepper: hex HMAC-SHA256(pepper, a fixed label).

        Kept in the database to recognise the pepper it was first used with (see
        ``services.setup.ensure_pepper``); it cannot give the pepper back.
        """
        return hmac.new(self.value, _CHECK_LABEL, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return "Pepper(<hidden>)"


def default_data_dir() -> Path:
    """Where the server keeps its files by default (platformdirs)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_database_url(data_dir: Path | None = None) -> str:
    """SQLite in the data directory: an embedded default that just works."""
    return f"sqlite:///{(data_dir or default_data_dir()) / 'server.sqlite3'}"


@dataclass(frozen=True)
class ServerSettings:
    """Everything the running service needs.

    Attributes:
        database_url: SQLAlchemy URL (``sqlite:///...`` or ``postgresql+psycopg://...``).
        pepper: the key of stored identifiers (never stored).
        max_batch: orders or outcomes per request at most.
        rate_per_minute: requests per shop per minute, shared by all workers (counted in
            the database per fixed 60-second window).
        high_needs_shops: other shops that must report failures before network evidence
            may make an order High.
        medium_cutoff, high_cutoff: default band cut-offs (a shop may have its own).
        retention_days: records are deleted this long after the subject's last order.
        behind_tls_proxy: TLS is terminated by a reverse proxy in front of the service.
        max_body_bytes: larger request bodies are refused (413).
        max_skew_seconds: allowed distance between a request's timestamp and the clock.
        idempotency_hours: how long an Idempotency-Key's answer is kept.
        maintenance_seconds: how often the running service purges (0: never).
    """

    database_url: str
    pepper: Pepper
    max_batch: int = 100
    rate_per_minute: int = 600
    high_needs_shops: int = 2
    medium_cutoff: int = 30
    high_cutoff: int = 70
    retention_days: int = 730
    behind_tls_proxy: bool = False
    max_body_bytes: int = 1 << 20
    max_skew_seconds: int = 300
    idempotency_hours: int = 24
    maintenance_seconds: float = 86400.0

    def __post_init__(self) -> None:
        if not 1 <= self.max_batch <= 10_000:
            raise SettingsError("max_batch must be between 1 and 10000.")
        if self.rate_per_minute < 1:
            raise SettingsError("The rate limit must be at least 1 request a minute.")
        if not 0 < self.medium_cutoff < self.high_cutoff <= 100:
            raise SettingsError("Band cut-offs must satisfy 0 < medium < high <= 100.")
        if self.high_needs_shops < 1:
            raise SettingsError("high_needs_shops must be at least 1.")
        if self.retention_days < 1:
            raise SettingsError("retention_days must be at least 1.")


_SUPPORTED_DATABASES = (
    "shopguard-server supports SQLite (sqlite:///path/to/file.sqlite3) and PostgreSQL "
    "(postgresql+psycopg://user:password@host:port/database) only."
)


def check_database_url(url: str) -> str:
    """The URL if shopguard-server can use it, with PostgreSQL's driver made explicit
    (psycopg 3, whatever SQLAlchemy's default); else a SettingsError saying what is
    supported. The URL itself is never repeated: it may hold a password."""
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
    except Exception as exc:  # ArgumentError, ValueError (a port), NoSuchModuleError
        raise SettingsError(
            "The database URL is not a valid URL (characters such as @ : / # % in the "
            f"password must be percent-encoded). {_SUPPORTED_DATABASES}"
        ) from exc
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        return url
    if parsed.drivername == "postgresql+psycopg":
        return url
    if parsed.drivername == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    hint = " (use postgresql+psycopg://)" if backend == "postgresql" else ""
    raise SettingsError(
        f"The database URL is for {parsed.drivername}{hint}: {_SUPPORTED_DATABASES}"
    )


def pepper_from_env(environ: Mapping[str, str]) -> Pepper | None:
    """The pepper named by SHOPGUARD_PEPPER or SHOPGUARD_PEPPER_FILE, if any."""
    if environ.get("SHOPGUARD_PEPPER"):
        return Pepper.from_hex(environ["SHOPGUARD_PEPPER"])
    if environ.get("SHOPGUARD_PEPPER_FILE"):
        return Pepper.from_file(Path(environ["SHOPGUARD_PEPPER_FILE"]))
    return None


def settings_from_env(environ: Mapping[str, str] | None = None) -> ServerSettings:
    """Settings from ``SHOPGUARD_*`` variables (what ``serve --workers N`` hands its workers)."""
    env = os.environ if environ is None else environ
    pepper = pepper_from_env(env)
    if pepper is None:
        raise SettingsError(
            "No pepper: set SHOPGUARD_PEPPER (hex) or SHOPGUARD_PEPPER_FILE, or pass --pepper-file."
        )
    try:
        return ServerSettings(
            database_url=check_database_url(
                env.get("SHOPGUARD_DATABASE_URL") or default_database_url()
            ),
            pepper=pepper,
            max_batch=int(env.get("SHOPGUARD_MAX_BATCH", "100")),
            rate_per_minute=int(env.get("SHOPGUARD_RATE_PER_MINUTE", "600")),
            high_needs_shops=int(env.get("SHOPGUARD_HIGH_NEEDS_SHOPS", "2")),
            retention_days=int(env.get("SHOPGUARD_RETENTION_DAYS", "730")),
            behind_tls_proxy=env.get("SHOPGUARD_BEHIND_TLS_PROXY", "") in ("1", "true"),
        )
    except ValueError as exc:
        raise SettingsError(f"A SHOPGUARD_* setting is not a number: {exc}.") from exc
