"""The e-mail log on SQL storage: drawn text round-trips exactly, or is refused and not stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from tests.integration.conftest import empty_database
from tests.property.test_email_log import TEXT, check_text_round_trip

from leadcore import Leadcore
from leadcore.storage.sql import SqlStorage


@pytest.mark.parametrize("backend", ["sqlite-memory", "postgresql", "mariadb"])
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(subject=TEXT, body=TEXT, attachment=TEXT, local=TEXT)
def test_logged_text_comes_back_exactly_or_is_refused_on_sql(
    backend: str, tmp_path: Path, subject: str, body: str, attachment: str, local: str
) -> None:
    with empty_database(backend, tmp_path) as url:
        storage = SqlStorage(url, create=True)
        try:
            check_text_round_trip(Leadcore(storage=storage), subject, body, attachment, local)
        finally:
            storage.engine.dispose()
