"""Activities, types and statuses: validation with every problem named, canonical form."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from leadcore.calendar import (
    Activity,
    ActivityStatus,
    ActivityType,
    ClientRef,
    OccurrenceOverride,
    Privacy,
    Recurrence,
    StatusMeaning,
    parse_rule,
)
from leadcore.errors import LeadcoreError, ValidationError

JLM = ZoneInfo("Asia/Jerusalem")


def make(**changes: Any) -> Activity:
    fields: dict[str, Any] = {
        "id": "a1",
        "organization_id": "org",
        "type_id": "meeting",
        "status_id": "scheduled",
        "title": "Kickoff",
        "responsible_user_id": "dana",
        "start": datetime(2026, 3, 2, 10, tzinfo=JLM),
        "end": datetime(2026, 3, 2, 11, tzinfo=JLM),
        "tz": "Asia/Jerusalem",
    }
    fields.update(changes)
    return Activity(**fields)


def problems_of(**changes: Any) -> tuple[str, ...]:
    with pytest.raises(ValidationError) as info:
        make(**changes)
    return info.value.problems


def test_a_valid_activity_keeps_its_times_in_its_own_zone() -> None:
    a = make(start=datetime(2026, 3, 2, 8, tzinfo=UTC), end=datetime(2026, 3, 2, 9, tzinfo=UTC))
    assert a.start == datetime(2026, 3, 2, 10, tzinfo=JLM)
    assert isinstance(a.start, datetime)
    assert a.start.tzinfo == JLM
    assert a.duration == timedelta(hours=1)
    assert a.participant_ids == ("dana",)


def test_validation_errors_are_value_errors_and_leadcore_errors() -> None:
    with pytest.raises(ValueError, match="activity 'a1' is invalid"):
        make(title="")
    with pytest.raises(LeadcoreError):
        make(title="")


def test_end_before_start_is_named() -> None:
    (problem,) = problems_of(end=datetime(2026, 3, 2, 9, tzinfo=JLM))
    assert problem.startswith("end: 2026-03-02T09:00:00+02:00 is not after start")


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(
        title=" ",
        tz="Mars/Olympus_Mons",
        start=datetime(2026, 3, 2, 10),
        user_ids=["dana"],
        recurrence=Recurrence("FREQ=FORTNIGHTLY;BYDAY=XX"),
    )
    text = "\n".join(problems)
    assert "title: must be a non-empty text" in text
    assert "tz: 'Mars/Olympus_Mons' is not a known IANA time zone" in text
    assert "start: 2026-03-02T10:00:00 is naive" in text
    assert "user_ids[0]: 'dana' is the responsible user" in text
    assert "recurrence.rule: FREQ='FORTNIGHTLY' is not one of" in text
    assert "recurrence.rule: BYDAY='XX': 'XX' is not a weekday" in text


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("", "recurrence: give a rule"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20260401", "COUNT and UNTIL exclude each other"),
        ("FREQ=WEEKLY;BYMONTHDAY=32", "BYMONTHDAY='32': 32 is out of range (1 to 31 or -31 to -1)"),
        ("FREQ=WEEKLY;BYDAY=1MO", "BYDAY with a number (such as 1MO) needs FREQ=MONTHLY"),
        ("FREQ=MONTHLY;BYWEEKNO=3", "BYWEEKNO needs FREQ=YEARLY"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL='0' must be a whole number from 1 to 1000"),
        ("FREQ=DAILY;UNTIL=2026-04-01", "UNTIL='2026-04-01' is not a date"),
        ("FREQ=DAILY;FOO=1", "unknown part 'FOO'"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ is given more than once"),
        ("FREQ=DAILY;BYSETPOS=1", "BYSETPOS needs another BYxxx part"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "can never produce an occurrence"),
        ("FREQ=MONTHLY;BYMONTH=4,6,9,11;BYMONTHDAY=31", "can never produce an occurrence"),
        ("FREQ=DAILY;INTERVAL=7;BYDAY=TU", "can never produce an occurrence"),
        ("FREQ=HOURLY;INTERVAL=2;BYHOUR=1", "can never produce an occurrence"),
        ("FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=31", "can never produce an occurrence"),
        ("FREQ=WEEKLY;UNTIL=20260101T000000Z", "UNTIL is before the start"),
        ("FREQ=DAILY;COUNT=100001", "COUNT=100001 is above the limit"),
    ],
)
def test_a_bad_rule_is_rejected_with_the_reason(rule: str, expected: str) -> None:
    problems = problems_of(recurrence=Recurrence(rule or None))
    assert any(expected in p for p in problems), problems


def test_people_and_clients_problems() -> None:
    lead = ClientRef("lead", "l1")
    problems = problems_of(
        user_ids=["avi", "avi"],
        contact_id="c1",
        more_clients=[ClientRef("account", "x"), ClientRef("account", "x")],
        reminders=[timedelta(minutes=-5)],
    )
    assert "user_ids[1]: 'avi' is listed twice" in problems
    assert "contact_id: a contact needs a primary client (client)" in problems
    assert "more_clients[1]: account:x is listed twice" in problems
    assert any(p.startswith("reminders[0]: -1 day") for p in problems)
    ok = make(client=lead, contact_id="c1", more_clients=[ClientRef("account", "x")])
    assert ok.clients == (lead, ClientRef("account", "x"))
    assert ok.involves_client("c1")
    assert ok.involves_client(ClientRef("contact", "c1"))
    assert not ok.involves_client("l2")


def test_client_references_are_checked() -> None:
    with pytest.raises(ValidationError, match="kind: 'supplier' is not one of"):
        ClientRef("supplier", "s1")
    assert ClientRef.parse("account:a-9") == ClientRef("account", "a-9")
    with pytest.raises(ValidationError, match="is not KIND:ID"):
        ClientRef.parse("a-9")


def test_all_day_activities_use_dates_with_an_exclusive_end() -> None:
    a = make(start=date(2026, 5, 5), end=date(2026, 5, 6))
    assert a.all_day
    assert a.duration == timedelta(days=1)
    (problem,) = problems_of(start=date(2026, 5, 5), end=date(2026, 5, 5))
    assert "an all-day end is exclusive" in problem
    mixed = problems_of(start=date(2026, 5, 5), end=datetime(2026, 5, 6, tzinfo=JLM))
    assert mixed == (
        "end: must be a date, as the activity is all-day, got "
        + repr(datetime(2026, 5, 6, tzinfo=JLM)),
    )


def test_the_rule_is_kept_in_canonical_spelling_with_until_in_utc() -> None:
    a = make(recurrence=Recurrence("rrule:byday=we,mo;freq=weekly;until=20260330"))
    assert a.recurrence is not None
    # A date-only UNTIL on a timed series includes that whole local day.
    assert a.recurrence.rule == "FREQ=WEEKLY;UNTIL=20260330T205959Z;BYDAY=MO,WE"
    b = make(recurrence=Recurrence("FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20260330T235959"))
    assert b.recurrence is not None
    assert b.recurrence.rule == "FREQ=WEEKLY;UNTIL=20260330T205959Z;BYDAY=MO,WE"
    assert a == b


def test_all_day_until_is_a_date() -> None:
    a = make(
        start=date(2026, 5, 5),
        end=date(2026, 5, 6),
        recurrence=Recurrence("FREQ=DAILY;UNTIL=20260510T120000Z"),
    )
    assert a.recurrence is not None
    assert a.recurrence.rule == "FREQ=DAILY;UNTIL=20260510"


def test_exclusions_and_overrides_are_checked() -> None:
    problems = problems_of(
        recurrence=Recurrence(
            "FREQ=WEEKLY",
            exdates=[date(2026, 3, 9), datetime(2026, 3, 16, 10)],
            overrides=[
                OccurrenceOverride(datetime(2026, 3, 3, 10, tzinfo=JLM), title="x"),
            ],
        )
    )
    assert any(p.startswith("recurrence.exdates[0]: must be a timezone-aware") for p in problems)
    assert any("give the start of the occurrence" in p for p in problems)
    assert any(
        p.startswith("recurrence.exdates[1]: 2026-03-16T10:00:00 is naive") for p in problems
    )
    bad_override = problems_of(
        recurrence=Recurrence(
            "FREQ=WEEKLY",
            overrides=[OccurrenceOverride(datetime(2026, 3, 3, 10, tzinfo=JLM), title="x")],
        )
    )
    assert bad_override == (
        "recurrence.overrides[0].original_start: 2026-03-03 10:00:00+02:00 "
        "is not an occurrence of the series",
    )
    moved_backwards = problems_of(
        recurrence=Recurrence(
            "FREQ=WEEKLY",
            overrides=[
                OccurrenceOverride(
                    datetime(2026, 3, 9, 10, tzinfo=JLM), end=datetime(2026, 3, 9, 9, tzinfo=JLM)
                )
            ],
        )
    )
    assert moved_backwards[0].startswith("recurrence.overrides[0].end:")


def test_types_and_statuses_are_definitions() -> None:
    assert ActivityType("kickoff", "Kickoff", next_type_id="followup").next_type_id == "followup"
    with pytest.raises(ValidationError, match="id: 'Kick Off' is not an id"):
        ActivityType("Kick Off", "Kickoff")
    status = ActivityStatus("won", "הצליחה", "succeeded")
    assert status.meaning is StatusMeaning.SUCCEEDED
    assert status.meaning.is_completed
    with pytest.raises(ValidationError, match="meaning: 'maybe' is not one of"):
        ActivityStatus("x", "X", "maybe")


def test_privacy_and_version() -> None:
    assert make(privacy="private").privacy is Privacy.PRIVATE
    assert "privacy: 'secret' is not one of public, private" in problems_of(privacy="secret")
    assert any(p.startswith("version:") for p in problems_of(version=0))


def test_a_changed_activity_is_a_new_validated_value() -> None:
    a = make()
    b = attrs.evolve(a, title="Renamed")
    assert a.title == "Kickoff"
    assert b.title == "Renamed"
    with pytest.raises(ValidationError):
        attrs.evolve(a, end=a.start)


def test_parse_rule_reports_without_raising() -> None:
    rule, problems = parse_rule("FREQ=MONTHLY;BYDAY=-1FR,2MO;BYMONTH=12,1")
    assert problems == []
    assert rule is not None
    assert rule.text() == "FREQ=MONTHLY;BYDAY=-1FR,2MO;BYMONTH=1,12"
    assert parse_rule("FREQ=MONTHLY;BYDAY=0MO")[1] == [
        "rule: BYDAY '0MO': the number must be 1 to 53"
    ]


def test_activities_round_trip_through_the_one_converter() -> None:
    from leadcore import serde

    start = datetime(2026, 3, 2, 10, tzinfo=JLM)
    a = make(
        client=ClientRef("lead", "l1"),
        reminders=[timedelta(minutes=5)],
        privacy="private",
        recurrence=Recurrence(
            "FREQ=DAILY",
            exdates=[start + timedelta(days=1)],
            overrides=[OccurrenceOverride(start + timedelta(days=2), title="x")],
        ),
    )
    assert serde.loads(serde.dumps(a), Activity) == a
    all_day = make(start=date(2026, 1, 1), end=date(2026, 1, 2))
    assert serde.loads(serde.dumps(all_day), Activity) == all_day
    status = ActivityStatus("won", "Won", "succeeded")
    assert serde.loads(serde.dumps(status), ActivityStatus) == status
