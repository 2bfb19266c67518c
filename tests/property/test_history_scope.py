"""The history scope: whose entries a user sees, under every scope and any groups."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from leadcore.dispatch import HistoryScope, ProjectRules
from leadcore.dispatch._rules import history_authors

USERS = [f"u{i}" for i in range(6)]
_GROUPS = st.lists(st.frozensets(st.sampled_from(USERS)), max_size=4)


@given(
    scope=st.sampled_from(HistoryScope),
    user=st.sampled_from(USERS),
    groups=_GROUPS,
    authors=st.lists(st.sampled_from(USERS), max_size=12),
    sees_team=st.booleans(),
)
def test_a_user_sees_exactly_the_entries_their_scope_allows(
    scope: HistoryScope,
    user: str,
    groups: list[frozenset[str]],
    authors: list[str],
    sees_team: bool,
) -> None:
    allowed = history_authors(scope, user, groups, sees_team_history=sees_team)
    seen = [a for a in authors if allowed is None or a in allowed]
    if sees_team or scope is HistoryScope.ALL:
        expected = authors
    elif scope is HistoryScope.OWN:
        expected = [a for a in authors if a == user]
    else:
        expected = [a for a in authors if a == user or any(user in g and a in g for g in groups)]
    assert seen == expected
    # A user always sees their own entries, and the group scope is never narrower than own.
    assert all(a in seen for a in authors if a == user)
    own = history_authors(HistoryScope.OWN, user, groups, sees_team_history=sees_team)
    group = history_authors(HistoryScope.GROUP, user, groups, sees_team_history=sees_team)
    assert own is None or group is None or own <= group


@given(scope=st.sampled_from(HistoryScope))
def test_every_history_scope_round_trips_as_plain_data(scope: HistoryScope) -> None:
    rules = ProjectRules(history_scope=scope)
    assert ProjectRules.from_dict(rules.to_dict()) == rules
    assert rules.to_dict()["history_scope"] == scope.value
