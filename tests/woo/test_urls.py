"""Store addresses as shop owners type them."""

from __future__ import annotations

import pytest

from shopguard.woo.errors import InvalidStoreUrl
from shopguard.woo.urls import normalize_store_url


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("myshop.example", "https://myshop.example"),
        ("  https://MyShop.Example/  ", "https://myshop.example"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://myshop.example/wp-admin/admin.php?page=wc-settings", "https://myshop.example"),
        ("https://myshop.example/wp-json/wc/v3/orders", "https://myshop.example"),
        ("https://example.com/shop/wp-json/", "https://example.com/shop"),
        ("https://example.com/shop/?rest_route=/wc/v3", "https://example.com/shop"),
        ("https://μαγαζί.gr", "https://μαγαζί.gr"),
        ("http://localhost:8765", "http://localhost:8765"),
        ("https://[::1]:8443/", "https://[::1]:8443"),
    ],
)
def test_normalizes_what_people_paste(typed: str, expected: str) -> None:
    assert normalize_store_url(typed) == expected


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("", "Type your shop's web address"),
        ("not a url", "web address"),
        ("ftp://shop.example", "not ftp://"),
        ("https://", "web address"),
        ("https://shop", "web address"),
        ("https://shop.example:99999", "web address"),
        ("https://admin:pw@shop.example", "Leave user names and passwords out"),
        ("owner@myshop.gr", "looks like an email address"),
    ],
)
def test_rejects_what_is_not_a_store_address(typed: str, hint: str) -> None:
    with pytest.raises(InvalidStoreUrl) as caught:
        normalize_store_url(typed)
    assert hint in caught.value.message
