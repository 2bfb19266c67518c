"""Workflow benchmarks: ``decide`` against ``transitions`` and ``python-statemachine``; scale.

Every contender answers the same question for the same sequence of moves:
may a lead in status ``current`` move to ``target``, for this user, with this
note and task? leadcore asks its compiled workflow; the peers ask a machine
generated from the same workflow (see ``docs/performance.md`` for why each
peer is driven the way it is). The answers are compared move by move before
anything is timed, so no contender is fast by being wrong.
"""

from __future__ import annotations

import functools
import operator
import random
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from _harness import Config, Row, compare, measure
from statemachine import State, StateMachine
from transitions import Machine

from leadcore.workflow import Status, Workflow, lint, sample_workflow

TITLE = "Workflow"

#: The peers' state for a lead with no status: not a valid status id, so it never collides.
NO_STATUS = "NONE"

LEADCORE = "leadcore"
TRANSITIONS = "transitions"
PSM = "python-statemachine"


class Move(NamedTuple):
    """One question put to every contender."""

    current: str | None
    target: str
    restricted: bool
    note: str | None
    task: object | None
    force_notes: bool


# -- the sequence of moves -----------------------------------------------------------------


def sales_moves(wf: Workflow, count: int, *, seed: int = 0) -> list[Move]:
    """A realistic, reproducible mix of moves, walking leads through ``wf``.

    Most moves go to a next stage of the lead's status, a fifth of them
    jump elsewhere (refused for restricted users), a few repeat the current
    status; notes and tasks are usually, not always, given where required;
    a fifth of the moves fall under a project that forces notes. Allowed
    moves advance the lead; a lead that reaches a done status is replaced by
    a new lead with no status.
    """
    rng = random.Random(seed)
    ids = wf.status_ids
    moves: list[Move] = []
    current: str | None = None
    while len(moves) < count:
        options = wf.next_stages(current)
        roll = rng.random()
        if roll < 0.75 and options:
            target = rng.choice(options)
        elif roll < 0.96 or current is None:
            target = rng.choice([s for s in ids if s != current])
        else:
            target = current
        force_notes = rng.random() < 0.2
        needs = wf.status(target).requires
        if needs.needs_note or force_notes:
            note = _pick(rng, (0.85, "Spoke to the client; sending details"), (0.05, "   "))
        else:
            note = _pick(rng, (0.3, "Left a message"))
        task = _pick(rng, (0.85, "call back tomorrow")) if needs.needs_task else None
        move = Move(current, target, rng.random() < 0.7, note, task, force_notes)
        moves.append(move)
        if _decide(wf, move):
            current = None if wf.is_done(target) else target
    return moves


def _pick(rng: random.Random, *choices: tuple[float, str]) -> str | None:
    roll = rng.random()
    for chance, value in choices:
        if roll < chance:
            return value
        roll -= chance
    return None


def _decide(wf: Workflow, m: Move) -> bool:
    return wf.decide(
        m.current,
        m.target,
        restricted=m.restricted,
        note=m.note,
        task=m.task,
        force_notes=m.force_notes,
    ).allowed


def describe_mix(wf: Workflow, moves: Sequence[Move]) -> dict[str, Any]:
    """What the sequence contains: how many moves are allowed, and why the others are not."""
    reasons: Counter[str] = Counter()
    allowed = 0
    for m in moves:
        d = wf.decide(
            m.current,
            m.target,
            restricted=m.restricted,
            note=m.note,
            task=m.task,
            force_notes=m.force_notes,
        )
        allowed += d.allowed
        reasons.update(str(code) for code in d.codes)
    return {
        "moves": len(moves),
        "allowed": allowed,
        "restricted": sum(m.restricted for m in moves),
        "from_no_status": sum(m.current is None for m in moves),
        "refusal_reasons": dict(reasons.most_common()),
    }


# -- the same workflow as peer machines ----------------------------------------------------
#
# Each target status gets two events: ``advance_<id>`` from the statuses that list it as a
# next stage (plus "no status" when it is an entry status), for restricted users, and
# ``jump_<id>`` from every other state, for unrestricted users. Each transition carries the
# target's requirement as conditions that read the same ``note``/``task``/``force_notes``
# arguments ``decide`` takes.


def _has_note(note: str | None) -> bool:
    return bool(note) and not note.isspace()  # type: ignore[union-attr]


def note_given(note: str | None = None, **_: object) -> bool:
    """Condition of a status that requires a note."""
    return _has_note(note)


