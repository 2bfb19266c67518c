"""The organisation a transaction acts in reaches PostgreSQL exactly, whatever its id holds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, text
from tests.integration.conftest import POSTGRES_ENV, server_url

from leadcore.errors import ValidationError
from leadcore.storage.sql import SETTING
from leadcore.storage.sql._backend import backend_for

IDS = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=200)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    found = create_engine(server_url(POSTGRES_ENV))
    yield found
    found.dispose()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(organization_id=IDS)
def test_set_local_names_exactly_the_organisation_for_the_transaction_only(
    engine: Engine, organization_id: str
) -> None:
    backend = backend_for(engine.url, row_level_security=True, timeout=5.0)
    with engine.connect() as connection:
        with connection.begin():
            backend.scope(connection, organization_id)
            read = text(f"SELECT current_setting('{SETTING}', true)")
            assert connection.execute(read).scalar_one() == organization_id
        assert connection.execute(read).scalar_one() in (None, "")


def test_an_id_set_local_cannot_hold_is_refused_naming_it(engine: Engine) -> None:
    backend = backend_for(engine.url, row_level_security=True, timeout=5.0)
    with engine.connect() as connection:
        for bad in ("", "a\x00b", "x" * 201):
            with pytest.raises(ValidationError, match="organization_id"):
                backend.scope(connection, bad)
