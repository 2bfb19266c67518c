"""A hypothesis state machine that drives a real leadcore through one workflow.

:class:`WorkflowMachine` opens an organisation on the workflow under check
(in memory, with a manual clock) and lets random users, restricted to next
stages or not, create leads and move them with or without notes and tasks,
in projects that force notes or not. After every step it checks the
properties in :data:`PROPERTIES`; a broken one raises
:class:`PropertyViolated` with the steps that led there.

:func:`~leadcore.testing.check_workflow` runs it and reports shrunk
counterexamples; a host subclasses it to add rules and invariants of its
own, and runs the subclass with ``check_workflow(..., machine=...)`` or as
a test case (``TestMine = MyMachine.TestCase``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Final

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

from leadcore.clock import ManualClock
from leadcore.core import Leadcore, Session
from leadcore.dispatch import ProjectRules
from leadcore.errors import LeadcoreError, TransitionRefused, ValidationError
from leadcore.ids import SequentialIds
from leadcore.leads import HistoryEntry, HistoryKind, Lead, Note, Task, TaskDraft
from leadcore.storage.memory import MemoryStorage
from leadcore.tenancy import Permission, Role
from leadcore.workflow import CODES, LintCode, Severity, Workflow

__all__ = [
    "PROPERTIES",
    "STEPS_ATTRIBUTE",
    "UNEXPECTED_ERROR",
    "Move",
    "Person",
    "PropertyViolated",
    "WorkflowMachine",
    "accepted_codes",
]

#: The properties :class:`WorkflowMachine` checks, by name, each with what it promises.
PROPERTIES: Final[Mapping[str, str]] = {
    "requirements-enforced": (
        "a move without the note or task its target status requires, or without the note a "
        "project forces, is refused and writes nothing"
    ),
    "restricted-next-stages": (
        "a user restricted to next stages never moves a lead anywhere else (a lead with no "
        "status only to an entry status), and a refused move writes nothing"
    ),
    "reach-done": (
        "every status a lead enters can still reach a done status through next stages, "
        "unless the workflow's dead-end or no-path-to-done warning is accepted"
    ),
    "history-complete": (
        "every status change has exactly one history entry, in the order the changes were made"
    ),
    "valid-moves-accepted": (
        "a move that meets every requirement of the workflow and the project is accepted"
    ),
}

#: What a failure is called when a step raised an error that breaks no stated property.
UNEXPECTED_ERROR: Final = "unexpected-error"

_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_NAMES = ("Dana", "Quinn", "Avi", "Noa", "Ioana", "Mihai", "Yael", "Omer", "Elena", "Tamar")
_PROJECTS = ("Campaign A", "Campaign B")
_NOTES = (None, "", "   ", "Spoke to them, they want a call back", "דיברנו, ביקשו שנחזור אליהם")
_LEAD_WORK = (
    Permission.SEE_ALL_LEADS,
    Permission.CREATE_LEADS,
    Permission.EDIT_LEADS,
    Permission.CHANGE_STATUS,
)
#: The attribute under which a failed run's (given, steps) are kept on its error.
STEPS_ATTRIBUTE: Final = "leadcore_steps"
_STUCK_CODES = frozenset({LintCode.DEAD_END, LintCode.NO_PATH_TO_DONE})


class PropertyViolated(LeadcoreError, AssertionError):
    """A step of :class:`WorkflowMachine` broke a property; the message says which and how.

    ``name`` is the property (a key of :data:`PROPERTIES`, or a name a
    subclass chose), ``detail`` what happened, ``steps`` the steps of the run
    that led there.
    """

    def __init__(self, name: str, detail: str, steps: Sequence[str] = ()) -> None:
        self.name = name
        self.detail = detail
        self.steps: tuple[str, ...] = tuple(steps)
        super().__init__(name, detail)

    def __str__(self) -> str:
        lines = [f"{self.name}: {self.detail}"]
        lines.extend(f"  {i}. {step}" for i, step in enumerate(self.steps, start=1))
        return "\n".join(lines)


# Hypothesis tells distinct failures apart by exception type and place: one subclass per
# property lets it shrink, and report, each broken property on its own.
_VIOLATIONS: dict[str, type[PropertyViolated]] = {}


def _violation_type(name: str) -> type[PropertyViolated]:
    found = _VIOLATIONS.get(name)
    if found is None:
        found = type("PropertyViolated", (PropertyViolated,), {"__module__": __name__})
        _VIOLATIONS[name] = found
    return found


@attrs.frozen
class Person:
    """A user the machine acts as: who they are and whether they are restricted to next stages."""

    id: str
    name: str
    role: Role
    restricted: bool

    def __str__(self) -> str:
        return f"{self.name} ({self.role}{', restricted' if self.restricted else ''})"


@attrs.frozen
class Move:
    """How a move of :class:`WorkflowMachine` is made, as hypothesis draws it.

    ``user`` picks the mover among the users (0 is the account manager),
    ``pick`` the target among the statuses the rule offers, ``note`` and
    ``task`` go with the move, and ``minutes`` pass before it.
    """

    user: int = 0
    pick: int = 0
    note: str | None = None
    task: bool = False
    minutes: int = 0


_WAITS = (0, 0, 0, 5, 60, 24 * 60)


def _decode_move(n: int) -> Move:
    n, user = divmod(n, 16)
    n, pick = divmod(n, 256)
    n, note = divmod(n, len(_NOTES))
    n, task = divmod(n, 2)
    return Move(user, pick, _NOTES[note], bool(task), _WAITS[n % len(_WAITS)])


# One integer decoded into a Move: hypothesis draws and shrinks one number far faster than
# six, and it shrinks to 0, the simplest move (the account manager, the first status offered,
# no note, no task, no wait). One argument also puts the move rules first, where
# hypothesis picks most often.
_MOVES = st.integers(0, 16 * 256 * len(_NOTES) * 2 * len(_WAITS) - 1).map(_decode_move)

_Stored = tuple[Lead | None, tuple[HistoryEntry, ...], tuple[Note, ...], tuple[Task, ...]]


class WorkflowMachine(RuleBasedStateMachine):
    """A stateful test of one workflow against a real :class:`~leadcore.Leadcore`.

    Each run opens an organisation on the workflow (on
    :class:`~leadcore.storage.memory.MemoryStorage` with a
    :class:`~leadcore.clock.ManualClock`; override :meth:`make_core` for
    another storage), with an unrestricted account manager, a restricted
    qualifier and two projects, the first forcing notes. Rules then add
    users (restricted or not), change restrictions, create leads, move them
    one by one or in bulk (with or without notes and tasks), switch a
    project's forced notes and let time pass. Every step is checked against
    :data:`PROPERTIES`.

    Subclass it to add your own rules and invariants; use the bundles
    :attr:`users` and :attr:`leads`, :meth:`session`, :meth:`change_status`
    (a move with every check), :meth:`step` (a line of the counterexample)
    and :meth:`violate`::

        from hypothesis.stateful import invariant, rule

        class MyMachine(WorkflowMachine):
            workflow = load_workflow("workflow.toml")

            @rule(lead=WorkflowMachine.leads)
            def add_a_note(self, lead):
                self.step(f"Dana notes on {lead}")
                self.admin.leads.add_note(lead, "left a voicemail")

            @invariant()
            def no_lead_is_won_without_a_meeting(self):
                ...

        TestMyMachine = MyMachine.TestCase            # run by pytest, or:
        report = check_workflow("workflow.toml", machine=MyMachine)

    Set :attr:`workflow` on the class, or give it to the constructor.
    """

    #: The workflow under check, when the constructor is given none.
    workflow: ClassVar[Workflow | None] = None
    #: Lint warnings accepted as intended; ``dead-end`` and ``no-path-to-done`` exempt the
    #: statuses they name from the ``reach-done`` property.
    accepted_warnings: ClassVar[frozenset[LintCode]] = frozenset()

    users = Bundle("users")
    """User ids: the account manager, the restricted qualifier, and every user added."""
    leads = Bundle("leads")
    """Ids of the leads created."""

    def __init__(
        self, workflow: Workflow | None = None, *, accept: Iterable[LintCode | str] | None = None
    ) -> None:
        super().__init__()
        chosen = workflow if workflow is not None else type(self).workflow
        if chosen is None:
            raise ValidationError(
                "the workflow machine has no workflow",
                [
                    f"workflow: set it on {type(self).__name__} (workflow = "
                    "load_workflow('workflow.toml')) or pass it to the constructor"
                ],
            )
        self.wf: Workflow = chosen
        """The workflow under check."""
        self.accepted: frozenset[LintCode] = (
            accepted_codes(accept) if accept is not None else type(self).accepted_warnings
        )
        """The lint warnings accepted for this run."""
        self.given: list[str] = []
        """How the run started: lines shown before the steps of a counterexample."""
        self.steps: list[str] = []
        """The steps of the run so far, as readable lines."""
        self.statuses: dict[str, list[str]] = {}
        """Per lead, every status it entered, in order (the expected history)."""
        self.people: dict[str, Person] = {}
        """The users, by id."""
        self.lead_project: dict[str, str | None] = {}
        """Per lead, its project id."""
        self.forced: dict[str, bool] = {}
        """Per project id, whether it forces a note on every status change."""
        self._started = False
        self.clock = ManualClock(_START)
        self.core: Leadcore = self.make_core()
        org, admin = self.core.create_organization(
            "Workflow check", admin_name=_NAMES[0], default_region="IL", workflow=self.wf
        )
        self.organization_id: str = org.id
        self.admin: Session = self.core.session(admin.id)
        """A session of the account manager (unrestricted, every permission)."""
        self._sessions: dict[str, Session] = {admin.id: self.admin}
        self.people[admin.id] = Person(admin.id, admin.name, admin.role, restricted=False)
        self.given.append(
            f"{self.people[admin.id]} opens an organisation on workflow {self.wf.id!r} "
            f"version {self.wf.version}"
        )
        # Hypothesis shrinks a bundle draw towards its last value: the unrestricted account
        # manager, whose moves are the fewest steps to any status.
        self._first_users = [self._add_person(Role.QUALIFIER, restricted=True).id, admin.id]
        self.project_ids: tuple[str, ...] = tuple(
            self._add_project(name, forced=i == 0) for i, name in enumerate(_PROJECTS)
        )
        self._stuck = self._stuck_statuses()
        self._started = True

    # -- hooks and helpers for subclasses ------------------------------------------------

    def make_core(self) -> Leadcore:
        """The core to check: in memory, with ``clock`` and sequential ids.

        Override it to run the same checks on your own storage adapter.
        """
        return Leadcore(MemoryStorage(), clock=self.clock, ids=SequentialIds())

    def session(self, user_id: str) -> Session:
        """A session acting as ``user_id``."""
        found = self._sessions.get(user_id)
        if found is None:
            found = self._sessions[user_id] = self.core.session(user_id)
        return found

    def step(self, text: str) -> None:
        """Record one step of the run; a counterexample lists them in order."""
        self.steps.append(text)

    def violate(self, name: str, detail: str) -> None:
        """Fail the run: property ``name`` is broken, as ``detail`` says."""
        raise _violation_type(name)(name, detail, self.steps)

    def teardown(self) -> None:
        """Close the core; on a failure, keep the steps with the error for the report."""
        failure = sys.exc_info()[1]
        if failure is not None:
            # An exception type without a __dict__ keeps no steps; hypothesis' replay remains.
            with contextlib.suppress(AttributeError):
                setattr(failure, STEPS_ATTRIBUTE, (tuple(self.given), tuple(self.steps)))
        self.core.close()

    def current_status(self, lead_id: str) -> str | None:
        """The status the lead should be in, by the moves made so far (``None``: no status)."""
        entered = self.statuses[lead_id]
        return entered[-1] if entered else None

    def change_status(
        self,
        user_id: str,
        lead_id: str,
        target: str,
        *,
        note: str | None = None,
        task: TaskDraft | None = None,
    ) -> bool:
        """Move a lead as ``user_id`` and check every property of the move; return if it moved."""
        person = self.people[user_id]
        current = self.current_status(lead_id)
        what = self._describe_move(person, lead_id, current, target, note, task)
        must_refuse = self._must_refuse(lead_id, current, target, person, note, task)
        before = self._stored(lead_id)
        refused: TransitionRefused | None = None
        try:
            self.session(user_id).leads.change_status(lead_id, target, note=note, task=task)
        except TransitionRefused as exc:
            refused = exc
        # Checked outside the handler: a violation raised in it would carry the refusal as its
        # context, and hypothesis would tell it apart from the same violation elsewhere.
        if refused is not None:
            self.step(f"{what}: refused ({', '.join(refused.codes)})")
            self._check_refusal(lead_id, current, target, before, must_refuse)
            return False
        self.step(f"{what}: accepted")
        self._check_acceptance(lead_id, target, must_refuse)
        return True

    # -- setup -------------------------------------------------------------------------

    def _add_person(self, role: Role, *, restricted: bool) -> Person:
        name = _NAMES[len(self.people) % len(_NAMES)]
        if len(self.people) >= len(_NAMES):
            name = f"{name} {len(self.people) // len(_NAMES) + 1}"
        user = self.admin.users.create(name, role)
        self.admin.users.grant(user.id, *_LEAD_WORK)
        self._set_restricted(user.id, restricted)
        person = Person(user.id, user.name, user.role, restricted)
        self.people[user.id] = person
        text = f"{self.people[self.admin.user_id].name} adds {person}"
        (self.steps if self._started else self.given).append(text)
        return person

    def _set_restricted(self, user_id: str, restricted: bool) -> None:
        if restricted:
            self.admin.users.grant(user_id, Permission.RESTRICT_TO_NEXT_STAGES)
        else:
            self.admin.users.revoke(user_id, Permission.RESTRICT_TO_NEXT_STAGES)

    def _add_project(self, name: str, *, forced: bool) -> str:
        rules = ProjectRules(force_notes_on_status_change=forced)
        project = self.admin.leads.create_project(name, rules=rules)
        self.forced[project.id] = forced
        self.given.append(f"project {project.id} {name!r}{_forcing(forced)}")
        return project.id

    def _stuck_statuses(self) -> frozenset[str]:
        dead = frozenset(self.wf.dead_ends())
        no_path = frozenset(self.wf.cannot_reach_done()) - dead
        exempt: frozenset[str] = frozenset()
        if LintCode.DEAD_END in self.accepted:
            exempt |= dead
        if LintCode.NO_PATH_TO_DONE in self.accepted:
            exempt |= no_path
        return (dead | no_path) - exempt

    # -- rules -------------------------------------------------------------------------

    @initialize(target=users)
    def start_with_the_first_users(self) -> object:
        """The account manager and the restricted qualifier are there from the start."""
        return multiple(*self._first_users)

    @rule(target=users, role=st.sampled_from(Role), restricted=st.booleans())
    def add_user(self, role: Role, restricted: bool) -> str:
        """The account manager adds a user, restricted to next stages or not."""
        return self._add_person(role, restricted=restricted).id

    @rule(user=users, restricted=st.booleans())
    def set_restriction(self, user: str, restricted: bool) -> None:
        """The account manager restricts a user to next stages, or lifts the restriction."""
        person = self.people[user]
        if user == self.admin.user_id or person.restricted == restricted:
            return
        self._set_restricted(user, restricted)
        self.people[user] = attrs.evolve(person, restricted=restricted)
        verb = "restricts" if restricted else "lifts the restriction of"
        self.step(f"{self.people[self.admin.user_id].name} {verb} {person.name}")

    @rule(target=leads, user=users, project=st.sampled_from((None, 0, 1)))
    def create_lead(self, user: str, project: int | None) -> str:
        """A user creates a lead, in one of the projects or in none."""
        project_id = None if project is None else self.project_ids[project]
        name = f"Lead {len(self.statuses) + 1}"
        lead = self.session(user).leads.create(name, project_id=project_id)
        self.statuses[lead.id] = []
        self.lead_project[lead.id] = project_id
        where = f"in project {project_id}" if project_id else "in no project"
        self.step(f"{self.people[user]} creates {lead.id} {name!r} {where}")
        return lead.id

    @rule(lead=leads, how=_MOVES)
    def move_to_next_stage(self, lead: str, how: Move) -> None:
        """A user moves a lead to one of its next stages (or, with no status, an entry status)."""
        offered = self.wf.next_stages(self.current_status(lead)) or self.wf.status_ids
        self._move(lead, how, offered[how.pick % len(offered)])

    @rule(lead=leads, how=_MOVES)
    def move_anywhere(self, lead: str, how: Move) -> None:
        """A user moves a lead to any status of the workflow."""
        self._move(lead, how, self.wf.status_ids[how.pick % len(self.wf.status_ids)])

    def _move(self, lead: str, how: Move, target: str) -> None:
        self._wait(how.minutes)
        draft = TaskDraft("Call back", due_in=timedelta(days=1)) if how.task else None
        self.change_status(self._mover(how).id, lead, target, note=how.note, task=draft)

    @rule(lead_ids=st.lists(leads, min_size=1, max_size=3), how=_MOVES)
    def move_many(self, lead_ids: list[str], how: Move) -> None:
        """A user moves several leads to one status at once (a bulk change carries no task)."""
        self._wait(how.minutes)
        chosen = list(dict.fromkeys(lead_ids))
        target = self.wf.status_ids[how.pick % len(self.wf.status_ids)]
        person = self._mover(how)
        note = how.note
        plans = {}
        for lead_id in chosen:
            current = self.current_status(lead_id)
            plans[lead_id] = (
                current,
                self._must_refuse(lead_id, current, target, person, note, None),
                self._stored(lead_id),
            )
        outcome = self.session(person.id).leads.change_status_many(chosen, target, note=note)
        moves = "; ".join(
            f"{lead_id} from {_origin(plans[lead_id][0])}: {_outcome(outcome[lead_id])}"
            for lead_id in chosen
        )
        self.step(f"{person} moves in bulk to {target!r} {_with_note(note)}: {moves}")
        for lead_id in chosen:
            current, must_refuse, before = plans[lead_id]
            result = outcome[lead_id]
            if isinstance(result, TransitionRefused):
                self._check_refusal(lead_id, current, target, before, must_refuse)
            elif isinstance(result, Exception):
                self.violate(
                    UNEXPECTED_ERROR,
                    f"the bulk move of {lead_id} failed with {type(result).__name__}: {result}",
                )
            else:
                self._check_acceptance(lead_id, target, must_refuse)

    @rule(project=st.sampled_from((0, 1)), forced=st.booleans())
    def set_forced_notes(self, project: int, forced: bool) -> None:
        """The account manager switches a project's rule that forces notes on or off."""
        project_id = self.project_ids[project]
        if self.forced[project_id] == forced:
            return
        self.admin.leads.update_project(
            project_id, rules=ProjectRules(force_notes_on_status_change=forced)
        )
        self.forced[project_id] = forced
        self.step(f"project {project_id} now{_forcing(forced) or ' forces no notes'}")

    @invariant()
    def history_is_complete(self) -> None:
        """Every lead's history records each of its status changes once, in order."""
        org = self.organization_id
        for lead_id, entered in self.statuses.items():
            with self.core.storage.unit_of_work() as uow:
                lead = uow.leads.get(org, lead_id)
                entries = uow.history.for_lead(org, lead_id)
            recorded = [
                (e.from_status, e.to_status)
                for e in reversed(entries)
                if e.kind is HistoryKind.STATUS_CHANGED
            ]
            expected = list(zip([None, *entered], entered, strict=False))
            if recorded != expected:
                self.violate(
                    "history-complete",
                    f"the history of {lead_id} records the status changes "
                    f"{_pairs(recorded)}, but the lead was moved {_pairs(expected)}",
                )
            status = lead.status_id if lead is not None else "(the lead is gone)"
            if status != (entered[-1] if entered else None):
                self.violate(
                    "history-complete",
                    f"{lead_id} is in {status!r}, but its last move took it to "
                    f"{entered[-1] if entered else None!r}",
                )

    # -- checks ------------------------------------------------------------------------

    def _wait(self, minutes: int) -> None:
        if minutes:
            self.clock.advance(timedelta(minutes=minutes))
            self.step(f"{minutes} minutes pass")

    def _mover(self, how: Move) -> Person:
        people = list(self.people.values())
        return people[how.user % len(people)]

    def _must_refuse(
        self,
        lead_id: str,
        current: str | None,
        target: str,
        person: Person,
        note: str | None,
        task: TaskDraft | None,
    ) -> list[tuple[str, str]]:
        """Why the move must be refused, as (property, reason) pairs; empty when it may go."""
        reasons: list[tuple[str, str]] = []
        status = self.wf.status(target)
        has_note = note is not None and note.strip() != ""
        project = self.lead_project[lead_id]
        if status.requires.needs_note and not has_note:
            reasons.append(("requirements-enforced", f"{target!r} requires a note"))
        elif project is not None and self.forced[project] and not has_note:
            reasons.append(
                ("requirements-enforced", f"project {project} forces a note on every change")
            )
        if status.requires.needs_task and task is None:
            reasons.append(("requirements-enforced", f"{target!r} requires a task"))
        if person.restricted and target not in self.wf.next_stages(current):
            where = (
                f"{target!r} is not an entry status"
                if current is None
                else f"{target!r} is not a next stage of {current!r}"
            )
            reasons.append(("restricted-next-stages", f"{person.name} is restricted and {where}"))
        return reasons

    def _stored(self, lead_id: str) -> _Stored:
        org = self.organization_id
        with self.core.storage.unit_of_work() as uow:
            return (
                uow.leads.get(org, lead_id),
                tuple(uow.history.for_lead(org, lead_id)),
                tuple(uow.notes.for_lead(org, lead_id)),
                tuple(uow.tasks.for_lead(org, lead_id)),
            )

    def _check_refusal(
        self,
        lead_id: str,
        current: str | None,
        target: str,
        before: _Stored,
        must_refuse: list[tuple[str, str]],
    ) -> None:
        after = self._stored(lead_id)
        if after != before:
            name = must_refuse[0][0] if must_refuse else "history-complete"
            self.violate(name, f"the refused move wrote to {lead_id}: {_changes(before, after)}")
        if not must_refuse and current != target:
            self.violate(
                "valid-moves-accepted",
                f"moving {lead_id} to {target!r} was refused, though it meets every requirement",
            )

    def _check_acceptance(
        self, lead_id: str, target: str, must_refuse: list[tuple[str, str]]
    ) -> None:
        self.statuses[lead_id].append(target)
        if must_refuse:
            name, reason = must_refuse[0]
            self.violate(name, f"moving {lead_id} to {target!r} was accepted, but {reason}")
        if target in self._stuck:
            kind = "dead-end" if target in self.wf.dead_ends() else "no-path-to-done"
            self.violate(
                "reach-done",
                f"{lead_id} entered {target!r}, from which no done status can be reached "
                f"through next stages; accept the {kind!r} warning if that is intended",
            )

    def _describe_move(
        self,
        person: Person,
        lead_id: str,
        current: str | None,
        target: str,
        note: str | None,
        task: TaskDraft | None,
    ) -> str:
        origin = _origin(current)
        project = self.lead_project[lead_id]
        forcing = (
            f" (project {project}{_forcing(True)})" if project and self.forced[project] else ""
        )
        return (
            f"{person} moves {lead_id}{forcing} from {origin} to {target!r} "
            f"{_with_note(note)}, {'with a task' if task is not None else 'without a task'}"
        )


