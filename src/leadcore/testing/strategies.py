"""Hypothesis strategies for leadcore values, for your own property tests.

>>> from hypothesis import given
>>> from leadcore.testing.strategies import workflows
>>> @given(workflows())
... def test_round_trip(wf):
...     assert type(wf).from_dict(wf.to_dict()) == wf

With leadcore installed, ``st.from_type(Workflow)`` draws from :func:`workflows`
too (leadcore registers it through the ``hypothesis`` entry point).

- :func:`workflows` draws valid :class:`~leadcore.workflow.Workflow` values of
  any size and shape, with Latin, Hebrew or any Unicode names.
- :func:`workflow_definitions` draws the same as plain definition data, the
  shape ``Workflow.from_dict`` reads.
- :func:`invalid_workflow_definitions` draws a definition with one chosen
  defect, for testing how your application reports a broken workflow.

Leads:

- :func:`person_names` (Latin and Hebrew script), :func:`phone_numbers`
  (valid for their region, in E.164, international or national style),
  :func:`emails`, and :func:`lead_rows`, which combines them into the
  arguments of ``s.leads.create`` (a :class:`LeadRow`).

Dispatch:

- :func:`project_rules`, :func:`pools`, :func:`project_pools` (pools with
  priority orders, per project and per agent) and :func:`agent_filters`
  (filters that fit a workflow, custom fields and sources).

Organisations:

- :func:`organization_plans` draws an :class:`~leadcore.testing.OrganizationPlan`: facade calls
  that create organisations, users in any role, suppliers and advertisers;
  ``plan.apply(core)`` makes them.

Calendars:

- :func:`recurrence_rules`, :func:`recurrences`, and :func:`activities`,
  including series that cross a daylight-saving change
  (``activities(dst_crossing=True)``).

``st.from_type`` works for :class:`~leadcore.workflow.Workflow`,
:class:`~leadcore.dispatch.ProjectRules`, :class:`~leadcore.dispatch.Pool`,
:class:`~leadcore.dispatch.ProjectPools`, :class:`~leadcore.dispatch.AgentFilter`,
:class:`~leadcore.calendar.Recurrence`, :class:`~leadcore.calendar.Activity`
and :class:`~leadcore.testing.OrganizationPlan`.
"""

from __future__ import annotations

import copy
import re
import string
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from leadcore.ids import is_valid_id
from leadcore.tenancy import PartnerKind, Role
from leadcore.testing._calendar_strategies import (
    DST_ZONES,
    TIME_ZONES,
    activities,
    dst_changes,
    recurrence_rules,
    recurrences,
)
from leadcore.testing._dispatch_strategies import (
    AGENT_IDS,
    FIELD_NAMES,
    agent_filters,
    pools,
    project_pools,
    project_rules,
)
from leadcore.testing._lead_strategies import (
    CHANNELS,
    PHONE_REGIONS,
    LeadRow,
    emails,
    lead_rows,
    person_names,
    phone_numbers,
)
from leadcore.testing._organizations import (
    AddPartner,
    AddUser,
    CreateOrganization,
    OrganizationPlan,
    PlanStep,
)
from leadcore.workflow import Category, LintCode, Requirement, Status, Workflow, name_key

__all__ = [
    "AGENT_IDS",
    "CHANNELS",
    "DST_ZONES",
    "FIELD_NAMES",
    "INJECTABLE_CODES",
    "PHONE_REGIONS",
    "TIME_ZONES",
    "LeadRow",
    "OrganizationPlan",
    "activities",
    "agent_filters",
    "colors",
    "dst_changes",
    "emails",
    "invalid_workflow_definitions",
    "lead_rows",
    "organization_plans",
    "person_names",
    "phone_numbers",
    "pools",
    "project_pools",
    "project_rules",
    "recurrence_rules",
    "recurrences",
    "status_ids",
    "status_names",
    "workflow_definitions",
    "workflows",
]

_ID_ALPHABET = string.ascii_lowercase + string.digits + "_-"
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_MAX_NAME = 200
_TOP_KEYS = frozenset({"id", "name", "entry", "status", "version"})
_STATUS_KEYS = frozenset({"id", "name", "color", "category", "requires", "next"})

_Definition = dict[str, Any]


