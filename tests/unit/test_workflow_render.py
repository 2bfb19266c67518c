"""Rendering: Mermaid and DOT show every status and edge in order; TOML reads back the same."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from leadcore.workflow import Workflow, sample_workflow

TRICKY = Workflow.from_dict(
    {
        "id": "tricky",
        "name": 'Say "hi" \\ <b>',
        "entry": ["new", "call"],
        "status": [
            {
                "id": "new",
                "name": 'He said "no" & <left>',
                "color": "#FFFFFF",
                "category": "todo",
                "next": ["won", "lost"],
            },
            {
                "id": "call",
                "name": "Call #1; then #amp;",
                "color": "#000000",
                "category": "in_progress",
                "requires": "note",
                "next": ["lost", "won"],
            },
            {"id": "won", "name": "מטויב", "color": "#43A047", "category": "done"},
            {"id": "lost", "name": "a\\b\tc", "color": "#e53935", "category": "done"},
        ],
    }
)


def _mermaid_nodes(text: str) -> list[tuple[str, str, str]]:
    """(node, label, class) of each status node line, in output order."""
    return re.findall(r'^  (s\d+)[(\[]+"(.*)"[)\]]+:::(\w+)$', text, flags=re.MULTILINE)


def _mermaid_edges(text: str) -> list[tuple[str, str, str]]:
    return re.findall(r'^  (s\d+) -->\|"(\d+)"\| (s\d+)$', text, flags=re.MULTILINE)


def test_mermaid_shows_every_status_in_order_with_its_category() -> None:
    wf = sample_workflow()
    text = wf.to_mermaid()
    assert text.startswith("flowchart LR\n")
    nodes = _mermaid_nodes(text)
    assert [(n, label, c) for n, label, c in nodes] == [
        (f"s{i}", s.name, str(s.category)) for i, s in enumerate(wf.statuses)
    ]


def test_mermaid_shows_every_next_stage_in_order_and_the_entry() -> None:
    wf = sample_workflow()
    text = wf.to_mermaid()
    node = {s.id: f"s{i}" for i, s in enumerate(wf.statuses)}
    expected = [
        (node[s.id], str(pos), node[t])
        for s in wf.statuses
        for pos, t in enumerate(s.next, start=1)
    ]
    assert _mermaid_edges(text) == expected
    assert re.findall(r"^  start --> (s\d+)$", text, flags=re.MULTILINE) == [
        node[e] for e in wf.entry
    ]


def test_mermaid_shapes_and_colours_follow_the_status() -> None:
    text = TRICKY.to_mermaid()
    assert '  s0("' in text  # to do: rounded
    assert '  s1["' in text  # in progress: box
    assert '  s2(["' in text  # done: stadium
    assert "  style s0 fill:#FFFFFF,color:#000000" in text
    assert "  style s1 fill:#000000,color:#FFFFFF" in text
    assert "  style s3 fill:#e53935,color:#FFFFFF" in text


def test_mermaid_escapes_quotes_brackets_and_entities_and_keeps_hebrew() -> None:
    labels = [label for _, label, _ in _mermaid_nodes(TRICKY.to_mermaid())]
    assert labels == [
        "He said #quot;no#quot; #amp; #lt;left#gt;",
        "Call #35;1; then #35;amp;",
        "מטויב",
        "a\\b\tc",
    ]
    for label in labels:
        assert '"' not in label
        assert "<" not in label
        assert ">" not in label


def _dot_nodes(text: str) -> list[tuple[str, str]]:
    return re.findall(r'^  "((?:[^"\\]|\\.)*)" \[label="((?:[^"\\]|\\.)*)"', text, re.MULTILINE)


def _dot_edges(text: str) -> list[tuple[str, str, str]]:
    return re.findall(r'^  "([^"]*)" -> "([^"]*)" \[label="(\d+)"\];$', text, re.MULTILINE)


def test_dot_shows_every_status_and_edge_in_order() -> None:
    wf = sample_workflow()
    text = wf.to_dot()
    assert text.startswith('digraph "sales" {\n')
    assert text.endswith("}\n")
    assert _dot_nodes(text) == [(s.id, s.name) for s in wf.statuses]
    assert _dot_edges(text) == [
        (s.id, t, str(pos)) for s in wf.statuses for pos, t in enumerate(s.next, start=1)
    ]
    assert re.findall(r'^  __start__ -> "(\w+)";$', text, re.MULTILINE) == list(wf.entry)


def test_dot_escapes_quotes_and_backslashes_and_keeps_hebrew() -> None:
    text = TRICKY.to_dot()
    assert _dot_nodes(text) == [
        ("new", 'He said \\"no\\" & <left>'),
        ("call", "Call #1; then #amp;"),
        ("won", "מטויב"),
        ("lost", "a\\\\b\tc"),
    ]
    assert '  label="Say \\"hi\\" \\\\ <b> (version 1)";' in text
    assert "shape=ellipse" in text
    assert "shape=box" in text
    assert "shape=doubleoctagon" in text


def test_dot_start_marker_never_merges_with_a_status_called_start() -> None:
    wf = Workflow.from_dict(
        {
            "id": "w",
            "name": "W",
            "status": [
                {
                    "id": "__start__",
                    "name": "S",
                    "color": "#123456",
                    "category": "todo",
                    "next": ["__start___"],
                },
                {"id": "__start___", "name": "T", "color": "#123456", "category": "done"},
            ],
        }
    )
    text = wf.to_dot()
    assert '  __start____ [shape=point, label=""];' in text
    assert '  __start____ -> "__start__";' in text


@pytest.mark.parametrize("wf", [sample_workflow(), sample_workflow("qualification.he"), TRICKY])
def test_to_toml_reads_back_the_same_workflow(wf: Workflow) -> None:
    text = wf.to_toml()
    assert tomllib.loads(text) == wf.to_dict()
    assert Workflow.from_toml(text) == wf


def test_to_toml_escapes_control_characters() -> None:
    d: dict[str, Any] = TRICKY.to_dict()
    d["status"][3]["name"] = "line\nbreak\r\x00\x1f\x7f end"
    wf = Workflow.from_dict(d)
    text = wf.to_toml()
    assert "\x7f" not in text
    assert "\x00" not in text
    assert Workflow.from_toml(text) == wf


def test_to_json_reads_back_the_same_workflow_and_keeps_hebrew_readable() -> None:
    wf = sample_workflow("qualification.he")
    text = wf.to_json()
    assert "חדש" in text
    assert Workflow.from_json(text) == wf
    assert "\n" not in wf.to_json(indent=None)