def _forcing(forced: bool) -> str:
    return " forces a note on every status change" if forced else ""


def _origin(status: str | None) -> str:
    return "no status" if status is None else repr(status)


def _with_note(note: str | None) -> str:
    if note is None:
        return "without a note"
    if not note.strip():
        return f"with a blank note {note!r}"
    return f"with the note {note!r}"


def _outcome(result: object) -> str:
    if isinstance(result, TransitionRefused):
        return f"refused ({', '.join(result.codes)})"
    if isinstance(result, Exception):
        return f"failed ({type(result).__name__})"
    return "accepted"


def _pairs(pairs: Sequence[tuple[str | None, str | None]]) -> str:
    if not pairs:
        return "none"
    return ", ".join(f"{a or '(no status)'} -> {b}" for a, b in pairs)


def _changes(before: _Stored, after: _Stored) -> str:
    parts = ("the lead", "history entries", "notes", "tasks")
    return ", ".join(part for part, a, b in zip(parts, before, after, strict=True) if a != b)


def accepted_codes(codes: Iterable[LintCode | str]) -> frozenset[LintCode]:
    """Read accepted lint warnings; :class:`~leadcore.errors.ValidationError` names any other.

    >>> sorted(accepted_codes(["dead-end"]))
    [<LintCode.DEAD_END: 'dead-end'>]
    """
    warnings = [str(c) for c, severity in CODES.items() if severity is Severity.WARNING]
    found: set[LintCode] = set()
    problems: list[str] = []
    for i, code in enumerate(codes):
        try:
            value = LintCode(code)
        except ValueError:
            value = None
        if value is None or CODES[value] is not Severity.WARNING:
            problems.append(
                f"accept[{i}]: {code!r} is not a lint warning; accepted: {', '.join(warnings)}"
            )
        else:
            found.add(value)
    if problems:
        raise ValidationError("cannot accept these lint codes", problems)
    return frozenset(found)
