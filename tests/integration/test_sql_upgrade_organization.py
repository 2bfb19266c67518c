"""Upgrading a basic organisation on SQL storage: the kind is kept, the creator loses its say."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.integration.conftest import empty_database

from leadcore import Forbidden, Leadcore, ManualClock
from leadcore.storage.sql import SqlStorage
from leadcore.tenancy import OrganizationKind

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=("sqlite-file", "postgresql", "mariadb"))
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with empty_database(request.param, tmp_path) as found:
        yield found


def test_an_upgraded_organisation_stays_full_and_manages_its_users_alone(url: str) -> None:
    storage = SqlStorage(url, create=True)
    try:
        core = Leadcore(storage=storage, clock=ManualClock(T0))
        _, dana = core.create_organization("Star Media", admin_name="Dana")
        s = core.session(dana.id)
        supplier, sam = s.partners.add_supplier("Leads Ltd", admin_name="Sam")
        [link] = s.partners.list()
        rami = s.partners.create_user(link.id, "Rami", "qualifier")
        core.upgrade_organization(supplier.id)
    finally:
        storage.engine.dispose()
    fresh = SqlStorage(url)
    try:
        core = Leadcore(storage=fresh, clock=ManualClock(T0))
        with fresh.unit_of_work() as uow:
            stored = uow.organizations.get(supplier.id)
        assert stored is not None
        assert stored.kind is OrganizationKind.FULL
        assert [u.id for u in core.session(sam.id).users.list()] == [rami.id, sam.id]
        with pytest.raises(Forbidden):
            core.session(dana.id).partners.users(link.id)
        assert [e.event.type for e in core.events.read(supplier.id)][-1] == "organization.upgraded"
    finally:
        fresh.engine.dispose()
