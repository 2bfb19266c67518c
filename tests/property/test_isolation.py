"""Isolation between organisations, from each organisation's own point of view.

Two agencies hold look-alike data (the same user names, group names,
partner names and status ids). Whatever either does, and in whatever order,
neither sees anything of the other: not in lists, not in counts, not by
asking for the other's ids, and not through error messages, which answer an
id of the other organisation exactly as they answer an id that never existed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from leadcore import (
    ConflictError,
    Leadcore,
    ManualClock,
    NotFound,
    PartnerKind,
    Role,
    Session,
    Workflow,
    sample_workflow,
)
from leadcore.ids import SequentialIds

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
NAMES = ["Dana", "Avi", "דנה"]
GROUP_NAMES = ["Night shift", "Day shift"]
PARTNER_NAMES = ["Leads Ltd", "Insure Co"]
FIRST_STATUS_NAMES = ["New", "חדש", "Nouveau"]
MAX_ORGANIZATIONS = 6
"""Partners are organisations too; past this many, no more are added (keeps runs short)."""
RECENT = 8
"""How many of the others' newest ids each organisation asks for after every step."""


def _variant(first_name: str) -> Workflow:
    """The sample workflow with the first status renamed: every variant has the same ids."""
    definition: dict[str, Any] = sample_workflow().to_dict()
    definition["status"][0]["name"] = first_name
    return Workflow.from_dict(definition)


VARIANTS = {name: _variant(name) for name in FIRST_STATUS_NAMES}


def _shape(exc: BaseException, ident: str) -> str:
    """An error message with the id asked for taken out."""
    return str(exc).replace(repr(ident), "<id>")


def _not_found_shape(call: Callable[[str], object], ident: str) -> str:
    try:
        call(ident)
    except NotFound as exc:
        return _shape(exc, ident)
    raise AssertionError(f"{ident!r} was found")


@attrs.define
class ModelUser:
    name: str
    role: Role
    active: bool = True


@attrs.define
class ModelPartnership:
    partner_org: str
    kind: PartnerKind
    counterpart: tuple[str, str]
    """(organisation id, partnership id) of the partner's record of the same link."""
    active: bool = True


@attrs.define
class Tenant:
    """What one organisation should see, and nothing more."""

    org_id: str
    users: dict[str, ModelUser]
    groups: dict[str, tuple[str, frozenset[str]]] = attrs.field(factory=dict)
    partnerships: dict[str, ModelPartnership] = attrs.field(factory=dict)
    first_status_names: list[str] = attrs.field(factory=lambda: ["New"])

    def managers(self) -> list[str]:
        return sorted(
            uid for uid, u in self.users.items() if u.active and u.role is Role.ACCOUNT_MANAGER
        )

    def ids(self) -> list[tuple[str, str]]:
        """(kind, id) of every record this organisation holds."""
        return (
            [("user", uid) for uid in self.users]
            + [("group", gid) for gid in self.groups]
            + [("partnership", pid) for pid in self.partnerships]
        )


