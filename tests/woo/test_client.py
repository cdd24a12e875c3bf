"""The WooCommerce client against the demo store over real loopback HTTP(S).

Each auth mode, pagination and concurrency, retries with Retry-After and backoff, and every
failure a shop owner can meet, with the message they would read.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import requests

from shopguard.demo.server import DemoStore
from shopguard.woo.client import WooClient
from shopguard.woo.errors import (
    AuthenticationFailed,
    Cancelled,
    InvalidResponse,
    NotJson,
    PermissionDenied,
    RateLimited,
    ReadOnlyKey,
    RequestTimedOut,
    ServerError,
    StoreMoved,
    StoreUnreachable,
    TlsFailure,
    WooCommerceNotFound,
)


@pytest.fixture(scope="module")
def http_store() -> Iterator[DemoStore]:
    with DemoStore(orders=450, seed=3) as store:
        yield store


@pytest.fixture(scope="module")
def https_store() -> Iterator[DemoStore]:
    with DemoStore(orders=120, seed=4, tls=True) as store:
        yield store


@pytest.fixture(autouse=True)
def _reset_faults(http_store: DemoStore, https_store: DemoStore) -> Iterator[None]:
    yield
    for store in (http_store, https_store):
        for name, value in vars(type(store.faults)()).items():
            setattr(store.faults, name, value)


class Sleeps:
    """Records the waits the client asks for instead of sleeping through them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def client_for(store: DemoStore, creds: tuple[str, str] | None = None, **kw: Any) -> WooClient:
    key, secret = creds or store.credentials
    if store.url.startswith("https://"):
        kw.setdefault("verify", store.cert_path)
    return WooClient(store.url, key, secret, **kw)


# --------------------------------------------------------------------------- authentication


def test_http_uses_oauth_signed_in_the_query(http_store: DemoStore) -> None:
    http_store.request_log.clear()
    with client_for(http_store) as client:
        info = client.check_connection()
    assert info.auth_mode == "oauth"
    assert info.order_count == http_store.order_count()
    assert info.permissions == "read_write"
    assert not info.header_stripped
    assert {r.auth_method for r in http_store.request_log} == {"oauth"}
    assert all(r.query["oauth_signature_method"] == ["HMAC-SHA256"] for r in http_store.request_log)


def test_https_uses_basic_auth(https_store: DemoStore) -> None:
    https_store.request_log.clear()
    with client_for(https_store) as client:
        info = client.check_connection()
    assert info.auth_mode == "basic"
    assert {r.auth_method for r in https_store.request_log} == {"basic"}
    assert all("consumer_secret" not in r.query for r in https_store.request_log)


def test_stripped_authorization_header_falls_back_to_the_query_string(
    https_store: DemoStore,
) -> None:
    https_store.faults.strip_authorization = True
    with client_for(https_store) as client:
        info = client.check_connection()
        pages = list(client.iter_order_pages(concurrency=3))
    assert info.header_stripped and info.auth_mode == "query"
    assert sum(len(p.orders) for p in pages) == https_store.order_count()
    assert https_store.request_log[-1].auth_method == "query"


def test_query_string_mode_keeps_the_secret_out_of_logs(
    https_store: DemoStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _key, secret = https_store.credentials
    with client_for(https_store, auth_mode="query") as client:
        client.list_orders_page(1, per_page=5)
    # The client's side of the wire only (the demo store plays the shop's web server).
    ours = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("shopguard.demo")
    )
    assert "urllib3" in caplog.text  # the debug lines were there to leak, and did not
    assert "consumer_secret=…" in ours
    assert secret not in ours


@pytest.mark.parametrize("store_name", ["http_store", "https_store"])
def test_wrong_secret_is_refused_with_advice(
    store_name: str, request: pytest.FixtureRequest
) -> None:
    store: DemoStore = request.getfixturevalue(store_name)
    key, _ = store.credentials
    wrong = "cs_" + "0" * 40
    with client_for(store, (key, wrong)) as client, pytest.raises(AuthenticationFailed) as caught:
        client.check_connection()
    message = caught.value.message
    assert "consumer secret" in message
    assert "Settings → Advanced → REST API" in message
    assert wrong not in message and key not in message


@pytest.mark.parametrize("store_name", ["http_store", "https_store"])
def test_unknown_key_is_refused(store_name: str, request: pytest.FixtureRequest) -> None:
    store: DemoStore = request.getfixturevalue(store_name)
    with client_for(store, ("ck_" + "1" * 40, "cs_" + "2" * 40)) as client:
        with pytest.raises(AuthenticationFailed) as caught:
            client.check_connection()
        assert "consumer key" in caught.value.message
        # Basic and the query string both failed: the host did not strip anything.
        assert not client.header_stripped


def test_read_only_key_is_detected_and_writes_are_explained(http_store: DemoStore) -> None:
    with client_for(http_store, http_store.read_only_credentials) as client:
        info = client.check_connection()
        order_id = client.list_orders_page(1, per_page=1).orders[0]["id"]
        with pytest.raises(ReadOnlyKey) as caught:
            client.update_order(order_id, {"status": "on-hold"})
    assert info.permissions == "read"
    assert "Read/Write" in caught.value.message


