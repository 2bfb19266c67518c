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
from datetime import UTC, datetime
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import func, select, text
from tests.integration.conftest import BACKENDS, ScratchDatabase, new_storage
from tests.property.test_forwarding_isolation import ThreeOrganisations

from leadcore import Leadcore, ManualClock
from leadcore.forwarding import Caps, RoutingRule, Target
from leadcore.ids import SequentialIds
from leadcore.storage.sql import SETTING, SqlStorage, metadata

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_OURS = (
    "leadcore_deliver",
    "leadcore_partner_terms",
    "leadcore_receiving_policies",
    "leadcore_routing_",
)


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
        return new_storage(request, backend, "isolation")

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


FORWARDING_TABLES = sorted(name for name in metadata.tables if name.startswith(_OURS))


def test_under_row_level_security_each_side_of_a_delivery_lives_in_its_own_organisation(
    postgresql_rls: ScratchDatabase,
) -> None:
    storage = postgresql_rls.storage()
    core = Leadcore(storage=storage, clock=ManualClock(T0), ids=SequentialIds())
    try:
        agency, dana = core.create_organization("Agency", admin_name="Dana", default_region="IL")
        a = core.session(dana.id)
        supplier, sue = a.partners.add_supplier("Leads Ltd", admin_name="Sue")
        s = core.session(sue.id)
        lead = s.leads.create("Noa", phones=["052-345-6701"])
        s.leads.change_status(lead.id, "contacted", note="secret note")
        sent = s.leads.forward(lead.id, agency.id)
        (received,) = a.deliveries.list()
        a.leads.change_status(received.lead_id or "", "qualified", note="agency only")
        a.deliveries.accept(received.id)
        a.routing.set_rules(
            [RoutingRule("team", "Team", to="users", targets=[Target(dana.id, caps=Caps(3))])]
        )
        a.routing.route(received.lead_id or "")
        rows = {sent.organization_id: sent.id, received.organization_id: received.id}
        with postgresql_rls.engine.connect() as app:
            for me in (supplier.id, agency.id):
                app.execute(select(func.set_config(SETTING, me, True)))
                for table in FORWARDING_TABLES:
                    found = app.execute(text(f"SELECT DISTINCT organization_id FROM {table}"))
                    assert {str(org) for (org,) in found} <= {me}, table
                ids = app.execute(text("SELECT id FROM leadcore_deliveries")).scalars().all()
                assert ids == [rows[me]]
                app.rollback()
            # The supplier's record says what became of the lead, never the agency's status.
            app.execute(select(func.set_config(SETTING, supplier.id, True)))
            record = app.execute(text("SELECT record FROM leadcore_deliveries")).scalar_one()
            assert '"accepted"' in record
            assert "qualified" not in record
            assert "agency only" not in record
            app.rollback()
    finally:
        core.close()