def note_not_forced(note: str | None = None, force_notes: bool = False, **_: object) -> bool:
    """Condition of every other status: a note only when the project forces one."""
    return not force_notes or _has_note(note)


def task_given(task: object | None = None, **_: object) -> bool:
    """Condition of a status that requires a task."""
    return task is not None


def _conditions(status: Status) -> list[Callable[..., bool]]:
    conds: list[Callable[..., bool]] = [
        note_given if status.requires.needs_note else note_not_forced
    ]
    if status.requires.needs_task:
        conds.append(task_given)
    return conds


def _state(status_id: str | None) -> str:
    return NO_STATUS if status_id is None else status_id


def event_name(target: str, restricted: bool) -> str:
    """The peer event that stands for moving to ``target`` as this kind of user."""
    return f"{'advance' if restricted else 'jump'}_{target}"


def _edges(wf: Workflow) -> Iterator[tuple[str, list[str], Status]]:
    states = [NO_STATUS, *wf.status_ids]
    for status in wf.statuses:
        sources = [p.id for p in wf.statuses if status.id in p.next]
        if status.id in wf.entry:
            sources.insert(0, NO_STATUS)
        yield event_name(status.id, True), sources, status
        yield event_name(status.id, False), [s for s in states if s != status.id], status


def transitions_spec(wf: Workflow) -> dict[str, Any]:
    """Keyword arguments of a ``transitions.Machine`` equivalent to ``wf``."""
    return {
        "states": [NO_STATUS, *wf.status_ids],
        "transitions": [
            {"trigger": name, "source": src, "dest": status.id, "conditions": _conditions(status)}
            for name, src, status in _edges(wf)
        ],
        "initial": NO_STATUS,
        # The generated to_<state>() triggers would bypass every condition; leave them out.
        "auto_transitions": False,
    }


class Lead:
    """A bare model object for the peers to attach their state and triggers to."""

    state: str


def psm_class(wf: Workflow) -> type[StateMachine]:
    """A ``python-statemachine`` class equivalent to ``wf``."""
    states = {NO_STATUS: State("No status", value=NO_STATUS, initial=True)}
    states.update({s.id: State(s.name, value=s.id) for s in wf.statuses})
    namespace: dict[str, Any] = dict(states)
    for name, sources, status in _edges(wf):
        conds = _conditions(status)
        legs = [states[src].to(states[status.id], cond=conds) for src in sources]
        namespace[name] = functools.reduce(operator.or_, legs)
    return type(f"{wf.id.title()}Machine", (StateMachine,), namespace)


# -- the contenders: each one prepared once, then timed on the whole sequence -------------


def leadcore_runner(wf: Workflow, moves: Sequence[Move]) -> Callable[[], list[bool]]:
    """leadcore: ``wf.decide`` on the stored status id; nothing per lead."""
    decide = wf.decide

    def run() -> list[bool]:
        return [
            decide(c, t, restricted=r, note=n, task=k, force_notes=f).allowed
            for c, t, r, n, k, f in moves
        ]

    return run


def transitions_may_runner(wf: Workflow, moves: Sequence[Move]) -> Callable[[], list[bool]]:
    """transitions: one machine, the lead's state set on the model, ``may_<event>()`` asked."""
    lead = Lead()
    Machine(model=lead, **transitions_spec(wf))
    prepared = [
        (_state(m.current), getattr(lead, f"may_{event_name(m.target, m.restricted)}"), m)
        for m in moves
    ]

    def run() -> list[bool]:
        out = []
        for state, may, m in prepared:
            lead.state = state
            out.append(may(note=m.note, task=m.task, force_notes=m.force_notes))
        return out

    return run


def transitions_fire_runner(wf: Workflow, moves: Sequence[Move]) -> Callable[[], list[bool]]:
    """transitions: one machine, the lead's state set on the model, the event fired."""
    lead = Lead()
    Machine(model=lead, ignore_invalid_triggers=True, **transitions_spec(wf))
    prepared = [
        (_state(m.current), getattr(lead, event_name(m.target, m.restricted)), m) for m in moves
    ]

    def run() -> list[bool]:
        out = []
        for state, fire, m in prepared:
            lead.state = state
            out.append(fire(note=m.note, task=m.task, force_notes=m.force_notes))
        return out

    return run


