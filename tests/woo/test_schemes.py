"""http/https mix-ups name the scheme to use, not a certificate or a bad connection.

Real loopback servers: the demo store over plain http and over https, and a port that
answers anything with a TLS alert (what some https-only servers do with plain http).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from shopguard.demo.server import DemoStore
from shopguard.woo.client import WooClient
from shopguard.woo.errors import TlsFailure, WrongScheme
from shopguard.woo.schemes import speaks_plain_http, speaks_tls


@pytest.fixture(scope="module")
def http_store() -> Iterator[DemoStore]:
    with DemoStore(orders=20, seed=3) as store:
        yield store


@pytest.fixture(scope="module")
def https_store() -> Iterator[DemoStore]:
    with DemoStore(orders=20, seed=4, tls=True) as store:
        yield store


@pytest.fixture
def tls_alert_port() -> Iterator[int]:
    """A port that answers every connection with a TLS alert record, then closes it."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)  # the request, read: closing then sends no reset
                conn.sendall(b"\x15\x03\x01\x00\x02\x02\x46")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    server.close()
    thread.join(timeout=5)


def test_https_to_a_plain_http_store_says_to_use_http(http_store: DemoStore) -> None:
    key, secret = http_store.credentials
    wrong = http_store.url.replace("http://", "https://")
    with WooClient(wrong, key, secret) as client, pytest.raises(WrongScheme) as caught:
        client.check_connection()
    assert caught.value.suggested_url == http_store.url
    assert "does not answer over https://" in caught.value.message
    assert f"try {http_store.url}, with http:// at the start" in caught.value.message
    assert "certificate" not in caught.value.message


def test_an_address_without_a_scheme_on_a_plain_http_store(http_store: DemoStore) -> None:
    key, secret = http_store.credentials
    bare = http_store.url.removeprefix("http://")
    with WooClient(bare, key, secret) as client, pytest.raises(WrongScheme) as caught:
        client.list_orders_page(1)
    assert caught.value.suggested_url == http_store.url


def test_http_to_an_https_only_store_says_to_use_https(https_store: DemoStore) -> None:
    key, secret = https_store.credentials
    wrong = https_store.url.replace("https://", "http://")
    with WooClient(wrong, key, secret, sleep=lambda _s: None) as client:
        with pytest.raises(WrongScheme) as caught:
            client.check_connection()
    assert caught.value.suggested_url == https_store.url
    assert "answers only over https://" in caught.value.message
    assert "kept dropping" not in caught.value.message


def test_a_tls_alert_to_plain_http_says_to_use_https(tls_alert_port: int) -> None:
    url = f"http://127.0.0.1:{tls_alert_port}"
    with WooClient(url, "ck_x", "cs_y", sleep=lambda _s: None) as client:
        with pytest.raises(WrongScheme) as caught:
            client.check_connection()
    assert caught.value.suggested_url == f"https://127.0.0.1:{tls_alert_port}"


def test_an_untrusted_certificate_is_still_a_certificate_problem(https_store: DemoStore) -> None:
    key, secret = https_store.credentials
    with WooClient(https_store.url, key, secret) as client, pytest.raises(TlsFailure) as caught:
        client.check_connection()
    assert "certificate" in caught.value.message


def test_the_probes(http_store: DemoStore, https_store: DemoStore) -> None:
    assert speaks_plain_http(http_store.url) and not speaks_tls(http_store.url)
    assert speaks_tls(https_store.url) and not speaks_plain_http(https_store.url)
