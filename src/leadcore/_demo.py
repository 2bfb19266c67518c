"""``leadcore demo``: a deterministic tour of what the library does so far."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from leadcore.workflow import lint, sample_workflow

__all__ = ["run_demo"]


def _heading(out: TextIO, title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 66 - len(title)), file=out)


def run_demo(*, seed: int, out_dir: Path, out: TextIO) -> int:
    """Run the demo, write its files under ``out_dir``, print a readable summary."""
    del seed  # the tour so far has no random part; later steps use it
    wf = sample_workflow()
    _heading(out, "1. A sales workflow, validated")
    print(
        f"Workflow {wf.id!r} ({wf.name}), version {wf.version}: {len(wf.statuses)} statuses, "
        f"{sum(len(s.next) for s in wf.statuses)} next-stage edges, "
        f"entry {', '.join(wf.entry)}, done: {', '.join(wf.done_statuses())}.",
        file=out,
    )
    print(f"Lint findings: {len(lint(wf.to_dict()))} (a clean workflow).", file=out)
    broken = wf.to_dict()
    broken["status"][1]["next"].append("archived")
    broken["status"][2]["color"] = "orange"
    broken["status"][3]["name"] = "NEW"
    print("The same workflow with three mistakes gives every finding at once:", file=out)
    for f in lint(broken):
        print(f"  {f}", file=out)

    _heading(out, "2. Decisions, explained")
    cases: list[tuple[str, str | None, str, dict[str, object]]] = [
        ("a restricted qualifier skips ahead", "new", "meeting", {"restricted": True}),
        ("contacted needs a note", "new", "contacted", {}),
        ("with a note it is allowed", "new", "contacted", {"note": "Spoke to Dana at 10:05"}),
        ("the project forces notes", "qualified", "lost", {"force_notes": True}),
        ("a lead with no status, restricted", None, "qualified", {"restricted": True}),
    ]
    for title, current, target, kwargs in cases:
        decision = wf.decide(current, target, **kwargs)  # type: ignore[arg-type]
        print(f"- {title}: {current or '(no status)'} -> {target}", file=out)
        for line in decision.explain().splitlines():
            print(f"    {line}", file=out)

    _heading(out, "3. Graph analysis")
    path = wf.shortest_path("new", "won")
    print(f"Shortest path new -> won: {' -> '.join(path or ())}", file=out)
    print(f"Reachable from entry: {len(wf.reachable())} of {len(wf.statuses)} statuses", file=out)
    print(f"Dead ends: {list(wf.dead_ends()) or 'none'}", file=out)

    _heading(out, "4. The workflow as Mermaid")
    out_dir.mkdir(parents=True, exist_ok=True)
    diagram = out_dir / "sales-workflow.mmd"
    diagram.write_text(wf.to_mermaid(), encoding="utf-8")
    print(wf.to_mermaid(), file=out, end="")
    _heading(out, "Files written")
    print(f"  {diagram.resolve()}", file=out)

    return 0
