"""Every change a service commits records its events, with what a subscriber needs.

One table drives the tests: each row is a service call, and the events it
must record, organisation by organisation, with every data field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.dispatch import Claim, Pool, ProjectRules
from leadcore.errors import (
    ConflictError,
    Forbidden,
    LeadConverted,
    NotFound,
    TransitionRefused,
    ValidationError,
)
from leadcore.events import (
    EVENT_TYPES,
    AccountCreated,
    CallLogged,
    ContactAdded,
    DoNotCallChanged,
    EmailLogged,
    Event,
    GroupChanged,
    LeadAssigned,
    LeadClaimed,
    LeadCreated,
    LeadDuplicateFlagged,
    LeadImported,
    LeadSettingsChanged,
    LeadUnconverted,
    LeadUpdated,
    LeadWasConverted,
    LeaseExpired,
    LeaseReleased,
    NoteAdded,
    OpportunityCreated,
    OrganizationCreated,
    OrganizationUpgraded,
    PartnerAdded,
    PartnershipChanged,
    PoolsChanged,
    ProjectChanged,
    RolePermissionsChanged,
    StatusChanged,
    TaskCompleted,
    TaskCreated,
    UserAdded,
    UserChanged,
    WorkflowPublished,
)
from leadcore.ids import SequentialIds
from leadcore.leads import Lead, LeadSettings, TaskDraft, TaskKind
from leadcore.tenancy import Organization
from leadcore.workflow import sample_workflow

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WHEN = START + timedelta(days=1, minutes=7)
"""The clock during the call under test (setup runs at START)."""

ENVELOPE = {"event_id", "organization_id", "occurred_at", "actor_id"}


@attrs.define
class World:
    """An organisation with an admin, a salesperson, a lead in ``new``, a task and a partner."""

    core: Leadcore
    clock: ManualClock
    s: Session
    seller: Session
    lead: Lead
    task_id: str
    group_id: str
    supplier_org: str
    partnership_id: str
    marks: dict[str, int] = attrs.Factory(dict)
    claim: Claim | None = None
    """The claim a dispatch row's preparation took."""

    @property
    def org(self) -> str:
        return self.s.organization_id

    @property
    def admin(self) -> str:
        return self.s.user_id

    def heads(self) -> dict[str, int]:
        with self.core.storage.unit_of_work() as uow:
            return dict(uow.events.heads())

    def recorded(self) -> dict[str, list[Event]]:
        """Events recorded since the marks, by organisation (organisations without any left out)."""
        out: dict[str, list[Event]] = {}
        for org in self.heads():
            found = [e.event for e in self.core.events.read(org, after=self.marks.get(org, 0))]
            if found:
                out[org] = found
        return out