def test_key_without_permission_gets_403_advice(http_store: DemoStore) -> None:
    with client_for(http_store, http_store.no_permission_credentials) as client:
        with pytest.raises(PermissionDenied) as caught:
            client.check_connection()
    assert caught.value.status == 403
    assert "Shop manager" in caught.value.message


def test_write_only_key_cannot_read(http_store: DemoStore) -> None:
    with client_for(http_store, http_store.write_only_credentials) as client:
        with pytest.raises(PermissionDenied) as caught:
            client.list_orders_page(1)
    assert "Read" in caught.value.message


# --------------------------------------------------------------------------- reading, writing


class CountingSession(requests.Session):
    """A real session that remembers how many requests were in flight at once."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return super().request(*args, **kwargs)
        finally:
            with self._lock:
                self.in_flight -= 1


def test_pages_come_in_order_with_bounded_concurrency(http_store: DemoStore) -> None:
    http_store.faults.latency = 0.05
    session = CountingSession()
    with client_for(http_store, session=session) as client:
        pages = list(client.iter_order_pages({"orderby": "id", "order": "asc"}, concurrency=3))
    assert [p.page for p in pages] == [1, 2, 3, 4, 5]
    assert [p.total_pages for p in pages] == [5] * 5
    ids = [o["id"] for p in pages for o in p.orders]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 450
    assert 2 <= session.most_in_flight <= 3


def test_listing_parameters_reach_the_store(http_store: DemoStore) -> None:
    http_store.request_log.clear()
    with client_for(http_store) as client:
        page = client.list_orders_page(2, per_page=20, params={"status": "completed"})
    assert page.page == 2 and len(page.orders) == 20
    assert {o["status"] for o in page.orders} == {"completed"}
    query = http_store.request_log[-1].query
    assert query["per_page"] == ["20"] and query["page"] == ["2"]


def test_get_update_and_note_round_trip(http_store: DemoStore) -> None:
    with client_for(http_store) as client:
        order_id = client.list_orders_page(1, per_page=1).orders[0]["id"]
        before = client.get_order(order_id)
        after = client.update_order(order_id, {"customer_note": "Leave at the door"})
        note = client.add_order_note(order_id, "Checked by ShopGuard")
    assert after["customer_note"] == "Leave at the door"
    assert after["date_modified_gmt"] >= before["date_modified_gmt"]
    assert note["note"] == "Checked by ShopGuard"
    assert [n["note"] for n in http_store.notes(order_id)] == ["Checked by ShopGuard"]


# --------------------------------------------------------------------------- retries


def test_429_is_retried_honouring_retry_after(http_store: DemoStore) -> None:
    http_store.faults.rate_limit_next = 2
    http_store.faults.retry_after = 7
    sleeps = Sleeps()
    with client_for(http_store, sleep=sleeps) as client:
        page = client.list_orders_page(1)
    assert len(page.orders) == 100
    assert sleeps.delays == [7, 7]


def test_429_beyond_the_retries_says_to_wait(http_store: DemoStore) -> None:
    http_store.faults.rate_limit_next = 100
    http_store.faults.retry_after = 1
    sleeps = Sleeps()
    with client_for(http_store, sleep=sleeps, max_retries=3) as client:
        with pytest.raises(RateLimited) as caught:
            client.list_orders_page(1)
    assert len(sleeps.delays) == 3
    assert "Wait a few minutes" in caught.value.message


def test_a_very_long_retry_after_is_reported_not_slept(http_store: DemoStore) -> None:
    http_store.faults.rate_limit_next = 1
    http_store.faults.retry_after = 600
    sleeps = Sleeps()
    with client_for(http_store, sleep=sleeps) as client, pytest.raises(RateLimited) as caught:
        client.list_orders_page(1)
    assert sleeps.delays == []
    assert "10 minutes" in caught.value.message


def test_server_errors_back_off_exponentially_with_jitter(http_store: DemoStore) -> None:
    http_store.faults.server_error_next = 3
    http_store.faults.server_error_status = 502
    sleeps = Sleeps()
    with client_for(http_store, sleep=sleeps, backoff=1.0) as client:
        assert client.list_orders_page(1).orders
    first, second, third = sleeps.delays
    assert 0.5 <= first <= 1 and 1 <= second <= 2 and 2 <= third <= 4


def test_server_errors_beyond_the_retries(http_store: DemoStore) -> None:
    http_store.faults.server_error_next = 100
    with client_for(http_store, sleep=Sleeps(), max_retries=2) as client:
        with pytest.raises(ServerError) as caught:
            client.list_orders_page(1)
    assert "503" in caught.value.message and "Try again later" in caught.value.message


def test_dropped_connections_are_retried(http_store: DemoStore) -> None:
    http_store.faults.drop_next = 2
    with client_for(http_store, sleep=Sleeps()) as client:
        assert len(client.list_orders_page(1).orders) == 100


def test_connection_that_keeps_dropping(http_store: DemoStore) -> None:
    http_store.faults.drop_next = 100
    with client_for(http_store, sleep=Sleeps(), max_retries=2) as client:
        with pytest.raises(StoreUnreachable) as caught:
            client.list_orders_page(1)
    assert "kept dropping" in caught.value.message


def test_truncated_json_is_retried_then_reported(http_store: DemoStore) -> None:
    http_store.faults.truncate_next = 1
    with client_for(http_store, sleep=Sleeps()) as client:
        assert len(client.list_orders_page(1).orders) == 100
    http_store.faults.truncate_next = 100
    with client_for(http_store, sleep=Sleeps(), max_retries=2) as client:
        with pytest.raises(InvalidResponse) as caught:
            client.list_orders_page(1)
    assert "incomplete or damaged" in caught.value.message


def test_html_instead_of_json_names_the_likely_cause(http_store: DemoStore) -> None:
    http_store.faults.html_next = 1
    sleeps = Sleeps()
    with client_for(http_store, sleep=sleeps) as client, pytest.raises(NotJson) as caught:
        client.list_orders_page(1)
    assert sleeps.delays == []  # a web page does not go away by asking again
    assert "security or firewall plugin" in caught.value.message


def test_timeouts(http_store: DemoStore) -> None:
    http_store.faults.latency = 1.0
    with client_for(http_store, timeout=(2.0, 0.2), sleep=Sleeps()) as client:
        with pytest.raises(RequestTimedOut) as caught:
            client.list_orders_page(1)
    assert "took too long" in caught.value.message


# --------------------------------------------------------------------------- where the API is


def test_plain_permalinks_use_rest_route(http_store: DemoStore) -> None:
    http_store.faults.plain_permalinks = True
    http_store.request_log.clear()
    with client_for(http_store) as client:
        info = client.check_connection()
        pages = list(client.iter_order_pages(concurrency=2))
    assert info.plain_permalinks
    # /wp-json/ answers 404 under this fault: every page came through ?rest_route=.
    assert sum(len(p.orders) for p in pages) == 450


def test_woocommerce_inactive(http_store: DemoStore) -> None:
    http_store.faults.woocommerce_inactive = True
    with client_for(http_store) as client, pytest.raises(WooCommerceNotFound) as caught:
        client.check_connection()
    assert "WooCommerce plugin is active" in caught.value.message
    assert "Permalinks" in caught.value.message


def test_self_signed_certificate_is_a_tls_failure(https_store: DemoStore) -> None:
    with client_for(https_store, verify=True) as client, pytest.raises(TlsFailure) as caught:
        client.check_connection()
    assert "certificate" in caught.value.message


def test_nothing_listening(http_store: DemoStore) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    key, secret = http_store.credentials
    with WooClient(f"http://127.0.0.1:{port}", key, secret) as client:
        with pytest.raises(StoreUnreachable) as caught:
            client.check_connection()
    assert "refused the connection" in caught.value.message


def test_unknown_host_name() -> None:
    with WooClient("https://no-such-shop.invalid", "ck_x", "cs_y") as client:
        with pytest.raises(StoreUnreachable) as caught:
            client.check_connection()
    assert "could not find no-such-shop.invalid" in caught.value.message


def test_missing_key_or_secret() -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        WooClient("https://shop.example", "ck_x", " ")
    assert "both the consumer key and the consumer secret" in caught.value.message


# --------------------------------------------------------------------------- cancelling


def test_cancel_during_a_retry_wait(http_store: DemoStore) -> None:
    http_store.faults.rate_limit_next = 5
    http_store.faults.retry_after = 30
    cancel = threading.Event()
    timer = threading.Timer(0.2, cancel.set)
    timer.start()
    with client_for(http_store, cancel_event=cancel) as client, pytest.raises(Cancelled):
        client.list_orders_page(1)
    timer.cancel()


def test_cancel_while_pages_are_in_flight(http_store: DemoStore) -> None:
    http_store.faults.latency = 0.2
    cancel = threading.Event()
    seen: list[int] = []
    with client_for(http_store, cancel_event=cancel) as client, pytest.raises(Cancelled):
        for page in client.iter_order_pages(concurrency=2):
            seen.append(page.page)
            cancel.set()
    assert seen == [1]


# --------------------------------------------------------------------------- redirects


class _Redirector(BaseHTTPRequestHandler):
    location = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(301)
        self.send_header("Location", self.location.replace("{path}", self.path))
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("https://www.shop.example{path}", StoreMoved),
        ("/wp-login.php?redirect_to=%2Fwp-json%2F", NotJson),
    ],
)
def test_redirects_are_explained_not_followed(location: str, expected: type[Exception]) -> None:
    handler = type("Handler", (_Redirector,), {"location": location})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with WooClient(url, "ck_x", "cs_y") as client, pytest.raises(expected) as caught:
            client.list_orders_page(1)
    finally:
        server.shutdown()
        server.server_close()
    if expected is StoreMoved:
        assert caught.value.new_url == "https://www.shop.example"  # type: ignore[attr-defined]
        assert "Connect the store again" in str(caught.value)
    else:
        assert "login" in str(caught.value)
