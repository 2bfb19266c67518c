"""Organisations sharing phone numbers never see each other's leads, duplicates or counts."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.ids import SequentialIds
from leadcore.leads import ImportOutcome

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

batches = st.lists(
    st.tuples(
        st.integers(0, 1),  # which organisation imports
        st.lists(st.integers(0, 5), min_size=1, max_size=6),  # phone numbers of the rows
    ),
    min_size=1,
    max_size=6,
)


@given(batches=batches)
def test_duplicates_and_lists_never_cross_organisations(
    batches: list[tuple[int, list[int]]],
) -> None:
    core = Leadcore.open(clock=ManualClock(START), ids=SequentialIds())
    sessions = []
    for name in ("Alpha", "Beta"):
        _, admin = core.create_organization(name, admin_name="Dana", default_region="IL")
        sessions.append(core.session(admin.id))
    first_of: list[dict[str, str]] = [{}, {}]
    created: list[list[str]] = [[], []]
    for org, numbers in batches:
        rows: list[object] = [{"name": "Same name", "phone": f"052-345-67{n:02d}"} for n in numbers]
        report = sessions[org].leads.import_many(rows)
        for n, line in zip(numbers, report.rows, strict=True):
            assert line.lead_id is not None
            created[org].append(line.lead_id)
            phone = f"+9725234567{n:02d}"
            if phone in first_of[org]:
                assert line.outcome is ImportOutcome.DUPLICATE
                assert line.duplicate_of == first_of[org][phone]
            else:
                assert line.outcome is ImportOutcome.CREATED
                first_of[org][phone] = line.lead_id
    for org, s in enumerate(sessions):
        listed = s.leads.list(limit=1000).items
        assert sorted(x.id for x in listed) == sorted(created[org])
        assert {x.organization_id for x in listed} <= {s.organization_id}
        assert sum(s.leads.status_counts().values()) == len(created[org])
        assert sum(r.leads for r in s.reports.funnel(by="all")) == len(created[org])
