"""Phone numbers to E.164, the hash scheme's way, without the generic parser's overhead.

The scheme says: parse with ``phonenumbers`` (default region: the order's country), keep a
possible number only, format E.164. ``phonenumbers.parse`` is built for any text ("Tel:
+1 (650) 253-0000 ext. 123", RFC 3966, vanity letters, full-width digits) and costs
20-35 us, most of it spent on that generality, a few regular expressions and a loop over
every character. Nearly every number a customer types is ASCII digits with spaces, dashes,
dots or brackets and maybe a leading "+".

For exactly that shape, ``e164`` follows ``parse`` step by step (phonenumbers 9.x,
``phonenumberutil.parse``) and calls the library's own helpers for everything that depends
on the digits and the region's metadata: international and national prefixes, country
codes, possible lengths. Anything else goes to the library itself. Why the shortcut cannot
differ, for this shape: ``parse`` first cuts the text to start at the first "+" or digit and
drops trailing punctuation; no extension, RFC 3966 or vanity pattern can match text without
letters, "#", "~", "," or ";"; three or more digits always pass the viability pattern; and
every later step reads only the digits and whether a "+" led them. A hypothesis test
compares both paths over generated numbers in every region (tests/privacy/test_phone.py).
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import (
    COUNTRY_CODE_TO_REGION_CODE,
    SUPPORTED_REGIONS,
    ValidationResult,
    _extract_country_code,
    _maybe_strip_national_prefix_carrier_code,
    _test_number_length,
)

# Separators ``parse`` ignores; removing them leaves "+"? and digits for the shortcut.
_SEPARATORS = str.maketrans("", "", " -.()")
_SIMPLE = re.compile(r"(\+?)([0-9]{3,17})")
_MAX_RAW = 250  # parse's _MAX_INPUT_STRING_LENGTH
_MIN_NSN = 2  # parse's _MIN_LENGTH_FOR_NSN
_MAX_NSN = 17  # parse's _MAX_LENGTH_FOR_NSN
_POSSIBLE = (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY)
_NO_STRIP = (
    ValidationResult.TOO_SHORT,
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    ValidationResult.INVALID_LENGTH,
)


class _Unparsable(Exception):
    """``parse`` would raise NumberParseException here."""


def e164(raw: str, region: str | None) -> str | None:
    """The E.164 form of ``raw`` if it parses (``region`` the default) and is possible.

    Exactly ``reference_e164``, faster for the common shape (see the module docstring).
    """
    if len(raw) > _MAX_RAW:
        return reference_e164(raw, region)
    compact = raw.replace(" ", "")  # most numbers hold spaces only: a cheaper first try
    match = _SIMPLE.fullmatch(compact) or _SIMPLE.fullmatch(compact.translate(_SEPARATORS))
    if match is None:
        return reference_e164(raw, region)
    try:
        return _shortcut(bool(match[1]), match[2], region)
    except _Unparsable:
        return None


def reference_e164(raw: str, region: str | None) -> str | None:
    """The scheme's definition through ``phonenumbers``' public API."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _shortcut(plus: bool, digits: str, region: str | None) -> str | None:
    """``parse`` + ``is_possible_number`` + E.164 for "+"? and 3-17 ASCII digits."""
    if not plus and region not in SUPPORTED_REGIONS:
        raise _Unparsable  # no usable region and no "+" to find the country by
    rules = _region_rules(region)
    if plus:
        try:
            country_code, national = _after_idd(digits)
        except _InvalidCountryCode:
            # parse strips the "+" and tries again as if it had never been there.
            country_code, national = _without_plus(digits, rules)
            if country_code == 0:
                raise _Unparsable from None
    else:
        try:
            country_code, national = _without_plus(digits, rules)
        except _InvalidCountryCode:
            raise _Unparsable from None
    if country_code:
        number_region = COUNTRY_CODE_TO_REGION_CODE[country_code][0]
        if number_region != region:
            found = PhoneMetadata.metadata_for_region_or_calling_code(country_code, number_region)
            rules = None if found is None else _rules(found)
    else:
        # No country code in the number: the default region's (checked above: valid).
        assert rules is not None
        country_code, national = rules.metadata.country_code or 0, digits
    if len(national) < _MIN_NSN:
        raise _Unparsable
    if rules is not None:
        stripped = rules.strip_national_prefix(national)
        if rules.length(len(stripped)) not in _NO_STRIP:
            national = stripped
    if len(national) > _MAX_NSN:
        raise _Unparsable
    return _possible_e164(country_code, national)


