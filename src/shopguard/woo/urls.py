"""Turning what a shop owner types into the store's base address."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

from shopguard.woo.errors import InvalidStoreUrl

# Paths people paste that are not part of the site's home address.
_TRAILING = re.compile(r"/(wp-json|wp-admin|wp-login\.php|index\.php|\?).*$", re.IGNORECASE)
_LABEL = "[a-z0-9\u00a1-\uffff]([a-z0-9\u00a1-\uffff-]{0,62})"
_HOST = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")


def normalize_store_url(raw: str) -> str:
    """The store's home URL: scheme, lower-case host, optional port and sub-folder.

    ``myshop.example`` becomes ``https://myshop.example``; a pasted
    ``https://myshop.example/wp-admin/...`` or ``.../wp-json/wc/v3`` is cut back to the
    home address; a trailing slash is dropped.

    Raises:
        InvalidStoreUrl: not an http(s) address with a plausible host name.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidStoreUrl("Type your shop's web address, for example https://myshop.example.")
    if any(ch.isspace() for ch in text):
        raise InvalidStoreUrl()
    if "://" not in text:
        if "@" in text:  # owner@myshop.gr: an email address, typed where the shop's goes
            raise InvalidStoreUrl(
                f"“{text}” looks like an email address. Type your shop's web address instead, "
                "as your browser shows it, for example https://myshop.example."
            )
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidStoreUrl() from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidStoreUrl(
            f"ShopGuard talks to stores over https:// (or http://), not {parts.scheme}://. "
            "Type the address as it appears in your browser."
        )
    host = (parts.hostname or "").lower()
    if not _plausible_host(host):
        raise InvalidStoreUrl()
    if parts.username or parts.password:
        raise InvalidStoreUrl(
            "Leave user names and passwords out of the address; ShopGuard asks for the "
            "WooCommerce key separately."
        )
    path = _TRAILING.sub("", parts.path).rstrip("/")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme.lower(), netloc, path, "", ""))


def _plausible_host(host: str) -> bool:
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    if host == "localhost":
        return True
    return "." in host and bool(_HOST.match(host)) and not host.endswith(".")