class Isolation(RuleBasedStateMachine):
    """Two agencies named alike, with a Dana each, and the partners they add, side by side."""

    def __init__(self) -> None:
        super().__init__()
        self.core = Leadcore.open(clock=ManualClock(T0), ids=SequentialIds())
        self.tenants: dict[str, Tenant] = {}
        self.created: list[tuple[str, str, str]] = []
        """(organisation id, kind, id) of every record added, oldest first."""
        for _ in range(2):
            org, admin = self.core.create_organization("Agency", admin_name="Dana")
            self.tenants[org.id] = Tenant(
                org.id, {admin.id: ModelUser("Dana", Role.ACCOUNT_MANAGER)}
            )
            self.created.append((org.id, "user", admin.id))

    # -- helpers -------------------------------------------------------------------------------

    def _tenant(self, pick: int) -> Tenant:
        keys = sorted(self.tenants)
        return self.tenants[keys[pick % len(keys)]]

    def _as_manager(self, tenant: Tenant) -> Session:
        return self.core.session(tenant.managers()[0])

    @staticmethod
    def _pick(keys: list[str], pick: int) -> str | None:
        return sorted(keys)[pick % len(keys)] if keys else None

    def _foreign(self, tenant: Tenant) -> list[tuple[str, str]]:
        return [kid for t in self.tenants.values() if t is not tenant for kid in t.ids()]

    # -- rules ---------------------------------------------------------------------------------

    @rule(pick=st.integers(0, 99), name=st.sampled_from(NAMES), role=st.sampled_from(Role))
    def add_user(self, pick: int, name: str, role: Role) -> None:
        tenant = self._tenant(pick)
        user = self._as_manager(tenant).users.create(name, role)
        assert user.organization_id == tenant.org_id
        tenant.users[user.id] = ModelUser(name, role)
        self.created.append((tenant.org_id, "user", user.id))

    @rule(pick=st.integers(0, 99), who=st.integers(0, 99), role=st.sampled_from(Role))
    def set_role(self, pick: int, who: int, role: Role) -> None:
        tenant = self._tenant(pick)
        uid = self._pick(list(tenant.users), who)
        assert uid is not None
        user = tenant.users[uid]
        leaves_none = tenant.managers() == [uid] and role is not Role.ACCOUNT_MANAGER
        s = self._as_manager(tenant)
        if leaves_none:
            with pytest.raises(ConflictError):
                s.users.set_role(uid, role)
        else:
            s.users.set_role(uid, role)
            user.role = role

    @rule(pick=st.integers(0, 99), who=st.integers(0, 99), active=st.booleans())
    def set_active(self, pick: int, who: int, active: bool) -> None:
        tenant = self._tenant(pick)
        uid = self._pick(list(tenant.users), who)
        assert uid is not None
        leaves_none = tenant.managers() == [uid] and not active
        s = self._as_manager(tenant)
        if leaves_none:
            with pytest.raises(ConflictError):
                s.users.deactivate(uid)
        elif active:
            s.users.activate(uid)
            tenant.users[uid].active = True
        else:
            s.users.deactivate(uid)
            tenant.users[uid].active = False

    @rule(pick=st.integers(0, 99), name=st.sampled_from(GROUP_NAMES), members=st.integers(0, 7))
    def create_group(self, pick: int, name: str, members: int) -> None:
        tenant = self._tenant(pick)
        # A bit mask over the organisation's users chooses the members.
        chosen = frozenset(uid for i, uid in enumerate(sorted(tenant.users)) if members >> i & 1)
        group = self._as_manager(tenant).users.create_group(name, chosen)
        tenant.groups[group.id] = (name, chosen)
        self.created.append((tenant.org_id, "group", group.id))

    @rule(pick=st.integers(0, 99), which=st.integers(0, 99))
    def remove_group(self, pick: int, which: int) -> None:
        tenant = self._tenant(pick)
        gid = self._pick(list(tenant.groups), which)
        if gid is not None:
            self._as_manager(tenant).users.remove_group(gid)
            del tenant.groups[gid]

    @rule(pick=st.integers(0, 99), first=st.sampled_from(FIRST_STATUS_NAMES))
    def publish(self, pick: int, first: str) -> None:
        tenant = self._tenant(pick)
        published = self._as_manager(tenant).workflow.publish(VARIANTS[first])
        tenant.first_status_names.append(first)
        assert published.version == len(tenant.first_status_names)

    @precondition(lambda self: len(self.tenants) < MAX_ORGANIZATIONS)
    @rule(
        pick=st.integers(0, 99),
        kind=st.sampled_from(PartnerKind),
        name=st.sampled_from(PARTNER_NAMES),
    )
    def add_partner(self, pick: int, kind: PartnerKind, name: str) -> None:
        tenant = self._tenant(pick)
        s = self._as_manager(tenant)
        add = s.partners.add_supplier if kind is PartnerKind.SUPPLIER else s.partners.add_advertiser
        org, admin = add(name, admin_name="Dana")
        [mine] = [p for p in s.partners.list() if p.partner_id == org.id]
        [theirs] = self.core.session(admin.id).partners.list()
        partner = Tenant(org.id, {admin.id: ModelUser("Dana", Role.ACCOUNT_MANAGER)})
        tenant.partnerships[mine.id] = ModelPartnership(org.id, kind, (org.id, theirs.id))
        partner.partnerships[theirs.id] = ModelPartnership(
            tenant.org_id, kind.reverse, (tenant.org_id, mine.id)
        )
        self.tenants[org.id] = partner
        self.created += [
            (tenant.org_id, "partnership", mine.id),
            (org.id, "partnership", theirs.id),
            (org.id, "user", admin.id),
        ]

    @rule(pick=st.integers(0, 99), which=st.integers(0, 99), active=st.booleans())
    def set_partnership_active(self, pick: int, which: int, active: bool) -> None:
        tenant = self._tenant(pick)
        pid = self._pick(list(tenant.partnerships), which)
        if pid is None:
            return
        s = self._as_manager(tenant)
        (s.partners.activate if active else s.partners.deactivate)(pid)
        mine = tenant.partnerships[pid]
        mine.active = active
        other_org, other_pid = mine.counterpart
        self.tenants[other_org].partnerships[other_pid].active = active

    @rule(pick=st.integers(0, 99), which=st.integers(0, 999))
    def act_on_a_foreign_id(self, pick: int, which: int) -> None:
        """Every attempt to read or change another organisation's record is a plain NotFound."""
        tenant = self._tenant(pick)
        foreign = self._foreign(tenant)
        if not foreign:
            return
        kind, fid = foreign[which % len(foreign)]
        unknown = f"{kind}-999999"
        s = self._as_manager(tenant)
        attempts: dict[str, list[Callable[[str], object]]] = {
            "user": [
                s.users.get,
                s.users.permissions,
                s.users.deactivate,
                lambda i: s.users.set_role(i, Role.QUALIFIER),
                lambda i: s.users.create_group("Night shift", [i]),
            ],
            "group": [s.users.group, s.users.remove_group, s.users.add_to_group],
            "partnership": [s.partners.get, s.partners.deactivate, s.partners.activate],
        }
        for attempt in attempts[kind]:
            assert _not_found_shape(attempt, fid) == _not_found_shape(attempt, unknown)

    # -- what each organisation sees -------------------------------------------------------------

    @invariant()
    def each_organization_sees_exactly_its_own_records(self) -> None:
        for tenant in self.tenants.values():
            s = self._as_manager(tenant)
            assert s.organization_id == tenant.org_id
            users = s.users.list()
            assert {u.id: ModelUser(u.name, u.role, u.active) for u in users} == tenant.users
            assert all(u.organization_id == tenant.org_id for u in users)
            groups = s.users.groups()
            assert {g.id: (g.name, g.member_ids) for g in groups} == tenant.groups
            assert all(g.organization_id == tenant.org_id for g in groups)
            partnerships = s.partners.list()
            assert {p.id: (p.partner_id, p.kind, p.active) for p in partnerships} == {
                pid: (m.partner_org, m.kind, m.active) for pid, m in tenant.partnerships.items()
            }
            versions = s.workflow.versions()
            assert [wf.status("new").name for wf in versions] == tenant.first_status_names
            assert s.workflow.current().status("new").name == tenant.first_status_names[-1]

    @invariant()
    def another_organization_s_ids_read_like_ids_that_never_existed(self) -> None:
        for tenant in self.tenants.values():
            s = self._as_manager(tenant)
            reads: dict[str, Callable[[str], object]] = {
                "user": s.users.get,
                "group": s.users.group,
                "partnership": s.partners.get,
            }
            unknown = {
                kind: _not_found_shape(read, f"{kind}-999999") for kind, read in reads.items()
            }
            # The newest records of the others; act_on_a_foreign_id probes older ones.
            recent = [(k, i) for org, k, i in reversed(self.created) if org != tenant.org_id]
            for kind, fid in recent[:RECENT]:
                assert _not_found_shape(reads[kind], fid) == unknown[kind]

    @invariant()
    def every_user_acts_in_their_own_organization_only(self) -> None:
        for tenant in self.tenants.values():
            for uid, user in tenant.users.items():
                if user.active:
                    assert self.core.session(uid).organization_id == tenant.org_id


