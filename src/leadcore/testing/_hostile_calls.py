"""The public calls the hostile-input check drives, and the organisation they act on.

Each :class:`EntryPoint` puts one hostile value into one argument of one call
of :class:`~leadcore.Leadcore` or :class:`~leadcore.Session`; every other
argument names a record of a :class:`HostileWorld` that exists on every
adapter alike (the same ids from :class:`~leadcore.ids.SequentialIds`, the
same clock).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs

from leadcore.calendar import ActivityType
from leadcore.core import Leadcore, Session
from leadcore.dispatch import Pool, PoolKind
from leadcore.leads import LeadQuery, TaskDraft
from leadcore.tenancy import Role
from leadcore.workflow import Workflow

__all__ = ["ENTRY_POINTS", "START", "EntryPoint", "HostileWorld", "build_world"]

#: The clock's time when the world is built (a Monday).
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_HOUR = timedelta(hours=1)


@attrs.frozen
class HostileWorld:
    """One organisation with a record of every kind a call can name, and its admin's session."""

    core: Leadcore = attrs.field(repr=False)
    session: Session = attrs.field(repr=False)
    organization_id: str
    admin_id: str
    agent_id: str
    group_id: str
    project_id: str
    lead_id: str
    """A lead of the project claimed by the admin (``claim_token``), with a task and an activity."""
    claim_token: int
    task_id: str
    forwarded_lead_id: str
    delivery_id: str
    partnership_id: str
    partner_id: str
    activity_id: str
    _known: list[tuple[object, ...]] = attrs.field(factory=list, init=False, repr=False, eq=False)

    def stored(self) -> tuple[object, ...]:
        """:meth:`snapshot`, read again only after :meth:`changed` (or the first time)."""
        if not self._known:
            self._known.append(self.snapshot())
        return self._known[0]

    def changed(self, snapshot: tuple[object, ...] | None = None) -> None:
        """Say that a call may have written; ``snapshot`` is what is stored now, if known."""
        self._known[:] = [] if snapshot is None else [snapshot]

    def snapshot(self) -> tuple[object, ...]:
        """What is stored, read in one unit of work: equal before and after a refusal.

        Every committed change records events (invariant 7), so the outbox's
        last position per organisation shows any write; the records of the
        organisation show it too.
        """
        org = self.organization_id
        with self.core.storage.unit_of_work() as uow:
            return (
                dict(uow.events.heads()),
                tuple(uow.leads.query(org, LeadQuery())),
                tuple(uow.history.for_lead(org, self.lead_id)),
                tuple(uow.notes.for_lead(org, self.lead_id)),
                tuple(uow.tasks.for_lead(org, self.lead_id)),
                tuple(uow.users.list(org)),
                tuple(uow.groups.list(org)),
                tuple(uow.projects.list(org)),
                uow.calendar.get(org, self.activity_id),
            )


def build_world(core: Leadcore) -> HostileWorld:
    """Build the organisation every entry point acts in, on ``core`` (empty storage)."""
    org, admin = core.create_organization("Agency", admin_name="Dana", default_region="IL")
    s = core.session(admin.id)
    agent = s.users.create("Avi", Role.SALESPERSON)
    group = s.users.create_group("Floor", [agent.id])
    project = s.leads.create_project("Spring", member_ids=[admin.id, agent.id])
    s.dispatch.set_pools(project.id, [Pool("hot", PoolKind.PROJECT, "Hot")])
    lead = s.leads.create("Noa", phones=["050-555-1234"], project_id=project.id, pool_id="hot")
    claim = s.dispatch.next(project.id)
    if claim is None or claim.lead_id != lead.id:  # pragma: no cover - the world is fixed
        raise AssertionError(f"the world's lead was not handed out: {claim!r}")
    task = s.leads.add_task(lead.id, TaskDraft("Call back"))
    partner, _ = s.partners.add_advertiser("Buyer", admin_name="Vera")
    partnership = s.partners.list()[0]
    other = s.leads.create("Eli", phones=["050-555-9999"])
    delivery = s.leads.forward(other.id, partner.id)
    booking = s.calendar.create(
        "Meeting", start=START + _HOUR, end=START + 2 * _HOUR, client=lead.id
    )
    return HostileWorld(
        core=core,
        session=s,
        organization_id=org.id,
        admin_id=admin.id,
        agent_id=agent.id,
        group_id=group.id,
        project_id=project.id,
        lead_id=lead.id,
        claim_token=claim.token,
        task_id=task.id,
        forwarded_lead_id=other.id,
        delivery_id=delivery.id,
        partnership_id=partnership.id,
        partner_id=partner.id,
        activity_id=booking.activity.id,
    )


