"""Request parameters checked and cleaned the way the WordPress REST API does it.

Validation errors are collected and answered together as WordPress does:
``400 rest_invalid_param`` "Invalid parameter(s): a, b" with ``data.params`` (messages) and
``data.details`` (codes). Values are "sanitized" like WordPress (integers, booleans, lists),
which matters for the ``Link`` header: it repeats the sanitized parameters.

Date bounds: WordPress hands ``after``/``modified_after``... to ``WP_Date_Query``, which reads a
value without an offset as it is, and converts a value *with* an offset (``Z``, ``+02:00``) to
the site's local time; the result is compared with the local column, or with the ``*_gmt``
column when ``dates_are_gmt`` is true. So ``...Z`` together with ``dates_are_gmt=true`` is off by
the site's UTC offset, on a real store and here.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from shopguard.demo.generator import SITE_UTC_OFFSET, STATUSES
from shopguard.demo.orderbook import ListQuery
from shopguard.demo.wp import WpError

STATUS_ENUM = ("any", "trash", *STATUSES, "checkout-draft")
ORDERBY_ENUM = ("date", "id", "include", "title", "slug", "modified")
# An order's title and slug are "Order &ndash; <creation date>": they sort like the date.
_SORTS: dict[str, Literal["id", "date", "modified", "include"]] = {
    "date": "date",
    "title": "date",
    "slug": "date",
    "id": "id",
    "modified": "modified",
    "include": "include",
}
_NUMERIC = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?"
    r"(Z|[+-]\d{2}(?::\d{2})?)?$"
)


def wp_list(items: Sequence[str]) -> str:
    """WordPress's ``%l``: ``a``, ``a and b``, ``a, b, and c``."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def parse_list(value: Any) -> list[Any]:
    """``wp_parse_list``: an array as it is, a string split on commas and spaces."""
    if isinstance(value, Mapping):
        return list(value.values())
    return [part for part in re.split(r"[\s,]+", str(value)) if part]


@dataclass
class Checker:
    """Collects invalid parameters; ``error()`` is the 400 answer for all of them."""

    invalid: dict[str, tuple[str, str]] = field(default_factory=dict)

    def fail(self, name: str, code: str, message: str) -> None:
        """Record one invalid parameter (the first problem per parameter counts)."""
        self.invalid.setdefault(name, (code, message))

    def error(self) -> WpError | None:
        """``rest_invalid_param`` for everything recorded, or None."""
        if not self.invalid:
            return None
        names = list(self.invalid)
        return WpError(
            "rest_invalid_param",
            f"Invalid parameter(s): {', '.join(names)}",
            400,
            data={
                "params": {n: m for n, (_c, m) in self.invalid.items()},
                "details": {
                    n: {"code": c, "message": m, "data": None} for n, (c, m) in self.invalid.items()
                },
            },
        )

    def integer(
        self, name: str, value: Any, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        """An integer within bounds (``"10"`` and ``"10.0"`` pass, like ``rest_is_integer``)."""
        if isinstance(value, Mapping) or not _NUMERIC.match(str(value)):
            self.fail(name, "rest_invalid_type", f"{name} is not of type integer.")
            return None
        number = float(str(value))
        if number != int(number):
            self.fail(name, "rest_invalid_type", f"{name} is not of type integer.")
            return None
        result = int(number)
        if minimum is not None and maximum is not None and not minimum <= result <= maximum:
            message = f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)"
            self.fail(name, "rest_out_of_bounds", message)
            return None
        if minimum is not None and maximum is None and result < minimum:
            message = f"{name} must be greater than or equal to {minimum}"
            self.fail(name, "rest_out_of_bounds", message)
            return None
        return result

    def boolean(self, name: str, value: Any) -> bool | None:
        """``rest_is_boolean``: true/false/1/0, any case."""
        text = "" if isinstance(value, Mapping) else str(value).lower()
        if text not in ("true", "false", "1", "0"):
            self.fail(name, "rest_invalid_type", f"{name} is not of type boolean.")
            return None
        return text in ("true", "1")

    def enum(self, name: str, value: Any, options: Sequence[str]) -> str | None:
        """One of ``options``."""
        if isinstance(value, Mapping):
            self.fail(name, "rest_invalid_type", f"{name} is not of type string.")
            return None
        if str(value) not in options:
            message = f"{name} is not one of {wp_list(list(options))}."
            self.fail(name, "rest_not_in_enum", message)
            return None
        return str(value)

    def text(self, name: str, value: Any) -> str | None:
        """A plain string."""
        if isinstance(value, Mapping):
            self.fail(name, "rest_invalid_type", f"{name} is not of type string.")
            return None
        return str(value)

    def date(self, name: str, value: Any) -> int | None:
        """An RFC 3339 date-time as site-local wall-clock seconds (see the module docs)."""
        match = _DATE.match(value) if isinstance(value, str) else None
        try:
            if match is None:
                raise ValueError(value)
            fields = [int(g) for g in match.groups()[:6]]
            if not (1 <= fields[1] <= 12 and 1 <= fields[2] <= 31 and fields[3] <= 23):
                raise ValueError(value)
            wall = calendar.timegm((*fields, 0, 0, 0))
        except (ValueError, OverflowError):
            self.fail(name, "rest_invalid_date", "Invalid date.")
            return None
        offset = match.group(7)
        if offset:
            seconds = 0
            if offset != "Z":
                sign = -1 if offset[0] == "-" else 1
                hours, _sep, minutes = offset[1:].partition(":")
                seconds = sign * (int(hours) * 3600 + int(minutes or 0) * 60)
            wall = wall - seconds + SITE_UTC_OFFSET
        return wall

    def id_list(self, name: str, value: Any) -> list[int] | None:
        """An array of integers (``1,2,3`` or ``x[]=1&x[]=2``)."""
        result = []
        for index, item in enumerate(parse_list(value)):
            number = self.integer(f"{name}[{index}]", item)
            if number is None:
                return None
            result.append(abs(number))
        return result


