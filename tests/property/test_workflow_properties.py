"""Properties of the workflow engine over generated workflows, definitions and junk."""

from __future__ import annotations

import copy
import itertools
import json
import re
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from leadcore import serde
from leadcore.errors import WorkflowInvalid
from leadcore.testing.strategies import (
    INJECTABLE_CODES,
    invalid_workflow_definitions,
    status_names,
    workflow_definitions,
    workflows,
)
from leadcore.workflow import (
    CODES,
    Finding,
    LintCode,
    ReasonCode,
    Requirement,
    Severity,
    Workflow,
    lint,
    name_key,
)

TASK = object()


# -- helpers -----------------------------------------------------------------------------


def resolves(data: object, path: str) -> bool:
    """Whether a finding path such as ``status[2].next[0]`` names an element of ``data``.

    Keys are matched whole, so an unknown key that itself holds ``.`` or ``[`` still
    resolves. The empty path is the definition itself.
    """
    return _walk(data, path, top=True)


def _walk(node: object, rest: str, *, top: bool) -> bool:
    if rest == "":
        return True
    if isinstance(node, list):
        match = re.match(r"\[(\d+)\]", rest)
        if match is None:
            return False
        index = int(match.group(1))
        return index < len(node) and _walk(node[index], rest[match.end() :], top=False)
    if isinstance(node, dict):
        body = rest if top else rest.removeprefix(".")
        if not top and not rest.startswith("."):
            return False
        for key, value in node.items():
            k = str(key)
            fits = body.startswith(k) and (len(body) == len(k) or body[len(k)] in ".[")
            if fits and _walk(value, body[len(k) :], top=False):
                return True
    return False


def test_the_path_resolver_follows_keys_and_indexes() -> None:
    d = {"status": [{"id": "a", "next": ["b", "c"]}], "a.b": 1, "": 2}
    for path in ["", "status", "status[0]", "status[0].next[1]", "status[0].id", "a.b"]:
        assert resolves(d, path), path
    for path in ["statu", "status[1]", "status[0].next[2]", "status[0]next", "id", "status.0"]:
        assert not resolves(d, path), path


def build(data: object) -> Workflow | WorkflowInvalid:
    """Build a workflow, or return the ``WorkflowInvalid`` that building raised."""
    try:
        return Workflow.from_dict(data)  # type: ignore[arg-type]
    except WorkflowInvalid as exc:
        return exc


def _satisfying(wf: Workflow, current: str | None, target: str, **kwargs: Any) -> bool:
    return wf.decide(current, target, note="done it", task=TASK, **kwargs).allowed


# -- round trips -------------------------------------------------------------------------


@given(workflows())
def test_a_workflow_round_trips_through_dicts(wf: Workflow) -> None:
    assert Workflow.from_dict(wf.to_dict()) == wf
    assert Workflow.from_dict(copy.deepcopy(wf.to_dict())).to_dict() == wf.to_dict()


@given(workflows())
def test_a_workflow_round_trips_through_toml_and_json_text(wf: Workflow) -> None:
    assert Workflow.from_toml(wf.to_toml()) == wf
    assert Workflow.from_json(wf.to_json()) == wf
    assert Workflow.from_json(wf.to_json(indent=None)) == wf
    assert serde.loads(serde.dumps(wf), Workflow) == wf


@given(workflow_definitions())
def test_a_valid_definition_builds_and_lints_to_its_warnings(d: dict[str, object]) -> None:
    wf = Workflow.from_dict(d)
    assert lint(d) == list(wf.warnings)
    assert Workflow.from_dict(wf.to_dict()) == wf
    assert json.loads(json.dumps(d)) == d  # plain data only


@given(st.from_type(Workflow))
def test_st_from_type_draws_valid_workflows(wf: Workflow) -> None:
    assert all(f.severity is Severity.WARNING for f in lint(wf.to_dict()))
    assert wf.done_statuses()


