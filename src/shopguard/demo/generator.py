"""Seeded, fast generation of WooCommerce-shaped demo orders.

Generation keeps each order compact (a few ints and a per-order seed); the full JSON object
(line items, taxes, addresses, links) is built on demand from that seed, so 100,000 orders
generate in about a second and every order still looks the same each time it is served.
The same ``seed`` and ``now`` always give the same store.

Money is computed in integer cents and formatted the way WooCommerce does (strings with two
decimals; per-tax amounts without trailing zeros; a numeric ``price`` per line item). Dates
come in pairs: ``date_*`` in the site's local time (UTC+2, a WordPress "UTC+2" setting) and
``*_gmt`` in UTC, both ``%Y-%m-%dT%H:%M:%S`` without a zone designator.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import random
import time
from dataclasses import dataclass, field
from typing import Any

from shopguard.demo import pools

SITE_UTC_OFFSET = 2 * 3600
"""Seconds between the site's local time and UTC (WordPress setting "UTC+2")."""

FIRST_ORDER_ID = 1001
STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed")
TWO_YEARS = 730 * 86400

_RECENT = {
    "processing": 0.42,
    "pending": 0.1,
    "on-hold": 0.1,
    "completed": 0.26,
    "cancelled": 0.04,
    "failed": 0.08,
}
_OLDER = {
    "processing": 0.02,
    "pending": 0.01,
    "on-hold": 0.01,
    "completed": 0.74,
    "cancelled": 0.1,
    "failed": 0.07,
    "refunded": 0.05,
}
KEY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _cumulative(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


_STATUS_RECENT = (list(_RECENT), _cumulative(list(_RECENT.values())))
_STATUS_OLDER = (list(_OLDER), _cumulative(list(_OLDER.values())))
_PAYMENT_CUM = _cumulative([w for _i, _t, w in pools.PAYMENT_METHODS])
_COUNTRY_CUM = _cumulative([c.weight for c in pools.COUNTRIES])
_PRODUCT_CUM = _cumulative([float(w) for w in pools.PRODUCT_WEIGHTS])


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    return bisect.bisect_right(cumulative, rng.random() * cumulative[-1])


@functools.lru_cache(maxsize=4096)
def _day(day: int) -> str:
    return time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))


