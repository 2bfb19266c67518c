"""The fast E.164 path answers exactly as ``phonenumbers``' full parse, or not at all.

The oracle is the full parse itself: ``phonenumbers.parse``, then
``is_valid_number``, then the E.164 format. Numbers are generated to reach
every branch the fast path takes or declines: real numbers of every region
in each format, with digits changed, added and removed; the region's own
calling code, its international and national prefixes in front; and plain
strings of digits and separators.
"""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from leadcore.leads import normalize_phone
from leadcore.leads._phones import _rules, fast_e164

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
FORMATS = [
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
]
TYPES = [
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
]


def full(raw: str, region: str | None) -> str | None:
    """What the full parse makes of ``raw``: its E.164 form, or ``None`` for no valid number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _examples() -> list[str]:
    found: list[str] = []
    for region in REGIONS:
        for kind in TYPES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                found.extend(phonenumbers.format_number(number, f) for f in FORMATS)
    return found


EXAMPLES = _examples()
DIGITS = st.text(st.sampled_from("0123456789"), max_size=4)
SEPARATED = st.text(st.sampled_from("0123456789 -.()"), min_size=0, max_size=18)


@st.composite
def numbers(draw: st.DrawFn) -> str:
    """A number as a person might type it, often near a valid one."""
    base = draw(st.sampled_from(EXAMPLES) | SEPARATED)
    digits = list(base)
    for _ in range(draw(st.integers(0, 2))):
        if not digits:
            break
        i = draw(st.integers(0, len(digits) - 1))
        change = draw(st.sampled_from(["replace", "insert", "delete"]))
        if change == "delete":
            del digits[i]
        else:
            digit = draw(st.sampled_from("0123456789"))
            digits[i : i + (change == "replace")] = [digit]
    text = "".join(digits)
    if draw(st.booleans()):
        # Prefixes the parse treats apart: a calling code, a dialling prefix, a trunk prefix.
        fronts = ["+", "00", "011", "0", "1", "8", "972", "44", "+0", " ", "180020"]
        front = draw(st.sampled_from(fronts))
        text = front + draw(DIGITS) + text
    return text


@given(numbers(), st.sampled_from([*REGIONS, None]))
@example("052-345-6789", "IL")
@example("972 52 345 6789", "IL")
@example("00 44 20 7946 0958", "IL")
@example("012 345 6789", "IL")
@example("1 212 555 0100", "US")
@example("+1 212 555 0100", "GB")
@example("+800 1234 5678", None)
@example("0000", "IT")
@example("180020 7946 0958", "GB")
def test_the_fast_path_gives_the_full_parses_answer_or_none(raw: str, region: str | None) -> None:
    fast = fast_e164(raw, region)
    if fast is not None:
        assert fast == full(raw, region)


@given(st.sampled_from(EXAMPLES), st.sampled_from([*REGIONS, None]))
def test_normalize_phone_is_unchanged_by_the_fast_path(raw: str, region: str | None) -> None:
    expected = full(raw, region)
    if expected is None:
        with pytest.raises(ValueError, match="phone number"):
            normalize_phone(raw, region)
    else:
        assert normalize_phone(raw, region) == expected


def test_the_fast_path_answers_for_the_common_shapes() -> None:
    """Most regions' own numbers, typed nationally or with +, take the fast path."""
    simple = [r for r in REGIONS if _rules(r) is not None]
    assert len(simple) > len(REGIONS) * 3 // 4
    answered = total = 0
    for region in simple:
        number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if number is None:
            continue
        for f in FORMATS:
            total += 1
            answered += fast_e164(phonenumbers.format_number(number, f), region) is not None
    assert answered > total * 9 // 10
    assert fast_e164("052-345-6789", "IL") == "+972523456789"
    assert fast_e164("(212) 555-0100", "US") == "+12125550100"
