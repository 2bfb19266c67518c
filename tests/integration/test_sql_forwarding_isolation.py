"""Three organisations exchange leads on SQL; none ever reads the others' data, by any path.

The property test of the memory adapter (``tests/property/test_forwarding_isolation.py``)
drives a supplier, an agency and an advertiser through forwarding, feedback,
returns, notes and status changes, and checks after every step, from each
organisation's own point of view, that its lists, reports, delivery records,
history and outbox hold only what is its own or was told to it (the sender
never sees the receiver's statuses), and that another organisation's ids are
answered exactly like ids that never existed. Here the same machine runs on
every SQL backend; under ``postgresql-rls`` each statement is also fenced by
the database to the organisation of the rows it reads or writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from tests.integration.conftest import BACKENDS, scratch, unique
from tests.property.test_forwarding_isolation import ThreeOrganisations

from leadcore import Leadcore
from leadcore.ids import SequentialIds
from leadcore.storage.sql import SqlStorage


class ThreeOrganisationsOnSql(ThreeOrganisations):
    """The memory machine, its facade on a SQL storage."""

    open_subject: ClassVar[Callable[[], SqlStorage]]

    def __init__(self) -> None:
        super().__init__()
        self.core.close()
        self.core = Leadcore(
            storage=type(self).open_subject(), clock=self.clock, ids=SequentialIds()
        )

    def teardown(self) -> None:
        self.core.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_organisation_reads_another_ones_data_through_forwarding_on_sql(
    backend: str, request: pytest.FixtureRequest
) -> None:
    def subject() -> SqlStorage:
        if backend == "sqlite-memory":
            return SqlStorage("sqlite://", create=True)
        if backend == "sqlite-file":
            path = request.getfixturevalue("tmp_path") / f"{unique('isolation')}.db"
            return SqlStorage(f"sqlite:///{path}", create=True)
        return scratch(request, backend).storage()

    machine = type(
        f"ThreeOrganisationsOn{backend.title().replace('-', '')}",
        (ThreeOrganisationsOnSql,),
        {"open_subject": staticmethod(subject)},
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=5,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
