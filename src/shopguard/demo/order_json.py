"""A compact ``DemoOrder`` as the full WooCommerce order object (``GET /wc/v3/orders/<id>``).

Everything not kept on the compact order (items, addresses of gifts, keys, IPs, meta) is
drawn from the order's own seed, so an order looks the same every time it is served. The
key order and types follow WooCommerce's orders controller (``get_formatted_item_data``),
which is also the order of the documentation's example.
"""

from __future__ import annotations

import copy
import hashlib
import random
from collections.abc import Callable
from typing import Any, NamedTuple

from shopguard.demo import pools
from shopguard.demo.generator import (
    KEY_CHARS,
    SITE_UTC_OFFSET,
    Customer,
    DemoOrder,
    between,
    format_date,
    money,
    pick_product,
    tax_amount,
    token,
    vat_of,
)

RestUrl = Callable[[str], str]
"""Maps a route such as ``/wc/v3/orders/1001`` to its absolute URL."""


class _Lines(NamedTuple):
    items: list[dict[str, Any]]
    subtotal: int
    total: int
    tax: int
    discount_tax: int
    physical: bool


def _addresses(
    customer: Customer, customers: list[Customer], rng: random.Random
) -> tuple[dict[str, Any], dict[str, Any]]:
    billing: dict[str, Any] = dict(customer.billing)
    shipping: dict[str, Any] = {k: v for k, v in billing.items() if k != "email"}
    shipping["phone"] = ""
    if rng.random() < 0.07:
        # A gift: shipped to someone else's address.
        other = customers[int(rng.random() * len(customers))].billing
        shipping = {k: v for k, v in other.items() if k != "email"}
        shipping["phone"] = other["phone"] if rng.random() < 0.5 else ""
    if rng.random() < 0.002:
        billing["email"] = None  # orders an admin typed in can lack one
    return billing, shipping


def _line_items(
    rng: random.Random, base_id: int, vat: int, rate_id: int, coupon: bool, home: str
) -> _Lines:
    wanted = 1 + min(3, int(rng.random() ** 2.2 * 4))
    chosen: list[int] = []
    while len(chosen) < wanted:
        index = pick_product(rng)
        if index not in chosen:
            chosen.append(index)
    items: list[dict[str, Any]] = []
    subtotal_sum = total_sum = tax_sum = discount_tax = 0
    physical = False
    for k, index in enumerate(chosen):
        product = pools.PRODUCTS[index]
        physical = physical or not product.virtual
        quantity = 1 if rng.random() < 0.7 else between(rng, 2, 5)
        subtotal = product.price_cents * quantity
        total = subtotal - (subtotal + 5) // 10 if coupon else subtotal  # 10% off
        subtotal_tax, total_tax = vat_of(subtotal, vat), vat_of(total, vat)
        subtotal_sum += subtotal
        total_sum += total
        tax_sum += total_tax
        discount_tax += subtotal_tax - total_tax
        price = total / quantity / 100
        item_id = base_id + k
        image = f"{home}/wp-content/uploads/2024/03/product-{product.image_id}.jpg"
        items.append(
            {
                "id": item_id,
                "name": product.name,
                "product_id": product.product_id,
                "variation_id": product.variation_id,
                "quantity": quantity,
                "tax_class": "",
                "subtotal": money(subtotal),
                "subtotal_tax": money(subtotal_tax),
                "total": money(total),
                "total_tax": money(total_tax),
                "taxes": [
                    {
                        "id": rate_id,
                        "total": tax_amount(total_tax),
                        "subtotal": tax_amount(subtotal_tax),
                    }
                ],
                "meta_data": [
                    {
                        "id": item_id * 4 + j,
                        "key": key,
                        "value": value,
                        "display_key": key.removeprefix("pa_").capitalize(),
                        "display_value": value.upper() if len(value) <= 2 else value.title(),
                    }
                    for j, (key, value) in enumerate(product.attributes)
                ],
                "sku": product.sku,
                # WooCommerce divides total by quantity: a number, not a string.
                "price": int(price) if price == int(price) else round(price, 6),
                "image": {"id": product.image_id, "src": image if product.image_id else ""},
                "parent_name": product.parent_name,
            }
        )
    return _Lines(items, subtotal_sum, total_sum, tax_sum, discount_tax, physical)


