"""E.164 for the common shapes of a phone number, without ``phonenumbers``' general parser.

``phonenumbers.parse`` reads anything a person may type: letters for
digits, extensions, RFC 3966 URIs, full-width digits, carrier codes. An
import's numbers are almost always digits with a few separators, in the
region's national form (``052-345-6789``) or with a country code
(``+972 52 345 6789``); for those the parse is most of the cost of the whole
row. :func:`fast_e164` reads exactly those shapes the way
``phonenumbers.parse`` does (libphonenumber's ``maybeExtractCountryCode``
and ``maybeStripNationalPrefixAndCarrierCode``, for the regions whose
national prefix is plain digits with no transform rule), then asks
``phonenumbers.is_valid_number`` of the result, so validity is the
library's own. Whenever the shape or the region's rules leave any doubt it
answers ``None`` and the caller parses in full: a number this path answers
for gets the answer the full parse gives, which
``tests/property/test_fast_phones.py`` checks against ``phonenumbers`` on
generated numbers of every region.
"""

from __future__ import annotations

import functools
import re

import attrs
import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber

__all__ = ["fast_e164"]

# Separators people type between digits; any other character leaves the number to
# the full parser (letters, extensions, '#', ',', ';', '/', full-width forms...).
_SEPARATORS = str.maketrans("", "", " -.()")
# Libphonenumber's bounds on a national significant number.
_MIN_NSN = 2
_MAX_NSN = 17
# Longer input is no common shape: the full parse words what is wrong with it.
_LONGEST = 64
# A national prefix of plain digits, or alternatives of them ("0|180020").
_PLAIN_PREFIXES = re.compile(r"[0-9]+(?:\|[0-9]+)*")


@attrs.frozen
class _Rules:
    """What reading a national number of one calling code needs from its metadata."""

    country_code: int
    general: re.Pattern[str]
    lengths: frozenset[int]
    local_only: frozenset[int]
    #: The national prefix's alternatives in the order the pattern tries them (none: empty).
    national_prefixes: tuple[str, ...]
    international: re.Pattern[str] | None


@functools.cache
def _rules(region: str) -> _Rules | None:
    """The region's rules, or ``None`` when its national prefix is not plain digits."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None
    prefix = metadata.national_prefix_for_parsing or ""
    if prefix and not _PLAIN_PREFIXES.fullmatch(prefix):
        return None  # a pattern, a carrier code or a transform rule: the full parse
    if metadata.national_prefix_transform_rule or metadata.country_code is None:
        return None
    general = metadata.general_desc
    if general is None or not general.national_number_pattern:
        return None
    lengths = general.possible_length
    if not lengths or lengths[0] == -1:
        return None
    idd = metadata.international_prefix
    return _Rules(
        country_code=metadata.country_code,
        general=re.compile(general.national_number_pattern),
        lengths=frozenset(lengths),
        local_only=frozenset(general.possible_length_local_only or ()),
        national_prefixes=tuple(prefix.split("|")) if prefix else (),
        international=re.compile(idd) if idd else None,
    )


@functools.cache
def _rules_of_calling_code(country_code: int) -> _Rules | None:
    """The rules ``phonenumbers`` reads a number with ``+country_code`` by (its main region)."""
    region = phonenumbers.region_code_for_country_code(country_code)
    if region in ("ZZ", "001"):
        return None  # unknown, or a non-geographic entity: the full parse
    return _rules(region)


def _national(digits: str, rules: _Rules) -> str | None:
    """The national significant number of ``digits`` read with ``rules``, or ``None``: unsure."""
    # A regular expression's alternatives are tried in order: the first that fits is taken.
    prefix = next((p for p in rules.national_prefixes if digits.startswith(p)), None)
    if prefix is not None:
        stripped = digits[len(prefix) :]
        # phonenumbers strips the prefix only if what is left still fits the region's
        # pattern and is of a length the region dials; otherwise it keeps the digits
        # whole, which this path leaves to it.
        if not rules.general.fullmatch(stripped):
            return None
        length = len(stripped)
        if length not in rules.lengths or length in rules.local_only:
            return None
        digits = stripped
    if not _MIN_NSN <= len(digits) <= _MAX_NSN:
        return None
    return digits


def fast_e164(raw: str, region: str | None) -> str | None:
    """``raw`` in E.164 form if it is a valid number of a common shape, else ``None``.

    ``None`` says nothing about ``raw``: the full parse decides (and words
    the error).

    >>> fast_e164("052-345-6789", "IL")
    '+972523456789'
    >>> fast_e164("+44 (20) 7946 0958", None)
    '+442079460958'
    >>> fast_e164("tel:+1-212-555-0100", None) is None
    True
    """
    if len(raw) > _LONGEST:
        return None
    text = raw.strip()
    plus = text.startswith("+")
    digits = (text[1:] if plus else text).translate(_SEPARATORS)
    if not digits.isascii() or not digits.isdigit() or len(digits) < 4:
        return None
    if plus:
        if digits[0] == "0":
            return None
        for size in (1, 2, 3):
            code = int(digits[:size])
            if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                break
        else:
            return None
        rules = _rules_of_calling_code(code)
        if rules is None:
            return None
        rest = digits[size:]
    else:
        if region not in phonenumbers.SUPPORTED_REGIONS:
            return None  # no region (None) or an unknown one: the full parse words it
        rules = _rules(region)
        # A leading international dialling prefix ("00 44 ...") or the region's own
        # calling code ("972 52 ...") is read by the full parse.
        if (
            rules is None
            or rules.international is None
            or digits.startswith(str(rules.country_code))
            or rules.international.match(digits)
        ):
            return None
        rest = digits
    national = _national(rest, rules)
    if national is None:
        return None
    zeros = len(national) - len(national.lstrip("0"))
    number = PhoneNumber(country_code=rules.country_code, national_number=int(national))
    if zeros and len(national) > 1:
        number.italian_leading_zero = True
        number.number_of_leading_zeros = min(zeros, len(national) - 1)
    if not phonenumbers.is_valid_number(number):
        return None
    return f"+{rules.country_code}{national}"
