"""Where ShopGuard keeps its files.

Every path comes from platformdirs, so each operating system gets its usual places.
``--data-dir DIR`` (any command) puts *all* of them under ``DIR``: an isolated profile for
tests, benchmarks and trying things out without touching the real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "ShopGuard"
APP_AUTHOR = "ShopGuard"


@dataclass(frozen=True)
class AppPaths:
    """The directories one ShopGuard profile uses.

    Attributes:
        data: the local database and its backups.
        config: settings files (never secrets: those live in the keyring).
        cache: anything that can be thrown away.
        logs: log files.
    """

    data: Path
    config: Path
    cache: Path
    logs: Path

    @property
    def database(self) -> Path:
        """The SQLite database file."""
        return self.data / "shopguard.sqlite3"

    @property
    def database_url(self) -> str:
        """SQLAlchemy URL of the database file."""
        return f"sqlite:///{self.database}"

    def ensure(self) -> AppPaths:
        """Create the directories if they are missing, and return self."""
        for directory in (self.data, self.config, self.cache, self.logs):
            directory.mkdir(parents=True, exist_ok=True)
        return self


def resolve_paths(data_dir: str | Path | None = None) -> AppPaths:
    """Return the profile's directories: the platform's own, or all under ``data_dir``."""
    if data_dir is not None:
        root = Path(data_dir).expanduser().resolve()
        return AppPaths(
            data=root / "data", config=root / "config", cache=root / "cache", logs=root / "logs"
        )
    return AppPaths(
        data=Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
        config=Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
        cache=Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)),
        logs=Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
    )
