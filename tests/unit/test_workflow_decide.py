"""The decision point: whether a move is allowed, and every reason why not."""

from __future__ import annotations

import pytest

from leadcore.workflow import Decision, Reason, ReasonCode, Workflow

R = ReasonCode

WF = Workflow.from_toml(
    """
id = "sales"
name = "Sales"
version = 3
entry = ["new", "contacted"]

[[status]]
id = "new"
name = "New"
color = "#1E88E5"
category = "todo"
next = ["contacted", "lost"]

[[status]]
id = "contacted"
name = "Contacted"
color = "#8E24AA"
category = "in_progress"
requires = "note"
next = ["meeting", "lost"]

[[status]]
id = "meeting"
name = "Meeting"
color = "#3949AB"
category = "in_progress"
requires = "task"
next = ["won", "lost"]

[[status]]
id = "won"
name = "Won"
color = "#43A047"
category = "done"
requires = "note_and_task"

[[status]]
id = "lost"
name = "Lost"
color = "#E53935"
category = "done"
"""
)

TASK = object()
ANYTHING = {"note": "Spoke to Dana", "task": TASK}

# (current, target, keyword arguments, expected codes in order)
CASES: list[tuple[str | None, str, dict[str, object], tuple[ReasonCode, ...]]] = [
    # allowed moves
    ("new", "contacted", {"restricted": True, "note": "called"}, ()),
    ("new", "lost", {"restricted": True}, ()),
    ("contacted", "meeting", {"restricted": True, "task": TASK}, ()),
    ("meeting", "won", {"restricted": True, **ANYTHING}, ()),
    # unrestricted users may skip ahead and go back
    ("new", "won", ANYTHING, ()),
    ("lost", "new", {}, ()),
    ("won", "meeting", {"task": TASK}, ()),
    # a lead with no status
    (None, "new", {"restricted": True}, ()),
    (None, "contacted", {"restricted": True, "note": "first call"}, ()),
    (None, "meeting", {"restricted": True, "task": TASK}, (R.NOT_ENTRY,)),
    (None, "lost", {"restricted": True}, (R.NOT_ENTRY,)),
    (None, "lost", {}, ()),
    (None, "won", ANYTHING, ()),
    # unknown statuses
    ("new", "nope", {}, (R.UNKNOWN_STATUS,)),
    ("new", "nope", {"restricted": True}, (R.UNKNOWN_STATUS,)),
    ("gone", "lost", {}, (R.UNKNOWN_CURRENT,)),
    ("gone", "lost", {"restricted": True}, (R.UNKNOWN_CURRENT,)),
    ("gone", "nope", {"restricted": True}, (R.UNKNOWN_STATUS, R.UNKNOWN_CURRENT)),
    (None, "nope", {"restricted": True}, (R.UNKNOWN_STATUS,)),
    # the same status
    ("new", "new", {}, (R.SAME_STATUS,)),
    ("lost", "lost", {"restricted": True}, (R.SAME_STATUS,)),
    ("contacted", "contacted", {"restricted": True}, (R.SAME_STATUS, R.NOTE_REQUIRED)),
    # next stages for restricted users
    ("new", "meeting", {"restricted": True, "task": TASK}, (R.NOT_NEXT_STAGE,)),
    ("lost", "new", {"restricted": True}, (R.NOT_NEXT_STAGE,)),
    # requirements
    ("new", "contacted", {}, (R.NOTE_REQUIRED,)),
    ("new", "contacted", {"note": ""}, (R.NOTE_REQUIRED,)),
    ("new", "contacted", {"note": " \t\n"}, (R.NOTE_REQUIRED,)),
    ("new", "contacted", {"note": " x "}, ()),
    ("contacted", "meeting", {}, (R.TASK_REQUIRED,)),
    ("contacted", "meeting", {"task": None}, (R.TASK_REQUIRED,)),
    ("contacted", "meeting", {"task": ""}, ()),
    ("contacted", "meeting", {"task": 0}, ()),
    ("meeting", "won", {}, (R.NOTE_REQUIRED, R.TASK_REQUIRED)),
    ("meeting", "won", {"note": "signed"}, (R.TASK_REQUIRED,)),
    ("meeting", "won", {"task": TASK}, (R.NOTE_REQUIRED,)),
    # forced notes
    ("new", "lost", {"force_notes": True}, (R.NOTE_FORCED,)),
    ("new", "lost", {"force_notes": True, "note": "   "}, (R.NOTE_FORCED,)),
    ("new", "lost", {"force_notes": True, "note": "no budget"}, ()),
    ("new", "contacted", {"force_notes": True}, (R.NOTE_REQUIRED,)),
    ("new", "nope", {"force_notes": True}, (R.UNKNOWN_STATUS, R.NOTE_FORCED)),
    (None, "new", {"force_notes": True}, (R.NOTE_FORCED,)),
    # several reasons at once
    (
        "contacted",
        "won",
        {"restricted": True},
        (R.NOT_NEXT_STAGE, R.NOTE_REQUIRED, R.TASK_REQUIRED),
    ),
    (
        None,
        "meeting",
        {"restricted": True, "force_notes": True},
        (R.NOT_ENTRY, R.NOTE_FORCED, R.TASK_REQUIRED),
    ),
]


