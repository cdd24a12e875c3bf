"""Hash scheme v1: the published test vectors, to the bit, and properties around them."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopguard.privacy.hashing import IDENTIFIER_KINDS, IdentifierKind, InvalidSalt, Salt, digest
from shopguard.privacy.normalize import (
    Address,
    choose_address,
    normalize_address,
    normalize_email,
    normalize_name,
    normalize_phone,
)

SALT = Salt.from_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
PHONE_DIGEST = "f20a1df895d8366d7528ea1662ce7ccfc569b493c56b0f44a93b7f5c60111882"


@pytest.mark.parametrize(
    ("raw", "normalized", "expected"),
    [
        (
            "  John.Smith+promo@GoogleMail.com ",
            "johnsmith@gmail.com",
            "f183399a28e47ba4415a9de3ae52e48ca4885d37e11bd1c4d79d24d262c4252f",
        ),
        (
            "Anna.Papa@Example.CO.UK",
            "anna.papa@example.co.uk",
            "66ec48d320be42aece2cfa96a5f2930af6f69a88b37b22050b2603918cc4475f",
        ),
    ],
)
def test_email_vectors(raw: str, normalized: str, expected: str) -> None:
    assert normalize_email(raw) == normalized
    assert digest(SALT, "email", normalized) == expected


@pytest.mark.parametrize(("raw", "region"), [("691 234 5678", "GR"), ("+30 691-234-5678", "GB")])
def test_phone_vectors(raw: str, region: str) -> None:
    assert normalize_phone(raw, region) == "+306912345678"
    assert digest(SALT, "phone", "+306912345678") == PHONE_DIGEST


@pytest.mark.parametrize(
    ("first", "last", "normalized", "expected"),
    [
        (
            "Γιώργος",
            "ΠΑΠΑΔΌΠΟΥΛΟΣ",
            "γιωργοσ παπαδοπουλοσ",
            "0be2e2d7bf631564e05f0099b07b0d5d0db5e0c2e8681e444f8a53b90e3c44a2",
        ),
        (
            "Smith",
            "John",
            "john smith",
            "23e593d8137604eac6a864930d9d9a115411c5db3d18db9b34e512194fcd4a9f",
        ),
    ],
)
def test_name_vectors(first: str, last: str, normalized: str, expected: str) -> None:
    assert normalize_name(first, last) == normalized
    assert digest(SALT, "name", normalized) == expected


def test_address_vector() -> None:
    address = Address("10 Downing St", "Flat 2", "sw1a 2aa", "London", "gb")
    assert normalize_address(address) == "10 downing st|flat 2|SW1A2AA|london|GB"
    assert (
        digest(SALT, "address", "10 downing st|flat 2|SW1A2AA|london|GB")
        == "46936c8bc5136fb7cffac532755c454e6ffed3c6f5f4f2039025d90196ee2324"
    )


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "no-at-sign",
        "two@@example.com",
        "a@b@example.com",
        "@example.com",
        "+tag@example.com",
        "anna@localhost",
        "anna@.com",
        "anna@example..com",
        "an na@example.com",
        "...@gmail.com",
    ],
)
def test_emails_that_do_not_normalize_give_no_identifier(raw: str | None) -> None:
    assert normalize_email(raw) is None


def test_email_domain_is_idna_encoded_and_trailing_dot_dropped() -> None:
    assert normalize_email("Μαρία@Παράδειγμα.ΕΛ.") == "μαρία@xn--hxajbheg2az3al.xn--qxam"


@pytest.mark.parametrize("raw", [None, "", "12", "not a phone", "+30 12"])
def test_phones_that_do_not_normalize(raw: str | None) -> None:
    assert normalize_phone(raw, "GR") is None


def test_names_and_addresses_that_do_not_normalize() -> None:
    assert normalize_name("", "  ") is None
    assert normalize_name("—", "!!") is None
    assert normalize_address(Address("", "Flat 2", "", "London", "GB")) is None


def test_shipping_address_is_chosen_when_it_has_a_line_or_postcode() -> None:
    billing = Address("1 Bill St", "", "AB1 2CD", "Leeds", "GB")
    assert choose_address(Address("", "", "", "York", "GB"), billing) is billing
    shipping = Address("", "", "YO1 7HH", "York", "GB")
    assert choose_address(shipping, billing) is shipping


def test_salt_must_be_32_bytes_of_hex() -> None:
    with pytest.raises(InvalidSalt):
        Salt.from_hex("abc")
    assert "0011" not in repr(SALT)
    with pytest.raises(ValueError, match="empty"):
        digest(SALT, "email", "")


@given(st.text())
def test_email_normalization_is_idempotent(raw: str) -> None:
    once = normalize_email(raw)
    if once is not None:
        assert normalize_email(once) == once
        assert once.count("@") == 1 and "+" not in once.split("@")[0]


@given(st.text(), st.text())
def test_name_normalization_ignores_order_case_and_accents(first: str, last: str) -> None:
    forward = normalize_name(first, last)
    assert normalize_name(last, first) == forward
    if forward is not None:
        assert forward == forward.strip() and "  " not in forward


@given(st.text(alphabet=st.characters(codec="ascii")), st.text(alphabet="aeiouáéíóúΑΕΙΟΥάέίόύ "))
def test_name_normalization_ignores_case(first: str, last: str) -> None:
    assert normalize_name(first.upper(), last.upper()) == normalize_name(first.lower(), last)


@given(st.from_regex(r"\+30 ?69\d{8}", fullmatch=True))
def test_greek_mobiles_in_any_spacing_normalize_the_same(raw: str) -> None:
    spaced = " ".join(raw)
    assert normalize_phone(raw, "GB") == normalize_phone(spaced, "GR")


@given(st.binary(min_size=32, max_size=32), st.sampled_from(IDENTIFIER_KINDS), st.text(min_size=1))
def test_digest_is_hmac_sha256_of_kind_and_text(
    key: bytes, kind: IdentifierKind, text: str
) -> None:
    """The precomputed-pad digest agrees with the standard library's HMAC, to the bit."""
    message = f"{kind}:{text}".encode()
    assert digest(Salt(key), kind, text) == hmac.new(key, message, hashlib.sha256).hexdigest()
