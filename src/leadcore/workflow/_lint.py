"""Validation of workflow definitions as a linter: every finding at once, with a path.

The check runs in two stages. The *shape* stage reads raw data (a dict from
TOML, JSON or code) and reports wrong types, missing and unknown keys. The
*semantic* stage works on what could be read, so one run reports a bad
colour on one status and an unknown next stage on another together, each
with the path of the offending element (``status[2].next[0]``).
"""

from __future__ import annotations

import enum
import json
import re
import sys
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from leadcore._limits import safe_repr
from leadcore.errors import WorkflowInvalid
from leadcore.ids import is_valid_id
from leadcore.workflow._status import Category, Requirement, Status

if TYPE_CHECKING:
    from leadcore.workflow._model import Workflow

__all__ = ["CODES", "MAX_VERSION", "Finding", "LintCode", "Severity", "lint"]

MAX_VERSION = 2**31 - 1
"""The largest workflow ``version`` a definition may give."""

W = TypeVar("W", bound="Workflow")

_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_MAX_NAME = 200
_TOP_KEYS = frozenset({"id", "name", "entry", "status", "version"})
_STATUS_KEYS = frozenset({"id", "name", "color", "category", "requires", "next"})


class Severity(enum.StrEnum):
    """How serious a finding is: errors stop a build, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


class LintCode(enum.StrEnum):
    """Stable finding codes. Each is documented, with an example, in ``docs/lint-codes.md``."""

    # structure
    SYNTAX = "syntax"
    WRONG_TYPE = "wrong-type"
    MISSING_KEY = "missing-key"
    UNKNOWN_KEY = "unknown-key"
    BAD_VERSION = "bad-version"
    # statuses
    NO_STATUSES = "no-statuses"
    BAD_ID = "bad-id"
    DUPLICATE_ID = "duplicate-id"
    BAD_NAME = "bad-name"
    DUPLICATE_NAME = "duplicate-name"
    BAD_COLOR = "bad-color"
    BAD_CATEGORY = "bad-category"
    BAD_REQUIREMENT = "bad-requirement"
    NO_DONE_STATUS = "no-done-status"
    # next stages and entry
    UNKNOWN_NEXT = "unknown-next"
    DUPLICATE_NEXT = "duplicate-next"
    SELF_LOOP = "self-loop"
    UNKNOWN_ENTRY = "unknown-entry"
    DUPLICATE_ENTRY = "duplicate-entry"
    EMPTY_ENTRY = "empty-entry"
    # graph shape (warnings)
    UNREACHABLE = "unreachable"
    DEAD_END = "dead-end"
    NO_PATH_TO_DONE = "no-path-to-done"
    DONE_HAS_NEXT = "done-has-next"
    ENTRY_IS_DONE = "entry-is-done"


_WARNINGS = frozenset(
    {
        LintCode.UNREACHABLE,
        LintCode.DEAD_END,
        LintCode.NO_PATH_TO_DONE,
        LintCode.DONE_HAS_NEXT,
        LintCode.ENTRY_IS_DONE,
    }
)

#: Every code with its severity.
CODES: Mapping[LintCode, Severity] = {
    code: (Severity.WARNING if code in _WARNINGS else Severity.ERROR) for code in LintCode
}


@attrs.frozen
class Finding:
    """One problem in a workflow definition.

    ``path`` names the element, e.g. ``status[2].next[0]``; the empty path
    means the definition as a whole.

    >>> f = Finding(LintCode.SELF_LOOP, Severity.ERROR, "status 'a' lists itself",
    ...             "status[0].next[1]")
    >>> str(f)
    "status[0].next[1]: self-loop error: status 'a' lists itself"
    """

    code: LintCode
    """The stable code, documented in the lint codes page."""
    severity: Severity
    """``error`` stops the workflow from being built; ``warning`` does not."""
    message: str
    """What is wrong and what is accepted, for people."""
    path: str
    """Where: ``status[2].next[0]``, or empty for the whole definition."""

    def __str__(self) -> str:
        where = self.path or "<definition>"
        return f"{where}: {self.code} {self.severity}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        """Return the finding as plain data (for ``--format json``)."""
        return {
            "code": str(self.code),
            "severity": str(self.severity),
            "message": self.message,
            "path": self.path,
        }


_STATUS_PATH = re.compile(r"status\[(\d+)\]")


def _document_order(finding: Finding) -> int:
    # Header and entry findings first, then statuses in definition order; stable within each.
    # An unknown top-level key may itself look like "status[x"; only a real index counts.
    match = _STATUS_PATH.match(finding.path)
    return int(match.group(1)) + 1 if match else 0


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=_document_order)


def _f(code: LintCode, path: str, message: str) -> Finding:
    return Finding(code, CODES[code], message, path)


def _type_name(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def name_key(name: str) -> str:
    """The form in which two status names are compared: NFC, stripped, case-folded."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).strip().casefold())