def make_world() -> World:
    clock = ManualClock(START)
    core = Leadcore.open(clock=clock, ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Dana", default_region="IL")
    s = core.session(admin.id)
    seller = core.session(s.users.create("Avi", "salesperson").id)
    lead = s.leads.create("Yossi", phones=["050-555-1234"], emails=["yossi@example.com"])
    lead = s.leads.change_status(lead.id, "new")
    task = s.leads.add_task(lead.id, TaskDraft("Call back", due_in=timedelta(hours=2)))
    group = s.users.create_group("Night shift", [admin.id])
    supplier, _ = s.partners.add_supplier("Leads Ltd", admin_name="Sami")
    partnership = s.partners.list()[0]
    w = World(core, clock, s, seller, lead, task.id, group.id, supplier.id, partnership.id)
    w.marks = w.heads()
    clock.set(WHEN)
    return w


@pytest.fixture
def world() -> World:
    return make_world()


@attrs.frozen
class Expected:
    """One event a call must record: its class, organisation, actor and every data field."""

    cls: type[Event]
    fields: dict[str, Any]
    org: str | None = None
    """``None``: the acting organisation."""
    actor: str | bool | None = True
    """``True``: the acting user; otherwise the actor id expected (``None``: the system)."""


Act = Callable[[World], Any]
Expect = Callable[[World, Any], list[Expected]]


@attrs.frozen
class Case:
    """A service call, the events it must record, and what runs before it (recording ignored)."""

    act: Act
    expect: Expect
    prepare: Callable[[World], object] | None = None
    in_any_order: bool = False
    """The events of one organisation may come in any order (leads a migration moves)."""


def new_org_events(
    w: World, org_id: str, admin_id: str, *, created_by: str | None
) -> list[Expected]:
    admin = w.core.session(admin_id).users.me()
    org = _org(w, org_id)
    return [
        Expected(
            OrganizationCreated,
            {
                "name": org.name,
                "kind": str(org.kind),
                "admin_id": admin_id,
                "created_by": created_by,
            },
            org=org_id,
            actor=None,
        ),
        Expected(
            UserAdded,
            {"user_id": admin_id, "name": admin.name, "role": "account_manager"},
            org=org_id,
            actor=None,
        ),
        Expected(
            WorkflowPublished,
            {"kind": "leads", "workflow_id": "sales", "version": 1, "migrated_leads": 0},
            org=org_id,
            actor=None,
        ),
    ]


def _org(w: World, org_id: str) -> Organization:
    with w.core.storage.unit_of_work() as uow:
        org = uow.organizations.get(org_id)
    assert org is not None
    return org


def lead_created(lead: Lead, **overrides: Any) -> Expected:
    fields = {
        "lead_id": lead.id,
        "name": lead.name,
        "phones": lead.phones,
        "emails": lead.emails,
        "channel": lead.source.channel,
        "supplier_id": lead.source.supplier_id,
        "project_id": lead.project_id,
        "duplicate_of": lead.duplicate_of,
        "do_not_call": lead.do_not_call,
    }
    return Expected(LeadCreated, fields | overrides)


def status_changed(
    lead_id: str, from_status: str | None, to_status: str | None, **more: Any
) -> Expected:
    fields = {
        "lead_id": lead_id,
        "from_status": from_status,
        "to_status": to_status,
        "workflow_version": 1,
        "reason": "change",
        "note_id": None,
        "task_id": None,
    }
    return Expected(StatusChanged, fields | more)


def user_changed(w: World, user_id: str, change: str) -> list[Expected]:
    user = w.s.users.get(user_id)
    return [
        Expected(
            UserChanged,
            {"user_id": user_id, "change": change, "role": str(user.role), "active": user.active},
        )
    ]


def partnership_changed(w: World, active: bool) -> list[Expected]:
    theirs = w.core.session(_admin_of(w, w.supplier_org)).partners.list()[0]
    return [
        Expected(
            PartnershipChanged,
            {"partnership_id": w.partnership_id, "partner_id": w.supplier_org, "active": active},
        ),
        Expected(
            PartnershipChanged,
            {"partnership_id": theirs.id, "partner_id": w.org, "active": active},
            org=w.supplier_org,
            actor=None,
        ),
    ]


def _partner_user(w: World) -> str:
    return next(u.id for u in w.s.partners.users(w.partnership_id) if u.name == "Rami")


def partner_user_changed(w: World, user_id: str, change: str) -> list[Expected]:
    return [
        Expected(
            UserChanged,
            {
                "user_id": user_id,
                "change": change,
                "role": "qualifier",
                "active": change == "activated",
            },
            org=w.supplier_org,
            actor=None,
        )
    ]


def _admin_of(w: World, org_id: str) -> str:
    with w.core.storage.unit_of_work() as uow:
        return uow.users.list(org_id)[0].id


def added_partner(w: World, result: Any, kind: str, reverse: str) -> list[Expected]:
    org, admin = result
    mine = next(p for p in w.s.partners.list() if p.partner_id == org.id)
    theirs = w.core.session(admin.id).partners.list()[0]
    return [
        *new_org_events(w, org.id, admin.id, created_by=w.org),
        Expected(
            PartnerAdded,
            {
                "partnership_id": mine.id,
                "partner_id": org.id,
                "partner_name": org.name,
                "kind": kind,
            },
        ),
        Expected(
            PartnerAdded,
            {
                "partnership_id": theirs.id,
                "partner_id": w.org,
                "partner_name": "Agency",
                "kind": reverse,
            },
            org=org.id,
            actor=None,
        ),
    ]


def without(*removed: str) -> dict[str, Any]:
    data: dict[str, Any] = sample_workflow().to_dict()
    data["status"] = [st for st in data["status"] if st["id"] not in removed]
    for st in data["status"]:
        st["next"] = [n for n in st["next"] if n not in removed]
    return data


def _convert(w: World) -> Any:
    return w.s.leads.convert(w.lead.id, status_id="not_relevant", opportunity_name="Deal")


def _converted(w: World, c: Any) -> list[Expected]:
    return [
        status_changed(w.lead.id, "new", "not_relevant", reason="conversion"),
        Expected(
            AccountCreated,
            {
                "account_id": c.account_id,
                "name": w.lead.name,
                "duplicate_of": None,
                "lead_id": w.lead.id,
            },
        ),
        Expected(
            ContactAdded,
            {
                "account_id": c.account_id,
                "contact_id": c.contact_id,
                "duplicate_of": None,
                "lead_id": w.lead.id,
            },
        ),
        Expected(
            WorkflowPublished,
            {
                "kind": "opportunities",
                "workflow_id": "opportunities",
                "version": 1,
                "migrated_leads": 0,
            },
        ),
        Expected(
            OpportunityCreated,
            {
                "opportunity_id": c.opportunity_id,
                "account_id": c.account_id,
                "stage_id": "prospecting",
                "workflow_version": 1,
                "lead_id": w.lead.id,
            },
        ),
        Expected(
            LeadWasConverted,
            {
                "lead_id": w.lead.id,
                "conversion_id": c.id,
                "contact_id": c.contact_id,
                "account_id": c.account_id,
                "account_created": True,
                "opportunity_id": c.opportunity_id,
            },
        ),
    ]


def _unconverted(w: World, _: Any) -> list[Expected]:
    conversion = w.s.leads.lineage(w.lead.id).conversions[0]
    return [
        Expected(
            LeadUnconverted,
            {"lead_id": w.lead.id, "conversion_id": conversion.id, "reason": "signed by mistake"},
        ),
        status_changed(w.lead.id, "not_relevant", "new", reason="unconversion"),
    ]


def _before_migration(w: World) -> None:
    other = w.s.leads.create("Rina")
    w.s.leads.change_status(other.id, "no_answer")
    w.s.leads.change_status(w.lead.id, "no_answer")


def _migrated(w: World, _: Any) -> list[Expected]:
    ids = [lead.id for lead in w.s.leads.list(limit=100).items if lead.name in {"Yossi", "Rina"}]
    moves = [
        status_changed(lead_id, "no_answer", "new", workflow_version=2, reason="migration")
        for lead_id in ids
    ]
    return [
        *moves,
        Expected(
            WorkflowPublished,
            {"kind": "leads", "workflow_id": "sales", "version": 2, "migrated_leads": 2},
        ),
    ]


def _imported(w: World, report: Any) -> list[Expected]:
    created = [w.s.leads.get(r.lead_id) for r in report.rows if r.lead_id is not None]
    first, dup = created
    return [
        lead_created(first),
        lead_created(dup),
        Expected(LeadDuplicateFlagged, {"lead_id": dup.id, "duplicate_of": w.lead.id}),
        Expected(
            LeadImported,
            {"rows": 3, "created": 1, "duplicates": 1, "blacklisted": 0, "invalid": 1},
        ),
    ]


def _org_created(w: World) -> Any:
    return w.core.create_organization("Call centre", admin_name="Noa")


CASES: dict[str, Case] = {
    # -- tenancy ---------------------------------------------------------------------
    "create_organization": Case(
        _org_created,
        lambda w, r: new_org_events(w, r[0].id, r[1].id, created_by=None),
    ),
    "users.create": Case(
        lambda w: w.s.users.create("Miri", "qualifier"),
        lambda w, u: [Expected(UserAdded, {"user_id": u.id, "name": "Miri", "role": "qualifier"})],
    ),
    "users.set_role": Case(
        lambda w: w.s.users.set_role(w.seller.user_id, "sales_manager"),
        lambda w, u: user_changed(w, u.id, "role"),
    ),
    "users.grant": Case(
        lambda w: w.s.users.grant(w.seller.user_id, "see_all_leads"),
        lambda w, u: user_changed(w, u.id, "permissions"),
    ),
    "users.revoke": Case(
        lambda w: w.s.users.revoke(w.seller.user_id, "create_leads"),
        lambda w, u: user_changed(w, u.id, "permissions"),
    ),
    "users.reset_permissions": Case(
        lambda w: w.s.users.reset_permissions(w.seller.user_id),
        lambda w, u: user_changed(w, u.id, "permissions"),
    ),
    "users.deactivate": Case(
        lambda w: w.s.users.deactivate(w.seller.user_id),
        lambda w, u: user_changed(w, u.id, "deactivated"),
    ),
    "users.activate": Case(
        lambda w: w.s.users.activate(w.seller.user_id),
        lambda w, u: user_changed(w, u.id, "activated"),
        prepare=lambda w: w.s.users.deactivate(w.seller.user_id),
    ),
    "users.set_role_permissions": Case(
        lambda w: w.s.users.set_role_permissions("qualifier", ["see_all_leads", "edit_leads"]),
        lambda w, _: [
            Expected(
                RolePermissionsChanged,
                {"role": "qualifier", "permissions": ("edit_leads", "see_all_leads")},
            )
        ],
    ),
    "users.create_group": Case(
        lambda w: w.s.users.create_group("Day shift", [w.seller.user_id]),
        lambda w, g: [
            Expected(
                GroupChanged,
                {
                    "group_id": g.id,
                    "name": "Day shift",
                    "change": "created",
                    "member_ids": (w.seller.user_id,),
                },
            )
        ],
    ),
    "users.add_to_group": Case(
        lambda w: w.s.users.add_to_group(w.group_id, w.seller.user_id),
        lambda w, g: [
            Expected(
                GroupChanged,
                {
                    "group_id": g.id,
                    "name": "Night shift",
                    "change": "members",
                    "member_ids": tuple(sorted([w.admin, w.seller.user_id])),
                },
            )
        ],
    ),
    "users.remove_from_group": Case(
        lambda w: w.s.users.remove_from_group(w.group_id, w.admin),
        lambda w, g: [
            Expected(
                GroupChanged,
                {"group_id": g.id, "name": "Night shift", "change": "members", "member_ids": ()},
            )
        ],
    ),
    "users.remove_group": Case(
        lambda w: w.s.users.remove_group(w.group_id),
        lambda w, _: [
            Expected(
                GroupChanged,
                {
                    "group_id": w.group_id,
                    "name": "Night shift",
                    "change": "deleted",
                    "member_ids": (w.admin,),
                },
            )
        ],
    ),
    "partners.add_supplier": Case(
        lambda w: w.s.partners.add_supplier("Media Co", admin_name="Lior"),
        lambda w, r: added_partner(w, r, "supplier", "advertiser"),
    ),
    "partners.add_advertiser": Case(
        lambda w: w.s.partners.add_advertiser("Insure Inc", admin_name="Gal"),
        lambda w, r: added_partner(w, r, "advertiser", "supplier"),
    ),
    "partners.deactivate": Case(
        lambda w: w.s.partners.deactivate(w.partnership_id),
        lambda w, _: partnership_changed(w, False),
    ),
    "partners.activate": Case(
        lambda w: w.s.partners.activate(w.partnership_id),
        lambda w, _: partnership_changed(w, True),
        prepare=lambda w: w.s.partners.deactivate(w.partnership_id),
    ),
    "upgrade_organization": Case(
        lambda w: w.core.upgrade_organization(w.supplier_org),
        lambda w, _: [
            Expected(
                OrganizationUpgraded,
                {"upgraded_id": w.supplier_org, "created_by": w.org},
                org=org,
                actor=None,
            )
            for org in (w.supplier_org, w.org)
        ],
        in_any_order=True,
    ),
    "partners.create_user": Case(
        lambda w: w.s.partners.create_user(w.partnership_id, "Rami", "qualifier"),
        lambda w, user: [
            Expected(
                UserAdded,
                {"user_id": user.id, "name": "Rami", "role": "qualifier"},
                org=w.supplier_org,
                actor=None,
            )
        ],
    ),
    "partners.deactivate_user": Case(
        lambda w: w.s.partners.deactivate_user(w.partnership_id, _partner_user(w)),
        lambda w, user: partner_user_changed(w, user.id, "deactivated"),
        prepare=lambda w: w.s.partners.create_user(w.partnership_id, "Rami", "qualifier"),
    ),
    "partners.activate_user": Case(
        lambda w: w.s.partners.activate_user(w.partnership_id, _partner_user(w)),
        lambda w, user: partner_user_changed(w, user.id, "activated"),
        prepare=lambda w: w.s.partners.deactivate_user(
            w.partnership_id, w.s.partners.create_user(w.partnership_id, "Rami", "qualifier").id
        ),
    ),
    "emails.create": Case(
        lambda w: w.s.emails.create(
            "out", "dana@agency.example", ["yossi@example.com"], "Quote", WHEN, clients=[w.lead.id]
        ),
        lambda w, email: [
            Expected(
                EmailLogged,
                {
                    "email_id": email.id,
                    "direction": "out",
                    "clients": (f"lead:{w.lead.id}",),
                    "activity_ids": (),
                },
            )
        ],
    ),
    # -- workflow --------------------------------------------------------------------
    "workflow.publish": Case(
        lambda w: w.s.workflow.publish(without("meeting")),
        lambda w, _: [
            Expected(
                WorkflowPublished,
                {"kind": "leads", "workflow_id": "sales", "version": 2, "migrated_leads": 0},
            )
        ],
    ),
    "workflow.publish with a migration": Case(
        lambda w: w.s.workflow.publish(without("no_answer"), migration={"no_answer": "new"}),
        _migrated,
        prepare=_before_migration,
        in_any_order=True,
    ),
    # -- projects, settings, do-not-call ------------------------------------------------
    "leads.create_project": Case(
        lambda w: w.s.leads.create_project("Solar"),
        lambda w, p: [
            Expected(ProjectChanged, {"project_id": p.id, "name": "Solar", "created": True})
        ],
    ),
    "leads.update_project": Case(
        lambda w: w.s.leads.update_project(w.s.leads.projects()[0].id, name="Wind"),
        lambda w, p: [
            Expected(ProjectChanged, {"project_id": p.id, "name": "Wind", "created": False})
        ],
        prepare=lambda w: w.s.leads.create_project("Solar"),
    ),
    "leads.set_settings": Case(
        lambda w: w.s.leads.set_settings(LeadSettings(duplicate_window=None)),
        lambda w, _: [Expected(LeadSettingsChanged, {"fields": ("duplicate_window",)})],
    ),
    "leads.add_blocked_number": Case(
        lambda w: w.s.leads.add_blocked_number("052-345-6789"),
        lambda w, n: [Expected(DoNotCallChanged, {"number": "+972523456789", "blocked": True})],
    ),
    "leads.remove_blocked_number": Case(
        lambda w: w.s.leads.remove_blocked_number("052-345-6789"),
        lambda w, _: [Expected(DoNotCallChanged, {"number": "+972523456789", "blocked": False})],
        prepare=lambda w: w.s.leads.add_blocked_number("052-345-6789"),
    ),
    # -- leads -------------------------------------------------------------------------
    "leads.create": Case(
        lambda w: w.s.leads.create("Rina", phones=["052-345-6789"], channel="facebook"),
        lambda w, lead: [lead_created(lead, channel="facebook")],
    ),
    "leads.create a duplicate": Case(
        lambda w: w.s.leads.create("Yossi again", phones=["+972-50-555-1234"]),
        lambda w, lead: [
            lead_created(lead, duplicate_of=w.lead.id),
            Expected(LeadDuplicateFlagged, {"lead_id": lead.id, "duplicate_of": w.lead.id}),
        ],
    ),
    "leads.import_many": Case(
        lambda w: w.s.leads.import_many(
            [
                {"name": "Fresh", "phone": "052-345-6789"},
                {"name": "Again", "phone": "050-555-1234"},
                {"name": ""},
            ]
        ),
        _imported,
    ),
    "leads.change_status": Case(
        lambda w: w.s.leads.change_status(w.lead.id, "no_answer"),
        lambda w, _: [status_changed(w.lead.id, "new", "no_answer")],
    ),
    "leads.change_status with a note": Case(
        lambda w: w.s.leads.change_status(w.lead.id, "contacted", note="Interested"),
        lambda w, _: _with_note(w, "contacted", "Interested"),
    ),
    "leads.change_status with a task": Case(
        lambda w: w.s.leads.change_status(
            w.lead.id, "callback", task=TaskDraft("Ring", due_at=WHEN + timedelta(hours=3))
        ),
        lambda w, _: _with_task(w),
    ),
    "leads.change_status_many": Case(
        lambda w: w.s.leads.change_status_many([w.lead.id, "lead-404"], "no_answer"),
        lambda w, _: [status_changed(w.lead.id, "new", "no_answer")],
    ),
    "leads.add_note": Case(
        lambda w: w.s.leads.add_note(w.lead.id, "  Wants a call on Sunday "),
        lambda w, n: [
            Expected(
                NoteAdded, {"lead_id": w.lead.id, "note_id": n.id, "text": "Wants a call on Sunday"}
            )
        ],
    ),
    "leads.add_task": Case(
        lambda w: w.s.leads.add_task(
            w.lead.id,
            TaskDraft(
                "Send offer",
                due_in=timedelta(days=1),
                kind=TaskKind.CALLBACK,
                assignee_id=w.seller.user_id,
            ),
        ),
        lambda w, t: [
            Expected(
                TaskCreated,
                {
                    "lead_id": w.lead.id,
                    "task_id": t.id,
                    "title": "Send offer",
                    "due_at": WHEN + timedelta(days=1),
                    "assignee_id": w.seller.user_id,
                    "kind": "callback",
                },
            )
        ],
    ),
    "leads.complete_task": Case(
        lambda w: w.s.leads.complete_task(w.task_id),
        lambda w, t: [Expected(TaskCompleted, {"lead_id": w.lead.id, "task_id": t.id})],
    ),
    "leads.assign": Case(
        lambda w: w.s.leads.assign(w.lead.id, [w.seller.user_id]),
        lambda w, _: [
            Expected(LeadAssigned, {"lead_id": w.lead.id, "assignee_ids": (w.seller.user_id,)})
        ],
    ),
    "leads.update": Case(
        lambda w: w.s.leads.update(w.lead.id, name="Yossi Cohen", emails=[]),
        lambda w, _: [Expected(LeadUpdated, {"lead_id": w.lead.id, "fields": ("emails", "name")})],
    ),
    "leads.convert": Case(_convert, _converted),
    "leads.unconvert": Case(
        lambda w: w.s.leads.unconvert(w.lead.id, reason="signed by mistake"),
        _unconverted,
        prepare=lambda w: w.s.leads.convert(w.lead.id, status_id="not_relevant"),
    ),
    # -- dispatch ---------------------------------------------------------------------
    "dispatch.set_pools": Case(
        lambda w: w.s.dispatch.set_pools(
            w.s.leads.projects()[0].id,
            [Pool("hot", "project", "Hot"), Pool("cold", "general", "Cold")],
        ),
        lambda w, _: [
            Expected(
                PoolsChanged,
                {"project_id": w.s.leads.projects()[0].id, "pool_ids": ("hot", "cold")},
            )
        ],
        prepare=lambda w: w.s.leads.create_project("Solar", member_ids=[w.admin]),
    ),
    "dispatch.next": Case(
        lambda w: w.s.dispatch.next(w.s.leads.projects()[0].id),
        lambda w, claim: [claimed(w, claim)],
        prepare=lambda w: _dispatching(w, claim=False),
    ),
    "dispatch.next after a lease expired": Case(
        lambda w: w.s.dispatch.next(w.s.leads.projects()[0].id),
        lambda w, claim: [
            Expected(
                LeaseExpired,
                {
                    "lead_id": claim.lead_id,
                    "agent_id": w.admin,
                    "token": 1,
                    "expired_at": START + timedelta(hours=1, minutes=10),
                },
            ),
            claimed(w, claim),
        ],
        prepare=lambda w: _dispatching(w, claim=True, window=10),
    ),
    "dispatch.log_call": Case(
        lambda w: w.s.dispatch.log_call(
            _claimed(w).lead_id, _claimed(w).token, outcome="no_answer", note=" busy "
        ),
        lambda w, lease: [
            Expected(
                NoteAdded,
                {
                    "lead_id": _claimed(w).lead_id,
                    "note_id": w.s.leads.notes(_claimed(w).lead_id)[-1].id,
                    "text": "busy",
                },
            ),
            Expected(
                CallLogged,
                {
                    "lead_id": _claimed(w).lead_id,
                    "agent_id": w.admin,
                    "token": _claimed(w).token,
                    "attempts": 1,
                    "outcome": "no_answer",
                    "expires_at": lease.expires_at,
                },
            ),
        ],
        prepare=lambda w: _dispatching(w, claim=True),
    ),
    "dispatch.release": Case(
        lambda w: w.s.dispatch.release(_claimed(w).lead_id, _claimed(w).token),
        lambda w, _: [
            Expected(
                LeaseReleased,
                {"lead_id": _claimed(w).lead_id, "agent_id": w.admin, "token": _claimed(w).token},
            )
        ],
        prepare=lambda w: _dispatching(w, claim=True),
    ),
    "dispatch.change_status": Case(
        lambda w: w.s.dispatch.change_status(_claimed(w).lead_id, _claimed(w).token, "new"),
        lambda w, _: [status_changed(_claimed(w).lead_id, None, "new")],
        prepare=lambda w: _dispatching(w, claim=True),
    ),
    "dispatch.add_note": Case(
        lambda w: w.s.dispatch.add_note(_claimed(w).lead_id, _claimed(w).token, "hello"),
        lambda w, note: [
            Expected(
                NoteAdded, {"lead_id": _claimed(w).lead_id, "note_id": note.id, "text": "hello"}
            )
        ],
        prepare=lambda w: _dispatching(w, claim=True),
    ),
}


def _dispatching(w: World, *, claim: bool, window: int = 3 * 24 * 60) -> None:
    """A project the admin works in, with a pool holding one lead; claim it if asked."""
    project = w.s.leads.create_project(
        "Solar", rules=ProjectRules(lock_window_minutes=window), member_ids=[w.admin]
    )
    w.s.dispatch.set_pools(project.id, [Pool("hot", "project", "Hot")])
    w.s.leads.create("Dina", phones=["054-555-0000"], project_id=project.id, pool_id="hot")
    if claim:
        w.claim = w.s.dispatch.next(project.id)


def _claimed(w: World) -> Claim:
    assert w.claim is not None
    return w.claim


def claimed(w: World, claim: Claim) -> Expected:
    return Expected(
        LeadClaimed,
        {
            "project_id": w.s.leads.projects()[0].id,
            "lead_id": claim.lead_id,
            "agent_id": w.admin,
            "token": claim.token,
            "expires_at": claim.expires_at,
            "exclusive": True,
            "tier": str(claim.tier),
            "rule": str(claim.rule),
            "pool_id": "hot",
        },
    )


def _with_note(w: World, target: str, text: str) -> list[Expected]:
    note = w.s.leads.notes(w.lead.id)[-1]
    return [
        Expected(NoteAdded, {"lead_id": w.lead.id, "note_id": note.id, "text": text}),
        status_changed(w.lead.id, "new", target, note_id=note.id),
    ]


def _with_task(w: World) -> list[Expected]:
    task = next(t for t in w.s.leads.tasks(w.lead.id) if t.title == "Ring")
    return [
        Expected(
            TaskCreated,
            {
                "lead_id": w.lead.id,
                "task_id": task.id,
                "title": "Ring",
                "due_at": WHEN + timedelta(hours=3),
                "assignee_id": w.admin,
                "kind": "task",
            },
        ),
        status_changed(w.lead.id, "new", "callback", task_id=task.id),
    ]


def data_of(event: Event) -> dict[str, Any]:
    return {
        f.name: getattr(event, f.name) for f in attrs.fields(type(event)) if f.name not in ENVELOPE
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_change_records_its_events_with_what_a_subscriber_needs(
    world: World, case: str
) -> None:
    case_ = CASES[case]
    result = run(world, case_)
    recorded = world.recorded()
    wanted: dict[str, list[Expected]] = {}
    for e in case_.expect(world, result):
        wanted.setdefault(e.org or world.org, []).append(e)
    assert {org: [type(e) for e in events] for org, events in recorded.items()} == {
        org: [e.cls for e in events] for org, events in wanted.items()
    }
    for org, events in recorded.items():
        expected = wanted[org]
        if case_.in_any_order:
            # Pair each event with the expectation of the same record, wherever it stands.
            by_data = {repr(data_of(e)): e for e in events}
            events = [by_data.get(repr(want.fields), events[0]) for want in expected]
        for event, want in zip(events, expected, strict=True):
            assert data_of(event) == want.fields, event
            assert event.organization_id == org
            assert event.occurred_at == WHEN
            assert event.actor_id == (world.admin if want.actor is True else want.actor)


def run(w: World, case: Case) -> Any:
    if case.prepare is not None:
        w.clock.set(START + timedelta(hours=1))
        case.prepare(w)
        w.marks = w.heads()
        w.clock.set(WHEN)
    return case.act(w)


# The table covers organisations, users, partners, workflows, leads and dispatch; the
# events of forwarding between organisations, of the calendar and of the pipeline after
# conversion (tests/unit/test_pipeline_events.py) are outside it.
OUTSIDE = (
    "delivery.",
    "forwarding.",
    "lead.routed",
    "activity.",
    "calendar.",
    "account.",
    "opportunity.",
)


def test_every_event_type_is_recorded_by_some_call_of_the_table() -> None:
    covered: set[str] = set()
    for case in CASES.values():
        w = make_world()
        covered |= {e.cls.type for e in case.expect(w, run(w, case))}
    assert {t for t in covered if not t.startswith(OUTSIDE)} == {
        t for t in EVENT_TYPES if not t.startswith(OUTSIDE)
    }


# -- calls that change nothing, or fail, record nothing -----------------------------------

UNCHANGING: dict[str, Act] = {
    "users.list": lambda w: w.s.users.list(),
    "users.permissions": lambda w: w.s.users.permissions(w.seller.user_id),
    "partners.list": lambda w: w.s.partners.list(),
    "workflow.current": lambda w: w.s.workflow.current(),
    "workflow.preview": lambda w: w.s.workflow.preview(without("meeting")),
    "leads.get": lambda w: w.s.leads.get(w.lead.id),
    "leads.list": lambda w: w.s.leads.list(),
    "leads.history": lambda w: w.s.leads.history(w.lead.id).items,
    "leads.status_counts": lambda w: w.s.leads.status_counts(),
    "leads.lineage": lambda w: w.s.leads.lineage(w.lead.id),
    "reports.funnel": lambda w: w.s.reports.funnel(),
    "complete a task already done": lambda w: (
        w.s.leads.complete_task(w.task_id),
        w.marks.update(w.heads()),
        w.s.leads.complete_task(w.task_id),
    ),
    "block a number already blocked": lambda w: (
        w.s.leads.add_blocked_number("052-345-6789"),
        w.marks.update(w.heads()),
        w.s.leads.add_blocked_number("+972523456789"),
    ),
    "unblock a number not blocked": lambda w: w.s.leads.remove_blocked_number("052-345-6789"),
    "set the same settings": lambda w: w.s.leads.set_settings(w.s.leads.settings()),
}


@pytest.mark.parametrize("case", sorted(UNCHANGING))
def test_a_call_that_changes_nothing_records_nothing(world: World, case: str) -> None:
    UNCHANGING[case](world)
    assert world.recorded() == {}


FAILING: dict[str, tuple[type[Exception], Act]] = {
    "forbidden: add a user": (Forbidden, lambda w: w.seller.users.create("Eve", "qualifier")),
    "forbidden: publish": (Forbidden, lambda w: w.seller.workflow.publish(sample_workflow())),
    "forbidden: add a supplier": (
        Forbidden,
        lambda w: w.seller.partners.add_supplier("X", admin_name="Y"),
    ),
    "invalid: blank lead name": (ValidationError, lambda w: w.s.leads.create("  ")),
    "invalid: bad phone": (ValidationError, lambda w: w.s.leads.create("A", phones=["12"])),
    "invalid: blank note": (ValidationError, lambda w: w.s.leads.add_note(w.lead.id, " ")),
    "invalid: organisation without a name": (
        ValidationError,
        lambda w: w.core.create_organization("", admin_name="Noa"),
    ),
    "refused: a note is required": (
        TransitionRefused,
        lambda w: w.s.leads.change_status(w.lead.id, "contacted"),
    ),
    "conflict: stale version": (
        ConflictError,
        lambda w: w.s.leads.change_status(w.lead.id, "no_answer", expected_version=1),
    ),
    "conflict: last manager": (ConflictError, lambda w: w.s.users.deactivate(w.admin)),
    "not found: another organisation's lead": (
        NotFound,
        lambda w: w.s.leads.add_note("lead-404", "hello"),
    ),
    "converted: a note on a converted lead": (
        LeadConverted,
        lambda w: (
            w.s.leads.convert(w.lead.id, status_id="not_relevant"),
            w.marks.update(w.heads()),
            w.s.leads.add_note(w.lead.id, "too late"),
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(FAILING))
def test_a_call_that_fails_records_nothing(world: World, case: str) -> None:
    error, act = FAILING[case]
    with pytest.raises(error):
        act(world)
    assert world.recorded() == {}