def _shipping_line(
    rng: random.Random, lines: _Lines, country: str, vat: int, rate_id: int, base_id: int
) -> tuple[dict[str, Any], int]:
    """The shipping line and its cost in cents."""
    if country == "GR" and rng.random() < 0.08:
        method, title, cost, instance = "local_pickup", "Local pickup", 0, "4"
    elif lines.subtotal >= 5000:
        method, title, cost, instance = "free_shipping", "Free shipping", 0, "2"
    elif country == "GR":
        method, title, cost, instance = "flat_rate", "Flat rate", 350, "1"
    else:
        method, title, cost, instance = "flat_rate", "Flat rate", 990, "3"
    cost_tax = vat_of(cost, vat)
    names = ", ".join(f"{i['name']} &times; {i['quantity']}" for i in lines.items)
    line = {
        "id": base_id + 4,
        "method_title": title,
        "method_id": method,
        "instance_id": instance,
        "total": money(cost),
        "total_tax": money(cost_tax),
        "taxes": [{"id": rate_id, "total": tax_amount(cost_tax), "subtotal": ""}]
        if cost_tax
        else [],
        "meta_data": [
            {
                "id": (base_id + 4) * 4,
                "key": "Items",
                "value": names,
                "display_key": "Items",
                "display_value": names,
            }
        ],
    }
    return line, cost


def _fee_line(greek: bool, vat: int, rate_id: int, base_id: int) -> dict[str, Any]:
    fee, fee_tax = 200, vat_of(200, vat)
    return {
        "id": base_id + 5,
        "name": "Αντικαταβολή" if greek else "Cash on delivery fee",
        "tax_class": "",
        "tax_status": "taxable",
        "amount": money(fee),
        "total": money(fee),
        "total_tax": money(fee_tax),
        "taxes": [{"id": rate_id, "total": tax_amount(fee_tax), "subtotal": ""}],
        "meta_data": [],
    }


def _order_meta(rng: random.Random, base_id: int, checkout: bool) -> list[dict[str, Any]]:
    meta: list[dict[str, Any]] = [{"id": base_id + 1, "key": "is_vat_exempt", "value": "no"}]
    if checkout:
        source = rng.choice(pools.ATTRIBUTION_SOURCES)
        device = rng.choice(pools.DEVICE_TYPES)
        pages = str(between(rng, 1, 14))
        meta += [
            {"id": base_id + 2, "key": "_wc_order_attribution_source_type", "value": source},
            {"id": base_id + 3, "key": "_wc_order_attribution_device_type", "value": device},
            {"id": base_id + 8, "key": "_wc_order_attribution_session_pages", "value": pages},
        ]
    return meta


def _wc_version(age: int) -> str:
    """The WooCommerce version the order was created with (the store was updated over time)."""
    if age > 365 * 86400:
        return "8.9.3"
    if age > 150 * 86400:
        return "9.1.4"
    return "9.4.0"


def _local(ts: int | None) -> str | None:
    return None if ts is None else format_date(ts + SITE_UTC_OFFSET)


