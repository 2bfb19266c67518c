"""Bad input to the calendar gives clear, typed errors that say what, where and what is accepted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import LeadcoreError, NotFound, ValidationError
from leadcore.ids import SequentialIds

ZONE = ZoneInfo("Asia/Jerusalem")
START = datetime(2026, 3, 2, 10, tzinfo=ZONE)
END = datetime(2026, 3, 2, 11, tzinfo=ZONE)


@attrs.define
class World:
    s: Session
    other_user: str
    other_lead: str
    inactive: str
    account_id: str
    stray_contact: str


@pytest.fixture
def w() -> World:
    core = Leadcore.open(clock=ManualClock(datetime(2026, 3, 1, tzinfo=UTC)), ids=SequentialIds())
    _, dana = core.create_organization("Agency", admin_name="Dana", timezone="Asia/Jerusalem")
    _, olga = core.create_organization("Other", admin_name="Olga")
    s = core.session(dana.id)
    other_lead = core.session(olga.id).leads.create("Theirs").id
    gone = s.users.create("Gone", "salesperson")
    s.users.deactivate(gone.id)
    acme = s.leads.convert(s.leads.create("Acme buyer").id, account_name="Acme")
    beta = s.leads.convert(s.leads.create("Beta buyer").id, account_name="Beta")
    return World(s, olga.id, other_lead, gone.id, acme.account_id, beta.contact_id)


Call = Callable[[World], object]


def schedule(**kw: object) -> Call:
    def call(w: World) -> object:
        args: dict[str, object] = {"start": START, "end": END}
        args.update({k: (v(w) if callable(v) else v) for k, v in kw.items()})
        return w.s.calendar.create("Meeting", **args)  # type: ignore[arg-type]

    return call


VALIDATION: dict[str, tuple[Call, list[str]]] = {
    "end before start": (
        schedule(end=datetime(2026, 3, 2, 9, tzinfo=ZONE)),
        ["end: 2026-03-02T09:00:00+02:00 is not after start 2026-03-02T10:00:00+02:00"],
    ),
    "all-day end is exclusive": (
        schedule(start=date(2026, 3, 2), end=date(2026, 3, 2)),
        ["end: 2026-03-02 is not after start 2026-03-02; an all-day end is exclusive"],
    ),
    "naive start": (
        schedule(start=datetime(2026, 3, 2, 10)),
        ["start: 2026-03-02T10:00:00 is naive; give a timezone-aware datetime"],
    ),
    "unparseable rrule": (
        schedule(recurrence="FREQ=FORTNIGHTLY"),
        ["recurrence.rule: FREQ"],
    ),
    "a rule that never happens": (
        schedule(recurrence="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"),
        ["recurrence.rule: FREQ=YEARLY;BYMONTHDAY=30;BYMONTH=2 can never produce an occurrence"],
    ),
    "nonexistent time zone": (
        schedule(tz="Asia/Atlantis"),
        ["tz: 'Asia/Atlantis' is not a known IANA time zone"],
    ),
    "unknown type and status, at once": (
        schedule(type_id="party", status_id="maybe"),
        [
            "type_id: 'party' is not an activity type (known: sales_meeting, kickoff,",
            "status_id: 'maybe' is not an activity status (known: scheduled, postponed,",
        ],
    ),
    "inactive responsible user": (
        schedule(responsible_user_id=lambda w: w.inactive),
        ["responsible_user_id: user 'Gone'"],
    ),
    "contact of another account": (
        schedule(client=lambda w: w.account_id, contact_id=lambda w: w.stray_contact),
        ["contact_id: contact"],
    ),
    "a contact without a client": (
        schedule(contact_id=lambda w: w.stray_contact),
        ["contact_id: a contact needs a primary client (client)"],
    ),
    "bad privacy and location, at once": (
        schedule(privacy="secret", location="x" * 501),
        [
            "privacy: 'secret' is not one of public, private",
            "location: must be a text of at most 500 characters",
        ],
    ),
    "a naive occurrence": (
        lambda w: w.s.calendar.update(
            w.s.calendar.create("S", start=START, end=END, recurrence="FREQ=DAILY").activity.id,
            title="x",
            occurrence=datetime(2026, 3, 3, 10),
        ),
        ["occurrence: must be a timezone-aware datetime"],
    ),
    "a naive free-slot window": (
        lambda w: w.s.calendar.free_slots(
            w.s.user_id, timedelta(hours=1), (datetime(2026, 3, 2), END)
        ),
        ["start: must be a timezone-aware datetime"],
    ),
    "a search range of a date and a datetime": (
        lambda w: w.s.calendar.search(start=date(2026, 3, 1), end=END),
        ["start, end: 2026-03-01 and 2026-03-02T11:00:00+02:00 mix a date and a datetime"],
    ),
    "an empty free-slot window and no duration, at once": (
        lambda w: w.s.calendar.free_slots(w.s.user_id, timedelta(0), (END, START)),
        ["end: 2026-03-02 10:00:00+02:00 is not after start", "duration: must be a positive"],
    ),
}


@pytest.mark.parametrize("case", sorted(VALIDATION))
def test_bad_input_names_every_problem_and_where(w: World, case: str) -> None:
    call, expected = VALIDATION[case]
    with pytest.raises(ValidationError) as err:
        call(w)
    assert isinstance(err.value, ValueError)
    assert isinstance(err.value, LeadcoreError)
    for wanted in expected:
        assert any(p.startswith(wanted) for p in err.value.problems), (wanted, err.value.problems)


MISSING: dict[str, tuple[Call, str]] = {
    "unknown responsible user": (schedule(responsible_user_id="user-404"), "user 'user-404'"),
    "another organisation's user": (
        schedule(user_ids=lambda w: [w.other_user]),
        "user",
    ),
    "unknown client": (schedule(client="lead-404"), "client 'lead-404'"),
    "unknown client of a kind": (schedule(more_clients=["account:account-404"]), "account"),
    "another organisation's lead": (schedule(client=lambda w: w.other_lead), "client"),
    "unknown contact": (
        schedule(client=lambda w: w.account_id, contact_id="contact-404"),
        "contact 'contact-404'",
    ),
    "unknown activity": (lambda w: w.s.calendar.get("activity-404"), "activity 'activity-404'"),
}


@pytest.mark.parametrize("case", sorted(MISSING))
def test_unknown_and_foreign_references_are_not_found_alike(w: World, case: str) -> None:
    call, expected = MISSING[case]
    with pytest.raises(NotFound, match=expected) as err:
        call(w)
    assert isinstance(err.value, LookupError)
    assert str(err.value).endswith("not found")


def test_another_organisations_ids_read_exactly_like_unknown_ones(w: World) -> None:
    messages = []
    for ident in (w.other_user, "user-404"):
        with pytest.raises(NotFound) as err:
            schedule(user_ids=[ident])(w)
        messages.append(str(err.value).replace(ident, "ID"))
    for ident in (w.other_lead, "lead-404"):
        with pytest.raises(NotFound) as err:
            schedule(client=ident)(w)
        messages.append(str(err.value).replace(ident, "ID"))
    assert messages == ["user 'ID' not found"] * 2 + ["client 'ID' not found"] * 2
