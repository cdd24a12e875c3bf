"""Hash scheme v1, step two: keyed digests of normalized identifiers.

digest = lowercase hex of HMAC-SHA256(key = the network salt's 32 bytes,
message = UTF-8 of "<kind>:<normalized>"). The salt comes from the scoring service
(``GET /v1/config``) or, with no service configured, is made once per installation.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from _hashlib import HASH

HASH_SCHEME = "v1"
IdentifierKind = Literal["email", "phone", "name", "address"]
IDENTIFIER_KINDS: tuple[IdentifierKind, ...] = ("email", "phone", "name", "address")
_SALT_HEX = re.compile(r"^[0-9a-f]{64}$")


class InvalidSalt(ValueError):
    """The salt is not 32 bytes of lower-case hex."""


@dataclass(frozen=True, repr=False)
class Salt:
    """The 32-byte network (or local) salt. Its repr never shows the value."""

    value: bytes

    def __post_init__(self) -> None:
        if len(self.value) != 32:
            raise InvalidSalt("A hash salt is exactly 32 bytes.")

    @classmethod
    def from_hex(cls, text: str) -> Salt:
        """Parse the service's hex form (64 lower-case hex digits)."""
        cleaned = (text or "").strip().lower()
        if not _SALT_HEX.match(cleaned):
            raise InvalidSalt("A hash salt is 64 hexadecimal digits.")
        return cls(bytes.fromhex(cleaned))

    @classmethod
    def generate(cls) -> Salt:
        """A fresh random salt (embedded mode: once per installation)."""
        return cls(secrets.token_bytes(32))

    @property
    def hex(self) -> str:
        """The 64-digit hex form."""
        return self.value.hex()

    @cached_property
    def _pads(self) -> tuple[HASH, HASH]:
        """SHA-256 states after the HMAC inner and outer key blocks (RFC 2104), keyed once.

        Each digest copies them: about 1.3 us instead of 3 us through ``hmac``'s Python
        wrapper, which matters at four digests per order. Tests check every digest against
        ``hmac.new``.
        """
        block = self.value.ljust(64, b"\0")  # 32-byte key: shorter than SHA-256's block
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        return inner, outer

    @property
    def fingerprint(self) -> str:
        """A short, non-secret tag telling salts apart (first 8 hex of SHA-256)."""
        return hashlib.sha256(self.value).hexdigest()[:8]

    def __repr__(self) -> str:
        return f"Salt(fingerprint={self.fingerprint})"


def digest(salt: Salt, kind: IdentifierKind, normalized: str) -> str:
    """The v1 digest of one normalized identifier."""
    if not normalized:
        raise ValueError("An empty identifier is never hashed.")
    inner, outer = salt._pads
    mac = inner.copy()
    mac.update(f"{kind}:{normalized}".encode())
    result = outer.copy()
    result.update(mac.digest())
    return result.hexdigest()


def digester(salt: Salt, kind: IdentifierKind) -> Callable[[str], str]:
    """``digest`` for one salt and kind, its "<kind>:" already hashed in (hot loops)."""
    inner, outer = salt._pads
    prefixed = inner.copy()
    prefixed.update(f"{kind}:".encode())

    def one(normalized: str) -> str:
        if not normalized:
            raise ValueError("An empty identifier is never hashed.")
        mac = prefixed.copy()
        mac.update(normalized.encode())
        result = outer.copy()
        result.update(mac.digest())
        return result.hexdigest()

    return one