_IDS: st.SearchStrategy[str] = st.text(_ID_ALPHABET, min_size=1, max_size=64)
_COLORS: st.SearchStrategy[str] = st.text("0123456789abcdefABCDEF", min_size=6, max_size=6).map(
    lambda h: "#" + h
)
# Shapes are drawn as small integers from these few fixed strategies rather than from a new
# strategy per status: building strategies is what makes generation slow. They shrink to 0,
# that is to the first option, the first position, one done status.
_INDEX = st.integers(0, 1 << 16)
_EXTRA_EDGES = st.lists(_INDEX, max_size=3)
_LIVE_CATEGORIES = (Category.TODO, Category.IN_PROGRESS)
_CATEGORIES = st.sampled_from(Category)
_REQUIREMENTS = st.sampled_from(Requirement)
_VERSIONS = st.integers(1, 10_000)


def status_ids() -> st.SearchStrategy[str]:
    """Draw a valid status or workflow id: 1 to 64 of ``a-z``, ``0-9``, ``_`` and ``-``.

    >>> from hypothesis import find
    >>> from leadcore.ids import is_valid_id
    >>> is_valid_id(find(status_ids(), lambda i: len(i) > 3))
    True
    """
    return _IDS


def colors() -> st.SearchStrategy[str]:
    """Draw a colour of the form ``#RRGGBB`` (upper- or lower-case hex digits).

    >>> from hypothesis import find
    >>> find(colors(), lambda c: c.endswith("f"))
    '#00000f'
    """
    return _COLORS


def _not_blank(text: str) -> bool:
    return bool(text.strip()) and len(text) <= _MAX_NAME


_LATIN = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=24)
_HEBREW_LETTERS = st.characters(min_codepoint=0x0590, max_codepoint=0x05FF, categories=["Lo", "Mn"])
# Spaces, digits, punctuation and the right-to-left mark appear in real Hebrew labels.
_HEBREW_EXTRAS = st.sampled_from([" ", "-", "'", '"', "1", "2", "\u200f"])
_HEBREW = st.text(_HEBREW_LETTERS | _HEBREW_EXTRAS, min_size=1, max_size=24)
_SCRIPTS: dict[str, st.SearchStrategy[str]] = {
    "latin": _LATIN.filter(_not_blank),
    "hebrew": _HEBREW.filter(_not_blank),
    "any": st.one_of(_LATIN, _HEBREW, st.text(min_size=1, max_size=40)).filter(_not_blank),
}


def status_names(script: Literal["any", "latin", "hebrew"] = "any") -> st.SearchStrategy[str]:
    """Draw a valid status name: non-blank, at most 200 characters.

    ``script`` is ``"latin"`` (printable ASCII), ``"hebrew"`` (Hebrew letters
    and points, with spaces, digits and right-to-left marks) or ``"any"``
    (either of those, or arbitrary Unicode text).

    >>> from hypothesis import find
    >>> name = find(status_names("hebrew"), lambda n: len(n) > 2)
    >>> bool(name.strip()) and len(name) > 2
    True
    """
    if script not in _SCRIPTS:
        raise InvalidArgument(f"script={script!r}: expected one of {', '.join(_SCRIPTS)}")
    return _SCRIPTS[script]


def _check_sizes(min_statuses: int, max_statuses: int, *, clean: bool) -> None:
    if min_statuses < 1:
        raise InvalidArgument(f"min_statuses={min_statuses}: a workflow has at least 1 status")
    if max_statuses < min_statuses:
        raise InvalidArgument(f"max_statuses={max_statuses} is below min_statuses={min_statuses}")
    if clean and max_statuses < 2:
        raise InvalidArgument(
            "clean=True needs max_statuses >= 2: a lone status is done and its entry is done"
        )


_T = TypeVar("_T")


def _choose(draw: st.DrawFn, options: Sequence[_T]) -> _T:
    return options[draw(_INDEX) % len(options)]


def _shuffled(draw: st.DrawFn, items: Sequence[_T]) -> list[_T]:
    keys = draw(st.lists(_INDEX, min_size=len(items), max_size=len(items)))
    return [item for _, item in sorted(zip(keys, items, strict=True), key=lambda p: p[0])]