def format_date(ts: int | None) -> str | None:
    """Epoch seconds as WooCommerce's ``2017-03-22T19:28:02`` (None stays None)."""
    if ts is None:
        return None
    day, seconds = divmod(ts, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{_day(day)}{hours:02d}:{minutes:02d}:{seconds:02d}"


def money(cents: int) -> str:
    """Cents as WooCommerce's money string, e.g. ``"29.35"``."""
    # Exact: a whole number of cents divided by 100 is within far less than half a cent.
    return f"{cents / 100:.2f}"


def tax_amount(cents: int) -> str:
    """A per-tax amount as WooCommerce stores it: trailing zeros trimmed (``"0.9"``)."""
    return f"{cents / 100:.2f}".rstrip("0").rstrip(".")


def between(rng: random.Random, low: int, high: int) -> int:
    """Like ``rng.randrange(low, high)`` at a fraction of the cost."""
    return low + int(rng.random() * (high - low))


def token(rng: random.Random, length: int, alphabet: str = KEY_CHARS) -> str:
    """Random letters and digits, like ``wp_generate_password(length, false)``."""
    base = len(alphabet)
    value = rng.getrandbits(6 * length)
    chars = []
    for _ in range(length):
        value, digit = divmod(value, base)
        chars.append(alphabet[digit])
    return "".join(chars)


def vat_of(cents: int, percent: int) -> int:
    """VAT on an amount in cents, rounded half up like WooCommerce."""
    return (cents * percent + 50) // 100


def pick_product(rng: random.Random) -> int:
    """An index into ``pools.PRODUCTS``; best sellers come up more often."""
    return _pick(rng, _PRODUCT_CUM)


def credentials_for(seed: int, role: str) -> tuple[str, str]:
    """A deterministic ``("ck_"+40 hex, "cs_"+40 hex)`` pair for a seed and a key role."""
    digest = hashlib.sha1(f"shopguard-demo/{seed}/{role}/key".encode()).hexdigest()
    secret = hashlib.sha1(f"shopguard-demo/{seed}/{role}/secret".encode()).hexdigest()
    return "ck_" + digest, "cs_" + secret


@dataclass(slots=True)
class Customer:
    """One buyer; ``customer_id`` is 0 for a guest. ``billing`` is WooCommerce's object."""

    customer_id: int
    country: int  # index into pools.COUNTRIES
    billing: dict[str, str]
    search_text: str


@dataclass(slots=True)
class DemoOrder:
    """The compact form of one order; the JSON is derived from it (see ``build_order``).

    ``changes`` holds what the API changed (``billing``, ``shipping``, ``customer_note``,
    ``meta_data``); ``version`` goes up on every change so caches can tell.
    """

    id: int
    created: int
    modified: int
    status: str
    customer: int
    payment: int
    paid: int | None
    completed: int | None
    seed: int
    version: int = 0
    changes: dict[str, Any] | None = field(default=None)


def _phone(rng: random.Random, fmt: str) -> str:
    return "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in fmt)


def _postcode(rng: random.Random, country: pools.Country, place: pools.Place) -> str:
    base = place.postcodes[rng.randrange(len(place.postcodes))]
    if country.code != "GB":
        return base
    letters = pools.UK_INWARD_LETTERS
    return f"{base} {between(rng, 1, 10)}{rng.choice(letters)}{rng.choice(letters)}"


def make_customer(rng: random.Random, customer_id: int) -> Customer:
    """A random customer (registered when ``customer_id`` > 0)."""
    country_index = _pick(rng, _COUNTRY_CUM)
    country = pools.COUNTRIES[country_index]
    female = rng.random() < 0.55
    first, first_latin = rng.choice(country.female_first if female else country.male_first)
    male_last, female_last, last_latin = rng.choice(country.last)
    last = female_last if female else male_last
    place = rng.choice(country.places)
    city = place.city
    if country.code in ("GR", "CY") and rng.random() < 0.2:
        # Some Greek customers type their name and city in Latin letters.
        first, last, city = first_latin.title(), last_latin.title(), place.city_latin
    street = rng.choice(country.streets)
    number = between(rng, 1, 180)
    address_1 = f"{number} {street}" if country.street_number_first else f"{street} {number}"
    style = rng.randrange(4)
    local = (first_latin, f"{first_latin}.{last_latin}", f"{first_latin[0]}{last_latin}")[style % 3]
    if style == 3:
        local = f"{last_latin}{between(rng, 60, 100)}"
    email = f"{local}@{rng.choice(country.email_domains)}"
    if rng.random() < 0.03:
        email = email.capitalize()  # people do type it like that
    billing = {
        "first_name": first,
        "last_name": last,
        "company": rng.choice(pools.COMPANIES) if rng.random() < 0.05 else "",
        "address_1": address_1,
        "address_2": rng.choice(pools.ADDRESS_2),
        "city": city,
        "state": place.state,
        "postcode": _postcode(rng, country, place),
        "country": country.code,
        "email": email,
        "phone": _phone(rng, rng.choice(country.phone_formats)),
    }
    return Customer(customer_id, country_index, billing, search_text_of(billing))


def search_text_of(billing: dict[str, str]) -> str:
    """What ``?search=`` matches for an address, like WooCommerce's address index."""
    return " ".join(str(v) for v in billing.values() if v).casefold()


def _edge_cases(customers: list[Customer]) -> None:
    """Make sure the awkward cases exist even in a small store."""
    edits: list[dict[str, str]] = [
        {"first_name": "Siobhan", "last_name": "O'Brien", "country": "GB", "state": ""},
        {"company": "Ταβέρνα Ο Μύλος"},
        {"address_2": pools.LONG_ADDRESS_2},
        {"first_name": "Γιώργος", "last_name": "Παπαδόπουλος", "city": "Αθήνα", "state": "I"},
    ]
    for customer, edit in zip(customers, edits, strict=False):
        customer.billing.update(edit)
        if edit.get("country") == "GB":
            customer.billing.update(city="London", postcode="SW1A 1AA", phone="+44 7700 900123")
            customer.country = next(i for i, c in enumerate(pools.COUNTRIES) if c.code == "GB")
        customer.search_text = search_text_of(customer.billing)


def make_customers(rng: random.Random, count: int) -> list[Customer]:
    """``count`` customers, about 60% registered (ids from 2; 1 is the shop's admin)."""
    customers = []
    next_id = 2
    for _ in range(count):
        if rng.random() < 0.6:
            customer_id, next_id = next_id, next_id + 1
        else:
            customer_id = 0
        customers.append(make_customer(rng, customer_id))
    _edge_cases(customers)
    return customers


def pick_customer(rng: random.Random, count: int) -> int:
    """A customer index skewed towards the first ones: regulars order again and again."""
    return min(count - 1, int(count * rng.random() ** 1.7))


def _timeline(
    rng: random.Random, created: int, status: str, payment: str, now: int
) -> tuple[int | None, int | None, int]:
    """(date_paid, date_completed, date_modified) consistent with the status."""
    paid: int | None = None
    completed: int | None = None
    settled = status in ("processing", "completed", "refunded")
    if settled and payment in ("stripe", "paypal"):
        paid = created + between(rng, 5, 120)
    elif settled and payment == "bacs":
        paid = created + between(rng, 2 * 3600, 3 * 86400)
    if status in ("completed", "refunded"):
        completed = (paid or created) + between(rng, 4 * 3600, 5 * 86400)
        if payment == "cod":
            paid = completed
    if paid is not None:
        paid = min(paid, now)
    if completed is not None:
        completed = min(completed, now)
    last = max(created, paid or created, completed or created)
    if status == "cancelled":
        last = created + 3600
    elif status == "failed":
        last = created + between(rng, 10, 120)
    elif status == "refunded":
        last += between(rng, 3600, 10 * 86400)
    else:
        last += between(rng, 0, 60)
    if rng.random() < 0.2:
        last += between(rng, 60, 30 * 86400)  # edited later (a note, an address fix)
    return paid, completed, max(min(last, now), completed or created, created)


def pick_status(rng: random.Random, age: int, payment: str) -> str:
    """A status with realistic weights (recent orders are still being processed)."""
    names, cumulative = _STATUS_RECENT if age < 4 * 86400 else _STATUS_OLDER
    status = names[_pick(rng, cumulative)]
    if payment == "cod" and status in ("failed", "pending"):
        status = "processing" if age < 4 * 86400 else "cancelled"
    elif payment == "bacs" and status == "pending":
        status = "on-hold"
    return status


def make_order(
    rng: random.Random, order_id: int, created: int, customer: int, now: int, status: str = ""
) -> DemoOrder:
    """One compact order created at ``created`` (epoch seconds, UTC)."""
    payment = _pick(rng, _PAYMENT_CUM)
    method = pools.PAYMENT_METHODS[payment][0]
    status = status or pick_status(rng, now - created, method)
    paid, completed, modified = _timeline(rng, created, status, method, now)
    return DemoOrder(
        id=order_id,
        created=created,
        modified=modified,
        status=status,
        customer=customer,
        payment=payment,
        paid=paid,
        completed=completed,
        seed=rng.getrandbits(48),
    )


def generate(count: int, seed: int, now: int) -> tuple[list[Customer], list[DemoOrder]]:
    """``count`` orders created over the two years before ``now``, ids ascending by date.

    Every date is strictly before ``now``, so the first change made "now" is already newer.
    """
    rng = random.Random(seed)
    latest = now - 1
    customers = make_customers(rng, max(8, int(count * 0.45)))
    offsets = sorted((int(TWO_YEARS * rng.random() ** 1.3) for _ in range(count)), reverse=True)
    orders = []
    order_id = FIRST_ORDER_ID
    n_customers = len(customers)
    for offset in offsets:
        customer = pick_customer(rng, n_customers)
        orders.append(make_order(rng, order_id, now - offset - 600, customer, latest))
        order_id += 1 if rng.random() < 0.9 else between(rng, 2, 4)  # ids have gaps
    return customers, orders
