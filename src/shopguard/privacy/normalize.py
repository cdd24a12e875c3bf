"""Hash scheme v1, step one: turn raw PII into one canonical text per kind.

A contract shared with the scoring service and every shop's app: the same customer typed
differently ("John.Smith+promo@GoogleMail.com", "johnsmith@gmail.com") must give the same
text, to the bit. An input that does not normalize gives ``None``: never a hash of garbage
or of the empty string.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from shopguard.privacy.phone import e164

_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
_ASCII_WORD = re.compile(r"[0-9a-z]+")
_WORD = re.compile(r"[^\W_]+")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # beyond the Basic Multilingual Plane
_SPACE = re.compile(r"\s")


def normalize_email(raw: str | None) -> str | None:
    """NFKC, trimmed, lower-case; ``+tag`` dropped; gmail dots dropped; IDNA domain."""
    if not raw:
        return None
    text = unicodedata.normalize("NFKC", raw).strip().lower()
    if text.count("@") != 1:
        return None
    local, domain = text.split("@")
    domain = domain.rstrip(".")
    local = local.split("+", 1)[0]
    if not local or "." not in domain or _SPACE.search(text):
        return None
    if domain.startswith(".") or ".." in domain:
        return None
    if domain.isascii():
        # What the idna codec does with an ASCII name (its own fast path): the name itself,
        # unless a label is empty (ruled out above) or 64 characters or longer.
        if max(map(len, domain.split("."))) >= 64:
            return None
    else:
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
        if not local:
            return None
    return f"{local}@{domain}"


def normalize_phone(raw: str | None, region: str | None) -> str | None:
    """E.164, parsed with the order's country as the default region; possible numbers only."""
    if not raw or not raw.strip():
        return None
    return e164(raw, (region or "").strip().upper() or None)


def fold_once(text: str | None) -> tuple[str, ...]:
    """NFKD, combining marks dropped, casefolded, split on anything not a letter or digit.

    For text that seldom repeats (an email's user part); ``fold`` caches the rest.
    """
    if not text:
        return ()
    if text.isascii():
        return tuple(_ASCII_WORD.findall(text.lower()))
    decomposed = unicodedata.normalize("NFKD", text)
    if _ASTRAL.search(decomposed) is None:
        stripped = _combining_marks_bmp().sub("", decomposed)
    else:
        stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # [^\W_] is exactly str.isalnum() in Python's re: the words are its longest runs.
    return tuple(_WORD.findall(stripped.casefold()))


fold = lru_cache(maxsize=65_536)(fold_once)  # names, streets and cities repeat a lot
fold.__doc__ = fold_once.__doc__


@lru_cache(maxsize=1)
def _combining_marks_bmp() -> re.Pattern[str]:
    """Every combining mark of the BMP (none lies below U+0300), as one character class:
    a regular expression removes them twice as fast as a str.translate table."""
    marks = (chr(cp) for cp in range(0x300, 0x10000) if unicodedata.combining(chr(cp)))
    return re.compile("[" + "".join(map(re.escape, marks)) + "]+")


def normalize_name(first: str | None, last: str | None) -> str | None:
    """First and last name as sorted folded tokens ("Smith John" == "John Smith")."""
    tokens = fold(f"{first or ''} {last or ''}")
    if not tokens:
        return None
    return " ".join(sorted(tokens))


@dataclass(frozen=True)
class Address:
    """The parts of a postal address the scheme uses."""

    address_1: str = ""
    address_2: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""


def normalize_address(address: Address) -> str | None:
    """``line1|line2|POSTCODE|city|CC``; None when both first line and postcode are empty."""
    return normalize_address_parts(
        address.address_1, address.address_2, address.postcode, address.city, address.country
    )


def normalize_address_parts(
    address_1: str, address_2: str, postcode: str, city: str, country: str
) -> str | None:
    """``normalize_address`` of an address given as its five parts."""
    if not (address_1 or "").strip() and not (postcode or "").strip():
        return None
    return "|".join(
        (
            " ".join(fold(address_1)),
            " ".join(fold(address_2)),
            "".join((postcode or "").split()).upper(),
            " ".join(fold(city)),
            (country or "").strip().upper(),
        )
    )


def choose_address(shipping: Address, billing: Address) -> Address:
    """The shipping address when it has a first line or postcode, else the billing one."""
    if (shipping.address_1 or "").strip() or (shipping.postcode or "").strip():
        return shipping
    return billing


def clear_caches() -> None:
    """Forget cached folds (benchmarks start cold with it)."""
    fold.cache_clear()
