"""The outgoing payload: only digests and non-PII facts, whatever customers type."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shopguard.privacy.hashing import Salt, digest
from shopguard.privacy.payload import build_order_payload, build_outcome_payload, safe_city
from shopguard.store.records import OrderRecord
from shopguard.store.repositories.outbox import encode
from tests.helpers.factories import make_order, published_example_order
from tests.helpers.pii import leaks, raw_values

SALT = Salt.from_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")


def test_payload_shape() -> None:
    order = published_example_order()
    payload = build_order_payload(order, SALT)
    assert payload == {
        "order_id": "4242",
        "created_at": "2026-03-01T09:30:05Z",
        "total": "59.90",
        "currency": "EUR",
        "payment_method": "cod",
        "shipping_method": "flat_rate",
        "status": "processing",
        "ship_city": "London",
        "ship_country": "GB",
        "identifiers": {
            "email": digest(SALT, "email", "johnsmith@gmail.com"),
            "phone": digest(SALT, "phone", "+306912345678"),  # region: billing country GR
            "name": digest(SALT, "name", "γιωργοσ παπαδοπουλοσ"),
            "address": digest(SALT, "address", "10 downing st|flat 2|SW1A2AA|london|GB"),
        },
        "hash_scheme": "v1",
    }


def test_identifiers_that_do_not_normalize_are_left_out() -> None:
    order = make_order(
        1,
        billing_email="not an email",
        billing_phone="n/a",
        billing_first_name="",
        billing_last_name="",
    )
    assert build_order_payload(order, SALT)["identifiers"] == {}


def test_cities_that_look_personal_are_left_out() -> None:
    order = make_order(
        1,
        billing_first_name="Maria",
        billing_last_name="Kosta",
        billing_address_1="Ermou 12",
        billing_company="Kosta Trading",
    )
    for city in (
        "maria@example.com",
        "+30 691 234 5678",
        "Kosta",
        "MARÍA",
        "Ermou",
        "Trading",
        "x" * 61,
        "Athens / leave with neighbour",
    ):
        assert safe_city(city, order) is None, city
    for city in ("Athens", "Θεσσαλονίκη", "Newcastle upon Tyne", "London SW1"):
        assert safe_city(city, order) == city


def test_odd_codes_and_currency_are_not_sent_as_entered() -> None:
    order = make_order(
        1, payment_method="Paid by maria@example.com", status="wc-custom status", currency="€"
    )
    payload = build_order_payload(order, SALT)
    assert (payload["payment_method"], payload["status"], payload["currency"]) == (
        "other",
        "other",
        "XXX",
    )


def test_outcome_payload() -> None:
    at = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert build_outcome_payload(7, "refused", at) == {
        "order_id": "7",
        "outcome": "refused",
        "at": "2026-05-01T10:00:00Z",
    }


# --------------------------------------------------------------------------- the proof

LETTERS = st.characters(
    categories=("Lu", "Ll", "Lo", "Mn", "Nd", "Zs", "Pd", "Po", "So"),
    exclude_characters="\x00",
)
names = st.text(LETTERS, min_size=1, max_size=24)
greek = st.sampled_from(["Γιώργος", "Παπαδόπουλος", "ΜΑΡΊΑ", "Ελένη-Ζωή", "Νίκος 😀"])
emails = st.builds(
    lambda local, tag, domain: f"{local}{tag}@{domain}",
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.]{2,14}", fullmatch=True),
    st.sampled_from(["", "+promo", "+x1"]),
    st.sampled_from(["example.com", "GoogleMail.com", "μαγαζί.gr", "shop.co.uk"]),
)
phones = st.one_of(
    st.from_regex(r"\+30 ?69\d ?\d{3} ?\d{4}", fullmatch=True),
    st.from_regex(r"0?7700 ?900\d{3}", fullmatch=True),
    st.from_regex(r"\(210\) \d{3}-\d{4}", fullmatch=True),
    st.from_regex(r"00 ?44 ?20 ?\d{4} ?\d{4}", fullmatch=True),
)
streets = st.one_of(
    st.builds(
        lambda n, s: f"{s} {n}",
        st.integers(1, 400),
        st.sampled_from(["Ερμού", "Baker Street", "Rue de Rivoli"]),
    ),
    names,
)
cities = st.sampled_from(["Athens", "Αθήνα", "London", "Πάτρα", "Köln", "Lyon"])


@st.composite
def adversarial_orders(draw: st.DrawFn) -> OrderRecord:
    first = draw(st.one_of(greek, names))
    last = draw(st.one_of(greek, names))
    email = draw(emails)
    phone = draw(phones)
    street = draw(streets)
    pii = [first, last, email, phone, street, f"{first} {last}"]

    def somewhere() -> str:
        return draw(st.one_of(st.just(""), st.sampled_from(pii), names))

    return OrderRecord(
        woo_id=draw(st.integers(1, 999)),
        number=str(draw(st.integers(1, 999))),
        status=draw(st.sampled_from(["processing", "completed", "refunded", somewhere()])),
        date_created_gmt=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        date_modified_gmt=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        total=Decimal("12.50"),
        currency="EUR",
        payment_method=draw(st.sampled_from(["cod", "bacs", somewhere()])),
        shipping_method=draw(st.sampled_from(["flat_rate", somewhere()])),
        billing_first_name=first,
        billing_last_name=last,
        billing_company=somewhere(),
        billing_email=email,
        billing_phone=phone,
        billing_address_1=street,
        billing_address_2=somewhere(),
        billing_city=draw(st.one_of(cities, st.sampled_from(pii))),
        billing_postcode=draw(st.sampled_from(["SW1A 2AA", "105 57", "", "EC1A 1BB"])),
        billing_country=draw(st.sampled_from(["GR", "GB", "", "DE"])),
        shipping_first_name=somewhere(),
        shipping_last_name=somewhere(),
        shipping_phone=somewhere(),
        shipping_address_1=draw(st.one_of(st.just(""), streets)),
        shipping_city=draw(st.one_of(cities, st.sampled_from(pii))),
        shipping_country=draw(st.sampled_from(["GR", "GB", ""])),
        customer_note=somewhere(),
    )


@settings(max_examples=400)
@given(adversarial_orders())
def test_no_raw_pii_or_easy_variant_is_in_the_payload(order: OrderRecord) -> None:
    text, _digest = encode(build_order_payload(order, SALT, default_country="GR"))
    assert leaks(text.encode(), [order]) == []


def test_a_name_inside_a_longer_city_word_is_not_a_leak_but_the_name_as_a_word_is() -> None:
    """Regression: hypothesis found a customer called "THEN" shipping to Athens; the city
    shares no word with the customer, so it is sent, and the proof must not call it a leak."""
    order = make_order(
        1,
        billing_first_name="Γιώργος",
        billing_last_name="THEN",
        billing_city="Athens",
        shipping_city="Athens",
    )
    text, _digest = encode(build_order_payload(order, SALT, default_country="GR"))
    assert '"ship_city":"Athens"' in text
    assert leaks(text.encode(), [order]) == []
    assert leaks(b'{"note": "then"}', [order]) == [(1, "THEN")]


def test_a_name_made_of_the_payloads_own_json_is_not_searched_for() -> None:
    """Regression: hypothesis found a customer called ',"TO'; the payload's ',"total":' holds
    it, lowercased, whatever the customer is called, so such a value cannot be told apart
    from the payload's own text (as a customer called "Name" cannot) and is not searched."""
    order = make_order(1, billing_first_name="Γιώργος", billing_last_name=',"TO')
    text, _digest = encode(build_order_payload(order, SALT, default_country="GR"))
    assert ',"total":' in text
    assert leaks(text.encode(), [order]) == []
    assert ',"TO' not in raw_values(order) and "Γιώργος" in raw_values(order)
