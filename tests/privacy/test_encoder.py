"""PayloadEncoder writes exactly what build_order_payload + outbox.encode would, to the byte.

The outbox keeps the exact bytes sent, and the idempotency key carries their digest, so the
fast route must not differ in a single byte: not in escaping, key order, number or time
format, nor because its memo remembered a raw value from another order.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shopguard.privacy import encoder as encoder_module
from shopguard.privacy.encoder import PayloadEncoder
from shopguard.privacy.hashing import IDENTIFIER_KINDS, IdentifierKind, Salt, digest, digester
from shopguard.privacy.normalize import fold, normalize_email
from shopguard.privacy.payload import OUTCOMES, build_order_payload, build_outcome_payload, iso_utc
from shopguard.store.records import OrderRecord
from shopguard.store.repositories.outbox import encode
from tests.helpers.factories import make_order, published_example_order
from tests.privacy.test_payload import adversarial_orders

SALT = Salt.from_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")

# Values shared between generated orders, so customers return, cities hold their names and
# the memo is hit; and arbitrary text for everything JSON must escape.
POOL = [
    "",
    " ",
    "Αθήνα",
    "London",
    "Köln",
    "Smith",
    "Γιώργος",
    "Παπαδόπουλος",
    "O'Brien",
    'say "hi"',
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "\x01\x1f",
    "😀 emoji",
    "maria@example.com",
    "+30 691 234 5678",
    "07700 900123",
    "Ermou 12",
    "SW1A 2AA",
    "105 57",
    "GR",
    "gb",
    "de ",
    "ΕΛ",
    "cod",
    "flat_rate",
    "processing",
    "completed",
    "wc-custom status",
    "smith_pay",
]
texts = st.one_of(st.sampled_from(POOL), st.text(max_size=20))
emails = st.one_of(
    st.sampled_from(["  John.Smith+promo@GoogleMail.com ", "anna@example.com", "x@μαγαζί.gr"]),
    st.builds(lambda a, b: f"{a}@{b}", texts, texts),
    texts,
)
_EARLIEST, _LATEST = datetime(1, 1, 2), datetime(9999, 12, 30)  # UTC of any offset exists
moments = st.datetimes(
    min_value=_EARLIEST,
    max_value=_LATEST,
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=3)), timezone(timedelta(0), "GMT"), None]
    ),
)
totals = st.one_of(
    st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False),
    st.sampled_from([Decimal("0"), Decimal("59.9"), Decimal("1E+3"), Decimal("-0.005")]),
)


@st.composite
def orders(draw: st.DrawFn) -> OrderRecord:
    """Any order: every string field from the shared pool or arbitrary text."""
    fields = {
        name: draw(texts)
        for name in (
            "status",
            "payment_method",
            "shipping_method",
            "billing_first_name",
            "billing_last_name",
            "billing_company",
            "billing_phone",
            "billing_address_1",
            "billing_address_2",
            "billing_city",
            "billing_postcode",
            "billing_country",
            "shipping_first_name",
            "shipping_last_name",
            "shipping_company",
            "shipping_phone",
            "shipping_address_1",
            "shipping_address_2",
            "shipping_city",
            "shipping_postcode",
            "shipping_country",
            "customer_note",
        )
    }
    return OrderRecord(
        woo_id=draw(st.integers(-5, 10**12)),
        number="1",
        date_created_gmt=draw(moments),
        date_modified_gmt=draw(moments),
        total=draw(totals),
        currency=draw(st.one_of(st.sampled_from(["EUR", "gbp", " usd", "€"]), texts)),
        billing_email=draw(emails),
        **fields,
    )


def _reference(order: OrderRecord, default_country: str) -> tuple[str, str]:
    return encode(build_order_payload(order, SALT, default_country=default_country))


@settings(max_examples=200)
@given(st.lists(orders(), min_size=1, max_size=8), st.sampled_from(["", "GR", "gb", "ΕΛ"]))
def test_the_encoder_writes_the_reference_bytes_with_and_without_memo(
    batch: list[OrderRecord], default_country: str
) -> None:
    remembering = PayloadEncoder(SALT, default_country)
    forgetting = PayloadEncoder(SALT, default_country, memo=False)
    for order in [*batch, *batch]:  # the second round is served from the memo
        expected = _reference(order, default_country)
        assert remembering.order(order) == expected
        assert forgetting.order(order) == expected
    assert remembering.hits >= 4 * len(batch)
    assert forgetting.hits == 0


@settings(max_examples=150)
@given(adversarial_orders())
def test_the_encoder_writes_the_reference_bytes_for_adversarial_orders(order: OrderRecord) -> None:
    assert PayloadEncoder(SALT, "GR").order(order) == _reference(order, "GR")


def test_the_published_payload_is_written_byte_for_byte() -> None:
    order = published_example_order()
    text, text_digest = PayloadEncoder(SALT).order(order)
    assert text == (
        '{"created_at":"2026-03-01T09:30:05Z","currency":"EUR","hash_scheme":"v1",'
        '"identifiers":{'
        '"address":"46936c8bc5136fb7cffac532755c454e6ffed3c6f5f4f2039025d90196ee2324",'
        '"email":"f183399a28e47ba4415a9de3ae52e48ca4885d37e11bd1c4d79d24d262c4252f",'
        '"name":"0be2e2d7bf631564e05f0099b07b0d5d0db5e0c2e8681e444f8a53b90e3c44a2",'
        '"phone":"f20a1df895d8366d7528ea1662ce7ccfc569b493c56b0f44a93b7f5c60111882"},'
        '"order_id":"4242","payment_method":"cod","ship_city":"London","ship_country":"GB",'
        '"shipping_method":"flat_rate","status":"processing","total":"59.90"}'
    )
    assert text_digest == hashlib.sha256(text.encode()).hexdigest()


@given(st.integers(-5, 10**12), st.sampled_from(OUTCOMES), moments)
def test_outcomes_are_written_as_the_reference(order_id: int, outcome: str, at: datetime) -> None:
    expected = encode(build_outcome_payload(order_id, outcome, at))
    assert PayloadEncoder(SALT).outcome(order_id, outcome, at) == expected


def test_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown outcome"):
        PayloadEncoder(SALT).outcome(1, "lost", datetime(2026, 1, 1, tzinfo=UTC))


def test_each_memo_starts_again_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoder_module, "MEMO_SIZE", 3)
    encoder = PayloadEncoder(SALT, "GR")
    batch = [make_order(i, billing_phone=f"69{i:08d}") for i in range(1, 8)]
    for order in [*batch, *batch]:
        assert encoder.order(order) == _reference(order, "GR")
    memos = ("_emails", "_phones", "_names", "_addresses", "_cities", "_personal")
    assert all(0 < len(getattr(encoder, memo)) <= 3 for memo in memos)


# --------------------------------------------------------------------- the faster helpers


@given(moments)
def test_iso_utc_equals_the_field_by_field_form(moment: datetime) -> None:
    m = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    expected = f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}Z"
    assert iso_utc(moment) == expected


labels = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=70)


@given(st.lists(labels, min_size=2, max_size=4), st.sampled_from(["", "."]))
@example(["a" * 63, "com"], "")
@example(["a" * 64, "com"], "")
@example(["example", "c" * 64], "")
@example(["example", "c" * 63], ".")
def test_an_ascii_domain_is_checked_as_the_idna_codec_checks_it(
    domain_labels: list[str], trailing: str
) -> None:
    domain = ".".join(domain_labels) + trailing
    try:
        expected: str | None = "anna@" + domain.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        expected = None
    assert normalize_email(f"anna@{domain}") == expected


@given(st.sampled_from(IDENTIFIER_KINDS), st.text(min_size=1))
def test_a_kind_s_digester_is_digest(kind: IdentifierKind, text: str) -> None:
    expected = hmac.new(SALT.value, f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()
    assert digester(SALT, kind)(text) == digest(SALT, kind, text) == expected


def test_a_digester_never_hashes_the_empty_string() -> None:
    with pytest.raises(ValueError, match="empty"):
        digester(SALT, "email")("")


def _fold_by_definition(text: str) -> tuple[str, ...]:
    """NFKD, every combining mark dropped, casefolded, split on anything not alphanumeric."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return tuple(re.sub(r"[\W_]+", " ", stripped.casefold()).split())


@given(st.text())
@example("Γιώργος ΠΑΠΑΔΌΠΟΥΛΟΣ")
@example("Zoë Müller-García")
@example("ﬁnance ß İstanbul")
@example("e\u0301\U0001d165x")  # a combining mark beyond the BMP
def test_fold_follows_its_definition(text: str) -> None:
    fold.cache_clear()
    assert fold(text) == _fold_by_definition(text)