def _clean_shape(
    draw: st.DrawFn, ids: list[str]
) -> tuple[dict[str, list[str]], dict[str, Category], list[str]]:
    # Live statuses are ordered so that each non-entry one has an earlier parent (all are
    # reachable) and each has an edge to a done status or a later live one (all reach done).
    n = len(ids)
    done_count = 1 + draw(_INDEX) % (n - 1)
    order = _shuffled(draw, ids)
    live, done = order[: n - done_count], order[n - done_count :]
    category = dict.fromkeys(done, Category.DONE)
    for sid in live:
        category[sid] = _choose(draw, _LIVE_CATEGORIES)
    entry = live[: 1 + draw(_INDEX) % len(live)]
    nxt: dict[str, list[str]] = {sid: [] for sid in ids}
    for i, sid in enumerate(live):
        if sid not in entry:
            nxt[_choose(draw, live[:i])].append(sid)
    for sid in done:
        nxt[_choose(draw, live)].append(sid)
    for i in reversed(range(len(live))):
        later = done + live[i + 1 :]
        if not set(later).intersection(nxt[live[i]]):
            nxt[live[i]].append(_choose(draw, later))
    for sid in live:
        others = [o for o in ids if o != sid]
        for k in draw(_EXTRA_EDGES):
            extra = others[k % len(others)]
            if extra not in nxt[sid]:
                nxt[sid].append(extra)
    shuffled = {sid: _shuffled(draw, targets) for sid, targets in nxt.items()}
    return shuffled, category, _shuffled(draw, entry)


def _any_shape(
    draw: st.DrawFn, ids: list[str]
) -> tuple[dict[str, list[str]], dict[str, Category], list[str] | None]:
    n = len(ids)
    cats = draw(st.lists(_CATEGORIES, min_size=n, max_size=n))
    if Category.DONE not in cats:
        cats[draw(_INDEX) % n] = Category.DONE
    nxt: dict[str, list[str]] = {}
    edges = st.lists(_INDEX, max_size=min(n - 1, 6))
    for sid in ids:
        others = [o for o in ids if o != sid]
        nxt[sid] = (
            list(dict.fromkeys(others[k % len(others)] for k in draw(edges))) if others else []
        )
    entry: list[str] | None = None
    if draw(st.booleans()):
        entry = list(
            dict.fromkeys(ids[k % n] for k in draw(st.lists(_INDEX, min_size=1, max_size=3)))
        )
    return nxt, dict(zip(ids, cats, strict=True)), entry


@st.composite
def workflows(
    draw: st.DrawFn,
    *,
    min_statuses: int = 1,
    max_statuses: int = 12,
    requirements: bool = True,
    names: st.SearchStrategy[str] | None = None,
    clean: bool = False,
) -> Workflow:
    """Draw a valid workflow: at least one done status and every reference resolved.

    - ``min_statuses`` / ``max_statuses`` bound the number of statuses.
    - ``requirements=False`` gives every status ``requires = "none"``.
    - ``names`` draws the status and workflow names (default:
      :func:`status_names`, which mixes Latin, Hebrew and any Unicode). It
      must draw valid names; they are kept unique after NFC and case folding.
    - ``clean=True`` draws only workflows without lint warnings: every status
      reachable, every non-done status with a way to a done one, done
      statuses without next stages, entry statuses not done (needs
      ``max_statuses >= 2``). Otherwise the graph has any shape the linter
      accepts, warnings included.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10)
    ... @given(workflows(max_statuses=4, names=status_names("hebrew"), clean=True))
    ... def test_small_clean_hebrew_workflows(wf):
    ...     assert 2 <= len(wf.statuses) <= 4
    ...     assert wf.warnings == ()
    >>> test_small_clean_hebrew_workflows()
    """
    _check_sizes(min_statuses, max_statuses, clean=clean)
    lo = max(min_statuses, 2) if clean else min_statuses
    name_strategy = status_names() if names is None else names
    ids = draw(st.lists(_IDS, min_size=lo, max_size=max_statuses, unique=True))
    n = len(ids)
    labels = draw(st.lists(name_strategy, min_size=n, max_size=n, unique_by=name_key))
    requires = (
        draw(st.lists(_REQUIREMENTS, min_size=n, max_size=n))
        if requirements
        else [Requirement.NONE] * n
    )
    paints = draw(st.lists(_COLORS, min_size=n, max_size=n))
    entry: list[str] | None
    nxt, category, entry = _clean_shape(draw, ids) if clean else _any_shape(draw, ids)
    position = {sid: i for i, sid in enumerate(_shuffled(draw, ids))}
    statuses = sorted(
        (
            Status(
                id=sid,
                name=labels[i],
                color=paints[i],
                category=category[sid],
                requires=requires[i],
                next=tuple(nxt[sid]),
            )
            for i, sid in enumerate(ids)
        ),
        key=lambda s: position[s.id],
    )
    return Workflow(
        id=draw(_IDS),
        name=draw(name_strategy),
        statuses=statuses,
        entry=entry,
        version=draw(_VERSIONS),
    )


