"""Where ShopGuard keeps its files.

Every path comes from platformdirs, so each operating system gets its usual places.
``--data-dir DIR`` (any command) puts *all* of them under ``DIR``: an isolated profile for
tests, benchmarks and trying things out without touching the real one.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "ShopGuard"
APP_AUTHOR = "ShopGuard"


class ProfileError(Exception):
    """A profile folder cannot be created; ``message`` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
        """Create the directories if they are missing, and return self.

        Raises:
            ProfileError: a directory cannot be created (a file is in the way, no
                permission, a full disk).
        """
        for directory in (self.data, self.config, self.cache, self.logs):
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise _profile_error(directory, exc) from exc
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


def _profile_error(directory: Path, exc: OSError) -> ProfileError:
    """What to tell the owner when ``directory`` cannot be created."""
    blocking = file_in_the_way(directory)
    if blocking is not None:
        return ProfileError(
            f"ShopGuard keeps its files in the folder {blocking}, but {blocking} is a file, "
            "not a folder. Choose another folder with --data-dir, or move that file away."
        )
    reason = exc.strerror or type(exc).__name__
    advice = (
        "Free some disk space"
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
        else "Check that you may write there"
    )
    return ProfileError(
        f"ShopGuard could not create its folder {directory} ({reason}). {advice}, or choose "
        "another folder with --data-dir."
    )


def file_in_the_way(directory: Path) -> Path | None:
    """The first path from the root down to ``directory`` that exists and is not a folder
    (so ``directory`` cannot be made or used), or None."""
    for candidate in (*reversed(directory.parents), directory):
        if candidate.exists() and not candidate.is_dir():
            return candidate
    return None
