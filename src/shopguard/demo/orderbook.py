"""The demo store's orders with sorted indexes, so listing pages stay fast at 100,000 orders.

Every order sits in three sorted key lists per status: by id, by ``(date_created_gmt, id)``
and by ``(date_modified_gmt, id)`` (the pair packed into one int). A listing that filters only
by status and by a date range on its own sort key (the common cases, including
``orderby=modified&modified_after=...``) is answered with bisection and a k-way selection,
without looking at the orders outside the page. Other filters (search, include, customer, a
date range on another key) scan the narrowest date range and sort what is left.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from shopguard.demo.generator import STATUSES, Customer, DemoOrder, search_text_of

Dimension = Literal["id", "date", "modified"]
ALL_STATUSES = (*STATUSES, "trash")
_SHIFT = 1 << 32  # ids stay below 2**32
_DIMENSIONS: tuple[Dimension, ...] = ("id", "date", "modified")
_NO_LIMIT = 1 << 80


@dataclass
class ListQuery:
    """A validated ``GET /orders`` listing. Date bounds are exclusive, in UTC epoch seconds."""

    statuses: frozenset[str]
    orderby: Literal["id", "date", "modified", "include"] = "date"
    descending: bool = True
    offset: int = 0
    limit: int = 10
    created_after: int | None = None
    created_before: int | None = None
    modified_after: int | None = None
    modified_before: int | None = None
    include: list[int] = field(default_factory=list)
    exclude: frozenset[int] = frozenset()
    customer: int | None = None
    search: str = ""


def _key(dimension: Dimension, order: DemoOrder) -> int:
    if dimension == "id":
        return order.id
    stamp = order.created if dimension == "date" else order.modified
    return stamp * _SHIFT + order.id


def _dimension(query: ListQuery) -> Dimension:
    """The index a listing is sorted by (``include`` order is applied separately)."""
    if query.orderby == "date":
        return "date"
    if query.orderby == "modified":
        return "modified"
    return "id"


def _bounds(after: int | None, before: int | None) -> tuple[int, int]:
    """Key range [low, high) for exclusive second bounds."""
    low = (after + 1) * _SHIFT if after is not None else -1
    high = before * _SHIFT if before is not None else _NO_LIMIT
    return low, high


class OrderBook:
    """Orders by id plus the sorted indexes; every method is thread-safe."""

    def __init__(self, customers: list[Customer], orders: Iterable[DemoOrder]) -> None:
        self.customers = customers
        self.lock = threading.RLock()
        self._orders: dict[int, DemoOrder] = {o.id: o for o in orders}
        self._search_text: dict[int, str] = {}
        self._by_status: dict[Dimension, dict[str, list[int]]] = {
            d: {s: [] for s in ALL_STATUSES} for d in _DIMENSIONS
        }
        self._all: dict[Dimension, list[int]] = {}
        for dimension in _DIMENSIONS:
            lists = self._by_status[dimension]
            for order in self._orders.values():
                lists[order.status].append(_key(dimension, order))
            for keys in lists.values():
                keys.sort()
            self._all[dimension] = sorted(_key(dimension, o) for o in self._orders.values())

    # ------------------------------------------------------------ reading

    def get(self, order_id: int) -> DemoOrder | None:
        """The order with this id (trashed ones too), or None."""
        return self._orders.get(order_id)

    def count(self, statuses: Iterable[str] = STATUSES) -> int:
        """How many orders have one of these statuses (default: all but trash)."""
        with self.lock:
            return sum(len(self._by_status["id"][s]) for s in statuses)

    def newest_modified(self) -> int:
        """The latest ``date_modified_gmt`` of any order (epoch seconds), 0 if none."""
        with self.lock:
            keys = self._all["modified"]
            return keys[-1] // _SHIFT if keys else 0

    def max_id(self) -> int:
        """The highest order id ever used."""
        with self.lock:
            keys = self._all["id"]
            return keys[-1] if keys else 0

    def ids(self, statuses: Iterable[str] = STATUSES) -> list[int]:
        """Ids of the orders with these statuses, ascending."""
        with self.lock:
            merged: list[int] = []
            for status in statuses:
                merged.extend(self._by_status["id"][status])
            return sorted(merged)

    def search_text(self, order: DemoOrder) -> str:
        """What ``?search=`` is matched against for this order."""
        text = self._search_text.get(order.id)
        return text if text is not None else self.customers[order.customer].search_text

    def page(self, query: ListQuery) -> tuple[list[DemoOrder], int]:
        """One page of a listing and the total number of matches."""
        with self.lock:
            if self._is_simple(query):
                ids, total = self._indexed_page(query)
            else:
                ids, total = self._scanned_page(query)
            return [self._orders[i] for i in ids], total

    def _is_simple(self, query: ListQuery) -> bool:
        if query.include or query.exclude or query.customer is not None or query.search:
            return False
        if query.orderby == "modified":
            return query.created_after is None and query.created_before is None
        if query.orderby == "date":
            return query.modified_after is None and query.modified_before is None
        return all(
            bound is None
            for bound in (
                query.created_after,
                query.created_before,
                query.modified_after,
                query.modified_before,
            )
        )

    def _range(self, query: ListQuery, dimension: Dimension) -> tuple[int, int]:
        if dimension == "date":
            return _bounds(query.created_after, query.created_before)
        if dimension == "modified":
            return _bounds(query.modified_after, query.modified_before)
        return -1, _NO_LIMIT

    def _indexed_page(self, query: ListQuery) -> tuple[list[int], int]:
        dimension = _dimension(query)
        low, high = self._range(query, dimension)
        lists = [self._by_status[dimension][s] for s in sorted(query.statuses)]
        spans = [(bisect.bisect_left(k, low), bisect.bisect_left(k, max(low, high))) for k in lists]
        total = sum(end - start for start, end in spans)
        if query.offset >= total or query.limit <= 0:
            return [], total
        if query.descending:
            first = max(0, total - query.offset - query.limit)
            last = total - query.offset
        else:
            first, last = query.offset, min(total, query.offset + query.limit)
        keys = self._select(dimension, lists, spans, (low, high), first, last)
        if query.descending:
            keys.reverse()
        return ([k for k in keys] if dimension == "id" else [k % _SHIFT for k in keys]), total

    def _select(
        self,
        dimension: Dimension,
        lists: list[list[int]],
        spans: list[tuple[int, int]],
        key_range: tuple[int, int],
        first: int,
        last: int,
    ) -> list[int]:
        """Keys ranked [first, last) in the union of the sorted spans."""
        if len(lists) == 1:
            start = spans[0][0]
            return lists[0][start + first : start + last]
        # Find the key ranked `first`: the smallest key of all orders with more than `first`
        # union keys at or below it (keys are unique, so the count steps by one).
        everything = self._all[dimension]
        low = bisect.bisect_left(everything, key_range[0])
        high = bisect.bisect_left(everything, key_range[1])
        while low < high:
            middle = (low + high) // 2
            probe = everything[middle]
            at_or_below = sum(
                bisect.bisect_right(keys, probe, start, end) - start
                for keys, (start, end) in zip(lists, spans, strict=True)
            )
            if at_or_below > first:
                high = middle
            else:
                low = middle + 1
        pivot = everything[low]
        wanted = last - first
        merged: list[int] = []
        for keys, (start, end) in zip(lists, spans, strict=True):
            index = bisect.bisect_left(keys, pivot, start, end)
            merged.extend(keys[index : min(end, index + wanted)])
        merged.sort()
        return merged[:wanted]

    def _scanned_page(self, query: ListQuery) -> tuple[list[int], int]:
        if query.include:
            seen: set[int] = set()
            candidates = []
            for order_id in query.include:
                order = self._orders.get(order_id)
                if order is not None and order_id not in seen:
                    seen.add(order_id)
                    candidates.append(order)
        else:
            scan = _dimension(query)
            if query.modified_after is not None or query.modified_before is not None:
                scan = "modified"
            elif query.created_after is not None or query.created_before is not None:
                scan = "date"
            low, high = self._range(query, scan)
            keys = self._all[scan]
            window = keys[bisect.bisect_left(keys, low) : bisect.bisect_left(keys, max(low, high))]
            ids = window if scan == "id" else [k % _SHIFT for k in window]
            candidates = [self._orders[i] for i in ids]
        matches = [o for o in candidates if self._matches(o, query)]
        if query.orderby != "include":
            dimension = _dimension(query)
            matches.sort(key=lambda o: _key(dimension, o), reverse=query.descending)
        page = matches[query.offset : query.offset + max(query.limit, 0)]
        return [o.id for o in page], len(matches)

    def _matches(self, order: DemoOrder, query: ListQuery) -> bool:
        if order.status not in query.statuses or order.id in query.exclude:
            return False
        if query.created_after is not None and order.created <= query.created_after:
            return False
        if query.created_before is not None and order.created >= query.created_before:
            return False
        if query.modified_after is not None and order.modified <= query.modified_after:
            return False
        if query.modified_before is not None and order.modified >= query.modified_before:
            return False
        customer = self.customers[order.customer]
        if query.customer is not None and customer.customer_id != query.customer:
            return False
        if query.search:
            term = query.search
            by_id = term.isdigit() and int(term) == order.id
            return by_id or term in self.search_text(order)
        return True

    # ------------------------------------------------------------ changing

    def _unindex(self, order: DemoOrder) -> None:
        for dimension in _DIMENSIONS:
            key = _key(dimension, order)
            for keys in (self._by_status[dimension][order.status], self._all[dimension]):
                index = bisect.bisect_left(keys, key)
                if index < len(keys) and keys[index] == key:
                    del keys[index]

    def _index(self, order: DemoOrder) -> None:
        for dimension in _DIMENSIONS:
            key = _key(dimension, order)
            bisect.insort(self._by_status[dimension][order.status], key)
            bisect.insort(self._all[dimension], key)

    def update(
        self,
        order: DemoOrder,
        *,
        modified: int,
        status: str | None = None,
        paid: int | None = None,
        completed: int | None = None,
    ) -> None:
        """Change an order's status and dates, keeping the indexes right."""
        with self.lock:
            self._unindex(order)
            order.modified = modified
            if status is not None:
                order.status = status
            if paid is not None:
                order.paid = paid
            if completed is not None:
                order.completed = completed
            order.version += 1
            self._index(order)

    def note_billing_change(self, order: DemoOrder) -> None:
        """Re-read the search text after the billing address changed through the API."""
        with self.lock:
            billing = dict(self.customers[order.customer].billing)
            billing.update((order.changes or {}).get("billing", {}))
            self._search_text[order.id] = search_text_of(billing)

    def add(self, order: DemoOrder) -> None:
        """Add a new order (its id must be new)."""
        with self.lock:
            self._orders[order.id] = order
            self._index(order)

    def remove(self, order: DemoOrder) -> None:
        """Delete an order for good."""
        with self.lock:
            self._unindex(order)
            del self._orders[order.id]
            self._search_text.pop(order.id, None)