@st.composite
def workflow_definitions(
    draw: st.DrawFn,
    *,
    min_statuses: int = 1,
    max_statuses: int = 12,
    requirements: bool = True,
    names: st.SearchStrategy[str] | None = None,
    clean: bool = False,
) -> dict[str, object]:
    """Draw a valid definition as plain data (the shape of a TOML or JSON file).

    The parameters are those of :func:`workflows`. Optional keys (``version``
    when 1, ``entry`` when it is the first status, a status's ``requires``
    when ``"none"`` and ``next`` when empty) are sometimes left out, as people
    writing files do.

    >>> from hypothesis import given, settings
    >>> from leadcore.workflow import Workflow
    >>> @settings(max_examples=10)
    ... @given(workflow_definitions(max_statuses=3))
    ... def test_definitions_build(d):
    ...     assert Workflow.from_dict(d).id == d["id"]
    >>> test_definitions_build()
    """
    wf = draw(
        workflows(
            min_statuses=min_statuses,
            max_statuses=max_statuses,
            requirements=requirements,
            names=names,
            clean=clean,
        )
    )
    d: _Definition = wf.to_dict()
    if wf.version == 1 and draw(st.booleans()):
        del d["version"]
    if wf.entry == (wf.statuses[0].id,) and draw(st.booleans()):
        del d["entry"]
    for s in d["status"]:
        if s["requires"] == "none" and draw(st.booleans()):
            del s["requires"]
        if not s["next"] and draw(st.booleans()):
            del s["next"]
    return d


# -- one defect at a time -------------------------------------------------------------

_Inject = Callable[[st.DrawFn, _Definition], None]

_NOT_STRINGS: st.SearchStrategy[object] = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_NOT_LISTS: st.SearchStrategy[object] = st.one_of(
    st.text(max_size=8), st.integers(), st.booleans(), st.none(), st.just({"id": "new"})
)


def _statuses(d: _Definition) -> list[dict[str, Any]]:
    statuses: list[dict[str, Any]] = d["status"]
    return statuses


def _pick(draw: st.DrawFn, d: _Definition, *, done: bool | None = None) -> dict[str, Any]:
    candidates = [
        s for s in _statuses(d) if done is None or (s["category"] == Category.DONE) is done
    ]
    return draw(st.sampled_from(candidates))


def _fresh_id(draw: st.DrawFn, d: _Definition) -> str:
    taken = {s["id"] for s in _statuses(d)}
    return draw(status_ids().filter(lambda i: i not in taken))


def _fresh_status(draw: st.DrawFn, d: _Definition, category: Category) -> dict[str, Any]:
    taken = {name_key(s["name"]) for s in _statuses(d)}
    return {
        "id": _fresh_id(draw, d),
        "name": draw(status_names("latin").filter(lambda n: name_key(n) not in taken)),
        "color": draw(colors()),
        "category": str(category),
        "requires": "none",
        "next": [],
    }


def _insert(draw: st.DrawFn, d: _Definition, status: dict[str, Any]) -> None:
    statuses = _statuses(d)
    statuses.insert(draw(st.integers(0, len(statuses))), status)


def _live(draw: st.DrawFn) -> Category:
    return draw(st.sampled_from([Category.TODO, Category.IN_PROGRESS]))


def _wrong_type(draw: st.DrawFn, d: _Definition) -> None:
    where = draw(
        st.sampled_from(["id", "name", "status", "a status", "field", "next", "next item", "entry"])
    )
    if where in ("id", "name"):
        d[where] = draw(_NOT_STRINGS)
    elif where == "status":
        d["status"] = draw(_NOT_LISTS.filter(lambda v: not isinstance(v, list)))
    elif where == "a status":
        statuses = _statuses(d)
        statuses[draw(st.integers(0, len(statuses) - 1))] = draw(
            st.one_of(st.text(max_size=8), st.integers(), st.lists(st.integers(), max_size=2))
        )
    elif where == "field":
        _pick(draw, d)[draw(st.sampled_from(["id", "name", "color"]))] = draw(_NOT_STRINGS)
    elif where == "next":
        _pick(draw, d)["next"] = draw(_NOT_LISTS)
    elif where == "next item":
        status = _pick(draw, d, done=False)
        status["next"].insert(draw(st.integers(0, len(status["next"]))), draw(_NOT_STRINGS))
    elif draw(st.booleans()):
        d["entry"] = draw(_NOT_LISTS)
    else:
        d["entry"].append(draw(_NOT_STRINGS))


