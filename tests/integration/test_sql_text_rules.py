"""The text rules of the public boundary on SQLite: a note is stored as given or refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore import Leadcore
from leadcore._text import text_problem
from leadcore.errors import ValidationError
from leadcore.ids import SequentialIds
from leadcore.storage.sql import SqlStorage


@settings(max_examples=40, deadline=None)
@given(note=st.text(st.characters(codec=None, exclude_categories=()), max_size=20))
def test_a_note_is_stored_as_given_or_refused_with_nothing_written(note: str) -> None:
    core = Leadcore(storage=SqlStorage("sqlite://", create=True), ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Dana")
    s = core.session(admin.id)
    lead = s.leads.create("Noa")
    problem = text_problem(note, "text")
    if problem is not None:
        with pytest.raises(ValidationError) as caught:
            s.leads.add_note(lead.id, note)
        assert caught.value.problems == (problem,)
        assert s.leads.notes(lead.id) == []
    elif note.strip():
        stored = s.leads.add_note(lead.id, note)
        assert s.leads.notes(lead.id) == [stored]
    core.close()
