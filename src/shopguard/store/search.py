"""How the orders screen's search matches what a shop owner types.

Every order keeps a search key (``orders.search_text``), written with the order: its
customer's name, email, phone, towns and postcodes and its payment method, folded so that
case and accents do not matter in any alphabet ("ελένη" finds "Ελένη", "theo" finds
"Théo"), with postcodes and phones also without their spaces ("sw1a1aa" finds
"SW1A 1AA"). What the owner types is folded the same way (``search_terms``), and a leading
"#" is dropped, as the screen shows order numbers with one.

SQLite's own ``LIKE`` and ``lower`` fold ASCII letters only, hence a stored key rather than
folding in the query.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

SEARCHED_FIELDS: tuple[str, ...] = (
    "billing_first_name",
    "billing_last_name",
    "billing_email",
    "billing_phone",
    "billing_city",
    "billing_postcode",
    "shipping_city",
    "shipping_postcode",
    "payment_method_title",
)
# Also kept without spaces, dashes and dots: typed either way.
_COMPACTED = frozenset({"billing_phone", "billing_postcode", "shipping_postcode"})
_SQUEEZED = str.maketrans("", "", " -./()")


def fold(text: str) -> str:
    """``text`` without case or accents (NFKD, combining marks dropped, case folded)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_key(values: Mapping[str, Any]) -> str:
    """The stored search key of an order, from its fields by name (missing ones: empty)."""
    parts = []
    for name in SEARCHED_FIELDS:
        folded = fold(str(values.get(name) or ""))
        if folded:
            parts.append(folded)
            if name in _COMPACTED and (squeezed := folded.translate(_SQUEEZED)) != folded:
                parts.append(squeezed)
    return "\n".join(parts)


def search_terms(search: str) -> list[str]:
    """What the owner typed, as folded words that must each appear ("#" before a number
    dropped)."""
    terms = []
    for word in search.split():
        folded = fold(word).lstrip("#")
        if folded:
            terms.append(folded)
    return terms
