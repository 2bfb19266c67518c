"""Rendering a workflow: Mermaid, Graphviz DOT and TOML, all from the same tables."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from leadcore.workflow._status import Category

if TYPE_CHECKING:
    from leadcore.workflow._model import Workflow

__all__ = ["to_dot", "to_mermaid", "to_toml"]

# Mermaid node shapes by category: to do = rounded, in progress = box, done = stadium.
_MERMAID_SHAPE = {
    Category.TODO: ("(", ")"),
    Category.IN_PROGRESS: ("[", "]"),
    Category.DONE: ("([", "])"),
}
_DOT_SHAPE = {
    Category.TODO: "ellipse",
    Category.IN_PROGRESS: "box",
    Category.DONE: "doubleoctagon",
}


def _mermaid_label(text: str) -> str:
    # Mermaid entity codes keep quotes and brackets from ending the label. "#" goes first:
    # Mermaid reads "#...;" in a label as an entity, so a name like "Call #1;" needs it.
    return (
        text.replace("#", "#35;")
        .replace("&", "#amp;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
    )


def _text_color(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return "#000000" if (0.299 * r + 0.587 * g + 0.114 * b) > 150 else "#FFFFFF"


def to_mermaid(wf: Workflow) -> str:
    """Render as a Mermaid flowchart.

    Nodes are named ``s0``, ``s1``... in status order (status ids may hold
    characters Mermaid reads as syntax); each label shows the name, and each
    edge its position in the next stages. Entry statuses hang off a start
    marker.

    >>> from leadcore.workflow import sample_workflow
    >>> print(sample_workflow().to_mermaid().splitlines()[0])
    flowchart LR
    """
    node = {s.id: f"s{i}" for i, s in enumerate(wf.statuses)}
    lines = ["flowchart LR", "  start((start))"]
    for s in wf.statuses:
        left, right = _MERMAID_SHAPE[s.category]
        lines.append(f'  {node[s.id]}{left}"{_mermaid_label(s.name)}"{right}:::{s.category}')
    for sid in wf.entry:
        lines.append(f"  start --> {node[sid]}")
    for s in wf.statuses:
        for pos, t in enumerate(s.next, start=1):
            lines.append(f'  {node[s.id]} -->|"{pos}"| {node[t]}')
    for s in wf.statuses:
        lines.append(f"  style {node[s.id]} fill:{s.color},color:{_text_color(s.color)}")
    lines += [
        "  classDef todo stroke-dasharray: 4 2",
        "  classDef in_progress stroke-width:2px",
        "  classDef done stroke-width:4px",
    ]
    return "\n".join(lines) + "\n"


def _dot_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(wf: Workflow) -> str:
    """Render as Graphviz DOT: shape by category, fill by colour, edge labels by order."""
    start = "__start__"
    while start in wf:  # "__start__" is a valid status id; the marker must not merge with it
        start += "_"
    lines = [
        f"digraph {_dot_str(wf.id)} {{",
        f"  label={_dot_str(f'{wf.name} (version {wf.version})')};",
        "  rankdir=LR;",
        '  node [style=filled, fontname="sans-serif"];',
        f'  {start} [shape=point, label=""];',
    ]
    for s in wf.statuses:
        lines.append(
            f"  {_dot_str(s.id)} [label={_dot_str(s.name)}, shape={_DOT_SHAPE[s.category]}, "
            f"fillcolor={_dot_str(s.color)}, fontcolor={_dot_str(_text_color(s.color))}];"
        )
    for sid in wf.entry:
        lines.append(f"  {start} -> {_dot_str(sid)};")
    for s in wf.statuses:
        for pos, t in enumerate(s.next, start=1):
            lines.append(f"  {_dot_str(s.id)} -> {_dot_str(t)} [label={_dot_str(str(pos))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _toml_str(text: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(_toml_str(i) for i in items) + "]"


def to_toml(wf: Workflow) -> str:
    """Render in the documented TOML file format (``Workflow.from_toml`` reads it back)."""
    lines = [
        f"id = {_toml_str(wf.id)}",
        f"name = {_toml_str(wf.name)}",
        f"version = {wf.version}",
        f"entry = {_toml_list(wf.entry)}",
    ]
    for s in wf.statuses:
        lines += [
            "",
            "[[status]]",
            f"id = {_toml_str(s.id)}",
            f"name = {_toml_str(s.name)}",
            f"color = {_toml_str(s.color)}",
            f"category = {_toml_str(str(s.category))}",
            f"requires = {_toml_str(str(s.requires))}",
            f"next = {_toml_list(s.next)}",
        ]
    return "\n".join(lines) + "\n"
