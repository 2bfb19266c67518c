"""Text no storage keeps, and text over its bound, answered alike on memory and SQLite.

The same calls on the SQL adapter's other backends (PostgreSQL, MariaDB) are
in ``tests/integration/test_sql_hostile_input.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import NotFound, ValidationError
from leadcore.ids import SequentialIds
from leadcore.leads import ImportOutcome
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.protocols import Storage
from leadcore.storage.sql import SqlStorage

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SURROGATE: str = json.loads('"Dana \\ud800"')
# The documented bounds (docs/limits.md).
MAX_SEARCH_TEXT = 200
MAX_TEXT = 100_000
MAX_CHANNEL = 128


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    made: Storage = (
        MemoryStorage() if request.param == "memory" else SqlStorage("sqlite://", create=True)
    )
    yield made
    made.close()


@pytest.fixture
def core(storage: Storage) -> Leadcore:
    return Leadcore(storage=storage, clock=ManualClock(START), ids=SequentialIds())


@pytest.fixture
def s(core: Leadcore) -> Session:
    _, admin = core.create_organization("Agency", admin_name="Dana", default_region="IL")
    return core.session(admin.id)


def head(core: Leadcore, s: Session) -> int:
    stored = core.events.read(s.organization_id)
    return stored[-1].position if stored else 0


# -- lone surrogates and NUL in values: ValidationError naming the argument, nothing written


@pytest.mark.parametrize("bad", [SURROGATE, "Da\x00na"])
def test_a_lead_name_no_storage_keeps_is_refused_naming_it(
    core: Leadcore, s: Session, bad: str
) -> None:
    before = head(core, s)
    with pytest.raises(ValidationError) as caught:
        s.leads.create(bad, phones=["050-555-1234"])
    assert caught.value.problems[0].startswith("name: contains a ")
    assert head(core, s) == before
    assert s.leads.list(include_done=True).items == ()


@pytest.mark.parametrize("bad", [SURROGATE, "x\x00"])
def test_every_bad_value_of_a_call_is_named_at_once(s: Session, bad: str) -> None:
    with pytest.raises(ValidationError) as caught:
        s.leads.create(bad, channel=bad, fields={"city": bad})
    paths = [p.split(":")[0] for p in caught.value.problems]
    assert paths == ["name", "channel", "fields['city']"]


def test_a_note_and_a_user_and_a_group_with_a_surrogate_are_refused(s: Session) -> None:
    lead = s.leads.create("Noa")
    with pytest.raises(ValidationError, match="text: contains a lone surrogate"):
        s.leads.add_note(lead.id, SURROGATE)
    with pytest.raises(ValidationError, match="name: contains a lone surrogate"):
        s.users.create(SURROGATE, "qualifier")
    with pytest.raises(ValidationError, match="name: contains a lone surrogate"):
        s.users.create_group(SURROGATE)
    with pytest.raises(ValidationError, match="name: contains a lone surrogate"):
        s.leads.create_project(SURROGATE)
    assert s.leads.notes(lead.id) == []


def test_an_organisation_with_a_surrogate_or_nul_is_refused(core: Leadcore) -> None:
    with pytest.raises(ValidationError, match="admin_name: contains a NUL"):
        core.create_organization("Agency", admin_name="Da\x00na")
    with pytest.raises(ValidationError, match="name: contains a lone surrogate"):
        core.create_organization(SURROGATE, admin_name="Dana")


def test_an_import_row_with_bad_text_is_reported_invalid_and_the_others_imported(
    s: Session,
) -> None:
    report = s.leads.import_many(
        [{"name": SURROGATE}, {"name": "Gil", "phone": "x\x00"}, {"name": "Eli"}]
    )
    outcomes = [row.outcome for row in report.rows]
    assert outcomes == [ImportOutcome.INVALID, ImportOutcome.INVALID, ImportOutcome.CREATED]
    assert report.rows[0].problems[0].startswith("rows[0]['name']: contains a lone surrogate")
    assert report.rows[1].problems[0].startswith("rows[1]['phone']: contains a NUL")
    assert [lead.name for lead in s.leads.list().items] == ["Eli"]


def test_a_workflow_with_a_nul_in_a_status_name_is_refused(s: Session) -> None:
    wf = s.workflow.current().to_dict()
    statuses = wf["status"]
    assert isinstance(statuses, list)
    first = statuses[0]
    assert isinstance(first, dict)
    first["name"] = "Ne\x00w"
    with pytest.raises(
        ValidationError, match=r"workflow\['status'\]\[0\]\['name'\]: contains a NUL"
    ):
        s.workflow.publish(wf)
    assert len(s.workflow.versions()) == 1


# -- ids no storage keeps: NotFound, like any id that is not there


@pytest.mark.parametrize("bad", ["lead-1\x00", json.loads('"lead-1\\udc80"')])
def test_reads_of_an_id_no_storage_keeps_answer_not_found(
    core: Leadcore, s: Session, bad: str
) -> None:
    s.leads.create("Noa")
    for read in (
        s.leads.get,
        s.leads.history,
        s.leads.notes,
        s.users.get,
        s.dispatch.next,
        s.deliveries.get,
        s.calendar.get,
        core.session,
    ):
        with pytest.raises(NotFound) as caught:
            read(bad)
        assert caught.value.ident == bad


def test_a_bad_id_among_the_arguments_gives_the_kind_it_names(s: Session) -> None:
    group = s.users.create_group("Floor")
    with pytest.raises(NotFound) as caught:
        s.users.add_to_group(group.id, "user-1\x00")
    assert (caught.value.kind, caught.value.ident) == ("user", "user-1\x00")
    with pytest.raises(NotFound) as forwarded:
        s.leads.forward(s.leads.create("Noa").id, "org-9\x00")
    assert forwarded.value.kind == "partner"


def test_an_id_given_by_keyword_is_answered_as_given_by_position(s: Session) -> None:
    with pytest.raises(NotFound):
        s.leads.get(lead_id="lead-1\x00")


def test_a_bad_reference_inside_a_value_is_a_validation_error(s: Session) -> None:
    with pytest.raises(ValidationError, match="project_id: contains a NUL"):
        s.leads.create("Noa", project_id="project-1\x00")


# -- bounds


def test_search_text_over_its_bound_is_refused_and_at_its_bound_is_searched(s: Session) -> None:
    s.leads.create("Noa")
    huge = "x" * 1_000_000
    for search in (
        lambda t: s.leads.list(text=t),
        lambda t: s.leads.status_counts(text=t),
        lambda t: s.calendar.search(text=t),
    ):
        with pytest.raises(
            ValidationError, match=f"text: has 1000000 characters; at most {MAX_SEARCH_TEXT}"
        ):
            search(huge)
    assert s.leads.list(text="n" * MAX_SEARCH_TEXT).items == ()


def test_a_note_over_the_text_bound_is_refused(s: Session) -> None:
    lead = s.leads.create("Noa")
    with pytest.raises(ValidationError, match=f"at most {MAX_TEXT} are allowed"):
        s.leads.add_note(lead.id, "n" * (MAX_TEXT + 1))
    assert s.leads.add_note(lead.id, "n" * MAX_TEXT).text == "n" * MAX_TEXT


def test_a_channel_over_its_bound_is_refused_on_every_storage(s: Session) -> None:
    # The SQL tables keep a channel in a 128-character column; memory took any length.
    with pytest.raises(
        ValidationError, match=f"lead.channel: has 129 characters; at most {MAX_CHANNEL}"
    ):
        s.leads.create("Noa", channel="c" * (MAX_CHANNEL + 1))
    assert s.leads.create("Noa", channel="c" * MAX_CHANNEL).source.channel == "c" * MAX_CHANNEL


@pytest.mark.parametrize(
    ("needle", "expected"),
    [
        ("%", ["100% sure"]),
        ("_", ["snake_case"]),
        ("\\", ["back\\slash"]),
        ("0% s", ["100% sure"]),
        ("e_c", ["snake_case"]),
    ],
)
def test_like_wildcards_in_search_text_match_literally(
    s: Session, needle: str, expected: list[str]
) -> None:
    for name in ("100% sure", "snake_case", "back\\slash", "plain"):
        s.leads.create(name)
    assert [lead.name for lead in s.leads.list(text=needle).items] == expected


def test_a_calendar_name_with_line_breaks_is_exported_escaped(s: Session) -> None:
    text = s.calendar.export_ics(name="Sales\nfloor, Tel Aviv")
    assert "X-WR-CALNAME:Sales\\nfloor\\, Tel Aviv\r\n" in text
