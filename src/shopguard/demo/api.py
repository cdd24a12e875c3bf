"""The REST routes of the demo store: what WordPress + WooCommerce answer, in their order.

For a ``wc/`` route: WooCommerce inactive -> ``rest_no_route``; authentication errors; the
key's read/write permission; then the route: parameter validation (400) before the
capability check (401 anonymous, 403 a user without the capability) before the handler.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from shopguard.demo import discovery
from shopguard.demo.auth import ApiKey, Authenticator, AuthRequest, permission_error
from shopguard.demo.auth import php_parse_query as parse_form
from shopguard.demo.faults import Faults
from shopguard.demo.generator import STATUSES, DemoOrder
from shopguard.demo.params import (
    Checker,
    ListRequest,
    filter_fields,
    parse_list,
    parse_list_request,
)
from shopguard.demo.shop import Shop
from shopguard.demo.wp import WpError, encode_json, no_route

JSON_TYPE = "application/json; charset=UTF-8"
_REST_HEADERS = [
    ("X-Robots-Tag", "noindex"),
    ("X-Content-Type-Options", "nosniff"),
    ("Access-Control-Expose-Headers", "X-WP-Total, X-WP-TotalPages, Link"),
    (
        "Access-Control-Allow-Headers",
        "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type",
    ),
]
_LINK_SAFE = "!#$&'()*+,/:;=?@[]~%-._"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
    "email",
    "phone",
)


@dataclass
class ApiRequest:
    """One request to a REST route."""

    method: str
    route: str  # "/wc/v3/orders/1001", "/" for the index
    get: dict[str, Any]  # the query string as PHP parses it
    body: bytes
    content_type: str
    auth: AuthRequest
    tls: bool


@dataclass
class ApiResponse:
    """What to send back (the server adds gzip, faults and the transport headers)."""

    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = JSON_TYPE


Handler = Callable[[ApiRequest, ApiKey | None, dict[str, Any], "re.Match[str]"], ApiResponse]


def _require(key: ApiKey | None, code: str, message: str) -> None:
    """A route's capability check: 401 for nobody, 403 for a user who may not."""
    if key is None or not key.can_manage_orders:
        raise WpError(code, message, 403 if key is not None else 401)


def _cannot_view(key: ApiKey | None, single: bool = False) -> None:
    message = (
        "Sorry, you cannot view this resource." if single else "Sorry, you cannot list resources."
    )
    _require(key, "woocommerce_rest_cannot_view", message)


def _link_query(params: Mapping[str, Any], prefix: str = "") -> list[str]:
    """``build_query`` as ``add_query_arg`` uses it: values are not URL-encoded."""
    parts = []
    for key, value in params.items():
        name = f"{prefix}%5B{key}%5D" if prefix else key
        if isinstance(value, Mapping):
            parts.extend(_link_query(value, name))
        else:
            text = quote(str(value), safe=_LINK_SAFE)  # only what would break the header
            parts.append(f"{name}={text}" if text else name)
    return parts