@given(workflows(clean=True, max_statuses=10))
def test_a_clean_workflow_has_no_findings(wf: Workflow) -> None:
    assert wf.warnings == ()
    assert lint(wf.to_dict()) == []


@given(workflows(min_statuses=3, max_statuses=5, requirements=False, names=status_names("latin")))
def test_the_strategy_keeps_to_its_parameters(wf: Workflow) -> None:
    assert 3 <= len(wf.statuses) <= 5
    assert {s.requires for s in wf.statuses} == {Requirement.NONE}
    assert all(s.name.isascii() for s in wf.statuses)


@pytest.mark.parametrize(
    "strategy",
    [
        lambda: workflows(min_statuses=0),
        lambda: workflows(min_statuses=3, max_statuses=2),
        lambda: workflows(max_statuses=1, clean=True),
        lambda: status_names("cyrillic"),  # type: ignore[arg-type]
        lambda: invalid_workflow_definitions(LintCode.SYNTAX),
    ],
    ids=["no statuses", "min above max", "clean lone status", "unknown script", "syntax"],
)
def test_the_strategies_refuse_impossible_requests(strategy: Any) -> None:
    with pytest.raises(InvalidArgument):
        find(strategy(), lambda _: True)


# -- decisions ----------------------------------------------------------------------------


@given(workflows())
def test_restricted_users_may_take_exactly_the_next_stages_once_requirements_are_met(
    wf: Workflow,
) -> None:
    for current in [None, *wf.status_ids]:
        allowed = {t for t in wf.status_ids if _satisfying(wf, current, t, restricted=True)}
        assert allowed == set(wf.next_stages(current))


@given(workflows())
def test_unrestricted_users_may_take_every_other_status_once_requirements_are_met(
    wf: Workflow,
) -> None:
    for current in [None, *wf.status_ids]:
        allowed = {t for t in wf.status_ids if _satisfying(wf, current, t)}
        assert allowed == set(wf.status_ids) - {current}


@given(workflows(), st.data())
def test_requirements_are_never_bypassed(wf: Workflow, data: st.DataObject) -> None:
    current = data.draw(st.none() | st.sampled_from(wf.status_ids))
    target = data.draw(st.sampled_from(wf.status_ids))
    restricted = data.draw(st.booleans())
    force_notes = data.draw(st.booleans())
    note = data.draw(st.none() | st.sampled_from(["", " ", "\t\n", "called", " ok "]))
    task = data.draw(st.sampled_from([None, TASK]))
    decision = wf.decide(
        current, target, restricted=restricted, note=note, task=task, force_notes=force_notes
    )
    requires = wf.status(target).requires
    has_note = note is not None and note.strip() != ""
    if requires.needs_note and not has_note:
        assert ReasonCode.NOTE_REQUIRED in decision.codes
    elif force_notes and not has_note:
        assert ReasonCode.NOTE_FORCED in decision.codes
    if requires.needs_task and task is None:
        assert ReasonCode.TASK_REQUIRED in decision.codes
    if restricted and current != target and target not in wf.next_stages(current):
        assert {ReasonCode.NOT_NEXT_STAGE, ReasonCode.NOT_ENTRY} & set(decision.codes)
    assert decision.allowed == (decision.codes == ())
    assert len(set(decision.codes)) == len(decision.codes)


@given(
    workflows(max_statuses=6),
    st.none() | st.text(max_size=6),
    st.text(max_size=6),
    st.booleans(),
    st.booleans(),
)
def test_decide_answers_for_any_status_names_and_never_raises(
    wf: Workflow, current: str | None, target: str, restricted: bool, force_notes: bool
) -> None:
    decision = wf.decide(current, target, restricted=restricted, force_notes=force_notes)
    if target not in wf:
        assert ReasonCode.UNKNOWN_STATUS in decision.codes
    if current is not None and current not in wf:
        assert ReasonCode.UNKNOWN_CURRENT in decision.codes
    assert decision.target == target
    assert decision.explain()