def _missing_key(draw: st.DrawFn, d: _Definition) -> None:
    if draw(st.booleans()):
        del d[draw(st.sampled_from(["id", "name"]))]
    else:
        del _pick(draw, d)[draw(st.sampled_from(["id", "name", "color", "category"]))]


def _unknown_key(draw: st.DrawFn, d: _Definition) -> None:
    value = draw(_NOT_STRINGS | st.text(max_size=8))
    if draw(st.booleans()):
        d[draw(st.text(max_size=12).filter(lambda k: k not in _TOP_KEYS))] = value
    else:
        status = _pick(draw, d)
        status[draw(st.text(max_size=12).filter(lambda k: k not in _STATUS_KEYS))] = value


def _bad_version(draw: st.DrawFn, d: _Definition) -> None:
    d["version"] = draw(
        st.one_of(
            st.integers(max_value=0),
            st.sampled_from([True, False, 1.5, "1", None, [1]]),
        )
    )


def _no_statuses(draw: st.DrawFn, d: _Definition) -> None:
    d["status"] = []


_BAD_IDS = st.one_of(
    st.sampled_from(["", "New", "has space", "a" * 65, "dé", "a.b", "new\n"]),
    st.text(max_size=70).filter(lambda i: not is_valid_id(i)),
)


def _bad_id(draw: st.DrawFn, d: _Definition) -> None:
    target = d if draw(st.booleans()) else _pick(draw, d)
    target["id"] = draw(_BAD_IDS)


def _duplicate_id(draw: st.DrawFn, d: _Definition) -> None:
    statuses = _statuses(d)
    i, j = sorted(
        draw(st.lists(st.integers(0, len(statuses) - 1), min_size=2, max_size=2, unique=True))
    )
    statuses[j]["id"] = statuses[i]["id"]


def _bad_name(draw: st.DrawFn, d: _Definition) -> None:
    blank = st.text(" \t\n\r\u00a0\u2003", max_size=4)
    if draw(st.booleans()):
        d["name"] = draw(blank)
    else:
        long_name = st.text(min_size=1, max_size=20).map(lambda t: "x" * _MAX_NAME + t)
        _pick(draw, d)["name"] = draw(blank | long_name)


def _duplicate_name(draw: st.DrawFn, d: _Definition) -> None:
    statuses = _statuses(d)
    i, j = draw(st.lists(st.integers(0, len(statuses) - 1), min_size=2, max_size=2, unique=True))
    name: str = statuses[i]["name"]
    variants = [
        v
        for v in (
            name,
            unicodedata.normalize("NFD", name),
            name.upper(),
            name.lower(),
            f"  {name} ",
        )
        if name_key(v) == name_key(name) and _not_blank(v)
    ]
    statuses[j]["name"] = draw(st.sampled_from(variants))


def _bad_color(draw: st.DrawFn, d: _Definition) -> None:
    _pick(draw, d)["color"] = draw(
        st.one_of(
            st.sampled_from(["orange", "#12345", "#1234567", "#GGGGGG", "1E88E5", "", "#1e88e5\n"]),
            st.text(max_size=9).filter(lambda c: _COLOR.fullmatch(c) is None),
        )
    )


def _bad_enum_value(values: frozenset[str]) -> st.SearchStrategy[object]:
    return st.one_of(
        st.text(max_size=12).filter(lambda v: v not in values),
        st.sampled_from(["Done", "to do", "TODO", "note and task", ""]),
        st.integers(),
        st.none(),
    )


def _bad_category(draw: st.DrawFn, d: _Definition) -> None:
    _pick(draw, d)["category"] = draw(_bad_enum_value(frozenset(Category)))


def _bad_requirement(draw: st.DrawFn, d: _Definition) -> None:
    _pick(draw, d)["requires"] = draw(_bad_enum_value(frozenset(Requirement)))


def _no_done_status(draw: st.DrawFn, d: _Definition) -> None:
    for s in _statuses(d):
        if s["category"] == Category.DONE:
            s["category"] = str(_live(draw))


