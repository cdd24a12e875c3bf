"""An in-memory keyring backend, so tests never read or write the person's real keyring."""

from __future__ import annotations

from jaraco.classes import properties
from keyring import errors
from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    """Keeps passwords in a dict for the life of the object.

    Its priority raises, so keyring never picks it on its own: a test installs it explicitly
    with ``keyring.set_keyring(MemoryKeyring())``.
    """

    @properties.classproperty
    def priority(cls) -> float:  # type: ignore[override]
        raise RuntimeError("MemoryKeyring is only for tests")

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise errors.PasswordDeleteError("no such password")