def build_order(
    order: DemoOrder,
    customers: list[Customer],
    *,
    home: str,
    rest_url: RestUrl,
    currency: str,
    now: int,
) -> dict[str, Any]:
    """The order as ``GET /wc/v3/orders/<id>`` returns it (a new dict on every call)."""
    rng = random.Random(order.seed)
    customer = customers[order.customer]
    country = pools.COUNTRIES[customer.country]
    greek = country.code in ("GR", "CY")
    vat = country.vat_percent
    rate_id = 1 + customer.country
    method_id, method_title, _weight = pools.PAYMENT_METHODS[order.payment]
    base_id = order.id * 16
    coupon = rng.random() < 0.08
    billing, shipping = _addresses(customer, customers, rng)
    lines = _line_items(rng, base_id, vat, rate_id, coupon, home)
    shipping_lines = []
    ship = 0
    if lines.physical:
        line, ship = _shipping_line(rng, lines, country.code, vat, rate_id, base_id)
        shipping_lines.append(line)
    if not lines.physical or shipping_lines[0]["method_id"] == "local_pickup":
        shipping = dict.fromkeys(shipping, "")  # nothing to ship, or collected at the shop
    ship_tax = vat_of(ship, vat)
    fee_lines = [_fee_line(greek, vat, rate_id, base_id)] if method_id == "cod" else []
    fee = 200 if fee_lines else 0
    fee_tax = vat_of(fee, vat)
    discount = lines.subtotal - lines.total
    coupon_lines = []
    if coupon:
        coupon_lines.append(
            {
                "id": base_id + 6,
                "code": "welcome10",
                "discount": money(discount),
                "discount_tax": money(lines.discount_tax),
                "meta_data": [],
                "discount_type": "percent",
                "nominal_amount": 10,
                "free_shipping": False,
            }
        )
    cart_tax = lines.tax + fee_tax
    total_tax = cart_tax + ship_tax
    total = lines.total + ship + fee + total_tax
    tax_lines = [
        {
            "id": base_id + 7,
            "rate_code": f"{country.code}-VAT-1",
            "rate_id": rate_id,
            "label": "ΦΠΑ" if greek else "VAT",
            "compound": False,
            "rate_percent": vat,
            "tax_total": money(cart_tax),
            "shipping_tax_total": money(ship_tax),
            "meta_data": [],
        }
    ]
    order_key = "wc_order_" + token(rng, 13)
    created_via = "checkout" if rng.random() < 0.92 else rng.choice(("admin", "rest-api"))
    checkout = created_via == "checkout"
    if rng.random() < 0.9:
        ip = ".".join(str(between(rng, 1, 255)) for _ in range(4))
    else:
        ip = "2a02:587:" + ":".join(f"{between(rng, 0, 65536):x}" for _ in range(6))
    user_agent = rng.choice(pools.USER_AGENTS)
    transaction_id = ""
    if order.paid is not None and method_id == "stripe":
        transaction_id = "pi_3" + token(rng, 23)
    elif order.paid is not None and method_id == "paypal":
        transaction_id = token(rng, 17, KEY_CHARS[26:]).upper()
    meta = _order_meta(rng, base_id, checkout)
    note = rng.choice(pools.CUSTOMER_NOTES) if rng.random() < 0.06 else ""
    changes = order.changes or {}
    billing.update(changes.get("billing", {}))
    shipping.update(changes.get("shipping", {}))
    if "meta_data" in changes:
        meta = copy.deepcopy(changes["meta_data"])
    status = order.status
    links: dict[str, Any] = {
        "self": [{"href": rest_url(f"/wc/v3/orders/{order.id}")}],
        "collection": [{"href": rest_url("/wc/v3/orders")}],
    }
    if customer.customer_id:
        links["customer"] = [{"href": rest_url(f"/wc/v3/customers/{customer.customer_id}")}]
    cart_hash = hashlib.md5(order_key.encode(), usedforsecurity=False).hexdigest()
    return {
        "id": order.id,
        "parent_id": 0,
        "number": str(order.id),
        "order_key": order_key,
        "created_via": created_via,
        "version": _wc_version(now - order.created),
        "status": status,
        "currency": currency,
        "date_created": _local(order.created),
        "date_created_gmt": format_date(order.created),
        "date_modified": _local(order.modified),
        "date_modified_gmt": format_date(order.modified),
        "discount_total": money(discount),
        "discount_tax": money(lines.discount_tax),
        "shipping_total": money(ship),
        "shipping_tax": money(ship_tax),
        "cart_tax": money(cart_tax),
        "total": money(total),
        "total_tax": money(total_tax),
        "prices_include_tax": False,
        "customer_id": customer.customer_id,
        "customer_ip_address": ip if checkout else "",
        "customer_user_agent": user_agent if checkout else "",
        "customer_note": changes.get("customer_note", note),
        "billing": billing,
        "shipping": shipping,
        "payment_method": method_id,
        "payment_method_title": method_title,
        "transaction_id": transaction_id,
        "date_paid": _local(order.paid),
        "date_paid_gmt": format_date(order.paid),
        "date_completed": _local(order.completed),
        "date_completed_gmt": format_date(order.completed),
        "cart_hash": cart_hash if checkout else "",
        "meta_data": meta,
        "line_items": lines.items,
        "tax_lines": tax_lines,
        "shipping_lines": shipping_lines,
        "fee_lines": fee_lines,
        "coupon_lines": coupon_lines,
        "refunds": [{"id": 10_000_000 + order.id, "reason": "", "total": money(-total)}]
        if status == "refunded"
        else [],
        "payment_url": f"{home}/checkout/order-pay/{order.id}/?pay_for_order=true&key={order_key}",
        "is_editable": status in ("pending", "on-hold"),
        "needs_payment": status in ("pending", "failed") and total > 0,
        "needs_processing": lines.physical,
        "_links": links,
    }


def _same_route(route: str) -> str:
    return route


def current_meta(order: DemoOrder, customers: list[Customer]) -> list[dict[str, Any]]:
    """The order's ``meta_data`` as served now (the starting point for an API change)."""
    built = build_order(
        order, customers, home="", rest_url=_same_route, currency="", now=order.created
    )
    meta: list[dict[str, Any]] = built["meta_data"]
    return meta