@dataclass
class ListRequest:
    """A validated orders listing: the query, the page size, and what the Link repeats."""

    query: ListQuery
    page: int
    per_page: int
    fields: list[str]
    sanitized: dict[str, Any]
    status_list: list[str]


def _bound(checker: Checker, params: Mapping[str, Any], name: str, gmt: bool) -> int | None:
    if name not in params:
        return None
    wall = checker.date(name, params[name])
    if wall is None:
        return None
    return wall if gmt else wall - SITE_UTC_OFFSET


def parse_list_request(params: Mapping[str, Any]) -> ListRequest:
    """Validate ``GET /orders`` parameters; raises ``WpError`` (400) for invalid ones."""
    checker = Checker()
    sanitized: dict[str, Any] = {}
    if "context" in params:
        checker.enum("context", params["context"], ("view", "edit"))
    page = per_page = offset = None
    if "page" in params:
        page = checker.integer("page", params["page"], minimum=1)
        sanitized["page"] = str(page)
    if "per_page" in params:
        per_page = checker.integer("per_page", params["per_page"], 1, 100)
        sanitized["per_page"] = str(per_page)
    search = checker.text("search", params["search"]) if "search" in params else None
    gmt = False
    if "dates_are_gmt" in params:
        gmt = bool(checker.boolean("dates_are_gmt", params["dates_are_gmt"]))
        sanitized["dates_are_gmt"] = "1" if gmt else "0"
    bounds = {
        name: _bound(checker, params, name, gmt)
        for name in ("after", "before", "modified_after", "modified_before")
    }
    include = exclude = None
    for name in ("exclude", "include"):
        if name in params:
            ids = checker.id_list(name, params[name])
            sanitized[name] = {str(i): str(v) for i, v in enumerate(ids or [])}
            include, exclude = (include, ids) if name == "exclude" else (ids, exclude)
    if "offset" in params:
        offset = checker.integer("offset", params["offset"])
        sanitized["offset"] = str(abs(offset or 0))
    order = orderby = None
    if "order" in params:
        order = checker.enum("order", params["order"], ("asc", "desc"))
    if "orderby" in params:
        orderby = checker.enum("orderby", params["orderby"], ORDERBY_ENUM)
    status_list = ["any"]
    if "status" in params:
        status_list = [str(s) for s in parse_list(params["status"])]
        for index, status in enumerate(status_list):
            checker.enum(f"status[{index}]", status, STATUS_ENUM)
    customer = checker.integer("customer", params["customer"]) if "customer" in params else None
    if customer is not None:
        sanitized["customer"] = str(customer)
    for name in ("product", "dp"):
        if name in params:
            checker.integer(name, params[name])
    error = checker.error()
    if error is not None:
        raise error
    if "any" in status_list:
        statuses = frozenset(STATUSES)  # "any" short-circuits: everything but the trash
    else:
        statuses = frozenset(s for s in status_list if s in STATUSES or s == "trash")
    include_list = include or []
    sort = _SORTS[orderby or "date"]
    if sort == "include" and not include_list:
        sort = "date"  # WP_Query ignores post__in ordering without post__in
    size = per_page or 10
    query = ListQuery(
        statuses=statuses,
        orderby=sort,
        descending=(order or "desc") == "desc",
        offset=abs(offset) if offset is not None else ((page or 1) - 1) * size,
        limit=size,
        created_after=bounds["after"],
        created_before=bounds["before"],
        modified_after=bounds["modified_after"],
        modified_before=bounds["modified_before"],
        include=include_list,
        exclude=frozenset(exclude or []),
        customer=customer,
        search=(search or "").strip().casefold(),
    )
    fields = [f.strip() for f in parse_list(params.get("_fields", "")) if f.strip()]
    return ListRequest(query, page or 1, size, fields, sanitized, status_list)


def filter_fields(data: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """``_fields``: keep only these keys (``billing.email`` style paths allowed)."""
    if not fields:
        return data
    tree: dict[str, Any] = {}
    for path in fields:
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if child is True:
                break
            node = node.setdefault(part, {})
        else:
            node[parts[-1]] = True
    return _keep(data, tree)


def _keep(data: dict[str, Any], tree: Mapping[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in data.items():
        wanted = tree.get(key)
        if wanted is True:
            kept[key] = value
        elif isinstance(wanted, Mapping) and isinstance(value, dict):
            kept[key] = _keep(value, wanted)
    return kept