# -- graph analysis agrees with the linter -----------------------------------------------


@given(workflows())
def test_graph_analysis_agrees_with_the_graph_warnings(wf: Workflow) -> None:
    by_code: dict[LintCode, set[str]] = {}
    for f in wf.warnings:
        index = int(re.match(r"status\[(\d+)\]", f.path).group(1)) if f.path[:1] == "s" else -1  # type: ignore[union-attr]
        if index >= 0:
            by_code.setdefault(f.code, set()).add(wf.statuses[index].id)
    assert by_code.get(LintCode.UNREACHABLE, set()) == set(wf.status_ids) - wf.reachable()
    assert by_code.get(LintCode.DEAD_END, set()) == set(wf.dead_ends())
    assert by_code.get(LintCode.NO_PATH_TO_DONE, set()) == set(wf.cannot_reach_done()) - set(
        wf.dead_ends()
    )


@given(workflows(), st.data())
def test_a_shortest_path_is_a_chain_of_next_stages(wf: Workflow, data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(wf.status_ids))
    target = data.draw(st.sampled_from(wf.status_ids))
    path = wf.shortest_path(source, target)
    if path is None:
        assert target not in wf.reachable(source)
    else:
        assert path[0] == source
        assert path[-1] == target
        assert all(b in wf.next_stages(a) for a, b in itertools.pairwise(path))
        assert len(set(path)) == len(path)


@given(workflows(), workflows())
def test_a_diff_read_backwards_swaps_added_and_removed(a: Workflow, b: Workflow) -> None:
    forward, backward = a.diff(b), b.diff(a)
    assert set(forward.added) == set(backward.removed)
    assert set(forward.removed) == set(backward.added)
    assert set(forward.edges_added) == set(backward.edges_removed)
    assert a.diff(a).is_empty
    if b.statuses:
        plan = forward.plan(dict.fromkeys(forward.removed, b.statuses[0].id))
        for sid in a.status_ids:
            assert plan.target(sid) in b


# -- rendering ------------------------------------------------------------------------------

_MERMAID_ENTITY = {"#35;": "#", "#quot;": '"', "#lt;": "<", "#gt;": ">", "#amp;": "&"}


def _mermaid_unescape(label: str) -> str:
    return re.sub(r"#(?:35|quot|lt|gt|amp);", lambda m: _MERMAID_ENTITY[m.group(0)], label)


def _dot_unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text, flags=re.S)


@given(workflows())
def test_mermaid_shows_every_status_and_next_stage_in_order(wf: Workflow) -> None:
    text = wf.to_mermaid()
    labels = re.findall(r'^  s\d+[(\[]+"([^"]*)"[)\]]+:::\w+$', text, flags=re.M)
    assert [_mermaid_unescape(label) for label in labels] == [s.name for s in wf.statuses]
    node = {s.id: f"s{i}" for i, s in enumerate(wf.statuses)}
    edges = [
        f'  {node[s.id]} -->|"{pos}"| {node[t]}'
        for s in wf.statuses
        for pos, t in enumerate(s.next, start=1)
    ]
    assert [line for line in text.splitlines() if '-->|"' in line] == edges


@given(workflows())
def test_dot_shows_every_status_and_next_stage_in_order(wf: Workflow) -> None:
    text = wf.to_dot()
    nodes = re.findall(r'^  "([^"]*)" \[label="((?:[^"\\]|\\.)*)", shape=', text, flags=re.M | re.S)
    assert [(sid, _dot_unescape(label)) for sid, label in nodes] == [
        (s.id, s.name) for s in wf.statuses
    ]
    edges = re.findall(r'^  "([^"]*)" -> "([^"]*)" \[label="(\d+)"\];$', text, flags=re.M)
    assert edges == [
        (s.id, t, str(pos)) for s in wf.statuses for pos, t in enumerate(s.next, start=1)
    ]


# -- injected defects ---------------------------------------------------------------------