class _InvalidCountryCode(_Unparsable):
    """An international prefix ("+", or the region's IDD) followed by no known country code."""


def _after_idd(digits: str) -> tuple[int, str]:
    """Country code and national number after an international prefix."""
    if len(digits) <= _MIN_NSN:
        raise _Unparsable  # too short after the prefix
    country_code, national = _extract_country_code(digits)
    if country_code == 0:
        raise _InvalidCountryCode
    return country_code, national


def _without_plus(digits: str, rules: _Rules | None) -> tuple[int, str]:
    """``_maybe_extract_country_code`` for digits without a "+": (0, "") if none found."""
    if rules is None:
        return 0, ""
    if rules.idd is not None:
        found = rules.idd.match(digits)
        # A country code never starts with 0: then it was no international prefix.
        if found is not None and digits[found.end() : found.end() + 1] != "0":
            return _after_idd(digits[found.end() :])
    code = rules.country_code
    if digits.startswith(code):
        national = rules.strip_national_prefix(digits[len(code) :])
        if (not rules.is_national(digits) and rules.is_national(national)) or rules.length(
            len(digits)
        ) == ValidationResult.TOO_LONG:
            return rules.metadata.country_code or 0, national
    return 0, ""


def _possible_e164(country_code: int, national: str) -> str | None:
    """``is_possible_number`` then E.164 (the national number's leading zeros kept)."""
    rules = _country_rules(country_code)
    if rules is None or rules.length(len(national)) not in _POSSIBLE:
        return None
    return f"+{country_code}{national}"


class _Rules:
    """What the shortcut reads of one region's metadata, compiled once.

    Each method is the library helper it names, specialised to what ``parse`` uses.
    """

    def __init__(self, metadata: PhoneMetadata) -> None:
        self.metadata = metadata
        self.country_code = str(metadata.country_code)
        idd = metadata.international_prefix
        self.idd = None if idd is None else re.compile(idd)
        prefix = metadata.national_prefix_for_parsing
        self.prefix = re.compile(prefix) if prefix else None
        self.transforms = bool(metadata.national_prefix_transform_rule)
        general = metadata.general_desc
        pattern = None if general is None else general.national_number_pattern
        self.general = re.compile(pattern) if pattern else None
        self._lengths: dict[int, int] = {}

    def length(self, length: int) -> int:
        """``_test_number_length`` (type unknown), which reads only the number's length."""
        found = self._lengths.get(length)
        if found is None:
            found = self._lengths[length] = _test_number_length("0" * length, self.metadata)
        return found

    def is_national(self, number: str) -> bool:
        """``_match_national_number`` against the general description, no prefix match."""
        return self.general is not None and self.general.fullmatch(number) is not None

    def strip_national_prefix(self, number: str) -> str:
        """The number part of ``_maybe_strip_national_prefix_carrier_code``."""
        if self.transforms:  # rare (a few regions): the library does it
            return _maybe_strip_national_prefix_carrier_code(number, self.metadata)[1]
        if not number or self.prefix is None:
            return number
        found = self.prefix.match(number)
        if found is None:
            return number
        rest = number[found.end() :]
        if self.is_national(number) and not self.is_national(rest):
            return number
        return rest


_RULES: dict[int, _Rules] = {}  # by id() of the library's metadata objects (kept alive here)


def _rules(metadata: PhoneMetadata) -> _Rules:
    found = _RULES.get(id(metadata))
    if found is None or found.metadata is not metadata:
        found = _RULES[id(metadata)] = _Rules(metadata)
    return found


_BY_REGION: dict[str | None, _Rules | None] = {}
_BY_COUNTRY_CODE: dict[int, _Rules | None] = {}


def _region_rules(region: str | None) -> _Rules | None:
    """The rules of ``parse``'s default region (None: no metadata)."""
    try:
        return _BY_REGION[region]
    except KeyError:
        metadata = None if region is None else PhoneMetadata.metadata_for_region(region.upper())
        if len(_BY_REGION) >= 1024:  # countries typed as anything: keep the cache small
            _BY_REGION.clear()
        found = _BY_REGION[region] = None if metadata is None else _rules(metadata)
        return found


def _country_rules(country_code: int) -> _Rules | None:
    """The rules ``is_possible_number`` reads for a country code: its main region's."""
    try:
        return _BY_COUNTRY_CODE[country_code]
    except KeyError:
        regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code)
        metadata = (
            None
            if regions is None
            else PhoneMetadata.metadata_for_region_or_calling_code(country_code, regions[0])
        )
        found = _BY_COUNTRY_CODE[country_code] = None if metadata is None else _rules(metadata)
        return found
