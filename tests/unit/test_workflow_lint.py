"""The linter: every code, with one definition that triggers it and a near miss that does not."""

from __future__ import annotations

import copy
import unicodedata
from typing import Any

import attrs
import pytest

from leadcore.errors import LeadcoreError, WorkflowInvalid
from leadcore.workflow import (
    CODES,
    Category,
    Finding,
    LintCode,
    Severity,
    Status,
    Workflow,
    lint,
    sample_workflow,
)

Definition = dict[str, Any]
_MISSING = object()


def st_(
    sid: str,
    *,
    name: str | None = None,
    color: object = "#1E88E5",
    category: object = "todo",
    nxt: list[Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A status table; the name defaults to the id with a capital."""
    status: dict[str, Any] = {
        "id": sid,
        "name": sid.capitalize() if name is None else name,
        "color": color,
        "category": category,
    }
    if nxt is not None:
        status["next"] = nxt
    status.update(extra)
    return status


def won() -> dict[str, Any]:
    return st_("won", category="done", color="#43A047")


def lost() -> dict[str, Any]:
    return st_("lost", category="done", color="#E53935")


def definition(*statuses: object, entry: object = _MISSING, **top: Any) -> Definition:
    """A workflow definition; with no statuses given, ``new -> won``."""
    d: Definition = {"id": "sales", "name": "Sales"}
    d["status"] = list(statuses) if statuses else [st_("new", nxt=["won"]), won()]
    if entry is not _MISSING:
        d["entry"] = entry
    d.update(top)
    return d


def codes(d: object) -> list[LintCode]:
    return [f.code for f in lint(d)]


@attrs.frozen
class Case:
    """A definition that triggers ``code`` at ``path``, and a near miss that is clean."""

    code: LintCode
    path: str | tuple[str, ...]
    bad: Definition
    good: Definition
    label: str


def _without(d: Definition, *keys: str, status: int | None = None) -> Definition:
    d = copy.deepcopy(d)
    target = d if status is None else d["status"][status]
    for key in keys:
        del target[key]
    return d


CASES = [
    # -- structure
    Case(LintCode.WRONG_TYPE, "id", definition(id=5), definition(id="five"), "workflow id"),
    Case(LintCode.WRONG_TYPE, "name", definition(name=None), definition(name="N"), "name"),
    Case(
        LintCode.WRONG_TYPE,
        "status",
        definition(status={"id": "new"}),
        definition(),
        "status table instead of list",
    ),
    Case(
        LintCode.WRONG_TYPE,
        "status[0]",
        definition("new", won()),
        definition(st_("new", nxt=["won"]), won()),
        "a status that is a string",
    ),
    Case(
        LintCode.WRONG_TYPE,
        "status[1].color",
        definition(st_("new", nxt=["won"]), st_("won", category="done", color=0x43A047)),
        definition(st_("new", nxt=["won"]), st_("won", category="done", color="#43a047")),
        "colour as a number",
    ),
    Case(
        LintCode.WRONG_TYPE,
        "status[0].next",
        definition(st_("new", nxt="won"), won()),  # type: ignore[arg-type]
        definition(st_("new", nxt=["won"]), won()),
        "next as a string",
    ),
    Case(
        LintCode.WRONG_TYPE,
        "status[0].next[1]",
        definition(st_("new", nxt=["won", 1]), won(), lost()),
        definition(st_("new", nxt=["won", "lost"]), won(), lost()),
        "next item as a number",
    ),
    Case(LintCode.WRONG_TYPE, "entry", definition(entry="new"), definition(entry=["new"]), "entry"),
    Case(
        LintCode.WRONG_TYPE, "entry[0]", definition(entry=[None]), definition(entry=["new"]), "e0"
    ),
    Case(
        LintCode.MISSING_KEY,
        "status[1]",
        definition(st_("new", nxt=["won"]), _without(won(), "color")),
        definition(st_("new", nxt=["won"]), won()),
        "status colour",
    ),
    Case(
        LintCode.MISSING_KEY,
        "",
        _without(definition(), "name"),
        definition(),
        "workflow name",
    ),
    Case(
        LintCode.UNKNOWN_KEY,
        "status[0].colour",
        definition(st_("new", nxt=["won"], colour="#000000"), won()),
        definition(st_("new", nxt=["won"], requires="none"), won()),
        "status key",
    ),
    Case(LintCode.UNKNOWN_KEY, "states", definition(states=[]), definition(version=2), "top key"),
    Case(LintCode.BAD_VERSION, "version", definition(version=0), definition(version=1), "zero"),
    Case(LintCode.BAD_VERSION, "version", definition(version=True), definition(version=7), "bool"),
    Case(LintCode.BAD_VERSION, "version", definition(version="2"), definition(version=2), "text"),
    # -- statuses
    Case(LintCode.NO_STATUSES, "status", definition(status=[]), definition(), "empty list"),
    Case(
        LintCode.BAD_ID,
        "status[0].id",
        definition(st_("New", nxt=["won"]), won()),
        definition(st_("new_1-a", nxt=["won"]), won()),
        "upper case",
    ),
    Case(
        LintCode.BAD_ID,
        "status[0].id",
        definition(st_("a" * 65, nxt=["won"]), won()),
        definition(st_("a" * 64, nxt=["won"]), won()),
        "65 characters",
    ),
    Case(LintCode.BAD_ID, "id", definition(id="my sales"), definition(id="my-sales"), "workflow"),
    Case(
        LintCode.DUPLICATE_ID,
        "status[2].id",
        definition(st_("new", nxt=["won"]), won(), st_("won", name="Won again", category="done")),
        definition(st_("new", nxt=["won", "lost"]), won(), lost()),
        "two wons",
    ),
    Case(
        LintCode.BAD_NAME,
        "status[0].name",
        definition(st_("new", name=" \t", nxt=["won"]), won()),
        definition(st_("new", name=" x ", nxt=["won"]), won()),
        "blank",
    ),
    Case(
        LintCode.BAD_NAME,
        "status[0].name",
        definition(st_("new", name="n" * 201, nxt=["won"]), won()),
        definition(st_("new", name="n" * 200, nxt=["won"]), won()),
        "201 characters",
    ),
    Case(LintCode.BAD_NAME, "name", definition(name=""), definition(name="S"), "workflow name"),
    Case(
        LintCode.DUPLICATE_NAME,
        "status[2].name",
        definition(
            st_("new", nxt=["won", "lost"]), won(), st_("lost", name="WON", category="done")
        ),
        definition(
            st_("new", nxt=["won", "lost"]), won(), st_("lost", name="WON!", category="done")
        ),
        "case",
    ),
    Case(
        LintCode.DUPLICATE_NAME,
        "status[1].name",
        definition(
            st_("new", name=unicodedata.normalize("NFC", "Café"), nxt=["cafe"]),
            st_("cafe", name=unicodedata.normalize("NFD", "café"), category="done"),
        ),
        definition(
            st_("new", name="Café", nxt=["cafe"]),
            st_("cafe", name="Cafe", category="done"),
        ),
        "NFC and NFD",
    ),
    Case(
        LintCode.DUPLICATE_NAME,
        "status[1].name",
        definition(st_("new", name="חדש", nxt=["won"]), st_("won", name=" חדש ", category="done")),
        definition(st_("new", name="חדש", nxt=["won"]), st_("won", name="חדשה", category="done")),
        "Hebrew with spaces",
    ),
    Case(
        LintCode.BAD_COLOR,
        "status[0].color",
        definition(st_("new", color="#1E88E", nxt=["won"]), won()),
        definition(st_("new", color="#1e88e5", nxt=["won"]), won()),
        "five digits",
    ),
    Case(
        LintCode.BAD_COLOR,
        "status[0].color",
        definition(st_("new", color="blue", nxt=["won"]), won()),
        definition(st_("new", color="#0000FF", nxt=["won"]), won()),
        "a colour name",
    ),
    Case(
        LintCode.BAD_CATEGORY,
        "status[1].category",
        definition(st_("new", nxt=["won"]), st_("won", category="Done")),
        definition(st_("new", nxt=["won"]), st_("won", category="done")),
        "capital",
    ),
    Case(
        LintCode.BAD_CATEGORY,
        "status[0].category",
        definition(st_("new", category=3, nxt=["won"]), won()),
        definition(st_("new", category="in_progress", nxt=["won"]), won()),
        "a number",
    ),
    Case(
        LintCode.BAD_REQUIREMENT,
        "status[1].requires",
        definition(st_("new", nxt=["won"]), st_("won", category="done", requires="notes")),
        definition(st_("new", nxt=["won"]), st_("won", category="done", requires="note_and_task")),
        "plural",
    ),
    Case(
        LintCode.NO_DONE_STATUS,
        "status",
        definition(st_("new", nxt=["won"]), st_("won", category="in_progress", nxt=["new"])),
        definition(st_("new", nxt=["won"]), won()),
        "none done",
    ),
    # -- next stages and entry
    Case(
        LintCode.UNKNOWN_NEXT,
        "status[0].next[1]",
        definition(st_("new", nxt=["won", "wonn"]), won()),
        definition(st_("new", nxt=["won"]), won()),
        "typo",
    ),
    Case(
        LintCode.DUPLICATE_NEXT,
        "status[0].next[2]",
        definition(st_("new", nxt=["won", "lost", "won"]), won(), lost()),
        definition(st_("new", nxt=["won", "lost"]), won(), lost()),
        "won twice",
    ),
    Case(
        LintCode.SELF_LOOP,
        "status[0].next[0]",
        definition(st_("new", nxt=["new", "won"]), won()),
        definition(st_("new", nxt=["won"]), won()),
        "new lists itself",
    ),
    Case(
        LintCode.UNKNOWN_ENTRY,
        "entry[1]",
        definition(entry=["new", "fresh"]),
        definition(entry=["new"]),
        "unknown",
    ),
    Case(
        LintCode.DUPLICATE_ENTRY,
        "entry[1]",
        definition(entry=["new", "new"]),
        definition(entry=["new"]),
        "twice",
    ),
    Case(LintCode.EMPTY_ENTRY, "entry", definition(entry=[]), definition(), "empty"),
    # -- graph shape (warnings)
    Case(
        LintCode.UNREACHABLE,
        "status[2]",
        definition(st_("new", nxt=["won"]), won(), lost()),
        definition(st_("new", nxt=["won", "lost"]), won(), lost()),
        "nothing leads to lost",
    ),
    Case(
        LintCode.UNREACHABLE,
        "status[1]",
        definition(st_("new", nxt=["won"]), st_("old", nxt=["won"]), won()),
        definition(st_("new", nxt=["won"]), st_("old", nxt=["won"]), won(), entry=["new", "old"]),
        "a second start not in entry",
    ),
    Case(
        LintCode.DEAD_END,
        "status[1]",
        definition(st_("new", nxt=["won", "stuck"]), st_("stuck"), won()),
        definition(st_("new", nxt=["won", "stuck"]), st_("stuck", nxt=["won"]), won()),
        "stuck",
    ),
    Case(
        LintCode.NO_PATH_TO_DONE,
        ("status[1]", "status[2]"),
        definition(st_("new", nxt=["a", "won"]), st_("a", nxt=["b"]), st_("b", nxt=["a"]), won()),
        definition(
            st_("new", nxt=["a", "won"]), st_("a", nxt=["b"]), st_("b", nxt=["a", "won"]), won()
        ),
        "a loop without a way out",
    ),
    Case(
        LintCode.DONE_HAS_NEXT,
        "status[1].next",
        definition(st_("new", nxt=["won"]), st_("won", category="done", nxt=["new"])),
        definition(st_("new", nxt=["won"]), st_("won", category="done", nxt=[])),
        "reopening",
    ),
    Case(
        LintCode.ENTRY_IS_DONE,
        "entry[1]",
        definition(st_("new", nxt=["won"]), won(), entry=["new", "won"]),
        definition(st_("new", nxt=["won"]), won(), entry=["new"]),
        "won as entry",
    ),
]


def test_every_code_has_a_case_and_a_severity() -> None:
    covered = {case.code for case in CASES} | {LintCode.SYNTAX}
    assert covered == set(LintCode)
    assert set(CODES) == set(LintCode)
    assert {code for code, sev in CODES.items() if sev is Severity.WARNING} == {
        LintCode.UNREACHABLE,
        LintCode.DEAD_END,
        LintCode.NO_PATH_TO_DONE,
        LintCode.DONE_HAS_NEXT,
        LintCode.ENTRY_IS_DONE,
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.code}-{c.label}")
def test_the_definition_triggers_its_code_at_its_path(case: Case) -> None:
    found = [f for f in lint(case.bad) if f.code is case.code]
    paths = [case.path] if isinstance(case.path, str) else list(case.path)
    assert [f.path for f in found] == paths, [str(f) for f in lint(case.bad)]
    assert found[0].severity is CODES[case.code]
    assert found[0].message


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.code}-{c.label}")
def test_the_near_miss_is_clean_and_builds(case: Case) -> None:
    assert lint(case.good) == []
    wf = Workflow.from_dict(case.good)
    assert wf.warnings == ()


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.code}-{c.label}")
def test_building_refuses_errors_and_keeps_warnings(case: Case) -> None:
    if CODES[case.code] is Severity.ERROR:
        with pytest.raises(WorkflowInvalid) as info:
            Workflow.from_dict(case.bad)
        assert case.code in {f.code for f in info.value.errors}
        assert info.value.findings == tuple(lint(case.bad))
    else:
        wf = Workflow.from_dict(case.bad)
        assert case.code in {f.code for f in wf.warnings}
        assert list(wf.warnings) == lint(case.bad)


def test_syntax_errors_in_toml_and_json_are_findings() -> None:
    for build, text in ((Workflow.from_toml, 'id = "x'), (Workflow.from_json, '{"id": ')):
        with pytest.raises(WorkflowInvalid) as info:
            build(text)
        [finding] = info.value.findings
        assert finding.code is LintCode.SYNTAX
        assert finding.severity is Severity.ERROR
        assert finding.path == ""
    toml = sample_workflow().to_toml()
    json_text = sample_workflow().to_json()
    assert Workflow.from_toml(toml) == Workflow.from_json(json_text) == sample_workflow()


@pytest.mark.parametrize(
    ("build", "text"),
    [(Workflow.from_json, "[" * 100_000), (Workflow.from_toml, "a = " + "[" * 100_000)],
    ids=["json", "toml"],
)
def test_text_nested_too_deeply_is_a_syntax_finding_not_a_crash(build: Any, text: str) -> None:
    with pytest.raises(WorkflowInvalid) as info:
        build(text)
    assert [f.code for f in info.value.findings] == [LintCode.SYNTAX]
    assert "nested too deeply" in info.value.findings[0].message


def test_every_problem_is_reported_at_once_in_document_order() -> None:
    d = definition(
        st_("new", nxt=["won", "gone"], color="orange"),
        st_("won", category="finished"),
        st_("Lost", name="new", category="done"),
        entry=["new", "nope"],
        version=0,
        extra=1,
    )
    found = [(f.path, f.code) for f in lint(d)]
    assert found == [
        ("extra", LintCode.UNKNOWN_KEY),
        ("version", LintCode.BAD_VERSION),
        ("entry[1]", LintCode.UNKNOWN_ENTRY),
        ("status[0].color", LintCode.BAD_COLOR),
        ("status[0].next[1]", LintCode.UNKNOWN_NEXT),
        ("status[1].category", LintCode.BAD_CATEGORY),
        ("status[2].id", LintCode.BAD_ID),
        ("status[2].name", LintCode.DUPLICATE_NAME),
    ]
    with pytest.raises(WorkflowInvalid) as info:
        Workflow.from_dict(d)
    assert [(f.path, f.code) for f in info.value.findings] == found


def test_messages_say_what_is_accepted() -> None:
    messages = {
        f.code: f.message
        for f in lint(
            definition(
                st_("new", nxt=["won"], requires="always", color="red"),
                st_("won", category="closed"),
            )
        )
    }
    assert "none, note, task, note_and_task" in messages[LintCode.BAD_REQUIREMENT]
    assert "todo, in_progress, done" in messages[LintCode.BAD_CATEGORY]
    assert "#RRGGBB" in messages[LintCode.BAD_COLOR]
    bad_id = lint(definition(id="Sales"))[0].message
    assert "a-z, 0-9" in bad_id
    assert "'Sales'" in bad_id


def test_a_finding_reads_as_path_code_severity_message() -> None:
    finding = lint(definition(st_("new", nxt=["new", "won"]), won()))[0]
    assert (
        str(finding)
        == "status[0].next[0]: self-loop error: status 'new' lists itself as a next stage"
    )
    assert finding.to_dict() == {
        "code": "self-loop",
        "severity": "error",
        "message": "status 'new' lists itself as a next stage",
        "path": "status[0].next[0]",
    }
    whole = Finding(LintCode.NO_STATUSES, Severity.ERROR, "none", "")
    assert str(whole) == "<definition>: no-statuses error: none"


@pytest.mark.parametrize("data", [[], "sales", 3, None, ["id", "name"]], ids=repr)
def test_a_definition_that_is_not_a_table_is_one_wrong_type_finding(data: object) -> None:
    assert [(f.code, f.path) for f in lint(data)] == [(LintCode.WRONG_TYPE, "")]
    with pytest.raises(WorkflowInvalid):
        Workflow.from_dict(data)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["status[x]", "status[", "status[0", "status[1]x", "status[]"])
def test_an_unknown_key_that_looks_like_a_status_path_is_reported_not_a_crash(key: str) -> None:
    d = definition(**{key: 1})
    assert [(f.code, f.path) for f in lint(d)] == [(LintCode.UNKNOWN_KEY, key)]
    with pytest.raises(WorkflowInvalid):
        Workflow.from_dict(d)


def test_an_entry_of_the_wrong_type_is_not_also_reported_empty() -> None:
    assert codes(definition(entry="new")) == [LintCode.WRONG_TYPE]
    assert codes(definition(entry=[1])) == [LintCode.WRONG_TYPE]


def test_a_missing_status_list_means_no_statuses() -> None:
    assert codes(_without(definition(), "status")) == [LintCode.NO_STATUSES]


def test_without_entry_the_first_status_is_where_leads_start() -> None:
    d = definition(won(), st_("new", nxt=["won"]))
    assert [(f.code, f.path) for f in lint(d)] == [(LintCode.UNREACHABLE, "status[1]")]
    assert Workflow.from_dict(d).entry == ("won",)


def test_a_bad_status_id_is_reported_once_and_not_as_a_duplicate() -> None:
    d = definition(st_("New", nxt=["won"]), st_("New", name="Other", nxt=["won"]), won())
    assert [(f.code, f.path) for f in lint(d) if f.severity is Severity.ERROR] == [
        (LintCode.BAD_ID, "status[0].id"),
        (LintCode.BAD_ID, "status[1].id"),
    ]


def test_lint_of_a_built_workflow_gives_its_warnings() -> None:
    wf = Workflow.from_dict(definition(st_("new", nxt=["won"]), won(), lost()))
    assert lint(wf) == list(wf.warnings)
    assert [f.code for f in wf.warnings] == [LintCode.UNREACHABLE]
    assert lint(sample_workflow()) == []


def test_a_directly_built_workflow_is_checked_like_a_definition() -> None:
    with pytest.raises(WorkflowInvalid) as info:
        Workflow(
            id="sales",
            name="Sales",
            statuses=[
                Status(id="new", name="New", color="#1E88E5", category="nope", next=("won",)),
                Status(id="won", name="Won", color="#43A047", category=Category.DONE, requires="x"),
                "lost",  # type: ignore[list-item]
            ],
            version=0,
        )
    assert [(f.code, f.path) for f in info.value.findings] == [
        (LintCode.BAD_VERSION, "version"),
        (LintCode.BAD_CATEGORY, "status[0].category"),
        (LintCode.BAD_REQUIREMENT, "status[1].requires"),
        (LintCode.WRONG_TYPE, "status[2]"),
    ]
    assert str(info.value).startswith("workflow 'sales' is invalid (4 errors):\n  version: ")


def test_workflow_invalid_separates_errors_from_warnings() -> None:
    d = definition(st_("new", nxt=["won"]), won(), lost(), version=-1)
    with pytest.raises(WorkflowInvalid) as info:
        Workflow.from_dict(d)
    err = info.value
    assert isinstance(err, ValueError)
    assert isinstance(err, LeadcoreError)
    assert [f.code for f in err.findings] == [LintCode.BAD_VERSION, LintCode.UNREACHABLE]
    assert [f.code for f in err.errors] == [LintCode.BAD_VERSION]
    assert str(err) == (
        "workflow 'sales' is invalid (1 error):\n"
        "  version: bad-version error: version must be a whole number from 1 to 2147483647, "
        "got -1"
    )