@pytest.mark.parametrize("code", INJECTABLE_CODES, ids=str)
@settings(max_examples=20)
@given(data=st.data())
def test_an_injected_defect_is_reported_with_its_code(code: LintCode, data: st.DataObject) -> None:
    d = data.draw(invalid_workflow_definitions(code))
    findings = lint(d)
    assert code in {f.code for f in findings}, [str(f) for f in findings]
    result = build(d)
    if CODES[code] is Severity.ERROR:
        assert isinstance(result, WorkflowInvalid)
        assert code in {f.code for f in result.errors}
    else:
        assert isinstance(result, Workflow)
        assert code in {f.code for f in result.warnings}
        assert all(f.severity is Severity.WARNING for f in findings)


def test_every_code_but_syntax_can_be_injected() -> None:
    assert set(INJECTABLE_CODES) == set(LintCode) - {LintCode.SYNTAX}


@given(workflows(max_statuses=4), st.data())
def test_text_cut_short_is_a_syntax_finding(wf: Workflow, data: st.DataObject) -> None:
    for text, parse in ((wf.to_toml(), Workflow.from_toml), (wf.to_json(), Workflow.from_json)):
        cut = data.draw(st.integers(1, len(text) - 1))
        broken = text[:cut] + data.draw(st.sampled_from(['"', "[", "{", "= =", "\x00"]))
        result: Workflow | WorkflowInvalid
        try:
            result = parse(broken)
        except WorkflowInvalid as exc:
            result = exc
        # A cut may still leave valid text; what matters is that it never crashes.
        if isinstance(result, WorkflowInvalid) and result.findings[0].code is LintCode.SYNTAX:
            assert len(result.findings) == 1


@given(invalid_workflow_definitions())
def test_every_finding_path_points_at_an_element_of_the_definition(d: dict[str, object]) -> None:
    for f in lint(d):
        assert resolves(d, f.path), str(f)


# -- junk -----------------------------------------------------------------------------------

_KEYS = st.sampled_from(
    ["id", "name", "status", "entry", "version", "color", "category", "requires", "next"]
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(["new", "done", "todo", "note", "#1E88E5", "status[0]"]),
)
JUNK = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(_KEYS | st.text(max_size=10), children, max_size=6)
    ),
    max_leaves=40,
)