@attrs.define
class _Draft:
    """What could be read of one status, with its position in the definition."""

    index: int
    id: str | None = None
    name: str | None = None
    color: str | None = None
    category: Category | None = None
    requires: Requirement | None = None
    next: list[tuple[int, str]] = attrs.Factory(list)


@attrs.define
class _Header:
    id: str | None = None
    name: str | None = None
    version: int | None = None


# -- shape stage: raw data ---------------------------------------------------------


def _read_str_list(
    value: object, path: str, what: str, findings: list[Finding]
) -> list[tuple[int, str]] | None:
    if not isinstance(value, list | tuple):
        findings.append(
            _f(
                LintCode.WRONG_TYPE,
                path,
                f"{what} must be a list of status ids, got {_type_name(value)}",
            )
        )
        return None
    items: list[tuple[int, str]] = []
    for pos, item in enumerate(value):
        if isinstance(item, str):
            items.append((pos, item))
        else:
            findings.append(
                _f(
                    LintCode.WRONG_TYPE,
                    f"{path}[{pos}]",
                    f"a status id must be a string, got {_type_name(item)}",
                )
            )
    if value and not items:
        # Every item had the wrong type (each reported): nothing usable, yet not empty.
        return None
    return items


def _read_status(index: int, raw: object, findings: list[Finding]) -> _Draft | None:
    path = f"status[{index}]"
    if not isinstance(raw, Mapping):
        findings.append(
            _f(LintCode.WRONG_TYPE, path, f"a status must be a table, got {_type_name(raw)}")
        )
        return None
    draft = _Draft(index)
    for key in raw:
        if key not in _STATUS_KEYS:
            findings.append(
                _f(
                    LintCode.UNKNOWN_KEY,
                    f"{path}.{key}",
                    f"unknown key {key!r}; a status accepts {', '.join(sorted(_STATUS_KEYS))}",
                )
            )
    for key in ("id", "name", "color", "category"):
        if key not in raw:
            findings.append(_f(LintCode.MISSING_KEY, path, f"status has no {key!r}"))
    if "id" in raw:
        draft.id = _expect_str(raw["id"], f"{path}.id", findings)
    if "name" in raw:
        draft.name = _expect_str(raw["name"], f"{path}.name", findings)
    if "color" in raw:
        draft.color = _expect_str(raw["color"], f"{path}.color", findings)
    if "category" in raw:
        draft.category = _read_enum(
            raw["category"],
            Category,
            LintCode.BAD_CATEGORY,
            f"{path}.category",
            "category",
            findings,
        )
    draft.requires = (
        _read_enum(
            raw["requires"],
            Requirement,
            LintCode.BAD_REQUIREMENT,
            f"{path}.requires",
            "requirement",
            findings,
        )
        if "requires" in raw
        else Requirement.NONE
    )
    if "next" in raw:
        items = _read_str_list(raw["next"], f"{path}.next", "next", findings)
        draft.next = items or []
    return draft


def _expect_str(value: object, path: str, findings: list[Finding]) -> str | None:
    if isinstance(value, str):
        return value
    findings.append(_f(LintCode.WRONG_TYPE, path, f"expected a string, got {_type_name(value)}"))
    return None


E = TypeVar("E", Category, Requirement)