def psm_send_runner(wf: Workflow, moves: Sequence[Move]) -> Callable[[], list[bool]]:
    """python-statemachine: one machine, its state set, the event sent (refusal raises)."""
    sm = psm_class(wf)()
    refused = sm.TransitionNotAllowed
    prepared = [(_state(m.current), event_name(m.target, m.restricted), m) for m in moves]

    def run() -> list[bool]:
        out = []
        for state, event, m in prepared:
            sm.current_state_value = state
            try:
                sm.send(event, note=m.note, task=m.task, force_notes=m.force_notes)
            except refused:
                out.append(False)
            else:
                out.append(True)
        return out

    return run


def psm_enabled_runner(wf: Workflow, moves: Sequence[Move]) -> Callable[[], list[bool]]:
    """python-statemachine: one machine, its state set, ``enabled_events()`` searched."""
    sm = psm_class(wf)()
    prepared = [(_state(m.current), event_name(m.target, m.restricted), m) for m in moves]

    def run() -> list[bool]:
        out = []
        for state, event, m in prepared:
            sm.current_state_value = state
            enabled = sm.enabled_events(note=m.note, task=m.task, force_notes=m.force_notes)
            out.append(any(e.id == event for e in enabled))
        return out

    return run


# Per lead: what a peer costs when each lead (say, one loaded per request) gets its own
# machine, against leadcore, where a lead is a status id and needs nothing.


def transitions_machine_per_lead_runner(
    wf: Workflow, moves: Sequence[Move]
) -> Callable[[], list[bool]]:
    """transitions: a new ``Machine`` for each lead, in its status, then ``may_<event>()``."""
    spec = transitions_spec(wf)
    del spec["initial"]
    prepared = [(_state(m.current), f"may_{event_name(m.target, m.restricted)}", m) for m in moves]

    def run() -> list[bool]:
        out = []
        for state, may, m in prepared:
            lead = Lead()
            Machine(model=lead, initial=state, **spec)
            out.append(getattr(lead, may)(note=m.note, task=m.task, force_notes=m.force_notes))
        return out

    return run


def transitions_add_model_runner(wf: Workflow, moves: Sequence[Move]) -> Callable[[], list[bool]]:
    """transitions: one machine; each lead added as a model in its status, asked, removed."""
    machine = Machine(model=None, **transitions_spec(wf))
    prepared = [(_state(m.current), f"may_{event_name(m.target, m.restricted)}", m) for m in moves]

    def run() -> list[bool]:
        out = []
        for state, may, m in prepared:
            lead = Lead()
            machine.add_model(lead, initial=state)
            out.append(getattr(lead, may)(note=m.note, task=m.task, force_notes=m.force_notes))
            machine.remove_model(lead)
        return out

    return run


def psm_machine_per_lead_runner(wf: Workflow, moves: Sequence[Move]) -> Callable[[], list[bool]]:
    """python-statemachine: a machine instance for each lead, in its status, then the event."""
    cls = psm_class(wf)
    refused = cls.TransitionNotAllowed
    prepared = [(_state(m.current), event_name(m.target, m.restricted), m) for m in moves]

    def run() -> list[bool]:
        out = []
        for state, event, m in prepared:
            sm = cls(start_value=state)
            try:
                sm.send(event, note=m.note, task=m.task, force_notes=m.force_notes)
            except refused:
                out.append(False)
            else:
                out.append(True)
        return out

    return run


Runner = Callable[[Workflow, Sequence[Move]], Callable[[], list[bool]]]

#: Every way a peer can answer; the fastest of each peer is its figure in the table.
ONE_MACHINE: dict[str, dict[str, Runner]] = {
    TRANSITIONS: {"may_<event>()": transitions_may_runner, "fire event": transitions_fire_runner},
    PSM: {"send(event)": psm_send_runner, "enabled_events()": psm_enabled_runner},
}
PER_LEAD: dict[str, dict[str, Runner]] = {
    TRANSITIONS: {
        "Machine() per lead": transitions_machine_per_lead_runner,
        "add_model() per lead": transitions_add_model_runner,
    },
    PSM: {"machine instance per lead": psm_machine_per_lead_runner},
}


# -- memory a lead costs -------------------------------------------------------------------


