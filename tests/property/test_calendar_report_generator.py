"""The report generator counts exactly what a brute-force count over the visible activities gives.

Hypothesis draws a month of activities of four users: public or private,
single or weekly, of two types, of several lengths. For every user, the
grouped report's count, total duration and every group equal a count done by
hand over the activities that user may see in detail (participants see
theirs; account and sales managers see the public ones of everybody):
nothing a user may see only as busy time shows through an aggregate.
The same check runs on SQLite in ``tests/integration``.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.ids import SequentialIds

ZONE = ZoneInfo("Asia/Jerusalem")
ROLES = {
    "dana": "account_manager",
    "maya": "sales_manager",
    "avi": "salesperson",
    "noa": "salesperson",
}
SEES_OTHERS = {"dana", "maya"}
TYPES = ("sales_meeting", "internal_meeting")
FIRST, LAST = date(2026, 3, 1), date(2026, 4, 1)


@attrs.frozen
class Plan:
    """One activity, by user names."""

    responsible: str
    others: tuple[str, ...]
    private: bool
    day: int
    hour: int
    minutes: int
    weeks: int
    """1: a single activity; more: a weekly series of that many."""
    type_id: str

    def starts(self) -> list[datetime]:
        first = datetime(2026, 3, self.day, self.hour, tzinfo=ZONE)
        return [first + timedelta(weeks=k) for k in range(self.weeks)]


@st.composite
def plans(draw: st.DrawFn) -> list[Plan]:
    names = sorted(ROLES)
    out = []
    for _ in range(draw(st.integers(0, 6))):
        responsible = draw(st.sampled_from(names))
        others = draw(
            st.lists(
                st.sampled_from([n for n in names if n != responsible]), max_size=2, unique=True
            )
        )
        out.append(
            Plan(
                responsible,
                tuple(others),
                draw(st.booleans()),
                draw(st.integers(1, 28)),
                draw(st.integers(7, 20)),
                draw(st.sampled_from([15, 30, 45, 90])),
                draw(st.integers(1, 6)),
                draw(st.sampled_from(TYPES)),
            )
        )
    return out


def may_see(viewer: str, plan: Plan) -> bool:
    """The independent rule: participants see theirs; managers see every public one."""
    if viewer == plan.responsible or viewer in plan.others:
        return True
    return not plan.private and viewer in SEES_OTHERS


def check_reports_against_brute_force(core: Leadcore, drawn: list[Plan]) -> None:
    """Schedule ``drawn`` in ``core`` and compare every user's grouped report with a hand count."""
    _, dana = core.create_organization("Star Media", admin_name="dana", timezone="Asia/Jerusalem")
    admin = core.session(dana.id)
    ids = {"dana": dana.id}
    for name in ("maya", "avi", "noa"):
        ids[name] = admin.users.create(name, ROLES[name]).id
    names = {v: k for k, v in ids.items()}
    for plan in drawn:
        start = plan.starts()[0]
        core.session(ids[plan.responsible]).calendar.create(
            "Meeting",
            start=start,
            end=start + timedelta(minutes=plan.minutes),
            tz="Asia/Jerusalem",
            type_id=plan.type_id,
            user_ids=[ids[n] for n in plan.others],
            privacy="private" if plan.private else "public",
            recurrence=f"FREQ=WEEKLY;COUNT={plan.weeks}" if plan.weeks > 1 else None,
        )
    for viewer, user_id in ids.items():
        s = core.session(user_id)
        report = s.calendar.report(FIRST, LAST, group_by=["type", "responsible"])
        participants = s.calendar.report(FIRST, LAST, group_by="participant")
        counts: Counter[tuple[str, str]] = Counter()
        durations: Counter[tuple[str, str]] = Counter()
        per_user: Counter[str] = Counter()
        total = 0
        for plan in drawn:
            if not may_see(viewer, plan):
                continue
            inside = [t for t in plan.starts() if FIRST <= t.date() < LAST]
            total += len(inside)
            counts[(plan.type_id, plan.responsible)] += len(inside)
            durations[(plan.type_id, plan.responsible)] += len(inside) * plan.minutes
            for name in {plan.responsible, *plan.others}:
                per_user[name] += len(inside)
        assert report.count == total
        assert report.total_duration == timedelta(minutes=sum(durations.values()))
        got = {
            (str(r.key[0]), names[str(r.key[1])]): (r.count, r.total_duration) for r in report.rows
        }
        want = {k: (n, timedelta(minutes=durations[k])) for k, n in counts.items() if n}
        assert got == want
        assert {names[str(r.key[0])]: r.count for r in participants.rows} == {
            k: n for k, n in per_user.items() if n
        }
        # The fixed report counts the same occurrences.
        assert s.calendar.report(FIRST, LAST).total == total


def memory_core() -> Leadcore:
    return Leadcore.open(clock=ManualClock(datetime(2026, 2, 1, tzinfo=UTC)), ids=SequentialIds())


@settings(max_examples=40, deadline=None)
@given(drawn=plans())
def test_grouped_report_totals_equal_a_brute_force_count_of_what_the_user_may_see(
    drawn: list[Plan],
) -> None:
    check_reports_against_brute_force(memory_core(), drawn)