def _unknown_next(draw: st.DrawFn, d: _Definition) -> None:
    status = _pick(draw, d, done=False)
    status["next"].insert(draw(st.integers(0, len(status["next"]))), _fresh_id(draw, d))


def _duplicate_next(draw: st.DrawFn, d: _Definition) -> None:
    status = _pick(draw, d, done=False)
    status["next"].append(draw(st.sampled_from(status["next"])))


def _self_loop(draw: st.DrawFn, d: _Definition) -> None:
    status = _pick(draw, d, done=False)
    status["next"].insert(draw(st.integers(0, len(status["next"]))), status["id"])


def _unknown_entry(draw: st.DrawFn, d: _Definition) -> None:
    d["entry"].insert(draw(st.integers(0, len(d["entry"]))), _fresh_id(draw, d))


def _duplicate_entry(draw: st.DrawFn, d: _Definition) -> None:
    d["entry"].append(draw(st.sampled_from(d["entry"])))


def _empty_entry(draw: st.DrawFn, d: _Definition) -> None:
    d["entry"] = []


def _unreachable(draw: st.DrawFn, d: _Definition) -> None:
    if draw(st.booleans()):
        status = _fresh_status(draw, d, Category.DONE)
    else:
        status = _fresh_status(draw, d, _live(draw))
        status["next"] = [_pick(draw, d, done=True)["id"]]
    _insert(draw, d, status)


def _dead_end(draw: st.DrawFn, d: _Definition) -> None:
    status = _fresh_status(draw, d, _live(draw))
    _pick(draw, d, done=False)["next"].append(status["id"])
    _insert(draw, d, status)


def _no_path_to_done(draw: st.DrawFn, d: _Definition) -> None:
    way_in = _pick(draw, d, done=False)
    a = _fresh_status(draw, d, _live(draw))
    _insert(draw, d, a)
    b = _fresh_status(draw, d, _live(draw))
    _insert(draw, d, b)
    a["next"], b["next"] = [b["id"]], [a["id"]]
    way_in["next"].append(a["id"])


def _done_has_next(draw: st.DrawFn, d: _Definition) -> None:
    status = _pick(draw, d, done=True)
    others = [s["id"] for s in _statuses(d) if s["id"] != status["id"]]
    status["next"] = draw(st.lists(st.sampled_from(others), min_size=1, max_size=2, unique=True))


def _entry_is_done(draw: st.DrawFn, d: _Definition) -> None:
    d["entry"].append(_pick(draw, d, done=True)["id"])


_DEFECTS: dict[LintCode, _Inject] = {
    LintCode.WRONG_TYPE: _wrong_type,
    LintCode.MISSING_KEY: _missing_key,
    LintCode.UNKNOWN_KEY: _unknown_key,
    LintCode.BAD_VERSION: _bad_version,
    LintCode.NO_STATUSES: _no_statuses,
    LintCode.BAD_ID: _bad_id,
    LintCode.DUPLICATE_ID: _duplicate_id,
    LintCode.BAD_NAME: _bad_name,
    LintCode.DUPLICATE_NAME: _duplicate_name,
    LintCode.BAD_COLOR: _bad_color,
    LintCode.BAD_CATEGORY: _bad_category,
    LintCode.BAD_REQUIREMENT: _bad_requirement,
    LintCode.NO_DONE_STATUS: _no_done_status,
    LintCode.UNKNOWN_NEXT: _unknown_next,
    LintCode.DUPLICATE_NEXT: _duplicate_next,
    LintCode.SELF_LOOP: _self_loop,
    LintCode.UNKNOWN_ENTRY: _unknown_entry,
    LintCode.DUPLICATE_ENTRY: _duplicate_entry,
    LintCode.EMPTY_ENTRY: _empty_entry,
    LintCode.UNREACHABLE: _unreachable,
    LintCode.DEAD_END: _dead_end,
    LintCode.NO_PATH_TO_DONE: _no_path_to_done,
    LintCode.DONE_HAS_NEXT: _done_has_next,
    LintCode.ENTRY_IS_DONE: _entry_is_done,
}

#: The codes :func:`invalid_workflow_definitions` can inject: every code but ``syntax``.
INJECTABLE_CODES: tuple[LintCode, ...] = tuple(_DEFECTS)