Isolation.TestCase.settings = settings(
    Isolation.TestCase.settings, max_examples=25, stateful_step_count=20
)
test_no_organization_ever_sees_another_s_records = Isolation.TestCase


# -- a fixed scene, for reading ----------------------------------------------------------------


def test_two_look_alike_agencies_each_see_only_their_own() -> None:
    core = Leadcore.open(clock=ManualClock(T0), ids=SequentialIds())
    sessions = []
    for first in ("New", "חדש"):
        _, admin = core.create_organization("Agency", admin_name="Dana")
        s = core.session(admin.id)
        s.users.create("Avi", Role.QUALIFIER)
        s.users.create_group("Night shift", [admin.id])
        s.partners.add_supplier("Leads Ltd", admin_name="Sam")
        s.workflow.publish(VARIANTS[first])
        sessions.append(s)
    a, b = sessions
    for me, other in ((a, b), (b, a)):
        mine = {u.id for u in me.users.list()}
        theirs = {u.id for u in other.users.list()}
        assert len(mine) == len(theirs) == 2
        assert not mine & theirs
        assert [u.name for u in me.users.list()] == ["Avi", "Dana"]
        assert [g.id for g in me.users.groups()] != [g.id for g in other.users.groups()]
        assert len(me.partners.list()) == 1
        for uid in theirs:
            assert _not_found_shape(me.users.get, uid) == _not_found_shape(
                me.users.get, "user-999999"
            )
    assert a.workflow.current().status("new").name == "New"
    assert b.workflow.current().status("new").name == "חדש"
    assert a.workflow.current().status_ids == b.workflow.current().status_ids