@pytest.mark.parametrize(
    ("current", "target", "kwargs", "expected"),
    CASES,
    ids=[f"{c}->{t}-{'-'.join(sorted(k))}" for c, t, k, _ in CASES],
)
def test_decide_gives_every_reason_in_order(
    current: str | None,
    target: str,
    kwargs: dict[str, object],
    expected: tuple[ReasonCode, ...],
) -> None:
    decision = WF.decide(current, target, **kwargs)  # type: ignore[arg-type]
    assert decision.codes == expected
    assert decision.allowed is (expected == ())
    assert bool(decision) is decision.allowed
    assert decision.target == target
    assert all(r.message for r in decision.reasons)


def test_every_reason_code_is_exercised() -> None:
    seen = {code for *_, expected in CASES for code in expected}
    assert seen == set(ReasonCode)


def test_restricted_users_may_take_exactly_the_next_stages() -> None:
    for current in [None, *WF.status_ids]:
        allowed = {
            t
            for t in WF.status_ids
            if WF.decide(current, t, restricted=True, **ANYTHING).allowed  # type: ignore[arg-type]
        }
        assert allowed == set(WF.next_stages(current)), current


def test_unrestricted_users_may_take_every_other_status() -> None:
    for current in WF.status_ids:
        allowed = {t for t in WF.status_ids if WF.decide(current, t, **ANYTHING).allowed}  # type: ignore[arg-type]
        assert allowed == set(WF.status_ids) - {current}


def test_a_refusal_explains_every_reason() -> None:
    decision = WF.decide("gone", "won", restricted=True)
    assert decision.explain() == (
        "moving to 'won' is refused:\n"
        "  - unknown-current: the current status 'gone' is not a status of workflow 'sales' "
        "version 3\n"
        "  - note-required: status 'won' requires a note\n"
        "  - task-required: status 'won' requires a task"
    )
    not_next = WF.decide("new", "meeting", restricted=True, task=TASK)
    assert str(not_next.reasons[0]) == (
        "not-next-stage: 'meeting' is not a next stage of 'new' (next stages: contacted, lost)"
    )
    not_entry = WF.decide(None, "lost", restricted=True)
    assert "(new, contacted)" in not_entry.reasons[0].message


def test_an_allowed_decision_says_so_and_is_shared() -> None:
    first = WF.decide("new", "lost")
    assert first.explain() == "moving to 'lost' is allowed"
    assert first == Decision(target="lost")
    assert WF.decide("meeting", "lost", restricted=True) is first


def test_decisions_and_reasons_are_values() -> None:
    refused = WF.decide("new", "nope")
    assert refused == WF.decide("new", "nope")
    assert hash(refused) == hash(WF.decide("new", "nope"))
    reason = Reason(ReasonCode.SAME_STATUS, "already there")
    assert str(reason) == "same-status: already there"
    with pytest.raises(AttributeError):
        refused.target = "x"  # type: ignore[misc]


def test_reason_codes_are_stable_strings() -> None:
    assert {str(c) for c in ReasonCode} == {
        "unknown-status",
        "unknown-current",
        "same-status",
        "not-next-stage",
        "not-entry",
        "note-required",
        "task-required",
        "note-forced",
    }


def test_forced_notes_name_what_moves() -> None:
    wf = WF
    lead = wf.decide("new", "lost", force_notes=True)
    stage = wf.decide("new", "lost", force_notes=True, subject="opportunity")
    assert lead.codes == stage.codes == (ReasonCode.NOTE_FORCED,)
    assert lead.reasons[0].message == "the project requires a note on every status change"
    assert stage.reasons[0].message == (
        "the organisation requires a note on every opportunity stage change"
    )
    # Each asked again answers from its own cached refusal.
    assert wf.decide("new", "lost", force_notes=True) == lead
