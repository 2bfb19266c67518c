"""Records come back from their stored JSON text exactly as they were written."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from leadcore.leads import Conversion, Lead, LeadSettings, Source
from leadcore.storage.sql._codec import decode, encode, from_micros, micros

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

field_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.dates(),
)
instants = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(st.dictionaries(st.text(max_size=5), field_values, max_size=5), instants)
def test_a_lead_with_any_custom_fields_round_trips_exactly(
    fields: dict[str, object], when: datetime
) -> None:
    lead = Lead(
        "lead-1",
        "org-1",
        "Dana",
        when,
        when,
        fields=fields,  # type: ignore[arg-type]
        source=Source(channel="facebook"),
        phones=("+972505551234",),
    )
    back = decode(encode(lead), Lead)
    assert back == lead
    assert {k: type(v) for k, v in back.fields.items()} == {
        k: type(v) for k, v in lead.fields.items()
    }


@given(
    st.dictionaries(st.text(max_size=5), st.one_of(field_values, st.tuples(st.text())), max_size=4)
)
def test_a_conversion_snapshot_round_trips_exactly(snapshot: dict[str, object]) -> None:
    conversion = Conversion(
        "conv-1",
        "org-1",
        "lead-1",
        T0,
        "user-1",
        "con-1",
        "acc-1",
        True,
        None,
        None,
        "won",
        snapshot,  # type: ignore[arg-type]
    )
    assert decode(encode(conversion), Conversion) == conversion


@given(st.one_of(st.none(), st.timedeltas(min_value=timedelta(microseconds=1))))
def test_lead_settings_keep_their_duplicate_window(window: timedelta | None) -> None:
    settings = LeadSettings(duplicate_window=window, editable_when_converted={"name"})
    assert decode(encode(settings), LeadSettings) == settings


def test_a_date_field_stays_a_date_not_its_text() -> None:
    lead = Lead("l", "o", "n", T0, T0, fields={"d": date(2026, 1, 2), "s": "2026-01-02"})
    assert decode(encode(lead), Lead).fields == {"d": date(2026, 1, 2), "s": "2026-01-02"}


@given(instants, instants)
def test_microseconds_sort_and_compare_like_the_instants(a: datetime, b: datetime) -> None:
    assert (micros(a) < micros(b)) == (a < b)
    assert (micros(a) == micros(b)) == (a == b)
    assert from_micros(micros(a)) == a


def test_an_instant_in_another_zone_is_the_same_instant() -> None:
    elsewhere = T0.astimezone(timezone(timedelta(hours=2)))
    assert micros(elsewhere) == micros(T0)
    assert micros(T0.replace(tzinfo=None)) == micros(T0)