Call = Callable[[HostileWorld, Any], object]


@attrs.frozen
class EntryPoint:
    """One argument of one public call, to fill with a hostile value of ``kind``.

    ``kind`` names an entry of :data:`leadcore.testing.hostile.HOSTILE_VALUES`
    (``"text"``, ``"id"``...); ``call`` makes the call on a world with the value.
    """

    name: str
    """The call and the argument, e.g. ``"leads.add_note(text)"``."""
    kind: str
    call: Call = attrs.field(repr=False, eq=False)

    def __str__(self) -> str:
        return self.name


def _wf(name: object) -> dict[str, Any]:
    return {
        "id": "sales",
        "name": name,
        "status": [
            {"id": "new", "name": "New", "category": "todo", "next": ["won"]},
            {"id": "won", "name": "Won", "category": "done"},
        ],
    }


_DAY = date(2026, 3, 2)


def _create(w: HostileWorld, title: str = "Call", **options: Any) -> object:
    return w.session.calendar.create(
        title, start=START + 3 * _HOUR, end=START + 4 * _HOUR, **options
    )


def _text(name: str, call: Call) -> EntryPoint:
    return EntryPoint(name, "text", call)


def _id(name: str, call: Call) -> EntryPoint:
    return EntryPoint(name, "id", call)


