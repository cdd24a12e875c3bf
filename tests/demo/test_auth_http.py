"""Authentication over the wire, checked with the official ``woocommerce`` client where it can.

http: OAuth 1.0a only. https: Basic or query-string keys first, then OAuth.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from requests_oauthlib import OAuth1
from woocommerce import API
from woocommerce.oauth import OAuth

from shopguard.demo.server import DemoStore
from tests.demo.support import oauth_params, oauth_request

CANNOT_LIST = {
    "code": "woocommerce_rest_cannot_view",
    "message": "Sorry, you cannot list resources.",
    "data": {"status": 401},
}


def _auth_error(message: str) -> dict[str, Any]:
    return {
        "code": "woocommerce_rest_authentication_error",
        "message": message,
        "data": {"status": 401},
    }


def _client(store: DemoStore, credentials: tuple[str, str] | None = None, **kwargs: Any) -> API:
    key, secret = credentials or store.credentials
    if store.tls:
        kwargs.setdefault("verify_ssl", store.cert_path)
    return API(url=store.url, consumer_key=key, consumer_secret=secret, timeout=10, **kwargs)


def test_official_client_oauth_over_http(store: DemoStore) -> None:
    response = _client(store).get("orders", params={"per_page": 20, "order": "asc"})
    assert response.status_code == 200, response.text
    assert len(response.json()) == 20
    assert store.request_log[-1].auth_method == "oauth"
    note = _client(store).post("orders/1001/notes", {"note": "Called the customer"})
    assert note.status_code == 201, note.text


def test_official_client_basic_over_https(tls_store: DemoStore) -> None:
    assert tls_store.url.startswith("https://")
    response = _client(tls_store).get("orders", params={"per_page": 5})
    assert response.status_code == 200, response.text
    assert tls_store.request_log[-1].auth_method == "basic"


def test_official_client_query_string_keys_over_https(tls_store: DemoStore) -> None:
    response = _client(tls_store, query_string_auth=True).get("orders")
    assert response.status_code == 200, response.text
    assert tls_store.request_log[-1].auth_method == "query"
    assert "consumer_secret" in tls_store.request_log[-1].query


def test_oauth_also_works_over_https(tls_store: DemoStore) -> None:
    path = "/wp-json/wc/v3/orders"
    response = oauth_request(
        "GET", tls_store.url, path, [], tls_store.credentials, verify=tls_store.cert_path
    )
    assert response.status_code == 200, response.text


def test_wrong_secret_with_basic_auth(tls_store: DemoStore) -> None:
    key, _secret = tls_store.credentials
    response = _client(tls_store, (key, "cs_" + "0" * 40)).get("orders")
    assert response.status_code == 401
    assert response.json() == _auth_error("Consumer secret is invalid.")
    assert response.headers["WWW-Authenticate"] == (
        'Basic realm="WooCommerce API. Use a consumer key in the username field and a '
        'consumer secret in the password field."'
    )


def test_wrong_secret_or_key_with_oauth(store: DemoStore) -> None:
    key, _secret = store.credentials
    wrong_secret = _client(store, (key, "cs_" + "0" * 40)).get("orders")
    assert wrong_secret.status_code == 401
    assert wrong_secret.json() == _auth_error(
        "Invalid signature - provided signature does not match."
    )
    unknown = _client(store, ("ck_" + "1" * 40, "cs_" + "0" * 40)).get("orders")
    assert unknown.json() == _auth_error("Consumer key is invalid.")


def test_unknown_key_over_basic_is_just_anonymous(tls_store: DemoStore) -> None:
    response = _client(tls_store, ("ck_" + "1" * 40, "cs_" + "0" * 40)).get("orders")
    assert response.status_code == 401
    assert response.json() == CANNOT_LIST
    single = _client(tls_store, ("ck_" + "1" * 40, "cs_" + "0" * 40)).get("orders/1001")
    assert single.json()["message"] == "Sorry, you cannot view this resource."


def test_basic_and_query_keys_are_ignored_over_http(store: DemoStore) -> None:
    url = f"{store.url}/wp-json/wc/v3/orders"
    basic = requests.get(url, auth=store.credentials, timeout=10)
    assert basic.status_code == 401 and basic.json() == CANNOT_LIST
    key, secret = store.credentials
    query = requests.get(url, params={"consumer_key": key, "consumer_secret": secret}, timeout=10)
    assert query.status_code == 401 and query.json() == CANNOT_LIST
    assert [r.auth_method for r in store.request_log] == ["none", "none"]


def test_stripped_authorization_header(tls_store: DemoStore) -> None:
    tls_store.faults.strip_authorization = True
    basic = _client(tls_store).get("orders")
    assert basic.status_code == 401 and basic.json() == CANNOT_LIST
    query = _client(tls_store, query_string_auth=True).get("orders")
    assert query.status_code == 200, query.text


def test_write_probe_tells_key_permissions_apart(store: DemoStore) -> None:
    read_write = _client(store).put("orders/0", {})
    assert read_write.status_code == 400
    assert read_write.json() == {
        "code": "woocommerce_rest_shop_order_invalid_id",
        "message": "Invalid ID.",
        "data": {"status": 400},
    }
    read_only = _client(store, store.read_only_credentials).put("orders/0", {})
    assert read_only.status_code == 401
    assert read_only.json() == _auth_error("The API key provided does not have write permissions.")
    assert _client(store, store.read_only_credentials).get("orders").status_code == 200
    # Key permissions come before the route: even an unknown route says so.
    nowhere = _client(store, store.read_only_credentials).delete("no-such-route")
    assert nowhere.json()["message"] == "The API key provided does not have write permissions."


def test_write_only_key_cannot_read(store: DemoStore) -> None:
    response = _client(store, store.write_only_credentials).get("orders")
    assert response.status_code == 401
    assert response.json() == _auth_error("The API key provided does not have read permissions.")


def test_key_of_a_user_without_the_capability(store: DemoStore) -> None:
    response = _client(store, store.no_permission_credentials).get("orders")
    assert response.status_code == 403
    assert response.json() == {
        "code": "woocommerce_rest_cannot_view",
        "message": "Sorry, you cannot list resources.",
        "data": {"status": 403},
    }


def test_anonymous_write_probe_is_refused(store: DemoStore) -> None:
    response = requests.put(f"{store.url}/wp-json/wc/v3/orders/0", json={}, timeout=10)
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_cannot_edit"


def test_a_nonce_is_used_once(store: DemoStore) -> None:
    signed = OAuth(
        url=f"{store.url}/wp-json/wc/v3/orders",
        consumer_key=store.credentials[0],
        consumer_secret=store.credentials[1],
        version="wc/v3",
        method="GET",
    ).get_oauth_url()
    assert requests.get(signed, timeout=10).status_code == 200
    replay = requests.get(signed, timeout=10)
    assert replay.status_code == 401
    assert replay.json() == _auth_error("Invalid nonce - nonce has already been used.")


def test_old_timestamps_and_sha1(store: DemoStore) -> None:
    path = "/wp-json/wc/v3/orders"
    stale = oauth_params(
        "GET", store.url + path, [], store.credentials, timestamp=int(time.time()) - 16 * 60
    )
    response = requests.get(store.url + path, params=stale, timeout=10)
    assert response.json() == _auth_error("Invalid timestamp.")
    sha1 = oauth_params("GET", store.url + path, [], store.credentials, algorithm="HMAC-SHA1")
    assert requests.get(store.url + path, params=sha1, timeout=10).status_code == 200
    md5 = [(k, "HMAC-MD5" if k == "oauth_signature_method" else v) for k, v in sha1]
    invalid = requests.get(store.url + path, params=md5, timeout=10)
    assert invalid.json() == _auth_error("Invalid signature - signature method is invalid.")


def test_missing_oauth_parameters(store: DemoStore) -> None:
    response = requests.get(
        f"{store.url}/wp-json/wc/v3/orders",
        params={"oauth_consumer_key": store.credentials[0], "oauth_nonce": "x"},
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_authentication_missing_parameter"
    assert response.json()["message"] == (
        "Missing OAuth parameters oauth_timestamp, oauth_signature, oauth_signature_method"
    )


def test_oauth_in_the_authorization_header(store: DemoStore) -> None:
    key, secret = store.credentials
    auth = OAuth1(key, client_secret=secret, signature_method="HMAC-SHA256")
    response = requests.get(
        f"{store.url}/wp-json/wc/v3/orders", params={"per_page": 3}, auth=auth, timeout=10
    )
    assert response.status_code == 200, response.text
    store.faults.strip_authorization = True
    stripped = requests.get(f"{store.url}/wp-json/wc/v3/orders", auth=auth, timeout=10)
    assert stripped.json() == CANNOT_LIST


def test_arrays_sign_with_php_indexes(store: DemoStore) -> None:
    path = "/wp-json/wc/v3/orders"
    params = [("status[]", "completed"), ("status[]", "cancelled")]
    response = oauth_request("GET", store.url, path, params, store.credentials)
    assert response.status_code == 200, response.text
    assert {o["status"] for o in response.json()} <= {"completed", "cancelled"}
    # The official client cannot send arrays: it signs "['completed', ...]" instead.
    official = _client(store).get("orders", params={"status": ["completed", "cancelled"]})
    assert official.status_code == 401


def test_discovery_needs_no_key(store: DemoStore) -> None:
    index = requests.get(f"{store.url}/wp-json/", timeout=10)
    assert index.status_code == 200
    assert "wc/v3" in index.json()["namespaces"]
    assert index.json()["home"] == store.url
    namespace = requests.get(f"{store.url}/wp-json/wc/v3", timeout=10)
    assert namespace.status_code == 200 and namespace.json()["namespace"] == "wc/v3"


@pytest.mark.parametrize(
    "path", ["/?rest_route=/wc/v3/orders", "/index.php?rest_route=/wc/v3/orders"]
)
def test_plain_permalink_routes_sign_against_the_home_url(store: DemoStore, path: str) -> None:
    store.faults.plain_permalinks = True
    script = path.split("?")[0].lstrip("/")
    # WooCommerce signs get_home_url(null, <request path without the leading "/">): the bare
    # home URL for "/", no trailing slash.
    signed_url = f"{store.url}/{script}" if script else store.url
    params = [("rest_route", "/wc/v3/orders"), ("per_page", "2")]
    response = oauth_request(
        "GET", store.url, path.split("?")[0], params, store.credentials, signed_url=signed_url
    )
    assert response.status_code == 200, response.text
    assert len(response.json()) == 2
    assert store.request_log[-1].path == "/wp-json/wc/v3/orders"
    assert "rest_route" not in store.request_log[-1].query


def test_oauthlib_signs_rest_route_requests_with_a_slash(store: DemoStore) -> None:
    """requests-oauthlib signs ``http://host/`` for ``/?rest_route=``: WooCommerce refuses."""
    key, secret = store.credentials
    auth = OAuth1(key, client_secret=secret, signature_method="HMAC-SHA256")
    root = requests.get(
        f"{store.url}/", params={"rest_route": "/wc/v3/orders"}, auth=auth, timeout=10
    )
    assert root.status_code == 401
    assert root.json()["message"] == "Invalid signature - provided signature does not match."
    # With /index.php the signed URL has a path, and both sides agree.
    script = requests.get(
        f"{store.url}/index.php", params={"rest_route": "/wc/v3/orders"}, auth=auth, timeout=10
    )
    assert script.status_code == 200, script.text