def _read_enum(
    value: object,
    enum_type: type[E],
    code: LintCode,
    path: str,
    what: str,
    findings: list[Finding],
) -> E | None:
    if isinstance(value, enum_type):
        return value
    if isinstance(value, str):
        try:
            return enum_type(value)
        except ValueError:
            pass
    accepted = ", ".join(m.value for m in enum_type)
    findings.append(_f(code, path, f"{what} {safe_repr(value)} is not one of: {accepted}"))
    return None


def _read_definition(
    data: object,
) -> tuple[_Header, list[_Draft], list[tuple[int, str]] | None, bool, list[Finding]]:
    findings: list[Finding] = []
    header = _Header()
    if not isinstance(data, Mapping):
        findings.append(
            _f(LintCode.WRONG_TYPE, "", f"a workflow must be a table, got {_type_name(data)}")
        )
        return header, [], None, False, findings
    for key in data:
        if key not in _TOP_KEYS:
            findings.append(
                _f(
                    LintCode.UNKNOWN_KEY,
                    str(key),
                    f"unknown key {key!r}; a workflow accepts {', '.join(sorted(_TOP_KEYS))}",
                )
            )
    for key in ("id", "name"):
        if key not in data:
            findings.append(_f(LintCode.MISSING_KEY, "", f"workflow has no {key!r}"))
    if "id" in data:
        header.id = _expect_str(data["id"], "id", findings)
    if "name" in data:
        header.name = _expect_str(data["name"], "name", findings)
    if "version" in data:
        header.version = _read_version(data["version"], findings)
    drafts: list[_Draft] = []
    raw_statuses = data.get("status", [])
    if not isinstance(raw_statuses, list | tuple):
        findings.append(
            _f(
                LintCode.WRONG_TYPE,
                "status",
                f"'status' must be a list of tables, got {_type_name(raw_statuses)}",
            )
        )
    else:
        for index, raw in enumerate(raw_statuses):
            draft = _read_status(index, raw, findings)
            if draft is not None:
                drafts.append(draft)
    entry: list[tuple[int, str]] | None = None
    entry_given = "entry" in data
    if entry_given:
        # An entry of the wrong type is reported as such, not also as empty.
        entry = _read_str_list(data["entry"], "entry", "entry", findings)
    return header, drafts, entry, entry_given, findings


def _read_version(value: object, findings: list[Finding]) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_VERSION:
        return value
    findings.append(
        _f(
            LintCode.BAD_VERSION,
            "version",
            f"version must be a whole number from 1 to {MAX_VERSION}, got {safe_repr(value)}",
        )
    )
    return None


# -- semantic stage: what could be read ------------------------------------------------


def _check_header(header: _Header, findings: list[Finding]) -> None:
    if header.id is not None and not is_valid_id(header.id):
        findings.append(_f(LintCode.BAD_ID, "id", _bad_id_message("workflow id", header.id)))
    if header.name is not None and not header.name.strip():
        findings.append(_f(LintCode.BAD_NAME, "name", "workflow name must not be blank"))


def _bad_id_message(what: str, value: str) -> str:
    return (
        f"{what} {value!r} is not valid: use 1 to 64 of a-z, 0-9, '_' and '-' "
        "(lower case, no spaces)"
    )


