"""Importing rows of leads: one report line per row, and a bad row never half-writes."""

from __future__ import annotations

import pytest

from leadcore import Leadcore
from leadcore.core import Session
from leadcore.errors import Forbidden
from leadcore.leads import (
    FieldDefinition,
    HistoryKind,
    ImportOutcome,
    ImportReport,
    ImportRow,
    LeadSettings,
)


def stored(s: Session) -> dict[str, str]:
    """Name of every stored lead, by id."""
    return {lead.id: lead.name for lead in s.leads.list(include_done=True, limit=100_000).items}


def test_each_row_is_reported_created_duplicate_blacklisted_or_invalid(s: Session) -> None:
    original = s.leads.create("Stored", phones=["050-555-1234"])
    s.leads.add_blocked_number("053-123-4567")
    report = s.leads.import_many(
        [
            {"name": "Fresh", "phone": "052-345-6789", "email": "Fresh@Example.com"},
            {"name": "Again", "phones": ["+972505551234"]},
            {"name": "In batch", "email": "fresh@example.com"},
            {"name": "Blocked", "phone": "053-123-4567"},
            {"name": "", "phone": "12"},
        ]
    )
    outcomes = [(r.index, r.outcome) for r in report.rows]
    assert outcomes == [
        (0, ImportOutcome.CREATED),
        (1, ImportOutcome.DUPLICATE),
        (2, ImportOutcome.DUPLICATE),
        (3, ImportOutcome.BLACKLISTED),
        (4, ImportOutcome.INVALID),
    ]
    fresh = report.rows[0].lead_id
    assert report.rows[1].duplicate_of == original.id
    assert report.rows[2].duplicate_of == fresh
    assert report.rows[4].lead_id is None
    assert len(report.rows[4].problems) == 2
    assert report.count("duplicate") == 2
    assert report.summary() == "5 rows: 1 created, 2 duplicate, 1 blacklisted, 1 invalid"
    assert len(report.created_ids) == 4
    blocked = s.leads.get(report.rows[3].lead_id or "")
    assert blocked.do_not_call
    assert s.leads.get(report.rows[1].lead_id or "").duplicate_of == original.id


def test_a_blacklisted_duplicate_is_reported_blacklisted_and_still_linked(s: Session) -> None:
    first = s.leads.create("Yossi", phones=["053-123-4567"])
    s.leads.add_blocked_number("053-123-4567")
    [row] = s.leads.import_many([{"name": "Yossi", "phone": "053-123-4567"}]).rows
    assert row.outcome is ImportOutcome.BLACKLISTED
    assert row.duplicate_of == first.id


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        pytest.param({"phone": "052-345-6789"}, ["rows[0].name: required text"], id="no-name"),
        pytest.param({"name": "  "}, ["rows[0].name: must not be blank"], id="blank-name"),
        pytest.param({"name": 42}, ["rows[0].name: required text, got int"], id="name-number"),
        pytest.param(
            {"name": "Yossi", "phone": "12345"},
            ["rows[0].phones[0]: '12345' is not a valid phone number"],
            id="bad-phone",
        ),
        pytest.param(
            {"name": "Yossi", "phone": 972505551234},
            ["rows[0].phone: expected text or a list of text, got int"],
            id="phone-number",
        ),
        pytest.param(
            {"name": "Yossi", "phones": ["052-345-6789", None]},
            ["rows[0].phones[1]: expected text, got NoneType"],
            id="phone-list-item",
        ),
        pytest.param(
            {"name": "Yossi", "email": "yossi at example"},
            ["rows[0].emails[0]: 'yossi at example' is not an e-mail address"],
            id="bad-email",
        ),
        pytest.param(
            {"name": "Yossi", "budget": "lots"},
            ["rows[0].fields.budget: expected integer, got 'lots'"],
            id="field-type",
        ),
        pytest.param(
            {"name": "Yossi", "fields": ["budget", 3]},
            ["rows[0].fields: expected a mapping, got list"],
            id="fields-not-mapping",
        ),
        pytest.param(
            {"name": "Yossi", "colour": "red"},
            ["rows[0].colour: unknown column"],
            id="unknown-column",
        ),
        pytest.param(
            # Import never sets a status: that would bypass the workflow's requirements.
            {"name": "Yossi", "status": "won"},
            ["rows[0].status: unknown column"],
            id="status-column",
        ),
        pytest.param(
            {"name": "Yossi", "project_id": "project-9"},
            ["rows[0].project_id: no project 'project-9'"],
            id="unknown-project",
        ),
        pytest.param(
            {"name": "Yossi", "channel": 7},
            ["rows[0].channel: expected text, got int"],
            id="channel-number",
        ),
        pytest.param(["Yossi", "052-345-6789"], ["rows[0]: expected a mapping"], id="not-a-row"),
    ],
)
def test_a_malformed_row_is_invalid_with_its_reason_and_writes_nothing(
    s: Session, row: object, expected: list[str]
) -> None:
    s.leads.set_settings(LeadSettings(custom_fields=(FieldDefinition("budget", "integer"),)))
    report = s.leads.import_many([row])
    [line] = report.rows
    assert line.outcome is ImportOutcome.INVALID
    assert line.lead_id is None
    for want in expected:
        assert any(p.startswith(want) for p in line.problems), line.problems
    assert stored(s) == {}


