"""Order payloads straight to outbox text, fast: the back-fill and every sync page use it.

``build_order_payload`` (payload.py) defines the payload as a dict and the outbox stores it
as canonical JSON (``outbox.encode``: sorted keys, no spaces, UTF-8). For 100,000 orders
that route costs a dict per order, ``json.dumps`` with key sorting (~10 us) and the same
normalizing and hashing again for every returning customer. ``PayloadEncoder`` writes the
very same text directly (keys in sorted order, every free-text value escaped by the function
``json.dumps`` itself uses) and, with ``memo`` on, remembers per raw value what it computed:
the digest of each email, phone, name and address, the words of each city, the folded words
of each customer's name, company and street fields. Tests check, over generated adversarial
orders, that its text and digest equal ``outbox.encode(build_order_payload(...))`` to the
byte, with and without the memo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from datetime import datetime
from decimal import Decimal
from json.encoder import encode_basestring  # the C escaper json.dumps uses (ensure_ascii off)
from typing import Final, TypeVar

from shopguard.privacy.hashing import HASH_SCHEME, IDENTIFIER_KINDS, IdentifierKind, Salt, digester
from shopguard.privacy.normalize import (
    fold,
    fold_once,
    normalize_address_parts,
    normalize_email,
    normalize_name,
    normalize_phone,
)
from shopguard.privacy.payload import (
    _KNOWN_CODES,
    OUTCOMES,
    _city_words,
    _code,
    _currency,
    _decimal,
    _Personal,
    iso_utc,
)
from shopguard.store.records import OrderRecord

_SORTED_KINDS = ("address", "email", "name", "phone")  # the payload's key order
MEMO_SIZE = 50_000  # entries per memo before it starts again: some 10-20 MB each at most
Encoded = tuple[str, str]  # (canonical JSON text, SHA-256 hex of its UTF-8 bytes)
Address5 = tuple[str, str, str, str, str]
Personal10 = tuple[str, str, str, str, str, str, str, str, str, str]

_Key = TypeVar("_Key", bound=Hashable)
_Value = TypeVar("_Value")
_UNSEEN: Final = object()


class PayloadEncoder:
    """Payload text and digest of orders for one salt and default country.

    ``memo``: remember what each raw value gave (see the module docstring), so a returning
    customer costs dictionary look-ups instead of normalizing and hashing again; each memo
    starts again when it reaches ``MEMO_SIZE`` entries. ``hits`` and ``misses`` count the
    identifier look-ups, for benchmarks.
    """

    def __init__(self, salt: Salt, default_country: str = "", *, memo: bool = True) -> None:
        self.salt = salt
        self.default_country = default_country
        self._memo = memo
        self._digesters = {kind: digester(salt, kind) for kind in IDENTIFIER_KINDS}
        self._emails: dict[str, str | None] = {}
        self._phones: dict[tuple[str, str], str | None] = {}
        self._names: dict[tuple[str, str], str | None] = {}
        self._addresses: dict[Address5, str | None] = {}
        self._cities: dict[str, frozenset[str] | None] = {}  # None: never safe
        self._personal: dict[Personal10, frozenset[str]] = {}
        # Values orders share (codes, currencies, countries, totals) as the text they become:
        # kept whatever ``memo`` says, since they hold nothing of a customer.
        self._codes: dict[str, str] = {}
        self._currencies: dict[str, str] = {}
        self._countries: dict[str, str] = {}
        self._totals: dict[Decimal, str] = {}  # prices repeat: the same basket, the same total
        self.hits = 0
        self.misses = 0

    def order(self, order: OrderRecord) -> Encoded:
        """``outbox.encode(build_order_payload(order, salt, default_country=...))``."""
        o = order
        parts: Address5
        if (o.shipping_address_1 or "").strip() or (o.shipping_postcode or "").strip():
            parts = (
                o.shipping_address_1,
                o.shipping_address_2,
                o.shipping_postcode,
                o.shipping_city,
                o.shipping_country,
            )
        else:
            parts = (
                o.billing_address_1,
                o.billing_address_2,
                o.billing_postcode,
                o.billing_city,
                o.billing_country,
            )
        city = self._safe_city(parts[3], o)
        country = _cached(self._countries, parts[4], self._country_member)
        currency = _cached(self._currencies, o.currency, _currency_json)
        text = "".join(
            (
                '{"created_at":"',
                iso_utc(o.date_created_gmt),
                '","currency":',
                currency,
                ',"hash_scheme":"',
                HASH_SCHEME,
                '","identifiers":{',
                self._identifier_text(o, parts),
                '},"order_id":"',
                str(o.woo_id),
                '","payment_method":',
                self._code(o.payment_method, o),
                "" if city is None else ',"ship_city":' + encode_basestring(city),
                country,
                ',"shipping_method":',
                self._code(o.shipping_method, o),
                ',"status":',
                self._code(o.status, o),
                ',"total":"',
                _cached(self._totals, o.total, _decimal),
                '"}',
            )
        )
        return text, hashlib.sha256(text.encode()).hexdigest()

    def outcome(self, order_id: int, outcome: str, at: datetime) -> Encoded:
        """``outbox.encode(build_outcome_payload(order_id, outcome, at))``."""
        if outcome not in OUTCOMES:
            raise ValueError(f"Unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}.")
        text = f'{{"at":"{iso_utc(at)}","order_id":"{order_id}","outcome":"{outcome}"}}'
        return text, hashlib.sha256(text.encode()).hexdigest()

    def _identifier_text(self, o: OrderRecord, parts: Address5) -> str:
        """The inside of the "identifiers" object, keys in sorted order."""
        region = (o.billing_country or o.shipping_country or self.default_country).upper()
        names = (o.billing_first_name, o.billing_last_name)
        phone = (o.billing_phone or o.shipping_phone, region)
        found = (
            self._digest(self._addresses, parts, "address", _address),
            self._digest(self._emails, o.billing_email, "email", normalize_email),
            self._digest(self._names, names, "name", _name),
            self._digest(self._phones, phone, "phone", _phone),
        )
        return ",".join(f'"{k}":"{v}"' for k, v in zip(_SORTED_KINDS, found, strict=True) if v)

    def _digest(
        self,
        memo: dict[_Key, str | None],
        raw: _Key,
        kind: IdentifierKind,
        normalize: Callable[[_Key], str | None],
    ) -> str | None:
        if self._memo:
            found = memo.get(raw, _UNSEEN)
            if found is not _UNSEEN:
                self.hits += 1
                return found  # type: ignore[return-value]
        self.misses += 1
        normalized = normalize(raw)
        value = self._digesters[kind](normalized) if normalized else None
        if self._memo:
            _remember(memo, raw, value)
        return value

    def _country_member(self, raw: str) -> str:
        """The ``"ship_country"`` member (with its leading comma), or nothing for a value
        that is not a two-letter code."""
        country = (raw or self.default_country).strip().upper()
        if len(country) == 2 and country.isalpha():
            return ',"ship_country":' + encode_basestring(country)
        return ""

    def _code(self, value: str, order: OrderRecord) -> str:
        """``payload._code`` as JSON; WooCommerce's own codes (every order's) from a memo."""
        found = self._codes.get(value)
        if found is None:
            text = (value or "").strip().lower()
            if text not in _KNOWN_CODES:
                return encode_basestring(_code(value, _Personal(order)))
            found = encode_basestring(text)
            _remember(self._codes, value, found)
        return found

    def _safe_city(self, city: str, o: OrderRecord) -> str | None:
        """``payload.safe_city(city, o)``."""
        found = self._cities.get(city, _UNSEEN) if self._memo else _UNSEEN
        if found is _UNSEEN:
            words = _city_words(city)
            if self._memo:
                _remember(self._cities, city, words)
        else:
            words = found  # type: ignore[assignment]
        if words is None:
            return None
        if words:
            # _Personal.shares_a_word: the same fields, their words as one set per customer.
            fields = (
                o.billing_first_name,
                o.billing_last_name,
                o.shipping_first_name,
                o.shipping_last_name,
                o.billing_company,
                o.shipping_company,
                o.billing_address_1,
                o.billing_address_2,
                o.shipping_address_1,
                o.shipping_address_2,
            )
            personal = self._personal.get(fields) if self._memo else None
            if personal is None:
                personal = frozenset(w for f in fields if f for w in fold(f))
                if self._memo:
                    _remember(self._personal, fields, personal)
            if not words.isdisjoint(personal):
                return None
            user = o.billing_email.split("@")[0]
            if user and _may_hold_a_word(user, words) and not words.isdisjoint(fold_once(user)):
                return None
        return (city or "").strip()


def _may_hold_a_word(user: str, words: frozenset[str]) -> bool:
    """False when ``fold(user)`` cannot hold any of these (folded) words: for an ASCII user
    part, each of its words is a piece of its lower-cased text. Most email addresses are
    ASCII and unique, so this spares folding one per order."""
    if not user.isascii():
        return True
    lowered = user.lower()
    return any(word in lowered for word in words)


def _currency_json(raw: str) -> str:
    return encode_basestring(_currency(raw))


def _cached(memo: dict[_Key, str], key: _Key, make: Callable[[_Key], str]) -> str:
    """``make(key)``, from the memo when it was made before."""
    found = memo.get(key)
    if found is None:
        found = make(key)
        _remember(memo, key, found)
    return found


def _remember(memo: dict[_Key, _Value], key: _Key, value: _Value) -> None:
    if len(memo) >= MEMO_SIZE:
        memo.clear()
    memo[key] = value


def _address(parts: Address5) -> str | None:
    return normalize_address_parts(*parts)


def _name(names: tuple[str, str]) -> str | None:
    return normalize_name(*names)


def _phone(raw_and_region: tuple[str, str]) -> str | None:
    raw, region = raw_and_region
    return normalize_phone(raw, region or None)