def _check_semantics(
    drafts: Sequence[_Draft],
    entry: Sequence[tuple[int, str]] | None,
    entry_given: bool,
    findings: list[Finding],
    *,
    status_list_ok: bool = True,
) -> None:
    if not drafts:
        if status_list_ok:
            findings.append(_f(LintCode.NO_STATUSES, "status", "the workflow has no statuses"))
        return
    first_index: dict[str, int] = {}
    names: dict[str, int] = {}
    for d in drafts:
        path = f"status[{d.index}]"
        if d.id is not None:
            if not is_valid_id(d.id):
                findings.append(
                    _f(LintCode.BAD_ID, f"{path}.id", _bad_id_message("status id", d.id))
                )
            elif d.id in first_index:
                findings.append(
                    _f(
                        LintCode.DUPLICATE_ID,
                        f"{path}.id",
                        f"status id {d.id!r} is already used by status[{first_index[d.id]}]",
                    )
                )
            else:
                first_index[d.id] = d.index
        if d.name is not None:
            if not d.name.strip():
                findings.append(
                    _f(LintCode.BAD_NAME, f"{path}.name", "status name must not be blank")
                )
            elif len(d.name) > _MAX_NAME:
                findings.append(
                    _f(
                        LintCode.BAD_NAME,
                        f"{path}.name",
                        f"status name has {len(d.name)} characters; "
                        f"at most {_MAX_NAME} are allowed",
                    )
                )
            else:
                key = name_key(d.name)
                if key in names:
                    findings.append(
                        _f(
                            LintCode.DUPLICATE_NAME,
                            f"{path}.name",
                            f"name {d.name!r} equals the name of status[{names[key]}] after "
                            "Unicode normalisation (NFC) and case folding",
                        )
                    )
                else:
                    names[key] = d.index
        if d.color is not None and _COLOR.fullmatch(d.color) is None:
            findings.append(
                _f(
                    LintCode.BAD_COLOR,
                    f"{path}.color",
                    f"colour {d.color!r} is not of the form #RRGGBB (e.g. '#1E88E5')",
                )
            )
    by_id = {d.id: d for d in drafts if d.id is not None and first_index.get(d.id) == d.index}
    for d in drafts:
        path = f"status[{d.index}]"
        seen: set[str] = set()
        for pos, target in d.next:
            tpath = f"{path}.next[{pos}]"
            if target == d.id:
                findings.append(
                    _f(LintCode.SELF_LOOP, tpath, f"status {d.id!r} lists itself as a next stage")
                )
            elif target in seen:
                findings.append(
                    _f(LintCode.DUPLICATE_NEXT, tpath, f"next stage {target!r} is listed twice")
                )
            elif target not in by_id:
                findings.append(
                    _f(
                        LintCode.UNKNOWN_NEXT,
                        tpath,
                        f"next stage {target!r} is not a status of this workflow",
                    )
                )
            seen.add(target)
    if entry_given and entry is not None:
        if not entry:
            findings.append(
                _f(
                    LintCode.EMPTY_ENTRY,
                    "entry",
                    "entry is empty: a lead with no status could take none; "
                    "omit it to use the first status",
                )
            )
        seen_entry: set[str] = set()
        for pos, target in entry:
            if target in seen_entry:
                findings.append(
                    _f(
                        LintCode.DUPLICATE_ENTRY,
                        f"entry[{pos}]",
                        f"entry status {target!r} is listed twice",
                    )
                )
            elif target not in by_id:
                findings.append(
                    _f(
                        LintCode.UNKNOWN_ENTRY,
                        f"entry[{pos}]",
                        f"entry status {target!r} is not a status of this workflow",
                    )
                )
            seen_entry.add(target)
    categories = [d.category for d in drafts]
    if Category.DONE not in categories and all(c is not None for c in categories):
        findings.append(
            _f(
                LintCode.NO_DONE_STATUS,
                "status",
                "no status is in the 'done' category: leads could never finish",
            )
        )
    _check_graph(drafts, by_id, entry, entry_given, findings)