@st.composite
def invalid_workflow_definitions(
    draw: st.DrawFn, defect: LintCode | None = None
) -> dict[str, object]:
    """Draw a definition with one chosen defect; ``lint`` reports its code.

    The definition starts clean (see ``workflows(clean=True)``) and gets one
    defect of kind ``defect`` (any kind when ``None``), so the code is always
    among the findings; a defect may bring consequences with it (a status
    given a bad id no longer resolves as a next stage, for instance). For an
    error code, ``Workflow.from_dict`` raises
    :class:`~leadcore.errors.WorkflowInvalid`; for a warning code (such as
    ``unreachable``) it builds, and the warning is in ``wf.warnings``.

    ``LintCode.SYNTAX`` concerns text, not data, so it cannot be asked for.

    >>> from hypothesis import given, settings
    >>> from leadcore.workflow import LintCode, lint
    >>> @settings(max_examples=10)
    ... @given(invalid_workflow_definitions(LintCode.SELF_LOOP))
    ... def test_self_loops_are_reported(d):
    ...     assert [str(f.code) for f in lint(d)] == ["self-loop"]
    >>> test_self_loops_are_reported()
    """
    if defect is None:
        defect = draw(st.sampled_from(INJECTABLE_CODES))
    inject = _DEFECTS.get(defect)
    if inject is None:
        raise InvalidArgument(
            f"defect={defect!r}: a definition can carry any lint code but {LintCode.SYNTAX!s}, "
            "which is about unparseable text"
        )
    d = copy.deepcopy(draw(workflow_definitions(min_statuses=2, max_statuses=8, clean=True)))
    d.setdefault("entry", [_statuses(d)[0]["id"]])
    for s in _statuses(d):
        s.setdefault("next", [])
    inject(draw, d)
    return d


# -- organisations ----------------------------------------------------------------------

_ORGANIZATION_NAMES = st.sampled_from(
    ["Agency", "Leads Ltd", "סוכנות הביטוח", "Agenția Nord", "Solar Direct", "Call Centre"]
)
_REGIONS = st.sampled_from([None, "IL", "RO", "GB", "US"])
_ZONES = st.sampled_from(["UTC", "Asia/Jerusalem", "Europe/Bucharest", "America/New_York"])


@st.composite
def organization_plans(
    draw: st.DrawFn,
    *,
    max_organizations: int = 4,
    max_users: int = 6,
    partners: bool = True,
) -> OrganizationPlan:
    """Draw a plan of facade calls: organisations, their users, suppliers and advertisers.

    The first step creates an organisation; each later one creates another,
    adds a user in any role to one created before, or (with ``partners``)
    has one add a supplier or advertiser, which is a new organisation too.
    At most ``max_organizations`` organisations and ``max_users`` added
    users. Apply it with ``plan.apply(core)``.

    >>> from hypothesis import find
    >>> plan = find(organization_plans(), lambda p: "adds supplier" in str(p))
    >>> [type(step).__name__ for step in plan.steps]
    ['CreateOrganization', 'AddPartner']
    >>> from leadcore import Leadcore
    >>> agency, supplier = plan.apply(Leadcore.open())
    >>> [p.partner_id for p in agency.session().partners.list()] == [supplier.id]
    True
    """
    if max_organizations < 1 or max_users < 0:
        raise InvalidArgument(
            f"max_organizations={max_organizations}, max_users={max_users}: "
            "a plan has at least one organisation and no fewer than 0 users"
        )
    admins = person_names()
    steps: list[PlanStep] = [
        CreateOrganization(draw(_ORGANIZATION_NAMES), draw(admins), draw(_REGIONS), draw(_ZONES))
    ]
    count, users = 1, 0
    kinds = ["user", "organization", "partner"] if partners else ["user", "organization"]
    for kind in draw(st.lists(st.sampled_from(kinds), max_size=8)):
        if kind == "user" and users < max_users:
            steps.append(
                AddUser(draw(st.integers(0, count - 1)), draw(admins), draw(st.sampled_from(Role)))
            )
            users += 1
        elif kind != "user" and count < max_organizations:
            if kind == "organization":
                steps.append(
                    CreateOrganization(
                        draw(_ORGANIZATION_NAMES), draw(admins), draw(_REGIONS), draw(_ZONES)
                    )
                )
            else:
                steps.append(
                    AddPartner(
                        draw(st.integers(0, count - 1)),
                        draw(st.sampled_from(PartnerKind)),
                        draw(_ORGANIZATION_NAMES),
                        draw(admins),
                    )
                )
            count += 1
    return OrganizationPlan(steps)
