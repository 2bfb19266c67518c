"""The events page documents every event type, with the fields its code really has."""

from __future__ import annotations

from pathlib import Path

import attrs

from leadcore.events import EVENT_TYPES, Event

PAGE = Path(__file__).resolve().parents[2] / "docs" / "events.md"
ENVELOPE = {"event_id", "organization_id", "occurred_at", "actor_id"}


def row(name: str, cls: type[Event]) -> str:
    """The table row ``docs/events.md`` must have for one event type."""
    fields = ", ".join(f"`{f.name}`" for f in attrs.fields(cls) if f.name not in ENVELOPE)
    summary = (cls.__doc__ or "").strip().splitlines()[0].replace("``", "`")
    return f"| `{name}` | `{cls.__name__}` | {fields} | {summary} |"


def test_the_events_page_lists_every_event_type_with_its_data_fields() -> None:
    wanted = [row(name, EVENT_TYPES[name]) for name in sorted(EVENT_TYPES)]
    documented = [
        line.strip()
        for line in PAGE.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    ]
    # On failure, the message is the table to paste into the page.
    assert documented == wanted, "\n" + "\n".join(wanted)


def test_every_event_class_has_a_summary_line() -> None:
    for cls in EVENT_TYPES.values():
        assert (cls.__doc__ or "").strip(), cls.__name__
