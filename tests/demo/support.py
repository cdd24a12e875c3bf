"""Helpers for the demo store tests: a WooCommerce-style OAuth signer written from the rules
in shared/reference/woocommerce-api.md (independent of ``shopguard.demo.auth``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from urllib.parse import quote, urlencode

import requests


def _enc(text: str) -> str:
    return quote(text, safe="")


def wc_signature(
    method: str,
    url: str,
    params: list[tuple[str, str]],
    secret: str,
    algorithm: str = "HMAC-SHA256",
) -> str:
    """Sign like WooCommerce verifies: last duplicate wins, ``a[]`` items numbered 0, 1, ..."""
    flat: dict[str, str] = {}
    counters: dict[str, int] = {}
    for key, value in params:
        if key.endswith("[]"):
            base = key[:-2]
            index = counters.get(base, 0)
            counters[base] = index + 1
            flat[f"{_enc(base)}%5B{index}%5D"] = value
        else:
            flat[_enc(key)] = value
    # Sorting by the encoded key equals WooCommerce's raw-key strcmp for these simple keys.
    pairs = [_enc(f"{key}={_enc(flat[key])}") for key in sorted(flat)]
    base_string = f"{method.upper()}&{_enc(url)}&{'%26'.join(pairs)}"
    digest = hashlib.sha256 if algorithm == "HMAC-SHA256" else hashlib.sha1
    mac = hmac.new(f"{secret}&".encode(), base_string.encode(), digest).digest()
    return base64.b64encode(mac).decode()


def oauth_params(
    method: str,
    signed_url: str,
    params: list[tuple[str, str]],
    credentials: tuple[str, str],
    *,
    nonce: str | None = None,
    timestamp: int | None = None,
    algorithm: str = "HMAC-SHA256",
) -> list[tuple[str, str]]:
    """``params`` plus the five oauth_* parameters, signed for ``signed_url``."""
    key, secret = credentials
    oauth = [
        ("oauth_consumer_key", key),
        ("oauth_nonce", nonce or secrets.token_hex(16)),
        ("oauth_signature_method", algorithm),
        ("oauth_timestamp", str(timestamp if timestamp is not None else int(time.time()))),
    ]
    everything = [*params, *oauth]
    signature = wc_signature(method, signed_url, everything, secret, algorithm)
    return [*everything, ("oauth_signature", signature)]


def oauth_request(
    method: str,
    store_url: str,
    path: str,
    params: list[tuple[str, str]],
    credentials: tuple[str, str],
    *,
    signed_url: str | None = None,
    **kwargs: object,
) -> requests.Response:
    """Send a request signed the WooCommerce way (query-string OAuth)."""
    query = oauth_params(method, signed_url or store_url + path, params, credentials)
    url = f"{store_url}{path}?{urlencode(query)}"
    return requests.request(method, url, timeout=10, **kwargs)  # type: ignore[arg-type]