#: Every call and argument the check fills with hostile text or ids.
ENTRY_POINTS: tuple[EntryPoint, ...] = (
    # -- the facade
    _text(
        "core.create_organization(name)", lambda w, v: w.core.create_organization(v, admin_name="A")
    ),
    _text(
        "core.create_organization(admin_name)",
        lambda w, v: w.core.create_organization("O", admin_name=v),
    ),
    _text(
        "core.create_organization(admin_email)",
        lambda w, v: w.core.create_organization("O", admin_name="A", admin_email=v),
    ),
    _text(
        "core.create_organization(default_region)",
        lambda w, v: w.core.create_organization("O", admin_name="A", default_region=v),
    ),
    _id("core.session(user_id)", lambda w, v: w.core.session(v)),
    # -- users, groups, partners
    _id("users.get(user_id)", lambda w, v: w.session.users.get(v)),
    _id("users.permissions(user_id)", lambda w, v: w.session.users.permissions(v)),
    _text("users.create(name)", lambda w, v: w.session.users.create(v, Role.QUALIFIER)),
    _text("users.create(role)", lambda w, v: w.session.users.create("Ora", v)),
    _text(
        "users.create(email)", lambda w, v: w.session.users.create("Ora", Role.QUALIFIER, email=v)
    ),
    _id("users.set_role(user_id)", lambda w, v: w.session.users.set_role(v, Role.QUALIFIER)),
    _text("users.set_role(role)", lambda w, v: w.session.users.set_role(w.agent_id, v)),
    _text("users.grant(permissions)", lambda w, v: w.session.users.grant(w.agent_id, v)),
    _id("users.deactivate(user_id)", lambda w, v: w.session.users.deactivate(v)),
    _id("users.group(group_id)", lambda w, v: w.session.users.group(v)),
    _text("users.create_group(name)", lambda w, v: w.session.users.create_group(v)),
    _id("users.create_group(member_ids)", lambda w, v: w.session.users.create_group("Team", [v])),
    _id("users.add_to_group(user_ids)", lambda w, v: w.session.users.add_to_group(w.group_id, v)),
    _id("users.remove_group(group_id)", lambda w, v: w.session.users.remove_group(v)),
    _text(
        "partners.add_supplier(name)",
        lambda w, v: w.session.partners.add_supplier(v, admin_name="B"),
    ),
    _text(
        "partners.add_advertiser(admin_name)",
        lambda w, v: w.session.partners.add_advertiser("Ad", admin_name=v),
    ),
    _text("partners.list(kind)", lambda w, v: w.session.partners.list(v)),
    _id("partners.get(partnership_id)", lambda w, v: w.session.partners.get(v)),
    _id("partners.deactivate(partnership_id)", lambda w, v: w.session.partners.deactivate(v)),
    # -- workflow
    _text("workflow.current(kind)", lambda w, v: w.session.workflow.current(v)),
    _text("workflow.publish(workflow.name)", lambda w, v: w.session.workflow.publish(_wf(v))),
    _text(
        "workflow.publish(Workflow.name)",
        lambda w, v: w.session.workflow.publish(Workflow.from_dict(_wf(v))),
    ),
    _text("workflow.preview(workflow.name)", lambda w, v: w.session.workflow.preview(_wf(v))),
    # -- leads
    _text("leads.create(name)", lambda w, v: w.session.leads.create(v)),
    _text("leads.create(phones)", lambda w, v: w.session.leads.create("Lia", phones=[v])),
    _text("leads.create(emails)", lambda w, v: w.session.leads.create("Lia", emails=[v])),
    _text("leads.create(channel)", lambda w, v: w.session.leads.create("Lia", channel=v)),
    _text("leads.create(fields key)", lambda w, v: w.session.leads.create("Lia", fields={v: "x"})),
    _text(
        "leads.create(fields value)", lambda w, v: w.session.leads.create("Lia", fields={"city": v})
    ),
    _id("leads.create(supplier_id)", lambda w, v: w.session.leads.create("Lia", supplier_id=v)),
    _id("leads.create(project_id)", lambda w, v: w.session.leads.create("Lia", project_id=v)),
    _id("leads.create(assignee_ids)", lambda w, v: w.session.leads.create("Lia", assignee_ids=[v])),
    _text(
        "leads.import_many(rows.name)",
        lambda w, v: w.session.leads.import_many([{"name": v}, {"name": "Gil"}]),
    ),
    _text(
        "leads.import_many(rows.phone)",
        lambda w, v: w.session.leads.import_many([{"name": "Gil", "phone": v}]),
    ),
    _id("leads.get(lead_id)", lambda w, v: w.session.leads.get(v)),
    _text("leads.list(text)", lambda w, v: w.session.leads.list(text=v)),
    _text("leads.list(channel)", lambda w, v: w.session.leads.list(channel=v)),
    _id("leads.list(assignee_id)", lambda w, v: w.session.leads.list(assignee_id=v)),
    _text("leads.list(status_ids)", lambda w, v: w.session.leads.list(status_ids=v)),
    _text("leads.status_counts(text)", lambda w, v: w.session.leads.status_counts(text=v)),
    _id(
        "leads.status_counts(project_id)", lambda w, v: w.session.leads.status_counts(project_id=v)
    ),
    _id("leads.history(lead_id)", lambda w, v: w.session.leads.history(v)),
    _id("leads.notes(lead_id)", lambda w, v: w.session.leads.notes(v)),
    _id("leads.tasks(lead_id)", lambda w, v: w.session.leads.tasks(v)),
    _text("leads.add_note(text)", lambda w, v: w.session.leads.add_note(w.lead_id, v)),
    _id("leads.add_note(lead_id)", lambda w, v: w.session.leads.add_note(v, "hello")),
    _text(
        "leads.add_task(task.title)", lambda w, v: w.session.leads.add_task(w.lead_id, TaskDraft(v))
    ),
    _id("leads.complete_task(task_id)", lambda w, v: w.session.leads.complete_task(v)),
    _id("leads.change_status(lead_id)", lambda w, v: w.session.leads.change_status(v, "contacted")),
    _id("leads.change_status(status_id)", lambda w, v: w.session.leads.change_status(w.lead_id, v)),
    _text(
        "leads.change_status(note)",
        lambda w, v: w.session.leads.change_status(w.lead_id, "contacted", note=v),
    ),
    _id(
        "leads.change_status_many(lead_ids)",
        lambda w, v: w.session.leads.change_status_many([v], "contacted"),
    ),
    _id("leads.assign(user_ids)", lambda w, v: w.session.leads.assign(w.lead_id, [v])),
    _id("leads.forward(to_org_id)", lambda w, v: w.session.leads.forward(w.lead_id, v)),
    _text("leads.update(name)", lambda w, v: w.session.leads.update(w.lead_id, name=v)),
    _text("leads.update(emails)", lambda w, v: w.session.leads.update(w.lead_id, emails=[v])),
    _text(
        "leads.update(fields value)",
        lambda w, v: w.session.leads.update(w.lead_id, fields={"city": v}),
    ),
    _text(
        "leads.convert(account_name)",
        lambda w, v: w.session.leads.convert(w.lead_id, account_name=v),
    ),
    _id("leads.convert(account_id)", lambda w, v: w.session.leads.convert(w.lead_id, account_id=v)),
    _id("leads.lineage(lead_id)", lambda w, v: w.session.leads.lineage(v)),
    _id("leads.account_leads(account_id)", lambda w, v: w.session.leads.account_leads(v)),
    _text("leads.create_project(name)", lambda w, v: w.session.leads.create_project(v)),
    _id("leads.project(project_id)", lambda w, v: w.session.leads.project(v)),
    _text(
        "leads.update_project(name)",
        lambda w, v: w.session.leads.update_project(w.project_id, name=v),
    ),
    _text("leads.add_blocked_number(number)", lambda w, v: w.session.leads.add_blocked_number(v)),
    _text(
        "leads.remove_blocked_number(number)", lambda w, v: w.session.leads.remove_blocked_number(v)
    ),
    # -- dispatch
    _id("dispatch.next(project_id)", lambda w, v: w.session.dispatch.next(v)),
    _id("dispatch.explain(project_id)", lambda w, v: w.session.dispatch.explain(v)),
    _id("dispatch.pools(project_id)", lambda w, v: w.session.dispatch.pools(v)),
    _text(
        "dispatch.set_pools(pools.name)",
        lambda w, v: w.session.dispatch.set_pools(w.project_id, [Pool("hot", PoolKind.PROJECT, v)]),
    ),
    _text(
        "dispatch.set_pools(pools.id)",
        lambda w, v: w.session.dispatch.set_pools(w.project_id, [Pool(v, PoolKind.PROJECT, "Hot")]),
    ),
    _id("dispatch.filter(agent_id)", lambda w, v: w.session.dispatch.filter(w.project_id, v)),
    _id("dispatch.lease(lead_id)", lambda w, v: w.session.dispatch.lease(v)),
    _id("dispatch.renew(lead_id)", lambda w, v: w.session.dispatch.renew(v, w.claim_token)),
    _id("dispatch.release(lead_id)", lambda w, v: w.session.dispatch.release(v, w.claim_token)),
    _text(
        "dispatch.log_call(outcome)",
        lambda w, v: w.session.dispatch.log_call(w.lead_id, w.claim_token, outcome=v),
    ),
    _text(
        "dispatch.log_call(note)",
        lambda w, v: w.session.dispatch.log_call(w.lead_id, w.claim_token, note=v),
    ),
    _text(
        "dispatch.add_note(text)",
        lambda w, v: w.session.dispatch.add_note(w.lead_id, w.claim_token, v),
    ),
    _id(
        "dispatch.add_note(lead_id)",
        lambda w, v: w.session.dispatch.add_note(v, w.claim_token, "hi"),
    ),
    _id(
        "dispatch.change_status(status_id)",
        lambda w, v: w.session.dispatch.change_status(w.lead_id, w.claim_token, v),
    ),
    # -- deliveries and routing
    _id("deliveries.get(delivery_id)", lambda w, v: w.session.deliveries.get(v)),
    _id("deliveries.list(partner_id)", lambda w, v: w.session.deliveries.list(partner_id=v)),
    _id("deliveries.trail(lead_id)", lambda w, v: w.session.deliveries.trail(v)),
    _text("deliveries.reject(reason)", lambda w, v: w.session.deliveries.reject(w.delivery_id, v)),
    _id("deliveries.accept(delivery_id)", lambda w, v: w.session.deliveries.accept(v)),
    _id("deliveries.terms(partnership_id)", lambda w, v: w.session.deliveries.terms(v)),
    _id("routing.route(lead_id)", lambda w, v: w.session.routing.route(v)),
    _id("routing.route_many(lead_ids)", lambda w, v: w.session.routing.route_many([v])),
    # -- reports
    _text("reports.funnel(by)", lambda w, v: w.session.reports.funnel(by=v)),
    # -- calendar
    _text(
        "calendar.save_type(name)",
        lambda w, v: w.session.calendar.save_type(ActivityType("demo", v)),
    ),
    _text(
        "calendar.save_type(id)", lambda w, v: w.session.calendar.save_type(ActivityType(v, "Demo"))
    ),
    _id("calendar.remove_type(type_id)", lambda w, v: w.session.calendar.remove_type(v)),
    _text("calendar.create(title)", lambda w, v: _create(w, v)),
    _text("calendar.create(notes)", lambda w, v: _create(w, notes=v)),
    _text(
        "calendar.create(location)",
        lambda w, v: _create(w, location=v),
    ),
    _text("calendar.create(tz)", lambda w, v: _create(w, tz=v)),
    _text(
        "calendar.create(client)",
        lambda w, v: _create(w, client=v),
    ),
    _id(
        "calendar.create(responsible_user_id)",
        lambda w, v: _create(w, responsible_user_id=v),
    ),
    _text(
        "calendar.create(recurrence)",
        lambda w, v: _create(w, recurrence=v),
    ),
    _id("calendar.get(activity_id)", lambda w, v: w.session.calendar.get(v)),
    _text("calendar.update(title)", lambda w, v: w.session.calendar.update(w.activity_id, title=v)),
    _id(
        "calendar.change_status(status_id)",
        lambda w, v: w.session.calendar.change_status(w.activity_id, v),
    ),
    _id("calendar.cancel(activity_id)", lambda w, v: w.session.calendar.cancel(v)),
    _id("calendar.day(user_ids)", lambda w, v: w.session.calendar.day([v], _DAY)),
    _text("calendar.week(tz)", lambda w, v: w.session.calendar.week(w.session.user_id, _DAY, tz=v)),
    _text("calendar.client_timeline(client)", lambda w, v: w.session.calendar.client_timeline(v)),
    _text("calendar.search(text)", lambda w, v: w.session.calendar.search(text=v)),
    _text("calendar.search(after)", lambda w, v: w.session.calendar.search(after=v)),
    _text("calendar.export_ics(name)", lambda w, v: w.session.calendar.export_ics(name=v)),
    _id("calendar.export_ics(user_id)", lambda w, v: w.session.calendar.export_ics(user_id=v)),
    _text("calendar.import_ics(text)", lambda w, v: w.session.calendar.import_ics(v)),
    _text(
        "calendar.import_ics(SUMMARY)",
        lambda w, v: w.session.calendar.import_ics(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
            "UID:u1@example.org\r\nDTSTAMP:20260302T090000Z\r\nDTSTART:20260302T130000Z\r\n"
            f"DTEND:20260302T140000Z\r\nSUMMARY:{v}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        ),
    ),
    # -- numbers, dates, durations and time zones (bounds in docs/limits.md)
    EntryPoint(
        "calendar.month(year)",
        "integer",
        lambda w, v: w.session.calendar.month(w.session.user_id, v, 3),
    ),
    EntryPoint(
        "calendar.month(month)",
        "integer",
        lambda w, v: w.session.calendar.month(w.session.user_id, 2026, v),
    ),
    EntryPoint("calendar.day(day)", "date", lambda w, v: w.session.calendar.day(w.agent_id, v)),
    EntryPoint(
        "leads.add_task(due_at)",
        "datetime",
        lambda w, v: w.session.leads.add_task(w.lead_id, TaskDraft("Call", due_at=v)),
    ),
    EntryPoint(
        "leads.add_task(due_in)",
        "duration",
        lambda w, v: w.session.leads.add_task(w.lead_id, TaskDraft("Call", due_in=v)),
    ),
    EntryPoint(
        "calendar.day(tz)",
        "time zone",
        lambda w, v: w.session.calendar.day(w.agent_id, _DAY, tz=v),
    ),
)
