"""``/wc/v3/orders``: listing (pagination, filters, validation) and the write routes."""

from __future__ import annotations

import http.client
import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from woocommerce import API

from shopguard.demo.server import DemoStore
from tests.demo.conftest import FROZEN_NOW
from tests.demo.support import oauth_request

ORDERS = "/wp-json/wc/v3/orders"


@pytest.fixture(scope="module")
def everything(shared_tls_store: DemoStore) -> list[dict[str, Any]]:
    """Every order of the shared store, by id."""
    session = requests.Session()
    session.auth = shared_tls_store.credentials
    session.verify = shared_tls_store.cert_path or True
    session.trust_env = False  # else REQUESTS_CA_BUNDLE would override session.verify
    orders: list[dict[str, Any]] = []
    for page in (1, 2, 3, 4):
        response = session.get(
            shared_tls_store.url + ORDERS, params={"per_page": 100, "page": page, "orderby": "id"}
        )
        orders += response.json()
    session.close()
    return sorted(orders, key=lambda o: o["id"])


def _get(api: requests.Session, store: DemoStore, **params: Any) -> requests.Response:
    return api.get(store.url + ORDERS, params=params)


def _ids(response: requests.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [o["id"] for o in response.json()]


def _official(store: DemoStore) -> API:
    key, secret = store.credentials
    return API(url=store.url, consumer_key=key, consumer_secret=secret, timeout=10)


# ---------------------------------------------------------------- listing


def test_pagination_headers_and_links(api: requests.Session, shared_tls_store: DemoStore) -> None:
    response = _get(api, shared_tls_store, per_page=100, page=2, orderby="id")
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert response.headers["X-WP-Total"] == "400"
    assert response.headers["X-WP-TotalPages"] == "4"
    assert set(response.links) == {"prev", "next"}
    next_url = urlsplit(response.links["next"]["url"])
    assert f"{next_url.scheme}://{next_url.netloc}{next_url.path}" == shared_tls_store.url + ORDERS
    query = parse_qs(next_url.query)
    assert query["page"] == ["3"] and query["per_page"] == ["100"] and query["orderby"] == ["id"]
    # Like WooCommerce, the links also carry what it set while answering.
    assert query["status[0]"] == ["any"] and query["dp"] == ["2"] and query["context"] == ["view"]
    assert parse_qs(urlsplit(response.links["prev"]["url"]).query)["page"] == ["1"]

    first = _get(api, shared_tls_store)
    assert len(first.json()) == 10  # default per_page
    assert set(first.links) == {"next"}
    beyond = _get(api, shared_tls_store, per_page=100, page=9)
    assert beyond.status_code == 200 and beyond.json() == []
    assert beyond.headers["X-WP-Total"] == "400" and beyond.headers["X-WP-TotalPages"] == "4"
    assert set(beyond.links) == {"prev"}
    assert parse_qs(urlsplit(beyond.links["prev"]["url"]).query)["page"] == ["4"]


def test_per_page_over_100_is_refused(api: requests.Session, shared_tls_store: DemoStore) -> None:
    response = _get(api, shared_tls_store, per_page=500)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "rest_invalid_param"
    assert body["message"] == "Invalid parameter(s): per_page"
    assert body["data"]["status"] == 400
    assert body["data"]["params"] == {
        "per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"
    }
    assert body["data"]["details"]["per_page"]["code"] == "rest_out_of_bounds"


@pytest.mark.parametrize(
    ("params", "invalid"),
    [
        ({"page": "0"}, {"page": "page must be greater than or equal to 1"}),
        ({"per_page": "ten"}, {"per_page": "per_page is not of type integer."}),
        ({"modified_after": "2024-06-01"}, {"modified_after": "Invalid date."}),
        ({"order": "up", "orderby": "price"}, {"order": "order is not one of asc and desc."}),
        ({"dates_are_gmt": "yes"}, {"dates_are_gmt": "dates_are_gmt is not of type boolean."}),
        (
            {"status": "shipped"},
            {
                "status[0]": "status[0] is not one of any, trash, pending, processing, on-hold, "
                "completed, cancelled, refunded, failed, and checkout-draft."
            },
        ),
    ],
)
def test_invalid_parameters(
    api: requests.Session,
    shared_tls_store: DemoStore,
    params: dict[str, str],
    invalid: dict[str, str],
) -> None:
    body = _get(api, shared_tls_store, **params).json()
    assert body["code"] == "rest_invalid_param"
    for name, message in invalid.items():
        assert body["data"]["params"][name] == message


def test_validation_comes_before_authentication(shared_tls_store: DemoStore) -> None:
    response = requests.get(
        shared_tls_store.url + ORDERS,
        params={"per_page": 500},
        verify=shared_tls_store.cert_path,
        timeout=10,
    )
    assert response.status_code == 400


def test_default_order_is_newest_first_with_id_ties(
    api: requests.Session, shared_tls_store: DemoStore, everything: list[dict[str, Any]]
) -> None:
    expected = sorted(everything, key=lambda o: (o["date_created_gmt"], o["id"]), reverse=True)
    assert _ids(_get(api, shared_tls_store, per_page=100)) == [o["id"] for o in expected[:100]]
    by_modified = sorted(everything, key=lambda o: (o["date_modified_gmt"], o["id"]))
    got = _ids(_get(api, shared_tls_store, per_page=100, page=2, orderby="modified", order="asc"))
    assert got == [o["id"] for o in by_modified[100:200]]


def test_modified_after_and_dates_are_gmt(
    api: requests.Session, shared_tls_store: DemoStore, everything: list[dict[str, Any]]
) -> None:
    cutoff_order = sorted(everything, key=lambda o: o["date_modified_gmt"])[300]
    cutoff = cutoff_order["date_modified_gmt"]
    expected = {o["id"] for o in everything if o["date_modified_gmt"] > cutoff}
    gmt = _get(api, shared_tls_store, modified_after=cutoff, dates_are_gmt="true", per_page=100)
    assert set(_ids(gmt)) == expected  # exclusive: the cutoff order itself is not in it
    assert cutoff_order["id"] not in expected
    local = _get(api, shared_tls_store, modified_after=cutoff_order["date_modified"], per_page=100)
    assert set(_ids(local)) == expected
    # A bound with an offset is converted to site time, then compared with the GMT column:
    # two hours off, like on a real store (send a bare UTC time with dates_are_gmt=true).
    shifted_cutoff = (datetime.fromisoformat(cutoff) + timedelta(hours=2)).isoformat()
    zulu = _get(
        api, shared_tls_store, modified_after=cutoff + "Z", dates_are_gmt="true", per_page=100
    )
    assert set(_ids(zulu)) == {
        o["id"] for o in everything if o["date_modified_gmt"] > shifted_cutoff
    }
    before = _get(api, shared_tls_store, before=cutoff_order["date_created"], per_page=100)
    created_cutoff = cutoff_order["date_created_gmt"]
    expected_before = [o for o in everything if o["date_created_gmt"] < created_cutoff]
    assert before.headers["X-WP-Total"] == str(len(expected_before))


def test_status_filters(
    api: requests.Session, shared_tls_store: DemoStore, everything: list[dict[str, Any]]
) -> None:
    wanted = {"completed", "cancelled"}
    expected = {o["id"] for o in everything if o["status"] in wanted}
    url = shared_tls_store.url + ORDERS
    as_array = api.get(url + "?status[]=completed&status[]=cancelled&per_page=100&page=1")
    total = int(as_array.headers["X-WP-Total"])
    assert total == len(expected)
    as_list = _get(api, shared_tls_store, status="completed,cancelled", per_page=100)
    assert as_list.headers["X-WP-Total"] == str(total)
    ids: set[int] = set()
    for page in range(1, total // 100 + 2):
        ids |= set(
            _ids(_get(api, shared_tls_store, status="completed,cancelled", per_page=100, page=page))
        )
    assert ids == expected
    single = _get(api, shared_tls_store, status="failed", per_page=100)
    assert {o["status"] for o in single.json()} == {"failed"}


def test_include_exclude_customer_offset(
    api: requests.Session, shared_tls_store: DemoStore, everything: list[dict[str, Any]]
) -> None:
    picked = [everything[7]["id"], everything[2]["id"], everything[30]["id"]]
    included = _get(api, shared_tls_store, include=",".join(map(str, picked)), orderby="include")
    assert _ids(included) == picked
    excluded = _get(
        api, shared_tls_store, exclude=picked[0], per_page=100, orderby="id", order="asc"
    )
    assert picked[0] not in _ids(excluded)
    customer = next(o["customer_id"] for o in everything if o["customer_id"])
    theirs = _get(api, shared_tls_store, customer=customer, per_page=100)
    assert set(_ids(theirs)) == {o["id"] for o in everything if o["customer_id"] == customer}
    offset = _get(api, shared_tls_store, offset=5, per_page=3, orderby="id", order="asc")
    assert _ids(offset) == [o["id"] for o in everything[5:8]]


def test_search(
    api: requests.Session, shared_tls_store: DemoStore, everything: list[dict[str, Any]]
) -> None:
    someone = next(o for o in everything if o["billing"]["country"] == "GR")
    last_name = someone["billing"]["last_name"]
    found = _get(api, shared_tls_store, search=last_name.upper(), per_page=100)
    assert someone["id"] in _ids(found)
    assert all(
        last_name.casefold() in json.dumps(o["billing"], ensure_ascii=False).casefold()
        or last_name.casefold() in json.dumps(o["shipping"], ensure_ascii=False).casefold()
        for o in found.json()
    )
    by_email = _get(api, shared_tls_store, search=someone["billing"]["email"], per_page=100)
    assert someone["id"] in _ids(by_email)
    by_id = _get(api, shared_tls_store, search=str(someone["id"]), per_page=100)
    assert someone["id"] in _ids(by_id)


def test_fields_trim_the_objects(api: requests.Session, shared_tls_store: DemoStore) -> None:
    trimmed = _get(api, shared_tls_store, _fields="id,status,billing.email")
    assert all(set(o) == {"id", "status", "billing"} for o in trimmed.json())
    assert all(set(o["billing"]) == {"email"} for o in trimmed.json())
    links = _get(api, shared_tls_store, _fields="id,_links").json()
    assert all(set(o) == {"id", "_links"} for o in links)
    assert "_links" in _get(api, shared_tls_store).json()[0]


def test_single_order_and_unknown_ids(api: requests.Session, shared_tls_store: DemoStore) -> None:
    response = api.get(f"{shared_tls_store.url}{ORDERS}/1001")
    assert response.status_code == 200
    assert response.json() == shared_tls_store.get_order(1001)
    for missing in (0, 999_999):
        gone = api.get(f"{shared_tls_store.url}{ORDERS}/{missing}")
        assert gone.status_code == 404
        assert gone.json() == {
            "code": "woocommerce_rest_shop_order_invalid_id",
            "message": "Invalid ID.",
            "data": {"status": 404},
        }
    nowhere = api.get(f"{shared_tls_store.url}/wp-json/wc/v3/refunds-and-more")
    assert nowhere.status_code == 404
    assert nowhere.json() == {
        "code": "rest_no_route",
        "message": "No route was found matching the URL and request method.",
        "data": {"status": 404},
    }
    with pytest.raises(KeyError):
        shared_tls_store.get_order(999_999)


def test_system_status(api: requests.Session, shared_tls_store: DemoStore) -> None:
    body = api.get(f"{shared_tls_store.url}/wp-json/wc/v3/system_status").json()
    assert body["environment"]["version"] == "9.4.0"
    assert body["settings"]["currency"] == "EUR"


def test_gzip_and_content_length(api: requests.Session, shared_tls_store: DemoStore) -> None:
    url = shared_tls_store.url + ORDERS
    zipped = api.get(url, headers={"Accept-Encoding": "gzip"}, stream=True)
    raw = zipped.raw.read(decode_content=False)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert int(zipped.headers["Content-Length"]) == len(raw)
    plain = api.get(url, headers={"Accept-Encoding": "identity"}, stream=True)
    body = plain.raw.read(decode_content=False)
    assert "Content-Encoding" not in plain.headers
    assert int(plain.headers["Content-Length"]) == len(body)
    assert b"\\/wp-json\\/" in body  # WordPress escapes slashes in JSON


def test_keep_alive_and_head(store: DemoStore) -> None:
    port = int(store.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    sockets = set()
    for _ in range(3):
        connection.request("GET", "/wp-json/")
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["namespaces"]
        sockets.add(id(connection.sock))
    assert len(sockets) == 1  # one connection served all three
    connection.request("HEAD", "/wp-json/")
    head = connection.getresponse()
    assert head.status == 200 and head.read() == b""
    assert int(head.getheader("Content-Length") or 0) > 0
    connection.close()


# ---------------------------------------------------------------- writing


def test_update_an_order(store: DemoStore) -> None:
    before = store.get_order(1001)
    api = _official(store)
    response = api.put(
        "orders/1001",
        {
            "status": "on-hold",
            "customer_note": "Ελέγξτε τη διεύθυνση",
            "billing": {"phone": "+30 6900000000"},
            "meta_data": [
                {"key": "_shopguard_risk", "value": "high"},
                {"key": "is_vat_exempt", "value": "yes"},
            ],
        },
    )
    assert response.status_code == 200, response.text
    after = response.json()
    assert after == store.get_order(1001)
    assert after["status"] == "on-hold"
    assert after["customer_note"] == "Ελέγξτε τη διεύθυνση"
    assert after["billing"]["phone"] == "+30 6900000000"
    assert after["billing"]["email"] == before["billing"]["email"]
    meta = {m["key"]: m for m in after["meta_data"]}
    assert meta["_shopguard_risk"]["value"] == "high"
    assert meta["is_vat_exempt"]["value"] == "yes"
    assert (
        meta["is_vat_exempt"]["id"]
        == {m["key"]: m for m in before["meta_data"]}["is_vat_exempt"]["id"]
    )
    assert after["date_modified_gmt"] > before["date_modified_gmt"]
    assert after["date_modified_gmt"] >= FROZEN_NOW.strftime("%Y-%m-%dT%H:%M:%S")
    newest = api.get("orders", params={"orderby": "modified", "per_page": 1}).json()
    assert newest[0]["id"] == 1001


def test_bad_updates(store: DemoStore) -> None:
    path = f"{ORDERS}/1001"
    broken = oauth_request(
        "PUT",
        store.url,
        path,
        [],
        store.credentials,
        data=b'{"status": ',
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    assert broken.json()["code"] == "rest_invalid_json"
    assert broken.json()["message"] == "Invalid JSON body passed."
    wrong = _official(store).put("orders/1001", {"status": "shipped"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "rest_invalid_param"
    assert store.get_order(1001)["status"] != "shipped"


def test_notes(store: DemoStore) -> None:
    api = _official(store)
    created = api.post(
        "orders/1002/notes", {"note": "Τηλεφώνησα στον πελάτη", "customer_note": False}
    )
    assert created.status_code == 201, created.text
    note = created.json()
    assert {"id", "author", "date_created", "date_created_gmt", "note", "customer_note"} <= set(
        note
    )
    assert note["note"] == "Τηλεφώνησα στον πελάτη" and note["customer_note"] is False
    assert created.headers["Location"].endswith(f"/orders/1002/notes/{note['id']}")
    listed = api.get("orders/1002/notes").json()
    assert [n["id"] for n in listed] == [note["id"]]
    assert [n["note"] for n in store.notes(1002)] == ["Τηλεφώνησα στον πελάτη"]
    missing = api.post("orders/1002/notes", {})
    assert missing.status_code == 400
    assert missing.json() == {
        "code": "rest_missing_callback_param",
        "message": "Missing parameter(s): note",
        "data": {"status": 400, "params": ["note"]},
    }
    nowhere = api.post("orders/999999/notes", {"note": "x"})
    assert (
        nowhere.status_code == 404 and nowhere.json()["code"] == "woocommerce_rest_order_invalid_id"
    )


def test_delete_trashes_then_deletes(store: DemoStore) -> None:
    api = _official(store)
    count = store.order_count()
    status = store.get_order(1003)["status"]
    trashed = api.delete("orders/1003")
    assert trashed.status_code == 200
    assert trashed.json()["status"] == status  # the order as it was
    assert store.get_order(1003)["status"] == "trash"
    assert store.order_count() == count - 1
    listed = api.get("orders", params={"status": "trash"}).json()
    assert [o["id"] for o in listed] == [1003]
    again = api.delete("orders/1003")
    assert again.status_code == 410
    assert again.json()["code"] == "woocommerce_rest_already_trashed"
    forced = api.delete("orders/1003", params={"force": "true"})
    assert forced.status_code == 200
    assert api.get("orders/1003").status_code == 404
    assert api.delete("orders/1004", params={"force": "true"}).status_code == 200
    assert store.order_count() == count - 2