def test_every_reason_of_an_invalid_row_is_given(s: Session) -> None:
    s.leads.set_settings(LeadSettings(custom_fields=(FieldDefinition("budget", "integer"),)))
    [line] = s.leads.import_many(
        [{"phone": "12", "email": "x", "budget": "lots", "colour": "red"}]
    ).rows
    heads = sorted(p.split(":")[0] for p in line.problems)
    assert heads == [
        "rows[0].colour",
        "rows[0].emails[0]",
        "rows[0].fields.budget",
        "rows[0].name",
        "rows[0].phones[0]",
    ]


def test_invalid_rows_leave_no_trace_between_good_ones(s: Session) -> None:
    report = s.leads.import_many(
        [
            {"name": "Good 1", "phone": "052-345-6789"},
            {"name": "Bad", "phone": "052-000-0000", "email": "nope"},
            {"name": "Good 2", "phone": "052-000-0000"},
        ]
    )
    assert [r.outcome for r in report.rows] == [
        ImportOutcome.CREATED,
        ImportOutcome.INVALID,
        ImportOutcome.CREATED,  # the bad row's phone was never indexed
    ]
    assert sorted(stored(s).values()) == ["Good 1", "Good 2"]
    for lead_id in report.created_ids:
        assert [e.kind for e in s.leads.history(lead_id).items] == [HistoryKind.CREATED]


def test_custom_field_columns_and_a_fields_mapping_both_fill_fields(s: Session) -> None:
    s.leads.set_settings(
        LeadSettings(
            custom_fields=(FieldDefinition("budget", "integer"), FieldDefinition("city", "text"))
        )
    )
    report = s.leads.import_many([{"name": "Yossi", "budget": "500", "fields": {"city": "Haifa"}}])
    lead = s.leads.get(report.created_ids[0])
    assert lead.fields == {"budget": 500, "city": "Haifa"}


def test_an_import_needs_the_create_leads_permission_and_writes_nothing_without_it(
    core: Leadcore, s: Session
) -> None:
    viewer = s.users.create("Vera", "qualifier")
    s.users.revoke(viewer.id, "create_leads")
    with pytest.raises(Forbidden):
        core.session(viewer.id).leads.import_many([{"name": "Yossi"}])
    assert stored(s) == {}


def test_an_empty_import_reports_nothing() -> None:
    assert ImportReport([]).summary() == "0 rows: 0 created, 0 duplicate, 0 blacklisted, 0 invalid"
    assert ImportReport([ImportRow(0, ImportOutcome.INVALID)]).created_ids == []


def test_ten_thousand_rows_with_duplicates_inside_the_batch_are_each_reported(
    s: Session,
) -> None:
    distinct = 2_500
    rows: list[object] = []
    for i in range(10_000):
        if i % 1_000 == 999:
            rows.append({"name": f"Broken {i}", "phone": "not a phone"})
        else:
            rows.append({"name": f"Lead {i}", "phone": f"+9725{i % distinct:08d}"})
    report = s.leads.import_many(rows)
    assert len(report.rows) == 10_000
    first_with: dict[str, str] = {}
    for row, line in zip(rows, report.rows, strict=True):
        assert isinstance(row, dict)
        if row["name"].startswith("Broken"):
            assert line.outcome is ImportOutcome.INVALID
            assert line.lead_id is None
            continue
        assert line.lead_id is not None
        phone = row["phone"]
        if phone in first_with:
            assert line.outcome is ImportOutcome.DUPLICATE
            assert line.duplicate_of == first_with[phone]
        else:
            assert line.outcome is ImportOutcome.CREATED
            first_with[phone] = line.lead_id
    assert report.count("created") == distinct
    assert report.count("invalid") == 10
    assert report.count("duplicate") == 10_000 - distinct - 10
    assert len(stored(s)) == 10_000 - 10