class StoreApi:
    """Answers REST requests for one ``Shop``."""

    def __init__(self, shop: Shop, authenticator: Authenticator, faults: Faults) -> None:
        self.shop = shop
        self.authenticator = authenticator
        self.faults = faults
        self._routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
            (re.compile(r"^/wc/v3$"), {"GET": self._namespace_index}),
            (re.compile(r"^/wc/v3/orders$"), {"GET": self._list_orders}),
            (
                re.compile(r"^/wc/v3/orders/(\d+)$"),
                {
                    "GET": self._get_order,
                    "POST": self._update_order,
                    "PUT": self._update_order,
                    "PATCH": self._update_order,
                    "DELETE": self._delete_order,
                },
            ),
            (
                re.compile(r"^/wc/v3/orders/(\d+)/notes$"),
                {"GET": self._list_notes, "POST": self._create_note},
            ),
            (re.compile(r"^/wc/v3/system_status$"), {"GET": self._system_status}),
        ]

    # ------------------------------------------------------------ entry point

    def handle(self, request: ApiRequest) -> ApiResponse:
        """Answer one request; WordPress errors become their JSON envelope."""
        try:
            response = self._dispatch(request)
        except WpError as error:
            response = ApiResponse(error.status, encode_json(error.body()))
            response.headers.extend(error.headers.items())
        response.headers.extend(_REST_HEADERS)
        return response

    def _dispatch(self, request: ApiRequest) -> ApiResponse:
        route = request.route.rstrip("/") or "/"
        method = "GET" if request.method == "HEAD" else request.method
        if route == "/":
            if method != "GET":
                raise no_route()
            index = discovery.site_index(self.shop.home_url, not self.faults.woocommerce_inactive)
            return ApiResponse(200, encode_json(index))
        if not route.startswith(("/wc/", "/wc-")) or self.faults.woocommerce_inactive:
            raise no_route()
        outcome = self.authenticator.authenticate(request.auth, tls=request.tls)
        if outcome.error is not None:
            raise outcome.error
        key = outcome.key
        if key is not None:
            refused = permission_error(key, method)
            if refused is not None:
                raise refused
        for pattern, handlers in self._routes:
            match = pattern.match(route)
            if match and method in handlers:
                params = self._params(request, method)
                response = handlers[method](request, key, params, match)
                response.headers.append(("Allow", ", ".join(_allowed(handlers))))
                return response
        raise no_route()

    def _params(self, request: ApiRequest, method: str) -> dict[str, Any]:
        """GET, then form body, then JSON body parameters (later ones win), like WP."""
        params = dict(request.get)
        if method == "GET" or not request.body:
            return params
        content_type = request.content_type.split(";")[0].strip().lower()
        if content_type == "application/x-www-form-urlencoded":
            params.update(parse_form(request.body.decode("utf-8", "replace")))
        elif content_type == "application/json" or content_type.endswith("+json"):
            try:
                body = json.loads(request.body)
            except ValueError as exc:
                raise WpError(
                    "rest_invalid_json",
                    "Invalid JSON body passed.",
                    400,
                    data={"json_error_code": 4, "json_error_message": "Syntax error"},
                ) from exc
            if isinstance(body, dict):
                params.update(body)
        return params

    # ------------------------------------------------------------ indexes

    def _namespace_index(
        self, request: ApiRequest, key: ApiKey | None, params: dict[str, Any], match: Any
    ) -> ApiResponse:
        plain = self.faults.plain_permalinks
        body = discovery.namespace_index(lambda route: self.shop.rest_url(route, plain))
        return ApiResponse(200, encode_json(body))

    def _system_status(
        self, request: ApiRequest, key: ApiKey | None, params: dict[str, Any], match: Any
    ) -> ApiResponse:
        _cannot_view(key)
        body = discovery.system_status(self.shop.home_url, self.shop.currency, request.tls)
        return ApiResponse(200, encode_json(body))

    # ------------------------------------------------------------ orders

    def _list_orders(
        self, request: ApiRequest, key: ApiKey | None, params: dict[str, Any], match: Any
    ) -> ApiResponse:
        listing = parse_list_request(params)
        _cannot_view(key)
        orders, total = self.shop.book.page(listing.query)
        plain = self.faults.plain_permalinks
        fields = tuple(listing.fields)
        body = b"[" + b",".join(self.shop.order_json(o, plain, fields) for o in orders) + b"]"
        pages = math.ceil(total / listing.per_page)
        response = ApiResponse(
            200, body, [("X-WP-Total", str(total)), ("X-WP-TotalPages", str(pages))]
        )
        link = self._link_header(request, listing, bool(orders), pages)
        if link:
            response.headers.append(("Link", link))
        return response

    def _link_header(
        self,
        request: ApiRequest,
        listing: ListRequest,
        prepared: bool,
        pages: int,
    ) -> str:
        """prev/next links: the request's (sanitized) parameters with another page."""
        sanitized, page = listing.sanitized, listing.page
        params: dict[str, Any] = {k: sanitized.get(k, v) for k, v in request.get.items()}
        # WooCommerce removes and re-adds "status" (as an array) while building the query,
        # and preparing an order sets "dp" and "context": all end up in the links.
        params.pop("status", None)
        params["status"] = {str(i): s for i, s in enumerate(listing.status_list)}
        if prepared:
            if "dp" in params:
                params["dp"] = str(abs(int(float(str(params["dp"])))))
            else:
                params["dp"] = "2"
            if not params.get("context"):
                params["context"] = "view"
        if self.faults.plain_permalinks:
            collection, base = f"{self.shop.home_url}/", {"rest_route": "/wc/v3/orders"}
        else:
            collection, base = self.shop.rest_url("/wc/v3/orders", False), {}
        base.update(params)
        links = []
        if page > 1:
            links.append((min(page - 1, pages), "prev"))
        if pages > page:
            links.append((page + 1, "next"))
        parts = []
        for number, rel in links:
            query = dict(base)
            query["page"] = str(number)
            parts.append(f'<{collection}?{"&".join(_link_query(query))}>; rel="{rel}"')
        return ", ".join(parts)

    def _order(self, match: Any, code: str, message: str, status: int) -> DemoOrder:
        order = self.shop.book.get(int(match.group(1)))
        if order is None:
            raise WpError(code, message, status)
        return order

    def _get_order(
        self, request: ApiRequest, key: ApiKey | None, params: dict[str, Any], match: Any
    ) -> ApiResponse:
        checker = Checker()
        if "context" in params:
            checker.enum("context", params["context"], ("view", "edit"))
        if (error := checker.error()) is not None:
            raise error
        _cannot_view(key, single=True)
        order = self._order(match, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
        return self._order_response(order, params)

    def _order_response(
        self, order: DemoOrder, params: Mapping[str, Any], status: int = 200
    ) -> ApiResponse:
        plain = self.faults.plain_permalinks
        fields = [f.strip() for f in parse_list(params.get("_fields", "")) if f.strip()]
        if fields:
            return ApiResponse(
                status, encode_json(filter_fields(self.shop.order_dict(order, plain), fields))
            )
        return ApiResponse(status, self.shop.order_json(order, plain))

    def _update_order(
        self, request: ApiRequest, key: ApiKey | None, params: dict[str, Any], match: Any
    ) -> ApiResponse:
        changes = _check_order_changes(params)
        _require(
            key, "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."
        )
        order = self._order(match, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 400)
        with self.shop.book.lock:
            self.shop.update(order, changes)
            return self._order_response(order, params)

    def _delete_order(
        self, request: ApiRequest, key: ApiKey | None, params: dict[str, Any], match: Any
    ) -> ApiResponse:
        checker = Checker()
        force = checker.boolean("force", params["force"]) if "force" in params else False
        if (error := checker.error()) is not None:
            raise error
        _require(
            key,
            "woocommerce_rest_cannot_delete",
            "Sorry, you are not allowed to delete this resource.",
        )
        order = self._order(match, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
        with self.shop.book.lock:
            response = self._order_response(order, params)  # as it was before deleting
            if force:
                self.shop.delete(order)
            elif order.status == "trash":
                raise WpError(
                    "woocommerce_rest_already_trashed",
                    "The shop_order has already been deleted.",
                    410,
                )
            else:
                self.shop.trash(order, via_api=True)
            return response

    # ------------------------------------------------------------ notes

    def _list_notes(
        self, request: ApiRequest, key: ApiKey | None, params: dict[str, Any], match: Any
    ) -> ApiResponse:
        checker = Checker()
        kind: str | None = "any"
        if "type" in params:
            kind = checker.enum("type", params["type"], ("any", "customer", "internal"))
        if (error := checker.error()) is not None:
            raise error
        _cannot_view(key)
        order = self._order(match, "woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
        notes = [
            n
            for n in reversed(self.shop.notes(order.id))
            if kind == "any" or n["customer_note"] == (kind == "customer")
        ]
        return ApiResponse(200, encode_json([self._with_links(order.id, n) for n in notes]))

    def _with_links(self, order_id: int, note: dict[str, Any]) -> dict[str, Any]:
        plain = self.faults.plain_permalinks
        base = f"/wc/v3/orders/{order_id}/notes"
        note["_links"] = {
            "self": [{"href": self.shop.rest_url(f"{base}/{note['id']}", plain)}],
            "collection": [{"href": self.shop.rest_url(base, plain)}],
            "up": [{"href": self.shop.rest_url(f"/wc/v3/orders/{order_id}", plain)}],
        }
        return note

    def _create_note(
        self, request: ApiRequest, key: ApiKey | None, params: dict[str, Any], match: Any
    ) -> ApiResponse:
        if params.get("note") is None:
            raise WpError(
                "rest_missing_callback_param",
                "Missing parameter(s): note",
                400,
                data={"params": ["note"]},
            )
        checker = Checker()
        text = checker.text("note", params["note"])
        customer_note = by_user = False
        if "customer_note" in params:
            customer_note = bool(checker.boolean("customer_note", params["customer_note"]))
        if "added_by_user" in params:
            by_user = bool(checker.boolean("added_by_user", params["added_by_user"]))
        if (error := checker.error()) is not None:
            raise error
        _require(
            key, "woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."
        )
        order = self._order(match, "woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
        note = self._with_links(
            order.id, self.shop.add_note(order, text or "", customer_note, by_user)
        )
        location = note["_links"]["self"][0]["href"]
        return ApiResponse(201, encode_json(note), [("Location", location)])


def _allowed(handlers: Mapping[str, Any]) -> list[str]:
    return [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m in handlers]


def _check_order_changes(params: Mapping[str, Any]) -> dict[str, Any]:
    """The writable fields ShopGuard uses, validated like the orders schema does."""
    checker = Checker()
    changes: dict[str, Any] = {}
    if params.get("status") is not None:
        changes["status"] = checker.enum("status", params["status"], (*STATUSES, "checkout-draft"))
    if params.get("customer_note") is not None:
        changes["customer_note"] = checker.text("customer_note", params["customer_note"])
    for section in ("billing", "shipping"):
        value = params.get(section)
        if value is None:
            continue
        if not isinstance(value, Mapping):
            checker.fail(section, "rest_invalid_type", f"{section} is not of type object.")
            continue
        cleaned = {k: str(v) for k, v in value.items() if k in _ADDRESS_FIELDS and v is not None}
        if cleaned.get("email") and not _EMAIL.match(cleaned["email"]):
            checker.fail(section, "rest_invalid_email", "Invalid email address.")
        changes[section] = cleaned
    meta = params.get("meta_data")
    if meta is not None:
        items = list(meta.values()) if isinstance(meta, Mapping) else meta
        if not isinstance(items, list) or not all(isinstance(m, Mapping) for m in items):
            checker.fail("meta_data", "rest_invalid_type", "meta_data[0] is not of type object.")
        else:
            changes["meta_data"] = [dict(m) for m in items if "key" in m]
    if (error := checker.error()) is not None:
        raise error
    return changes
