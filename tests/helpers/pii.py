"""Raw PII values and their easy variants, for proving none of them left the machine."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from shopguard.store.records import PII_FIELDS, OrderRecord

MIN_LENGTH = 4  # shorter values occur by chance in hex digests, dates and totals
# Words the payload's own structure contains: a customer called "Name" (or "Orde") is not
# leaked by the key "name" (or "order_id").
VOCABULARY = frozenset(
    (
        *("order_id", "created_at", "total", "currency", "payment_method", "shipping_method"),
        *("status", "ship_city", "ship_country", "identifiers", "email", "phone", "name"),
        *("address", "hash_scheme", "outcome", "orders", "outcomes", "processing", "completed"),
        *("refunded", "cancelled", "failed", "pending", "on-hold", "trash", "flat_rate"),
        *("free_shipping", "local_pickup", "bacs", "cheque", "paypal", "stripe", "other"),
        *("delivered", "refused", "returned", "application", "json", "content-type"),
        *("content-length", "user-agent", "shopguard", "idempotency-key", "true", "false"),
        "null",
    )
)


# The same words as the JSON around them: a customer called ',"TO' is not leaked by the
# payload's ',"total":' either.
STRUCTURE = tuple(
    form
    for word in VOCABULARY
    for form in (f'{{"{word}":', f',"{word}":', f'"{word}":"', f'"{word}",', f'"{word}"}}')
)


def raw_values(order: OrderRecord) -> list[str]:
    """The order's raw PII values worth searching for."""
    values = [str(getattr(order, name)).strip() for name in PII_FIELDS]
    full_name = f"{order.billing_first_name} {order.billing_last_name}".strip()
    return [
        v
        for v in [*values, full_name]
        if len(v) >= MIN_LENGTH
        and not any(v.casefold() in form for form in STRUCTURE)
        and not _short_number(v)
    ]


def _short_number(value: str) -> bool:
    """A house number or postcode like "6023": not identifying alone, and bound to turn up
    by chance inside 64-digit hex digests."""
    compact = "".join(value.split())
    return compact.isdigit() and len(compact) < 7


def variants(value: str) -> set[bytes]:
    """The value and the forms a careless program would send it in."""
    forms = {value, value.lower(), value.upper(), value.casefold(), quote(value), quote_plus(value)}
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 7:
        forms.add(digits)
    out = {f.encode() for f in forms if len(f) >= MIN_LENGTH}
    for form in (value, value.lower()):
        out.add(base64.b64encode(form.encode()).rstrip(b"="))
        out.add(base64.urlsafe_b64encode(form.encode()).rstrip(b"="))
    return out


def leaks(sent: bytes, orders: Iterable[OrderRecord]) -> list[tuple[int, str]]:
    """(order id, raw value) for every raw value found in ``sent``."""
    found = []
    for order in orders:
        for value in raw_values(order):
            if any(_occurs(form, sent) for form in variants(value)):
                found.append((order.woo_id, value))
    return found


def _occurs(form: bytes, sent: bytes) -> bool:
    """Whether ``form`` is in ``sent``. A word made of letters only counts where it stands
    as a word: a customer called "Then" is not leaked by the city "Athens" (the payload's
    city check compares words too); anything else (emails, numbers, encodings) counts
    anywhere."""
    if not form.decode(errors="replace").isalpha():
        return form in sent
    start = sent.find(form)
    while start >= 0:
        end = start + len(form)
        before = sent[start - 1 : start].decode("latin-1")
        after = sent[end : end + 1].decode("latin-1")
        if not _letter_byte(before) and not _letter_byte(after):
            return True
        start = sent.find(form, start + 1)
    return False


def _letter_byte(char: str) -> bool:
    # A byte of a multi-byte UTF-8 character (>= 0x80) is part of a letter here.
    return bool(char) and (char.isascii() and char.isalpha() or ord(char) >= 0x80)