def _check_graph(
    drafts: Sequence[_Draft],
    by_id: Mapping[str, _Draft],
    entry: Sequence[tuple[int, str]] | None,
    entry_given: bool,
    findings: list[Finding],
) -> None:
    succ: dict[str, list[str]] = {}
    pred: dict[str, list[str]] = {s: [] for s in by_id}
    for sid, d in by_id.items():
        targets = [t for _, t in d.next if t in by_id and t != sid]
        succ[sid] = targets
        for t in targets:
            pred[t].append(sid)
    if entry_given:
        sources = [t for _, t in entry or () if t in by_id]
    else:
        first = drafts[0].id
        sources = [first] if first is not None and first in by_id else []
    for pos, target in entry or ():
        entered = by_id.get(target)
        if entered is not None and entered.category is Category.DONE:
            findings.append(
                _f(
                    LintCode.ENTRY_IS_DONE,
                    f"entry[{pos}]",
                    f"entry status {target!r} is a done status: new leads would start finished",
                )
            )
    reached = _reach(succ, sources) if sources else set()
    done = [sid for sid, d in by_id.items() if d.category is Category.DONE]
    reaches_done = _reach(pred, done)
    for sid, d in by_id.items():
        path = f"status[{d.index}]"
        if sources and sid not in reached:
            findings.append(
                _f(
                    LintCode.UNREACHABLE,
                    path,
                    f"status {sid!r} cannot be reached through next stages from the entry "
                    f"statuses ({', '.join(sources)})",
                )
            )
        if d.category is Category.DONE:
            if d.next:
                findings.append(
                    _f(
                        LintCode.DONE_HAS_NEXT,
                        f"{path}.next",
                        f"done status {sid!r} has next stages: finished leads can be reopened",
                    )
                )
        elif d.category is not None:
            if not d.next:
                findings.append(
                    _f(
                        LintCode.DEAD_END,
                        path,
                        f"status {sid!r} is not done and has no next stages: a restricted user can "
                        "never move a lead out of it",
                    )
                )
            elif done and sid not in reaches_done:
                findings.append(
                    _f(
                        LintCode.NO_PATH_TO_DONE,
                        path,
                        f"no done status can be reached from {sid!r} through next stages",
                    )
                )


def _reach(adjacency: Mapping[str, list[str]], sources: Iterable[str]) -> set[str]:
    seen = set(sources)
    stack = list(seen)
    while stack:
        node = stack.pop()
        for nxt in adjacency.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


# -- public entry points ------------------------------------------------------------------


def lint(data: object) -> list[Finding]:
    """Return every finding, errors and warnings, for a definition; never raises.

    ``data`` is a definition mapping (as read from TOML or JSON) or a
    :class:`~leadcore.workflow.Workflow`.

    >>> [f.code for f in lint({"id": "x", "name": "X", "status": []})]
    [<LintCode.NO_STATUSES: 'no-statuses'>]
    """
    from leadcore.workflow._model import Workflow

    if isinstance(data, Workflow):
        return check_workflow_fields(data)
    header, drafts, entry, entry_given, findings = _read_definition(data)
    _check_header(header, findings)
    status_list_ok = not (
        isinstance(data, Mapping) and not isinstance(data.get("status", []), list | tuple)
    )
    if isinstance(data, Mapping):
        _check_semantics(drafts, entry, entry_given, findings, status_list_ok=status_list_ok)
    return _sorted(findings)


def parse_definition(data: Mapping[str, object], cls: type[W]) -> W:
    """Read, validate and build a workflow of type ``cls`` from a definition mapping."""
    header, drafts, entry, entry_given, findings = _read_definition(data)
    if findings:
        _check_header(header, findings)
        if isinstance(data, Mapping) and isinstance(data.get("status", []), list | tuple):
            _check_semantics(drafts, entry, entry_given, findings)
        if any(f.severity is Severity.ERROR for f in findings):
            raise WorkflowInvalid(_sorted(findings), source=_source(header.id))
    statuses = [
        Status(
            id=d.id or "",
            name=d.name or "",
            color=d.color or "",
            category=d.category or Category.TODO,
            requires=d.requires or Requirement.NONE,
            next=tuple(t for _, t in d.next),
        )
        for d in drafts
    ]
    return cls(
        id=header.id or "",
        name=header.name or "",
        statuses=statuses,
        entry=None if not entry_given else tuple(t for _, t in entry or ()),
        version=header.version or 1,
    )


