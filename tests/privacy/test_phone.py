"""The phone shortcut equals phonenumbers' parse + is_possible_number + E.164, number for number.

The hash scheme defines a phone identifier through ``phonenumbers``; ``phone.e164`` takes a
shortcut for plain digit strings. Any difference would split one customer into two digests
across shops, so both paths are compared over generated numbers in every region the library
knows, written the ways people write them, and over every example number it ships.
"""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, SUPPORTED_REGIONS

from shopguard.privacy.normalize import normalize_phone
from shopguard.privacy.phone import e164, reference_e164

REGIONS = sorted(SUPPORTED_REGIONS)
# Unknown, lower-case, non-geographic and empty regions too: parse treats each its own way.
ODD_REGIONS = [None, "ZZ", "gr", "gb", "001", "", "XK", "UN"]
COUNTRY_CODES = sorted(COUNTRY_CODE_TO_REGION_CODE)
# International and national prefixes of many regions ("00", "011", "810", "8", "0", "1"...)
PREFIXES = ["", "+", "00", "011", "0011", "810", "8", "0", "1", "00 ", "+ ", "(+", "0)"]


@st.composite
def written_numbers(draw: st.DrawFn, region: str | None = None) -> str:
    """A number as a customer might type it: a prefix (often the region's own national
    prefix), maybe a country code, digits, and separators anywhere."""
    metadata = PhoneMetadata.metadata_for_region(region.upper()) if region else None
    own = [metadata.national_prefix or ""] if metadata is not None else []
    prefix = draw(st.sampled_from([*PREFIXES, *own, *own, *own]))
    code = draw(st.one_of(st.just(""), st.sampled_from(COUNTRY_CODES).map(str)))
    digits = draw(st.text(alphabet="0123456789", min_size=0, max_size=17))
    text = prefix + code + digits
    separators = draw(st.lists(st.sampled_from(" -.()"), max_size=len(text)))
    positions = draw(st.lists(st.integers(0, len(text)), min_size=len(separators)))
    chars = list(text)
    for sep, at in zip(separators, positions, strict=False):
        chars.insert(at, sep)
    return "".join(chars)


regions = st.one_of(st.sampled_from(REGIONS), st.sampled_from(ODD_REGIONS))
numbers_and_regions = regions.flatmap(lambda r: st.tuples(written_numbers(r), st.just(r)))


@settings(max_examples=1500)
@given(numbers_and_regions)
@example(("+30 691-234-5678", "GB"))
@example(("691 234 5678", "GR"))
@example(("07700 900123", "GB"))
@example(("0030 691 234 5678", "GB"))  # the region's international prefix
@example(("+0 691 234 5678", "GR"))  # "+" and no country code: parsed again without the "+"
@example(("011 44 20 7946 0000", "US"))
@example(("8 812 123 4567", "RU"))  # national prefix "8", international prefix "810"
@example(("0 11 2345 6789", "AR"))  # a region with a national prefix transform rule
@example(("15 2345 6789", "AR"))
@example(("+54 9 11 2345 6789", None))
@example(("12", "GR"))
@example(("+30", None))
# A national prefix kept because the number is only valid with it:
@example(("87302145576", "BY"))
@example(("001626585778", "ID"))
@example(("007012335598", "KR"))
@example(("000449346976", "UY"))
def test_the_shortcut_equals_phonenumbers(number_and_region: tuple[str, str | None]) -> None:
    raw, region = number_and_region
    assert e164(raw, region) == reference_e164(raw, region)


@settings(max_examples=300)
@given(st.text(max_size=30), regions)
@example("Tel: +30 691 234 5678", "GR")
@example("+1 (650) 253-0000 ext. 123", "US")
@example("1-800-FLOWERS", "US")
@example("tel:+30-691-234-5678;phone-context=+30", "GR")
@example("+30 ６９１ ２３４ ５６７８", "GR")  # full-width digits
@example("+30 691 234 5678 #12", "GR")
def test_anything_else_goes_to_phonenumbers_itself(raw: str, region: str | None) -> None:
    assert e164(raw, region) == reference_e164(raw, region)


@pytest.mark.parametrize("region", REGIONS)
def test_every_example_number_the_library_ships(region: str) -> None:
    """Each region's example numbers of every type, in every format, read from three places."""
    formats = (
        phonenumbers.PhoneNumberFormat.E164,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.NATIONAL,
    )
    checked = 0
    for number_type in range(12):
        number = phonenumbers.example_number_for_type(region, number_type)
        if number is None:
            continue
        for number_format in formats:
            text = phonenumbers.format_number(number, number_format)
            for reader in (region, "GB", None):
                assert e164(text, reader) == reference_e164(text, reader), (text, reader)
                checked += 1
    assert checked or region == "001"


def test_normalize_phone_takes_the_shortcut_with_the_scheme_s_vectors() -> None:
    assert normalize_phone("691 234 5678", "gr") == "+306912345678"
    assert normalize_phone("+30 691-234-5678", "GB") == "+306912345678"
    assert normalize_phone("07700 900123", " gb ") == "+447700900123"
    assert normalize_phone("07700 900123", None) is None  # no region and no "+"
