"""The generated orders: deterministic, shaped like WooCommerce's, internally consistent."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from woocommerce import API

from shopguard.demo.generator import STATUSES, generate
from shopguard.demo.order_json import build_order
from shopguard.demo.server import DemoStore
from tests.demo.conftest import FROZEN_NOW

# The key structure (names only, values nulled) of a real WooCommerce v3 order, taken from
# the documentation's example order.
ORDER_SHAPE = Path(__file__).resolve().parents[1] / "fixtures" / "woocommerce" / "order_shape.json"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
MONEY = re.compile(r"^-?\d+\.\d{2}$")
# Keys current WooCommerce has beyond the (WC 3.0-era) documentation example.
NEWER_KEYS = {"payment_url", "is_editable", "needs_payment", "needs_processing"}
# The orders controller's allowed fields, in its order (reference section 2.2), plus _links.
WOOCOMMERCE_KEYS = [
    "id",
    "parent_id",
    "number",
    "order_key",
    "created_via",
    "version",
    "status",
    "currency",
    "date_created",
    "date_created_gmt",
    "date_modified",
    "date_modified_gmt",
    "discount_total",
    "discount_tax",
    "shipping_total",
    "shipping_tax",
    "cart_tax",
    "total",
    "total_tax",
    "prices_include_tax",
    "customer_id",
    "customer_ip_address",
    "customer_user_agent",
    "customer_note",
    "billing",
    "shipping",
    "payment_method",
    "payment_method_title",
    "transaction_id",
    "date_paid",
    "date_paid_gmt",
    "date_completed",
    "date_completed_gmt",
    "cart_hash",
    "meta_data",
    "line_items",
    "tax_lines",
    "shipping_lines",
    "fee_lines",
    "coupon_lines",
    "refunds",
    "payment_url",
    "is_editable",
    "needs_payment",
    "needs_processing",
    "_links",
]


NOW = int(FROZEN_NOW.timestamp())
HOME = "https://shop.example"


def _generated(count: int, seed: int) -> list[dict[str, Any]]:
    customers, compact = generate(count, seed, NOW)
    return [
        build_order(
            order,
            customers,
            home=HOME,
            rest_url=lambda route: f"{HOME}/wp-json{route}",
            currency="EUR",
            now=NOW,
        )
        for order in compact
    ]


@pytest.fixture(scope="module")
def orders() -> list[dict[str, Any]]:
    return _generated(2000, seed=1)


def _fixture() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ORDER_SHAPE.read_text())
    return data


def test_same_seed_and_now_give_the_same_store() -> None:
    assert _generated(150, seed=42) == _generated(150, seed=42)
    assert _generated(150, seed=42) != _generated(150, seed=43)
    first = DemoStore(orders=10, seed=42, now=FROZEN_NOW)
    second = DemoStore(orders=10, seed=42, now=FROZEN_NOW)
    other = DemoStore(orders=10, seed=43, now=FROZEN_NOW)
    assert first.get_order(1001) == second.get_order(1001)
    assert first.credentials == second.credentials != other.credentials
    key, secret = first.credentials
    assert re.fullmatch(r"ck_[0-9a-f]{40}", key) and re.fullmatch(r"cs_[0-9a-f]{40}", secret)
    roles = {
        first.credentials,
        first.read_only_credentials,
        first.write_only_credentials,
        first.no_permission_credentials,
    }
    assert len(roles) == 4


def test_order_keys_are_woocommerce_s_in_its_order(orders: list[dict[str, Any]]) -> None:
    assert all(list(order) == WOOCOMMERCE_KEYS for order in orders)


def test_order_has_every_key_of_the_woocommerce_example(orders: list[dict[str, Any]]) -> None:
    example = _fixture()
    for order in orders[:50]:
        assert set(order) == set(example) | NEWER_KEYS
        assert [k for k in order if k in example] == list(example)  # same order too
        assert set(example["billing"]) == set(order["billing"])
        assert set(example["shipping"]) | {"phone"} == set(order["shipping"])
        for item in order["line_items"]:
            assert set(example["line_items"][0]) <= set(item)
            assert isinstance(item["price"], int | float)
            assert isinstance(item["quantity"], int)
        for line in order["shipping_lines"]:
            assert set(example["shipping_lines"][0]) <= set(line)
        for line in order["tax_lines"]:
            assert set(example["tax_lines"][0]) <= set(line)
        for meta in order["meta_data"]:
            assert set(meta) == {"id", "key", "value"}
        assert {"self", "collection"} <= set(order["_links"])
        assert ("customer" in order["_links"]) == (order["customer_id"] != 0)


def test_values_are_formatted_like_woocommerce(orders: list[dict[str, Any]]) -> None:
    for order in orders:
        assert order["number"] == str(order["id"])
        assert re.fullmatch(r"wc_order_[A-Za-z0-9]{13}", order["order_key"])
        assert order["currency"] == "EUR"
        for name in ("date_created", "date_modified", "date_paid", "date_completed"):
            local, gmt = order[name], order[f"{name}_gmt"]
            assert (local is None) == (gmt is None)
            if gmt is not None:
                assert DATE.match(local) and DATE.match(gmt)
                shift = datetime.fromisoformat(local) - datetime.fromisoformat(gmt)
                assert shift == timedelta(hours=2)
        for name in ("discount_total", "shipping_total", "cart_tax", "total", "total_tax"):
            assert MONEY.match(order[name]), (name, order[name])


def test_totals_add_up(orders: list[dict[str, Any]]) -> None:
    for order in orders:
        items = sum(Decimal(i["total"]) for i in order["line_items"])
        fees = sum(Decimal(f["total"]) for f in order["fee_lines"])
        shipping = Decimal(order["shipping_total"])
        assert Decimal(order["total"]) == items + fees + shipping + Decimal(order["total_tax"])
        assert Decimal(order["total_tax"]) == Decimal(order["cart_tax"]) + Decimal(
            order["shipping_tax"]
        )
        for item in order["line_items"]:
            assert Decimal(str(item["price"])) * item["quantity"] == Decimal(item["total"])
        if order["status"] == "refunded":
            assert order["refunds"][0]["total"] == "-" + order["total"]


def test_dates_follow_the_status(orders: list[dict[str, Any]]) -> None:
    now = FROZEN_NOW.replace(tzinfo=None)
    for order in orders:
        created = datetime.fromisoformat(order["date_created_gmt"])
        modified = datetime.fromisoformat(order["date_modified_gmt"])
        assert now - timedelta(days=731) < created <= modified < now
        if order["status"] in ("completed", "refunded"):
            assert order["date_completed_gmt"] is not None
            assert order["date_paid_gmt"] is not None
        if order["status"] in ("pending", "failed", "cancelled", "on-hold"):
            assert order["date_completed_gmt"] is None
        if order["date_paid_gmt"]:
            assert created <= datetime.fromisoformat(order["date_paid_gmt"]) <= modified


def test_a_realistic_mix(orders: list[dict[str, Any]]) -> None:
    statuses = Counter(o["status"] for o in orders)
    assert set(statuses) == set(STATUSES)
    assert statuses["completed"] > len(orders) / 2
    assert {o["payment_method"] for o in orders} == {"cod", "stripe", "bacs", "paypal"}
    assert {o["billing"]["country"] for o in orders} >= {"GR", "GB", "DE", "FR", "IT", "ES"}
    methods = {line["method_id"] for o in orders for line in o["shipping_lines"]}
    assert methods == {"flat_rate", "free_shipping", "local_pickup"}
    registered = Counter(o["customer_id"] for o in orders if o["customer_id"])
    assert registered.most_common(1)[0][1] > 5  # regulars come back
    assert sum(1 for o in orders if o["customer_id"] == 0) > 100  # and guests buy too
    ids = [o["id"] for o in orders]
    created = [o["date_created_gmt"] for o in orders]
    assert ids == sorted(ids) and ids[0] == 1001
    assert created == sorted(created)  # ids grow with time, like post ids


def test_awkward_but_real_cases_exist(orders: list[dict[str, Any]]) -> None:
    names = {(o["billing"]["first_name"], o["billing"]["last_name"]) for o in orders}
    assert ("Siobhan", "O'Brien") in names
    assert any(re.search("[α-ω]", o["billing"]["last_name"]) for o in orders)  # Greek script
    assert any(o["billing"]["company"] for o in orders)
    assert any(len(o["billing"]["address_2"]) > 100 for o in orders)
    pickups = [
        o for o in orders if any(s["method_id"] == "local_pickup" for s in o["shipping_lines"])
    ]
    assert pickups and all(not any(p["shipping"].values()) for p in pickups)
    greek = [o for o in orders if o["billing"]["country"] == "GR"]
    assert all(re.fullmatch(r"\d{3} \d{2}", o["billing"]["postcode"]) for o in greek)
    uk = [o for o in orders if o["billing"]["country"] == "GB"]
    assert all(
        re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}", o["billing"]["postcode"]) for o in uk
    )
    emails = [o["billing"]["email"] for o in orders if o["billing"]["email"]]
    assert all(e.isascii() and "@" in e for e in emails)


def test_a_hundred_thousand_order_store_builds_and_serves() -> None:
    with DemoStore(orders=100_000, seed=3, now=FROZEN_NOW) as store:
        assert store.order_count() == 100_000
        api = API(
            url=store.url, consumer_key=store.credentials[0], consumer_secret=store.credentials[1]
        )
        response = api.get("orders", params={"per_page": 100, "page": 1000, "orderby": "id"})
        assert response.status_code == 200
        assert response.headers["X-WP-Total"] == "100000"
        assert response.headers["X-WP-TotalPages"] == "1000"
        page = response.json()
        assert len(page) == 100 and page[-1]["id"] == 1001  # desc: the last page ends first
