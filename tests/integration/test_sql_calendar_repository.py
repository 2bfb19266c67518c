"""The calendar repository on every SQL backend: the port's own tests, bounds, indexes.

The tests of the port written for the memory adapter
(``tests/unit/test_calendar_service_storage.py``) run here again on each SQL
backend, through this module's ``storage`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.integration.conftest import BACKENDS
from tests.unit import test_calendar_service_storage as port

from leadcore.storage.sql import SqlStorage

test_a_window_returns_series_that_began_long_before_it = (
    port.test_a_window_returns_series_that_began_long_before_it
)
test_a_window_filters_by_participants_and_clients = (
    port.test_a_window_filters_by_participants_and_clients
)
test_organisations_never_see_each_others_activities = (
    port.test_organisations_never_see_each_others_activities
)
test_update_is_compare_and_set_on_the_version = port.test_update_is_compare_and_set_on_the_version
test_two_units_of_work_changing_one_activity_conflict_at_commit = (
    port.test_two_units_of_work_changing_one_activity_conflict_at_commit
)
test_nothing_is_written_without_commit_and_a_moved_series_is_found_where_it_went = (
    port.test_nothing_is_written_without_commit_and_a_moved_series_is_found_where_it_went
)
test_in_use_sees_types_statuses_and_edited_occurrences = (
    port.test_in_use_sees_types_statuses_and_edited_occurrences
)
test_types_statuses_and_settings_are_none_until_stored = (
    port.test_types_statuses_and_settings_are_none_until_stored
)


@pytest.fixture(params=BACKENDS)
def storage(
    request: pytest.FixtureRequest, make_storage: Callable[[str], SqlStorage]
) -> SqlStorage:
    return make_storage(request.param)
