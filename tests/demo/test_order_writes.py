"""The writes ShopGuard's order actions make, as WooCommerce answers them: status changes
(PUT or POST /orders/<id>) with their system note and emails, customer and private notes,
and a read-only key refused exactly as WooCommerce refuses it."""

from __future__ import annotations

from typing import Any

import pytest
from woocommerce import API

from shopguard.demo.server import DemoStore
from shopguard.woo.client import WooClient
from shopguard.woo.errors import ReadOnlyKey

WRITE_REFUSED = {
    "code": "woocommerce_rest_authentication_error",
    "message": "The API key provided does not have write permissions.",
    "data": {"status": 401},
}


def _api(store: DemoStore, credentials: tuple[str, str] | None = None) -> API:
    key, secret = credentials or store.credentials
    return API(url=store.url, consumer_key=key, consumer_secret=secret, timeout=10)


def _with_status(store: DemoStore, status: str) -> dict[str, Any]:
    for page in range(1, 4):
        for order in _api(store).get("orders", params={"per_page": 100, "page": page}).json():
            if order["status"] == status:
                return dict(order)
    raise AssertionError(f"no {status} order")


@pytest.mark.parametrize("method", ["put", "post"])
def test_status_change_adds_the_system_note(store: DemoStore, method: str) -> None:
    order = _with_status(store, "processing")
    answer = getattr(_api(store), method)(f"orders/{order['id']}", {"status": "on-hold"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "on-hold"
    notes = _api(store).get(f"orders/{order['id']}/notes").json()
    assert [(n["note"], n["author"], n["customer_note"]) for n in notes] == [
        ("Order status changed from Processing to On hold.", "system", False)
    ]
    assert store.emails() == []  # processing -> on hold emails nobody


def test_cancel_from_on_hold_emails_the_shop_and_sets_nothing_else(store: DemoStore) -> None:
    order = _with_status(store, "on-hold")
    answer = _api(store).put(f"orders/{order['id']}", {"status": "cancelled"})

    assert answer.status_code == 200, answer.text
    after = answer.json()
    assert after["status"] == "cancelled"
    assert after["date_completed_gmt"] == order["date_completed_gmt"]
    assert after["date_modified_gmt"] > order["date_modified_gmt"]
    assert [(e["order_id"], e["email"]) for e in store.emails()] == [
        (order["id"], "cancelled_order")
    ]
    # The same status again is no change: no note, no email.
    again = _api(store).put(f"orders/{order['id']}", {"status": "cancelled"})
    assert again.status_code == 200
    assert len(store.notes(order["id"])) == 1 and len(store.emails()) == 1


def test_customer_note_is_emailed_and_listed_by_type(store: DemoStore) -> None:
    order = _with_status(store, "processing")
    api = _api(store)
    customer = api.post(
        f"orders/{order['id']}/notes", {"note": "Please pay in advance.", "customer_note": True}
    )
    private = api.post(f"orders/{order['id']}/notes", {"note": "Risk: High 80"})

    assert customer.status_code == 201 and customer.json()["customer_note"] is True
    assert private.status_code == 201 and private.json()["customer_note"] is False
    for_customer = api.get(f"orders/{order['id']}/notes", params={"type": "customer"}).json()
    internal = api.get(f"orders/{order['id']}/notes", params={"type": "internal"}).json()
    assert [n["note"] for n in for_customer] == ["Please pay in advance."]
    assert [n["note"] for n in internal] == ["Risk: High 80"]
    assert store.emails() == [
        {
            "order_id": order["id"],
            "email": "customer_note",
            "to": order["billing"]["email"],
            "note": "Please pay in advance.",
        }
    ]


def test_read_only_key_is_refused_before_anything_changes(store: DemoStore) -> None:
    order = _with_status(store, "processing")
    api = _api(store, store.read_only_credentials)
    for answer in (
        api.put(f"orders/{order['id']}", {"status": "cancelled"}),
        api.post(f"orders/{order['id']}", {"status": "cancelled"}),
        api.post(f"orders/{order['id']}/notes", {"note": "x", "customer_note": True}),
        api.put("orders/99999999", {"status": "cancelled"}),  # before the route's own checks
    ):
        assert answer.status_code == 401
        assert answer.json() == WRITE_REFUSED
    assert store.get_order(order["id"])["status"] == "processing"
    assert store.notes(order["id"]) == [] and store.emails() == []
    assert api.get(f"orders/{order['id']}").status_code == 200  # reading is fine


def test_the_client_names_a_read_only_key(store: DemoStore) -> None:
    order = _with_status(store, "processing")
    key, secret = store.read_only_credentials
    with WooClient(store.url, key, secret) as client:
        with pytest.raises(ReadOnlyKey) as held:
            client.update_order(order["id"], {"status": "on-hold"})
        with pytest.raises(ReadOnlyKey):
            client.add_order_note(order["id"], "x", customer_note=True)
    assert "Read/Write" in held.value.message
    assert store.get_order(order["id"])["status"] == "processing"
