"""The embedded scorer's identifiers: hash scheme v1 under the local salt, memoized.

The same normalization as the payload (``shopguard.privacy.payload.identifiers``): email,
phone (default region: the billing country, else the shipping country, else the store's),
name, and the shipping address when it has a first line or postcode, else the billing one.
Digests use the local salt and are cut to ``LOCAL_DIGEST_CHARS`` hex digits: they only link
one shop's own customers, and half the length halves the stored index (a collision would
take some 2^64 customers).

Returning customers repeat their details, and parsing a phone number alone costs ~20 us:
each distinct field (and each distinct set of fields) is normalized and hashed once per run.
"""

from __future__ import annotations

from shopguard.privacy.hashing import IdentifierKind, Salt, digest
from shopguard.privacy.normalize import (
    Address,
    choose_address,
    normalize_address,
    normalize_email,
    normalize_name,
    normalize_phone,
)
from shopguard.store.repositories.local_scoring import IdentityRow

LOCAL_DIGEST_CHARS = 32
Identified = tuple[dict[str, str], frozenset[str]]


class LocalIdentifiers:
    """Strong digests and identifier kinds of orders' raw fields, for one run."""

    def __init__(self, salt: Salt, default_country: str = "") -> None:
        self._salt = salt
        self._country = default_country
        self._rows: dict[IdentityRow, Identified] = {}
        self._emails: dict[str, str | None] = {}
        self._phones: dict[tuple[str, str], str | None] = {}
        self._addresses: dict[tuple[str, str, str, str, str], str | None] = {}
        self._names: dict[tuple[str, str], bool] = {}

    def of(self, row: IdentityRow) -> Identified:
        """({kind: digest} for email, phone and address; every kind present, name too)."""
        found = self._rows.get(row)
        if found is not None:
            return found
        digests: dict[str, str] = {}
        email = self._email(row.billing_email)
        if email is not None:
            digests["email"] = email
        region = (row.billing_country or row.shipping_country or self._country).upper()
        phone = self._phone(row.billing_phone or row.shipping_phone, region)
        if phone is not None:
            digests["phone"] = phone
        address = self._address(row)
        if address is not None:
            digests["address"] = address
        kinds = frozenset(digests)
        if self._has_name(row.billing_first_name, row.billing_last_name):
            kinds = kinds | {"name"}
        found = self._rows[row] = (digests, kinds)
        return found

    def _hash(self, kind: IdentifierKind, normalized: str | None) -> str | None:
        if not normalized:
            return None
        return digest(self._salt, kind, normalized)[:LOCAL_DIGEST_CHARS]

    def _email(self, raw: str) -> str | None:
        if raw not in self._emails:
            self._emails[raw] = self._hash("email", normalize_email(raw))
        return self._emails[raw]

    def _phone(self, raw: str, region: str) -> str | None:
        key = (raw, region)
        if key not in self._phones:
            self._phones[key] = self._hash("phone", normalize_phone(raw, region or None))
        return self._phones[key]

    def _address(self, row: IdentityRow) -> str | None:
        shipping = Address(
            row.shipping_address_1,
            row.shipping_address_2,
            row.shipping_postcode,
            row.shipping_city,
            row.shipping_country,
        )
        billing = Address(
            row.billing_address_1,
            row.billing_address_2,
            row.billing_postcode,
            row.billing_city,
            row.billing_country,
        )
        chosen = choose_address(shipping, billing)
        key = (chosen.address_1, chosen.address_2, chosen.postcode, chosen.city, chosen.country)
        if key not in self._addresses:
            self._addresses[key] = self._hash("address", normalize_address(chosen))
        return self._addresses[key]

    def _has_name(self, first: str, last: str) -> bool:
        key = (first, last)
        if key not in self._names:
            self._names[key] = normalize_name(first, last) is not None
        return self._names[key]
