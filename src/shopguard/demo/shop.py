"""The demo shop's data and what can happen to it: orders changing, arriving, being trashed.

Time only moves forward: every change stamps ``date_modified_gmt`` with "now", and at least
one second after the newest modification in the store, so a sync that asks for
``modified_after`` the last date it saw never misses a change (the API's comparisons are
exclusive and second-granular, like WordPress's).
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from shopguard.demo import generator
from shopguard.demo.generator import DemoOrder, format_date, pick_customer
from shopguard.demo.order_json import build_order, current_meta
from shopguard.demo.orderbook import OrderBook
from shopguard.demo.params import filter_fields
from shopguard.demo.wp import encode_json

# Where an order can go when it is touched (the shop works through its orders).
_NEXT_STATUS = {
    "pending": ("processing", "processing", "cancelled", "failed"),
    "processing": ("completed",),
    "on-hold": ("processing", "cancelled"),
    "failed": ("processing", "cancelled"),
    "completed": ("refunded",),
}
NOTE_AUTHOR = "Ελένη (Shop manager)"
# ``wc_get_order_statuses()``: the names status-change notes use.
STATUS_NAMES = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
    "checkout-draft": "Draft",
}
# Transactional emails WooCommerce sends on a status change (``WC_Email_*`` triggers):
# (from, to) -> (email id, recipient: "customer" or "admin").
_STATUS_EMAILS = {
    ("pending", "on-hold"): ("customer_on_hold_order", "customer"),
    ("failed", "on-hold"): ("customer_on_hold_order", "customer"),
    ("cancelled", "on-hold"): ("customer_on_hold_order", "customer"),
    ("processing", "cancelled"): ("cancelled_order", "admin"),
    ("on-hold", "cancelled"): ("cancelled_order", "admin"),
}
ADMIN_EMAIL = "shop-owner@demo.invalid"


class Shop:
    """Orders, customers and notes of one demo store; thread-safe."""

    def __init__(
        self, orders: int, seed: int, *, currency: str, now: int | None, cache_bytes: int
    ) -> None:
        self.currency = currency
        self.fixed_now = now
        self.generated_at = now if now is not None else int(time.time())
        customers, generated = generator.generate(orders, seed, self.generated_at)
        self.book = OrderBook(customers, generated)
        self.home_url = "http://127.0.0.1"
        self._rng = random.Random(seed * 7919 + 17)
        self._next_id = self.book.max_id() + 1
        self._notes: dict[int, list[dict[str, Any]]] = {}
        self._emails: list[dict[str, Any]] = []
        self._next_note_id = 1
        self._next_meta_id = 50_000_000
        self._cache: OrderedDict[tuple[int, int, bool, tuple[str, ...]], bytes] = OrderedDict()
        self._cache_size = 0
        self._cache_limit = cache_bytes
        self._cache_lock = threading.Lock()

    # ------------------------------------------------------------ time and URLs

    def clock(self) -> int:
        """Now, in epoch seconds (frozen when the store was made with a fixed ``now``)."""
        return self.fixed_now if self.fixed_now is not None else int(time.time())

    def change_time(self) -> int:
        """The timestamp for a test helper's change: now, and after every modification.

        On the real clock this waits (under a second) rather than stamp the future: a real
        store never shows a modification later than its own clock.
        """
        while True:
            with self.book.lock:
                stamp = max(self.clock(), self.book.newest_modified() + 1)
                wait = stamp - time.time() if self.fixed_now is None else 0
                if wait <= 0:
                    return stamp
            time.sleep(wait)

    def settle(self, stamp: int) -> None:
        """On the real clock, return only once the second of ``stamp`` is over.

        A careful client asks only for complete seconds (a store can still change within
        the current one); after a helper returns, its changes are already in the past.
        """
        if self.fixed_now is None:
            delay = stamp + 1 - time.time()
            if delay > 0:
                time.sleep(delay)

    def write_time(self, order: DemoOrder) -> int:
        """The timestamp of a change through the API: WordPress's "now" (second resolution)."""
        return max(self.clock(), order.modified)

    def rest_url(self, route: str, plain: bool) -> str:
        """``rest_url()``: the absolute URL of a REST route (``?rest_route=`` when plain)."""
        if plain:
            return f"{self.home_url}/?rest_route={route}"
        return f"{self.home_url}/wp-json{route}"

    # ------------------------------------------------------------ serving orders

    def order_dict(self, order: DemoOrder, plain: bool = False) -> dict[str, Any]:
        """The order's JSON object (a fresh dict)."""
        return build_order(
            order,
            self.book.customers,
            home=self.home_url,
            rest_url=lambda route: self.rest_url(route, plain),
            currency=self.currency,
            now=self.generated_at,
        )

    def order_json(self, order: DemoOrder, plain: bool, fields: tuple[str, ...] = ()) -> bytes:
        """The order encoded as WordPress would send it (only ``fields``, if given).

        Recently served ones are cached, per field list.
        """
        key = (order.id, order.version, plain, fields)
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        encoded = encode_json(filter_fields(self.order_dict(order, plain), fields))
        with self._cache_lock:
            if key not in self._cache:
                self._cache[key] = encoded
                self._cache_size += len(encoded)
            while self._cache_size > self._cache_limit and self._cache:
                _old, dropped = self._cache.popitem(last=False)
                self._cache_size -= len(dropped)
        return encoded

    # ------------------------------------------------------------ changes

    def _transition(self, order: DemoOrder, status: str, when: int) -> None:
        paid = when if status in ("processing", "completed") and order.paid is None else None
        completed = when if status == "completed" and order.completed is None else None
        self.book.update(order, modified=when, status=status, paid=paid, completed=completed)

    def touch(self, ids: Iterable[int], *, keep_status: bool = False) -> None:
        """Modify these orders now; some move on to their next status (none with
        ``keep_status``: as when the shop edits a field ShopGuard does not send)."""
        wanted = list(ids)
        when = self.change_time()
        with self.book.lock:
            when = max(when, self.book.newest_modified() + 1)
            for order_id in wanted:
                order = self.book.get(order_id)
                if order is None:
                    raise KeyError(order_id)
                choices = _NEXT_STATUS.get(order.status)
                status = order.status
                if keep_status:
                    choices = None
                if choices and self._rng.random() < (0.1 if status == "completed" else 0.5):
                    status = self._rng.choice(choices)
                self._transition(order, status, when)
        self.settle(when)

    def touch_random(self, count: int) -> list[int]:
        """Modify ``count`` randomly chosen orders that are not in the trash."""
        with self.book.lock:
            candidates = self.book.ids()
            chosen = self._rng.sample(candidates, min(count, len(candidates)))
        self.touch(chosen)
        return chosen

    def add(self, count: int) -> list[int]:
        """New orders, created now, with new ids."""
        when = self.change_time()
        with self.book.lock:
            when = max(when, self.book.newest_modified() + 1)
            ids = []
            for _ in range(count):
                status = self._rng.choice(("processing", "processing", "pending", "on-hold"))
                customer = pick_customer(self._rng, len(self.book.customers))
                order = generator.make_order(
                    self._rng, self._next_id, when, customer, when, status=status
                )
                order.modified = when
                self.book.add(order)
                ids.append(order.id)
                self._next_id += 1
        self.settle(when)
        return ids

    def trash(self, order: DemoOrder, *, via_api: bool = False) -> None:
        """Move an order to the trash (listed only with ``status=trash``)."""
        when = self.write_time(order) if via_api else self.change_time()
        with self.book.lock:
            if not via_api:
                when = max(when, self.book.newest_modified() + 1)
            self.book.update(order, modified=when, status="trash")
        if not via_api:
            self.settle(when)

    def delete(self, order: DemoOrder) -> None:
        """Delete an order for good."""
        self.book.remove(order)

    def update(self, order: DemoOrder, changes: dict[str, Any]) -> None:
        """Apply a validated ``PUT /orders/<id>`` body and bump the modification date."""
        with self.book.lock:
            stored = dict(order.changes or {})
            if "customer_note" in changes:
                stored["customer_note"] = str(changes["customer_note"])
            for section in ("billing", "shipping"):
                if section in changes:
                    merged = dict(stored.get(section, {}))
                    merged.update(changes[section])
                    stored[section] = merged
            if "meta_data" in changes:
                stored["meta_data"] = self._merge_meta(order, changes["meta_data"])
            order.changes = stored
            if "billing" in changes:
                self.book.note_billing_change(order)
            before = order.status
            status = changes.get("status") or order.status
            self._transition(order, status, self.write_time(order))
            if status != before:
                # ``WC_Order::status_transition``: a system note, and the emails it triggers.
                self._store_note(
                    order,
                    f"Order status changed from {STATUS_NAMES.get(before, before)} to "
                    f"{STATUS_NAMES.get(status, status)}.",
                    customer_note=False,
                    by_user=False,
                )
                email = _STATUS_EMAILS.get((before, status))
                if email is not None:
                    self._send_email(order, email[0], email[1])

    def _merge_meta(self, order: DemoOrder, posted: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``update_meta_data``: by id if given, else by key, else a new entry."""
        meta = current_meta(order, self.book.customers)
        for item in posted:
            target = None
            if item.get("id") is not None:
                target = next((m for m in meta if m["id"] == item["id"]), None)
            if target is None:
                target = next((m for m in meta if m["key"] == item["key"]), None)
            if target is None:
                target = {"id": self._next_meta_id, "key": item["key"]}
                self._next_meta_id += 1
                meta.append(target)
            target["key"] = item["key"]
            target["value"] = item.get("value")
        return meta

    # ------------------------------------------------------------ notes

    def add_note(
        self, order: DemoOrder, text: str, customer_note: bool, by_user: bool
    ) -> dict[str, Any]:
        """Store an order note as ``POST /orders/<id>/notes`` does; return it.

        A customer note is emailed to the customer (``WC_Email_Customer_Note``).
        """
        with self.book.lock:
            note = self._store_note(order, text, customer_note=customer_note, by_user=by_user)
            if customer_note:
                self._send_email(order, "customer_note", "customer", text)
            return dict(note)

    def _store_note(
        self, order: DemoOrder, text: str, *, customer_note: bool, by_user: bool
    ) -> dict[str, Any]:
        when = self.clock()
        note = {
            "id": self._next_note_id,
            "author": NOTE_AUTHOR if by_user else "system",
            "date_created": format_date(when + generator.SITE_UTC_OFFSET),
            "date_created_gmt": format_date(when),
            "note": text,
            "customer_note": customer_note,
        }
        self._next_note_id += 1
        self._notes.setdefault(order.id, []).append(note)
        return note

    def _send_email(self, order: DemoOrder, email_id: str, recipient: str, text: str = "") -> None:
        """Record an email WooCommerce would send (the demo sends nothing)."""
        to = ADMIN_EMAIL
        if recipient == "customer":
            to = str(self.order_dict(order)["billing"].get("email") or "")
        if to:
            self._emails.append({"order_id": order.id, "email": email_id, "to": to, "note": text})

    def emails(self) -> list[dict[str, Any]]:
        """The emails WooCommerce would have sent so far, oldest first."""
        with self.book.lock:
            return [dict(e) for e in self._emails]

    def notes(self, order_id: int) -> list[dict[str, Any]]:
        """Notes added to an order through the API, oldest first."""
        with self.book.lock:
            return [dict(n) for n in self._notes.get(order_id, [])]
