"""The public API as a snapshot: a rename, a new name or a changed signature is a visible change.

``public_names.txt`` (next to this file) lists every public module's ``__all__``
and the public methods of the facade and of each service a session exposes,
with their signatures. The test compares the installed package with it. When
a change is deliberate, write the snapshot again::

    python tests/api/test_public_api.py

and review the diff: a removed or renamed name needs a deprecated alias for
one release (``leadcore._moved``) and a changelog line.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import leadcore
from leadcore import Leadcore
from leadcore._moved import renamed
from leadcore.services._old_calls import OldCalls

SNAPSHOT = Path(__file__).with_name("public_names.txt")

# Modules that only forward old import paths (each warns); tests/api/test_old_paths.py covers them.
_FORWARDERS = re.compile(r"^Deprecated\b")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def public_modules() -> list[str]:
    """Every importable module of the package without an underscore in its path."""
    names = ["leadcore"]
    for info in pkgutil.walk_packages(leadcore.__path__, "leadcore."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        module = importlib.import_module(info.name)
        if _FORWARDERS.match(module.__doc__ or ""):
            continue
        names.append(info.name)
    return sorted(names)


def _annotation(value: object) -> str:
    if value is inspect.Parameter.empty:
        return ""
    return value if isinstance(value, str) else inspect.formatannotation(value)


def signature(function: object) -> str:
    """A method's signature as text: annotations as written, defaults by ``repr``."""
    sig = inspect.signature(function)  # type: ignore[arg-type]
    params = list(sig.parameters.values())
    parts: list[str] = []
    star = False
    for i, p in enumerate(params):
        if p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        prefix = "*" if p.kind is p.VAR_POSITIONAL else "**" if p.kind is p.VAR_KEYWORD else ""
        star = star or p.kind is p.VAR_POSITIONAL
        text = prefix + p.name
        annotation = _annotation(p.annotation)
        if annotation:
            text += f": {annotation}"
        if p.default is not p.empty:
            default = _ADDRESS.sub("", repr(p.default))
            text += f" = {default}" if annotation else f"={default}"
        parts.append(text)
        if p.kind is p.POSITIONAL_ONLY and (
            i + 1 == len(params) or params[i + 1].kind is not p.POSITIONAL_ONLY
        ):
            parts.append("/")
    returns = _annotation(sig.return_annotation)
    return f"({', '.join(parts)})" + (f" -> {returns}" if returns else "")


def public_classes() -> tuple[list[type], list[str]]:
    """The facade and the class of each service a session exposes, in a stable order.

    Also the lines naming the services: ``core.events`` and each session attribute.
    """
    core = Leadcore.open()
    _, admin = core.create_organization("Snapshot", admin_name="Dana")
    session = core.session(admin.id)
    classes: list[type] = [Leadcore, type(session), type(core.events)]
    attributes = [f"  core.events: {type(core.events).__name__}"]
    for name, value in sorted(vars(session).items()):
        if not name.startswith("_") and type(value).__module__.startswith("leadcore.services"):
            classes.append(type(value))
            attributes.append(f"  session.{name}: {type(value).__name__}")
    core.close()
    return classes, attributes


def _members(cls: type) -> Iterator[str]:
    seen: set[str] = set()
    for owner in cls.__mro__:
        if owner is object:
            continue
        for name, value in sorted(vars(owner).items()):
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            if isinstance(value, renamed):
                yield f"  {name} = deprecated alias of {value.new}"
            elif isinstance(value, OldCalls):
                yield f"  {name}{signature(value.method)}  [also takes its old call shape]"
            elif isinstance(value, property):
                yield f"  {name}: property"
            elif isinstance(value, classmethod | staticmethod):
                yield f"  {name}{signature(getattr(cls, name))}  [{type(value).__name__}]"
            elif inspect.isfunction(value):
                yield f"  {name}{signature(value)}"


def snapshot() -> str:
    """The text ``public_names.txt`` must hold for the package as installed."""
    lines = ["# Every public module's __all__ (one name a line)", ""]
    count = 0
    for name in public_modules():
        exported = sorted(getattr(importlib.import_module(name), "__all__", ()))
        count += len(exported)
        lines.append(f"[{name}] {len(exported)}")
        lines.extend(f"  {n}" for n in exported)
        lines.append("")
    lines.insert(1, f"# {count} names in all")
    classes, attributes = public_classes()
    lines += ["# The services of the facade and of a session", "", *attributes, ""]
    lines += ["# The facade's and the services' public methods", ""]
    for cls in classes:
        lines.append(f"[{cls.__module__}.{cls.__qualname__}]")
        lines.extend(sorted(_members(cls)))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def test_the_public_api_is_the_one_in_the_snapshot() -> None:
    live = snapshot()
    stored = SNAPSHOT.read_text(encoding="utf-8")
    if live != stored:
        diff = "".join(
            difflib.unified_diff(
                stored.splitlines(keepends=True),
                live.splitlines(keepends=True),
                "public_names.txt (stored)",
                "the package (live)",
            )
        )
        raise AssertionError(
            "The public API changed. If that is deliberate, run "
            "`python tests/api/test_public_api.py` to write the snapshot again, keep an "
            "alias that warns for each removed or renamed name, and add a changelog line.\n" + diff
        )


def test_no_public_name_means_two_things() -> None:
    # One name, one object: a name exported by two public modules is the same thing.
    found: dict[str, dict[int, list[str]]] = {}
    for name in public_modules():
        module = importlib.import_module(name)
        for exported in getattr(module, "__all__", ()):
            found.setdefault(exported, {}).setdefault(id(getattr(module, exported)), []).append(
                name
            )
    twice = {
        n: sorted(m for ms in by.values() for m in ms) for n, by in found.items() if len(by) > 1
    }
    assert not twice, f"names exported with different meanings: {twice}"


if __name__ == "__main__":
    SNAPSHOT.write_text(snapshot(), encoding="utf-8")
    sys.stdout.write(f"wrote {SNAPSHOT}\n")
