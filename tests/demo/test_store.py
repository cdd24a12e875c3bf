"""``DemoStore``'s own API: lifecycle and the helpers tests use to change the shop."""

from __future__ import annotations

import os
import re
import socket
from datetime import UTC, datetime, timedelta

import pytest
import requests
from woocommerce import API

from shopguard.demo.server import DemoStore
from tests.demo.conftest import FROZEN_NOW


def _modified(store: DemoStore, order_id: int) -> datetime:
    return datetime.fromisoformat(store.get_order(order_id)["date_modified_gmt"])


def _newest(store: DemoStore) -> datetime:
    key, secret = store.credentials
    api = API(url=store.url, consumer_key=key, consumer_secret=secret, timeout=10)
    newest = api.get("orders", params={"orderby": "modified", "per_page": 1}).json()[0]
    return datetime.fromisoformat(newest["date_modified_gmt"])


def _listed_after(store: DemoStore, moment: datetime) -> set[int]:
    key, secret = store.credentials
    api = API(url=store.url, consumer_key=key, consumer_secret=secret, timeout=10)
    params = {
        "modified_after": moment.strftime("%Y-%m-%dT%H:%M:%S"),
        "dates_are_gmt": "true",
        "per_page": 100,
    }
    return {o["id"] for o in api.get("orders", params=params).json()}


def test_touch_orders_moves_them_past_everything_else(store: DemoStore) -> None:
    newest = _newest(store)
    touched = store.touch_orders(7)
    assert len(set(touched)) == 7
    stamps = {_modified(store, i) for i in touched}
    assert len(stamps) == 1 and stamps.pop() >= newest + timedelta(seconds=1)
    assert _listed_after(store, newest) == set(touched)
    again = store.touch_orders(3)
    assert _listed_after(store, _modified(store, touched[0])) == set(again)


def test_touch_is_seeded(store: DemoStore) -> None:
    twin = DemoStore(orders=300, seed=5, now=FROZEN_NOW)
    assert store.touch_orders(5) == twin.touch_orders(5)


def test_touch_orders_by_id(store: DemoStore) -> None:
    before = _modified(store, 1005)
    store.touch_orders_by_id([1005, 1006])
    assert _modified(store, 1005) > before
    assert _modified(store, 1005) == _modified(store, 1006)
    with pytest.raises(KeyError):
        store.touch_orders_by_id([999_999])


def test_add_orders(store: DemoStore) -> None:
    count = store.order_count()
    newest = _newest(store)
    added = store.add_orders(3)
    assert store.order_count() == count + 3
    assert min(added) > 1000 + 300 and added == sorted(added)
    for order_id in added:
        order = store.get_order(order_id)
        assert order["date_created_gmt"] == order["date_modified_gmt"]
        assert datetime.fromisoformat(order["date_created_gmt"]) > newest
        assert order["status"] in ("processing", "pending", "on-hold")
    assert _listed_after(store, newest) == set(added)


def test_trash_order(store: DemoStore) -> None:
    count = store.order_count()
    before = _modified(store, 1010)
    store.trash_order(1010)
    assert store.get_order(1010)["status"] == "trash"
    assert _modified(store, 1010) > before
    assert store.order_count() == count - 1
    with pytest.raises(KeyError):
        store.trash_order(999_999)


def test_changes_on_the_real_clock_are_never_in_the_future() -> None:
    with DemoStore(orders=40, seed=2) as store:
        first = store.touch_orders(1)[0]
        second = store.touch_orders(1)[0]
        assert _modified(store, second) > _modified(store, first)
        assert _modified(store, second) <= datetime.now(UTC).replace(tzinfo=None)


def test_url_port_and_lifecycle() -> None:
    store = DemoStore(orders=20, seed=1)
    store.start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", store.url)
        port = int(store.url.rsplit(":", 1)[1])
        busy = DemoStore(orders=5, seed=1, port=port)
        with pytest.raises(OSError):
            busy.start()
        assert requests.get(store.url + "/wp-json/", timeout=10).status_code == 200
    finally:
        store.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(store.url + "/wp-json/", timeout=10)


def test_tls_certificate_lives_while_the_store_runs() -> None:
    with DemoStore(orders=20, seed=1, tls=True) as store:
        assert store.url.startswith("https://127.0.0.1:")
        assert store.cert_path is not None and os.path.exists(store.cert_path)
        cert_path = store.cert_path
        response = requests.get(store.url + "/wp-json/", verify=cert_path, timeout=10)
        assert response.status_code == 200
        localhost = store.url.replace("127.0.0.1", "localhost")
        assert requests.get(localhost + "/wp-json/", verify=cert_path, timeout=10).ok
    assert not os.path.exists(cert_path)


def test_many_concurrent_connections(store: DemoStore) -> None:
    port = int(store.url.rsplit(":", 1)[1])
    connections = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(40)]
    try:
        for connection in connections:
            connection.sendall(b"GET /wp-json/ HTTP/1.1\r\nHost: x\r\n\r\n")
        for connection in connections:
            assert connection.recv(64).startswith(b"HTTP/1.1 200 OK")
    finally:
        for connection in connections:
            connection.close()
