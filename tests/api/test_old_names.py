"""Old names kept for one release: each still works and warns ``DeprecationWarning``."""

from __future__ import annotations

import pytest

from leadcore import Leadcore, Session
from leadcore.errors import NotFound


@pytest.fixture
def s() -> Session:
    core = Leadcore.open()
    _, admin = core.create_organization("Agency", admin_name="Dana")
    return core.session(admin.id)


def test_users_add_is_users_create(s: Session) -> None:
    with pytest.warns(
        DeprecationWarning, match=r"UsersService\.add is renamed UsersService\.create"
    ):
        user = s.users.add("Omer", "qualifier")
    assert s.users.get(user.id).name == "Omer"


def test_users_delete_group_is_users_remove_group(s: Session) -> None:
    group = s.users.create_group("Night shift")
    with pytest.warns(
        DeprecationWarning, match=r"delete_group is renamed UsersService\.remove_group"
    ):
        s.users.delete_group(group.id)
    with pytest.raises(NotFound):
        s.users.group(group.id)


def test_the_event_lead_converted_is_lead_was_converted() -> None:
    import leadcore
    import leadcore.events

    with pytest.warns(DeprecationWarning, match=r"events\.LeadConverted is renamed"):
        old = leadcore.events.LeadConverted
    assert old is leadcore.events.LeadWasConverted
    assert old.type == "lead.converted"  # the stored type string did not change
    assert issubclass(leadcore.LeadConverted, PermissionError)  # the error keeps its name


def test_dispatch_field_value_is_filter_value() -> None:
    import leadcore.dispatch

    with pytest.warns(DeprecationWarning, match=r"dispatch\.FieldValue is renamed"):
        old = leadcore.dispatch.FieldValue
    assert old is leadcore.dispatch.FilterValue


@pytest.mark.parametrize(
    "name", ["exclusion", "make_choice", "pool_order_key", "rank_reference", "sort_key"]
)
def test_reference_helpers_left_the_public_dispatch_module(name: str) -> None:
    import leadcore.dispatch
    from leadcore.dispatch import _policy

    assert name not in leadcore.dispatch.__all__
    with pytest.warns(DeprecationWarning, match=rf"leadcore\.dispatch\.{name} moved to"):
        old = getattr(leadcore.dispatch, name)
    assert old is getattr(_policy, name)


def test_leads_list_status_and_category_are_status_ids_and_categories(s: Session) -> None:
    lead = s.leads.change_status(s.leads.create("Noa").id, "no_answer")
    s.leads.create("Itai")
    with pytest.warns(DeprecationWarning, match=r"LeadsService\.list: status= is now status_ids="):
        one = s.leads.list(status="no_answer")  # type: ignore[call-arg]
    assert [x.id for x in one.items] == [lead.id]
    with pytest.warns(DeprecationWarning, match=r"status= is now status_ids="):
        none = s.leads.list(status=None)  # type: ignore[call-arg]
    assert [x.name for x in none.items] == ["Itai"]
    with pytest.warns(DeprecationWarning, match=r"category= is now categories="):
        todo = s.leads.list(category="todo")  # type: ignore[call-arg]
    assert [x.id for x in todo.items] == [lead.id]
    with pytest.warns(DeprecationWarning, match=r"category= is now categories="):
        counts = s.leads.status_counts(category="todo")  # type: ignore[call-arg]
    assert counts == s.leads.status_counts(categories="todo")
    with pytest.raises(TypeError, match="not both"):
        s.leads.list(status="new", status_ids=["new"])  # type: ignore[call-arg]


def test_leads_assign_user_ids_is_assignee_ids(s: Session) -> None:
    lead = s.leads.create("Noa")
    with pytest.warns(DeprecationWarning, match=r"user_ids= is now assignee_ids="):
        assigned = s.leads.assign(lead.id, user_ids=[s.user_id])  # type: ignore[call-arg]
    assert assigned.assignee_ids == (s.user_id,)


def test_leads_block_number_is_add_blocked_number(s: Session) -> None:
    with pytest.warns(DeprecationWarning, match=r"block_number is renamed .*add_blocked_number"):
        number = s.leads.block_number("+972 52 555 1234")
    assert s.leads.blocked_numbers() == [number]
    with pytest.warns(
        DeprecationWarning, match=r"unblock_number is renamed .*remove_blocked_number"
    ):
        s.leads.unblock_number(number)
    assert s.leads.blocked_numbers() == []