def _paths(node: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def damaged_definitions(draw: st.DrawFn) -> object:
    """A valid definition with one element replaced by junk, removed, or junk added."""
    d: Any = draw(workflow_definitions(max_statuses=5))
    path = draw(st.sampled_from(_paths(d)))
    if not path:
        return draw(JUNK)
    parent = d
    for step in path[:-1]:
        parent = parent[step]
    how = draw(st.sampled_from(["replace", "remove", "add"]))
    if how == "replace":
        parent[path[-1]] = draw(JUNK)
    elif how == "remove":
        del parent[path[-1]]
    elif isinstance(parent, list):
        parent.insert(draw(st.integers(0, len(parent))), draw(JUNK))
    else:
        parent[draw(st.text(max_size=6))] = draw(JUNK)
    return d


def _check_never_crashes(data: object) -> None:
    findings = lint(data)
    assert all(isinstance(f, Finding) for f in findings)
    assert all(f.severity is CODES[f.code] for f in findings)
    result = build(data)
    has_error = any(f.severity is Severity.ERROR for f in findings)
    assert isinstance(result, WorkflowInvalid) == has_error, [str(f) for f in findings]
    if isinstance(result, WorkflowInvalid):
        assert list(result.findings) == findings
        assert str(result)
    else:
        assert list(result.warnings) == findings
    for f in findings:
        # "status" names where the statuses belong even when the key is absent.
        assert resolves(data, f.path) or (f.code, f.path) == (LintCode.NO_STATUSES, "status"), str(
            f
        )


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(JUNK)
def test_junk_gives_findings_never_a_crash(data: object) -> None:
    _check_never_crashes(data)


@given(damaged_definitions())
def test_a_damaged_definition_gives_findings_never_a_crash(data: object) -> None:
    _check_never_crashes(data)


@given(st.text(max_size=200))
def test_any_text_parses_to_a_workflow_or_findings(text: str) -> None:
    for parse in (Workflow.from_toml, Workflow.from_json):
        result: Workflow | WorkflowInvalid
        try:
            result = parse(text)
        except WorkflowInvalid as exc:
            result = exc
        assert isinstance(result, Workflow) or result.findings


# -- names --------------------------------------------------------------------------------


def _variants(name: str) -> list[str]:
    return [
        unicodedata.normalize("NFD", name),
        unicodedata.normalize("NFC", name),
        name.casefold(),
        name.upper(),
        name.lower(),
        name.swapcase(),
        f" {name}\t",
    ]


@given(status_names(), st.data())
def test_names_equal_after_nfc_and_casefold_are_duplicates(name: str, data: st.DataObject) -> None:
    other = data.draw(st.sampled_from(_variants(name)))
    assume(other.strip() and len(other) <= 200)
    same = unicodedata.normalize("NFC", name).strip().casefold() == (
        unicodedata.normalize("NFC", other).strip().casefold()
    )
    assume(same)
    d = {
        "id": "w",
        "name": "W",
        "status": [
            {"id": "a", "name": name, "color": "#000000", "category": "todo", "next": ["b"]},
            {"id": "b", "name": other, "color": "#000000", "category": "done"},
        ],
    }
    assert name_key(name) == name_key(other)
    assert [(f.code, f.path) for f in lint(d)] == [(LintCode.DUPLICATE_NAME, "status[1].name")]


@given(st.lists(status_names(), min_size=2, max_size=6))
def test_names_that_differ_after_normalising_are_not_duplicates(names: list[str]) -> None:
    keys = [
        unicodedata.normalize("NFC", unicodedata.normalize("NFC", n).strip().casefold())
        for n in names
    ]
    assume(len(set(keys)) == len(keys))
    d = {
        "id": "w",
        "name": "W",
        "status": [
            {"id": f"s{i}", "name": n, "color": "#000000", "category": "done"}
            for i, n in enumerate(names)
        ],
        "entry": [f"s{i}" for i in range(len(names))],
    }
    assert LintCode.DUPLICATE_NAME not in {f.code for f in lint(d)}


@given(workflows(names=status_names("hebrew"), clean=True))
def test_hebrew_and_right_to_left_names_are_valid(wf: Workflow) -> None:
    assert wf.warnings == ()
    assert Workflow.from_toml(wf.to_toml()) == wf
    rtl: dict[str, Any] = wf.to_dict()
    rtl["status"][0]["name"] = "\u200fשיחה חוזרת\u200f"
    rtl["name"] = "טיוב לידים"
    assert Workflow.from_dict(rtl).statuses[0].name == "\u200fשיחה חוזרת\u200f"


# -- size -------------------------------------------------------------------------------------


def test_ten_thousand_statuses_and_fifty_thousand_edges_build() -> None:
    n = 10_000
    statuses = [
        {
            "id": f"s{i}",
            "name": f"Status {i}",
            "color": "#123456",
            "category": "done" if i == n - 1 else "in_progress",
            "next": [f"s{j}" for j in range(i + 1, min(i + 6, n))],
        }
        for i in range(n)
    ]
    d = {"id": "big", "name": "Big", "status": statuses}
    wf = Workflow.from_dict(d)
    assert len(wf.statuses) == n
    assert sum(len(s.next) for s in wf.statuses) == 5 * n - 15
    assert wf.warnings == ()
    assert lint(d) == []
    assert wf.decide("s0", "s5", restricted=True).allowed
    assert wf.decide("s0", "s6", restricted=True).codes == (ReasonCode.NOT_NEXT_STAGE,)
    assert wf.reachable() == set(wf.status_ids)
    assert Workflow.from_json(wf.to_json(indent=None)) == wf
