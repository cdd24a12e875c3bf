"""Request signing for the scoring service (a contract: the app and the server agree).

Every /v1 request except /v1/health carries the shop id, a Unix timestamp, a random nonce
and an HMAC-SHA256 signature over::

    timestamp \\n nonce \\n METHOD \\n path-with-query-as-sent \\n sha256-hex(raw body)

keyed with the UTF-8 bytes of the shop secret. The server rejects stale timestamps
(more than 300 s off) and nonces it has already seen, so a captured request cannot be
replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER_SHOP = "X-ShopGuard-Shop"
HEADER_TIMESTAMP = "X-ShopGuard-Timestamp"
HEADER_NONCE = "X-ShopGuard-Nonce"
HEADER_SIGNATURE = "X-ShopGuard-Signature"
MAX_SKEW_SECONDS = 300


def string_to_sign(timestamp: str, nonce: str, method: str, target: str, body: bytes) -> bytes:
    """The exact bytes that are signed."""
    body_hash = hashlib.sha256(body).hexdigest()
    return f"{timestamp}\n{nonce}\n{method.upper()}\n{target}\n{body_hash}".encode()


def sign(secret: str, timestamp: str, nonce: str, method: str, target: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of the string to sign."""
    message = string_to_sign(timestamp, nonce, method, target, body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    shop_id: str, secret: str, method: str, target: str, body: bytes, *, now: float | None = None
) -> dict[str, str]:
    """The four headers for one request; ``target`` is the path with its query as sent."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = secrets.token_hex(16)
    return {
        HEADER_SHOP: shop_id,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: sign(secret, timestamp, nonce, method, target, body),
    }


def verify(
    secret: str,
    headers_signature: str,
    timestamp: str,
    nonce: str,
    method: str,
    target: str,
    body: bytes,
) -> bool:
    """Constant-time check of a signature (the server side of the contract)."""
    expected = sign(secret, timestamp, nonce, method, target, body)
    return hmac.compare_digest(expected, headers_signature.strip().lower())