def bytes_per_lead(make: Callable[[str], object], states: Sequence[str], count: int) -> float:
    """Memory held per lead when ``count`` leads each get what ``make`` builds for them."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [make(states[i % len(states)]) for i in range(count)]
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return (after - before) / count


# -- build and validate at scale -----------------------------------------------------------


def scaled_definition(statuses: int, edges: int, *, seed: int = 0) -> dict[str, Any]:
    """A valid definition with ``statuses`` statuses and exactly ``edges`` next-stage edges.

    One status in a hundred is done (at least one). Each other status leads
    to the one after it, the last few also to one done status each, so
    every status is reachable and can reach a done status; the rest of each
    status's share of edges goes to random others. The definition is clean:
    no error, no warning.
    """
    rng = random.Random(seed)
    done = max(1, statuses // 100)
    open_ = statuses - done
    if not (0 < done < open_ and 2 * open_ <= edges <= open_ * (statuses - 1)):
        raise ValueError(f"cannot spread {edges} edges over {open_} statuses that are not done")
    ids = [f"s{i}" for i in range(statuses)]
    share, extra = divmod(edges, open_)
    requirements = ("none", "none", "note", "task", "note_and_task")
    categories = ("todo", "in_progress")
    out = []
    for i, sid in enumerate(ids):
        status: dict[str, Any] = {
            "id": sid,
            "name": f"Status {i}",
            "color": f"#{rng.randrange(0x1000000):06X}",
            "category": "done" if i >= open_ else categories[i % 2],
            "requires": requirements[i % len(requirements)],
        }
        if i < open_:
            wanted = share + (i < extra)
            nxt = [ids[i + 1]]
            chosen = {i, i + 1}
            # The chain reaches the first done status; these open statuses reach the others.
            if open_ - done < i < open_:
                j = i + done
                nxt.append(ids[j])
                chosen.add(j)
            while len(nxt) < wanted:
                j = rng.randrange(statuses)
                if j not in chosen:
                    chosen.add(j)
                    nxt.append(ids[j])
            status["next"] = nxt
        out.append(status)
    return {"id": "scaled", "name": f"Scaled {statuses}", "entry": [ids[0]], "status": out}


# -- the benchmark -------------------------------------------------------------------------


def _race(
    table: dict[str, dict[str, Runner]], wf: Workflow, moves: Sequence[Move], config: Config
) -> tuple[float, dict[str, tuple[str, dict[str, float]]]]:
    """Time leadcore and every way of every peer in rounds; decisions per second.

    Returns leadcore's rate and, per peer, its fastest way with the rates of all its ways.
    """
    contenders = {(LEADCORE, "decide"): leadcore_runner(wf, moves)}
    for peer, runners in table.items():
        for how, make in runners.items():
            contenders[peer, how] = make(wf, moves)
    timings = compare(contenders, config)
    rates = {key: len(moves) / t.median for key, t in timings.items()}
    best: dict[str, tuple[str, dict[str, float]]] = {}
    for peer, runners in table.items():
        ways = {how: rates[peer, how] for how in runners}
        best[peer] = (max(ways, key=ways.__getitem__), ways)
    return rates[LEADCORE, "decide"], best


def _check_agreement(
    table: dict[str, dict[str, Runner]], wf: Workflow, moves: Sequence[Move]
) -> None:
    expected = leadcore_runner(wf, moves)()
    for peer, runners in table.items():
        for how, make in runners.items():
            got = make(wf, moves)()
            wrong = [i for i, (a, b) in enumerate(zip(expected, got, strict=True)) if a != b]
            if wrong:
                i = wrong[0]
                raise AssertionError(
                    f"{peer} ({how}) disagrees with leadcore on {len(wrong)} of "
                    f"{len(moves)} moves, first {moves[i]}: leadcore says {expected[i]}"
                )


def decide_rows(config: Config) -> list[Row]:
    """Decisions per second on the sample workflow, against each peer; per-lead costs."""
    wf = sample_workflow()
    moves = sales_moves(wf, 200 if config.quick else 5_000)
    _check_agreement(ONE_MACHINE, wf, moves)
    mix = describe_mix(wf, moves)
    ours, best = _race(ONE_MACHINE, wf, moves, config)
    rows = []
    for peer, target in ((TRANSITIONS, 10.0), (PSM, 100.0)):
        how, ways = best[peer]
        rows.append(
            Row(
                f"decide, 12-status sales workflow (peer: one machine, {how})",
                ours,
                "decisions/s",
                peer=peer,
                peer_value=ways[how],
                min_ratio=target,
                extra={"peer_ways": ways, "mix": mix},
            )
        )
    # A machine per lead is slow; a slice of the sequence is enough to time it.
    few = moves[: 50 if config.quick else 300]
    _check_agreement(PER_LEAD, wf, few)
    ours_few, best = _race(PER_LEAD, wf, few, config)
    for peer, (how, ways) in best.items():
        rows.append(
            Row(
                f"load a lead and decide (peer: {how})",
                ours_few,
                "decisions/s",
                peer=peer,
                peer_value=ways[how],
                extra={"peer_ways": ways},
            )
        )
    rows.extend(_per_lead_rows(wf, 20 if config.quick else 100, config))
    rows.extend(_compile_rows(wf, config))
    return rows


def _per_lead_rows(wf: Workflow, count: int, config: Config) -> list[Row]:
    """What giving each lead its own machine costs, in time and in memory.

    A leadcore lead needs nothing: it keeps the id of its status, a string the
    workflow already holds, so its figures are zero by construction.
    """
    states = [NO_STATUS, *wf.status_ids]
    spec = transitions_spec(wf)
    del spec["initial"]
    shared = Machine(model=None, **spec)
    cls = psm_class(wf)

    def own_machine(state: str) -> object:
        lead = Lead()
        Machine(model=lead, initial=state, **spec)
        return lead

    def added(state: str) -> object:
        lead = Lead()
        shared.add_model(lead, initial=state)
        return lead

    def added_and_removed(state: str) -> object:
        # add_model() scans the models it holds: time it without letting them pile up.
        lead = added(state)
        shared.remove_model(lead)
        return lead

    def instance(state: str) -> object:
        return cls(start_value=state)

    makers: list[tuple[str, str, Callable[[str], object], Callable[[str], object]]] = [
        (TRANSITIONS, "Machine() per lead", own_machine, own_machine),
        (TRANSITIONS, "add_model() per lead", added_and_removed, added),
        (PSM, "machine instance per lead", instance, instance),
    ]
    timings = compare(
        {how: functools.partial(_make_leads, make, states, count) for _, how, make, _ in makers},
        config,
    )
    times, sizes = [], []
    for peer, how, _, keep in makers:
        times.append(
            Row(
                f"set a lead up for deciding (peer: {how})",
                0.0,
                "s",
                higher_is_better=False,
                peer=peer,
                peer_value=timings[how].median / count,
            )
        )
        sizes.append(
            Row(
                f"memory per lead beyond its status id (peer: {how})",
                0.0,
                "B",
                higher_is_better=False,
                peer=peer,
                peer_value=bytes_per_lead(keep, states, count),
            )
        )
    return times + sizes


def _make_leads(make: Callable[[str], object], states: Sequence[str], count: int) -> list[object]:
    return [make(states[i % len(states)]) for i in range(count)]


def _compile_rows(wf: Workflow, config: Config) -> list[Row]:
    definition = wf.to_dict()
    spec = transitions_spec(wf)
    ours = measure(lambda: Workflow.from_dict(definition), config)
    peers = {
        TRANSITIONS: measure(lambda: Machine(model=Lead(), **spec), config),
        PSM: measure(lambda: psm_class(wf)(), config),
    }
    return [
        Row(
            "build the 12-status workflow once (leadcore validates too)",
            ours.median,
            "s",
            higher_is_better=False,
            peer=peer,
            peer_value=timing.median,
        )
        for peer, timing in peers.items()
    ]


def scale_rows(config: Config) -> list[Row]:
    """``Workflow.from_dict`` at growing sizes, and ``lint`` alone at the largest."""
    sizes = [(100, 500), (300, 1_500)] if config.quick else [(100, 500), (1_000, 5_000)]
    big = (1_000, 5_000) if config.quick else (10_000, 50_000)
    rows = []
    for statuses, edges in [*sizes, big]:
        definition = scaled_definition(statuses, edges)
        wf = Workflow.from_dict(definition)
        if wf.warnings or len(wf.statuses) != statuses:
            raise AssertionError(f"the scaled definition is not clean: {wf.warnings[:3]}")
        timing = measure(functools.partial(Workflow.from_dict, definition), config)
        is_big = (statuses, edges) == big
        rows.append(
            Row(
                f"build + validate {statuses:,} statuses / {edges:,} edges (from_dict)",
                timing.median,
                "s",
                higher_is_better=False,
                limit=1.0 if is_big else None,
                extra={"us_per_status": timing.median / statuses * 1e6},
            )
        )
    definition = scaled_definition(*big)
    timing = measure(lambda: lint(definition), config)
    rows.append(
        Row(
            f"lint() alone, {big[0]:,} statuses / {big[1]:,} edges",
            timing.median,
            "s",
            higher_is_better=False,
        )
    )
    return rows


def run(config: Config) -> list[Row]:
    """Every workflow benchmark, in table order."""
    return [*decide_rows(config), *scale_rows(config)]
