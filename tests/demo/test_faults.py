"""``DemoStore.faults``: each switch misbehaves like a real host, then recovers."""

from __future__ import annotations

import json
import time

import pytest
import requests
from woocommerce import API

from shopguard.demo.server import DemoStore

INDEX = "/wp-json/"


def _get(store: DemoStore, path: str = INDEX, **kwargs: object) -> requests.Response:
    return requests.get(store.url + path, timeout=10, **kwargs)  # type: ignore[arg-type]


def test_latency(store: DemoStore) -> None:
    store.faults.latency = 0.2
    started = time.perf_counter()
    assert _get(store).status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_rate_limiting_with_retry_after(store: DemoStore) -> None:
    store.faults.rate_limit_next = 2
    first, second = _get(store), _get(store)
    for response in (first, second):
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "1"
        assert response.json()["code"] == "rest_too_many_requests"
        assert response.json()["data"] == {"status": 429}
    assert _get(store).status_code == 200
    assert store.faults.rate_limit_next == 0
    store.faults.rate_limit_next, store.faults.retry_after = 1, 2.5
    assert _get(store).headers["Retry-After"] == "2.5"


def test_server_errors(store: DemoStore) -> None:
    store.faults.server_error_next = 1
    unavailable = _get(store)
    assert unavailable.status_code == 503
    assert unavailable.headers["Content-Type"].startswith("text/html")
    store.faults.server_error_next, store.faults.server_error_status = 1, 500
    critical = _get(store)
    assert critical.status_code == 500
    assert critical.json()["code"] == "internal_server_error"
    assert _get(store).status_code == 200


def test_html_instead_of_json(store: DemoStore) -> None:
    store.faults.html_next = 1
    page = _get(store)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert "Just a moment..." in page.text
    assert _get(store).headers["Content-Type"].startswith("application/json")


def test_truncated_body(store: DemoStore) -> None:
    whole = _get(store).content
    store.faults.truncate_next = 1
    cut = _get(store)
    assert cut.status_code == 200
    assert cut.content == whole[: len(whole) // 2]  # Content-Length matched what was sent
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.content)


def test_dropped_connection(store: DemoStore) -> None:
    store.faults.drop_next = 1
    with pytest.raises(requests.ConnectionError):
        _get(store)
    assert _get(store).status_code == 200
    assert [r.status for r in store.request_log] == [0, 200]
    assert store.requests_served == 2


def test_plain_permalinks(tls_store: DemoStore) -> None:
    tls_store.faults.plain_permalinks = True
    auth, verify = tls_store.credentials, tls_store.cert_path
    pretty = requests.get(
        tls_store.url + "/wp-json/wc/v3/orders", auth=auth, verify=verify, timeout=10
    )
    assert pretty.status_code == 404
    assert pretty.headers["Content-Type"].startswith("text/html")
    assert "Page not found" in pretty.text
    plain = requests.get(
        tls_store.url + "/",
        params={"rest_route": "/wc/v3/orders", "per_page": "3"},
        auth=auth,
        verify=verify,
        timeout=10,
    )
    assert plain.status_code == 200, plain.text
    assert len(plain.json()) == 3
    assert plain.json()[0]["_links"]["self"][0]["href"].startswith(
        tls_store.url + "/?rest_route=/wc/v3/orders/"
    )
    assert "?rest_route=/wc/v3/orders" in plain.links["next"]["url"]
    index = requests.get(tls_store.url + "/", params={"rest_route": "/"}, verify=verify, timeout=10)
    assert "wc/v3" in index.json()["namespaces"]


def test_woocommerce_inactive(store: DemoStore) -> None:
    store.faults.woocommerce_inactive = True
    key, secret = store.credentials
    api = API(url=store.url, consumer_key=key, consumer_secret=secret, timeout=10)
    response = api.get("orders")
    assert response.status_code == 404
    assert response.json() == {
        "code": "rest_no_route",
        "message": "No route was found matching the URL and request method.",
        "data": {"status": 404},
    }
    assert "wc/v3" not in _get(store).json()["namespaces"]


def test_the_web_pages_around_the_api(store: DemoStore) -> None:
    home = _get(store, "/")
    assert home.status_code == 200 and home.headers["Content-Type"].startswith("text/html")
    assert f'href="{store.url}/wp-json/"' in home.text  # the REST API is announced
    assert _get(store, "/wp-login.php").status_code == 404