def check_workflow_fields(wf: Workflow) -> list[Finding]:
    """Validate the fields of a directly constructed workflow; return every finding."""
    findings: list[Finding] = []
    header = _Header(
        id=_expect_str(wf.id, "id", findings),
        name=_expect_str(wf.name, "name", findings),
        version=_read_version(wf.version, findings),
    )
    _check_header(header, findings)
    drafts: list[_Draft] = []
    for index, s in enumerate(wf.statuses):
        path = f"status[{index}]"
        if not isinstance(s, Status):
            findings.append(
                _f(LintCode.WRONG_TYPE, path, f"expected a Status, got {_type_name(s)}")
            )
            continue
        nexts: list[tuple[int, str]] = []
        for pos, t in enumerate(s.next):
            if isinstance(t, str):
                nexts.append((pos, t))
            else:
                findings.append(
                    _f(
                        LintCode.WRONG_TYPE,
                        f"{path}.next[{pos}]",
                        f"a status id must be a string, got {_type_name(t)}",
                    )
                )
        drafts.append(
            _Draft(
                index=index,
                id=_expect_str(s.id, f"{path}.id", findings),
                name=_expect_str(s.name, f"{path}.name", findings),
                color=_expect_str(s.color, f"{path}.color", findings),
                category=_read_enum(
                    s.category,
                    Category,
                    LintCode.BAD_CATEGORY,
                    f"{path}.category",
                    "category",
                    findings,
                ),
                requires=_read_enum(
                    s.requires,
                    Requirement,
                    LintCode.BAD_REQUIREMENT,
                    f"{path}.requires",
                    "requirement",
                    findings,
                ),
                next=nexts,
            )
        )
    entry: list[tuple[int, str]] | None = None
    if wf.entry is not None:
        entry = _read_str_list(list(wf.entry), "entry", "entry", findings)
    _check_semantics(drafts, entry, wf.entry is not None, findings)
    return _sorted(findings)


def _source(workflow_id: str | None) -> str:
    return f"workflow {workflow_id!r}" if workflow_id else "workflow"


def load_toml(text: str | bytes) -> dict[str, Any]:
    """Parse TOML text (or UTF-8 bytes); a syntax error becomes a ``WorkflowInvalid``."""
    source = _text(text, "TOML")
    try:
        return tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise WorkflowInvalid(
            [_f(LintCode.SYNTAX, "", f"not valid TOML: {exc}")], source="workflow"
        ) from None
    except RecursionError:
        raise WorkflowInvalid([_too_deep("TOML")], source="workflow") from None
    except ValueError as exc:  # an integer past Python's digit limit, an impossible date
        raise WorkflowInvalid([_unreadable(source, "TOML", exc)], source="workflow") from None


def load_json(text: str | bytes) -> Any:
    """Parse JSON text (or UTF-8 bytes); a syntax error becomes a ``WorkflowInvalid``."""
    source = _text(text, "JSON")
    try:
        return json.loads(source)
    except json.JSONDecodeError as exc:
        raise WorkflowInvalid(
            [_f(LintCode.SYNTAX, "", f"not valid JSON: {exc}")], source="workflow"
        ) from None
    except RecursionError:
        raise WorkflowInvalid([_too_deep("JSON")], source="workflow") from None
    except ValueError as exc:  # an integer past Python's digit limit
        raise WorkflowInvalid([_unreadable(source, "JSON", exc)], source="workflow") from None


def _text(text: object, language: str) -> str:
    """Definition text as ``str``: UTF-8 bytes are decoded, anything else is a syntax error."""
    if isinstance(text, bytes | bytearray):
        try:
            return bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            message = f"not UTF-8 text: byte {exc.start} is {text[exc.start]:#04x}"
            raise WorkflowInvalid([_f(LintCode.SYNTAX, "", message)], source="workflow") from None
    if not isinstance(text, str):
        message = f"not valid {language}: expected text, got {type(text).__name__}"
        raise WorkflowInvalid([_f(LintCode.SYNTAX, "", message)], source="workflow")
    return text


_LONG_NUMBER = re.compile(r"\d[\d_]{" + str(sys.get_int_max_str_digits()) + ",}")


def _unreadable(text: str, language: str, error: ValueError) -> Finding:
    found = _LONG_NUMBER.search(text)
    if found is None:
        return _f(LintCode.SYNTAX, "", f"not valid {language}: {error}")
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - text.rfind("\n", 0, found.start())
    limit = sys.get_int_max_str_digits()
    message = (
        f"not valid {language}: the number at line {line}, column {column} "
        f"has more than {limit} digits"
    )
    return _f(LintCode.SYNTAX, "", message)


def _too_deep(language: str) -> Finding:
    # The parsers recurse per nesting level; no workflow nests more than three deep.
    return _f(LintCode.SYNTAX, "", f"not valid {language}: arrays or tables nested too deeply")
