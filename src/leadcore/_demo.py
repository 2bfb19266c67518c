"""``leadcore demo``: a deterministic call-centre day on sample data.

Three organisations (a supplier, an agency, an advertiser) each with their
own workflow; intake with duplicates; qualifiers working leads through
dispatch with leases and notes; conversions, the funnel, and the events the
day recorded. ``--seed`` fixes every random choice, so two runs print the same.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from leadcore._demo_storage import DemoStorageError, open_demo_storage
from leadcore.calendar import IcalUnavailable
from leadcore.clock import ManualClock
from leadcore.core import Leadcore, Session
from leadcore.dispatch import Pool, PoolKind, ProjectRules
from leadcore.errors import ConflictError
from leadcore.ids import SequentialIds
from leadcore.leads import TaskDraft, TaskKind
from leadcore.workflow import lint, name_key, sample_workflow

__all__ = ["run_demo"]

_FIRST = [
    "Yael",
    "Noam",
    "Dana",
    "Omer",
    "Maya",
    "Itai",
    "Tamar",
    "Lior",
    "Shira",
    "Eitan",
    "Rina",
    "Avi",
    "Michal",
    "Yossi",
    "Noa",
    "Gil",
]
_LAST = [
    "Cohen",
    "Levi",
    "Mizrahi",
    "Peretz",
    "Biton",
    "Friedman",
    "Katz",
    "Azulay",
    "Shapiro",
    "Ben-David",
]
_START = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)  # 08:00 in Jerusalem


def _heading(out: TextIO, title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 66 - len(title)), file=out)


def _progress(out: TextIO, label: str, done: int, total: int) -> None:
    # One line redrawn in place when the output is a terminal, else a line per quarter.
    width = 30
    filled = width * done // total
    bar = "#" * filled + "." * (width - filled)
    if out.isatty():
        end = "\n" if done == total else ""
        print(f"\r  {label} [{bar}] {done}/{total}", end=end, file=out, flush=True)
    elif done == total or done % max(1, total // 4) == 0:
        print(f"  {label} [{bar}] {done}/{total}", file=out)


def run_demo(
    *, seed: int, out_dir: Path, out: TextIO, err: TextIO | None = None, db: str | None = None
) -> int:
    """Run the demo, write its files under ``out_dir``, print a readable summary.

    ``db`` is a storage URL (default: a new SQLite file in ``out_dir``, see
    :mod:`leadcore._demo_storage`). Returns the exit status: 0, or 2 when the
    storage cannot be used (the reason goes to ``err``).
    """
    rng = random.Random(seed)
    clock = ManualClock(_START)
    try:
        opened = open_demo_storage(db, out_dir, clock=clock, ids=SequentialIds(), out=out)
    except DemoStorageError as exc:
        print(f"leadcore demo: {exc}", file=err if err is not None else out)
        return 2
    with opened.core as core:
        print(f"Storage: {opened.description}", file=out)
        return _day(core, clock, rng, out_dir, out, opened.file)


def _day(
    core: Leadcore,
    clock: ManualClock,
    rng: random.Random,
    out_dir: Path,
    out: TextIO,
    database: Path | None,
) -> int:
    _workflow_tour(out)
    agency, supplier, advertiser, agents = _organisations(core, out)
    project_id = _project(agency, agents)
    _intake(agency, supplier, project_id, rng, out)
    figures = _shift(agency, project_id, agents, clock, rng, out)
    _partners(agency, supplier, advertiser, rng, out)
    _results(core, agency, advertiser, figures, out)
    out_dir.mkdir(parents=True, exist_ok=True)
    calendar_file = _meetings(agency, clock, out_dir, out)
    _events(core, [agency, supplier, advertiser], out)
    _summary(agency, figures, out)
    diagram = out_dir / "sales-workflow.mmd"
    diagram.write_text(sample_workflow().to_mermaid(), encoding="utf-8")
    qualification = out_dir / "agency-workflow.mmd"
    qualification.write_text(agency.workflow.current().to_mermaid(), encoding="utf-8")
    _heading(out, "Files written")
    print(f"  {diagram.resolve()}", file=out)
    print(f"  {qualification.resolve()}", file=out)
    if calendar_file is not None:
        print(f"  {calendar_file.resolve()}", file=out)
    if database is not None:
        print(f"  {database}  (the day's data: open it again with Leadcore.open)", file=out)
    return 0


def _workflow_tour(out: TextIO) -> None:
    wf = sample_workflow()
    _heading(out, "1. A sales workflow, validated")
    print(
        f"Workflow {wf.id!r} ({wf.name}), version {wf.version}: {len(wf.statuses)} statuses, "
        f"{sum(len(s.next) for s in wf.statuses)} next-stage edges, "
        f"entry {', '.join(wf.entry)}, done: {', '.join(wf.done_statuses())}.",
        file=out,
    )
    print(f"Lint findings: {len(lint(wf.to_dict()))} (a clean workflow).", file=out)
    statuses = [st.to_dict() for st in wf.statuses]
    statuses[1]["next"] = [*wf.statuses[1].next, "archived"]
    statuses[2]["color"] = "orange"
    statuses[3]["name"] = "NEW"
    broken = {**wf.to_dict(), "status": [*statuses]}
    print("The same workflow with three mistakes gives every finding at once:", file=out)
    for f in lint(broken):
        print(f"  {f}", file=out)
    _heading(out, "2. Decisions, explained")
    cases: list[tuple[str, str | None, str, bool, str | None]] = [
        ("a restricted qualifier skips ahead", "new", "meeting", True, None),
        ("contacted needs a note", "new", "contacted", False, None),
        ("with a note it is allowed", "new", "contacted", False, "Spoke to Dana at 10:05"),
    ]
    for title, current, target, restricted, note in cases:
        decision = wf.decide(current, target, restricted=restricted, note=note)
        print(f"- {title}: {current or '(no status)'} -> {target}", file=out)
        for line in decision.explain().splitlines():
            print(f"    {line}", file=out)
    path = wf.shortest_path("new", "won")
    print(f"Shortest path new -> won: {' -> '.join(path or ())}", file=out)


def _organisations(core: Leadcore, out: TextIO) -> tuple[Session, Session, Session, list[Session]]:
    _heading(out, "3. Three organisations, each with its own statuses")
    _, admin = core.create_organization(
        "Orion Media",
        admin_name="Dana",
        default_region="IL",
        timezone="Asia/Jerusalem",
        workflow=sample_workflow("qualification.he"),
    )
    agency = core.session(admin.id)
    _, sup_admin = agency.partners.add_supplier("Leads4U", admin_name="Moshe")
    _, adv_admin = agency.partners.add_advertiser("BigBank Mortgages", admin_name="Rina")
    supplier = core.session(sup_admin.id)
    advertiser = core.session(adv_admin.id)
    for name, s in (
        ("Orion Media (agency)", agency),
        ("Leads4U (supplier)", supplier),
        ("BigBank (advertiser)", advertiser),
    ):
        wf = s.workflow.current()
        names = ", ".join(st.name for st in wf.statuses[:4])
        print(f"  {name:22} workflow {wf.id!r}: {names}, ...", file=out)
        partners = ", ".join(f"{p.partner_name} ({p.kind})" for p in s.partners.list())
        print(f"  {'':22} partners: {partners}", file=out)
    agents = [core.session(agency.users.create(n, "qualifier").id) for n in ("Omer", "Noa", "Itai")]
    agency.users.create("Shira", "qualifier_manager")
    agency.users.create("Avi", "sales_manager")
    advertiser.users.create("Gil", "salesperson")
    print(
        f"  Agency users: {', '.join(f'{u.name} ({u.role})' for u in agency.users.list())}",
        file=out,
    )
    return agency, supplier, advertiser, agents


def _phone(rng: random.Random) -> str:
    return f"05{rng.choice('0234')}-{rng.randrange(200, 999)}-{rng.randrange(1000, 9999)}"


def _project(agency: Session, agents: list[Session]) -> str:
    rules = ProjectRules(
        no_status_first=True,
        lock_window_minutes=10,
        force_notes_on_status_change=True,
        wait_before_alert_seconds=20,
    )
    project = agency.leads.create_project(
        "Mortgage leads", rules=rules, member_ids=[a.user_id for a in agents]
    )
    agency.dispatch.set_pools(
        project.id,
        [Pool("fresh", PoolKind.PROJECT, "Fresh"), Pool("retry", PoolKind.PROJECT, "Retry")],
        order=["fresh", "retry"],
    )
    return project.id


def _intake(
    agency: Session, supplier: Session, project_id: str, rng: random.Random, out: TextIO
) -> None:
    _heading(out, "4. Intake: an import with duplicates, a blocked number, bad rows")
    supplier_id = supplier.organization_id
    blocked = agency.leads.add_blocked_number("052-555-1234")
    rows: list[dict[str, object]] = []
    for i in range(60):
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        rows.append(
            {
                "name": name,
                "phone": _phone(rng),
                "channel": rng.choice(["facebook", "google", "landing-page"]),
                "supplier_id": supplier_id,
                "project_id": project_id,
                "pool_id": "fresh",
            }
        )
        if i % 12 == 5:  # the same person again, written differently
            rows.append(
                {
                    "name": name.upper(),
                    "phone": str(rows[-1]["phone"]).replace("-", ""),
                    "channel": "facebook",
                    "supplier_id": supplier_id,
                    "project_id": project_id,
                    "pool_id": "fresh",
                }
            )
    rows.append(
        {
            "name": "Blocked Caller",
            "phone": blocked,
            "supplier_id": supplier_id,
            "project_id": project_id,
            "pool_id": "fresh",
        }
    )
    rows.append(
        {
            "name": "",
            "phone": "12",
            "supplier_id": supplier_id,
            "project_id": project_id,
            "pool_id": "fresh",
        }
    )
    rows.append(
        {
            "name": "No Phone",
            "phone": "not a number",
            "supplier_id": supplier_id,
            "project_id": project_id,
            "pool_id": "fresh",
        }
    )
    report = agency.leads.import_many(rows)
    print(f"  {report.summary()}", file=out)
    for row in report.rows:
        if row.outcome == "invalid":
            print(f"  row {row.index}: invalid: {'; '.join(row.problems)}", file=out)
    first_dup = next(r for r in report.rows if r.outcome == "duplicate")
    print(
        f"  row {first_dup.index}: duplicate of {first_dup.duplicate_of} (kept, flagged)", file=out
    )


def _shift(
    agency: Session,
    project_id: str,
    agents: list[Session],
    clock: ManualClock,
    rng: random.Random,
    out: TextIO,
) -> dict[str, Counter[str]]:
    _heading(out, "5. A dispatch shift: three qualifiers press 'next'")
    project = agency.leads.project(project_id)
    page = agency.leads.list(limit=500)
    total = sum(1 for lead in page.items if not lead.do_not_call)
    figures: dict[str, Counter[str]] = {a.user_id: Counter() for a in agents}
    names = {a.user_id: a.users.me().name for a in agents}
    handled = 0
    shown = False
    callbacks: dict[str, str] = {}
    idle = 0
    for _ in range(6 * total):
        agent = rng.choice(agents)
        claim = agent.dispatch.next(project.id)
        if claim is None:
            # Nothing for this agent now: the floor waits a quarter of an hour (callbacks
            # fall due), and the shift ends after two idle hours.
            idle += 1
            if idle > 8 * len(agents):
                break
            clock.advance(timedelta(minutes=15 // len(agents)))
            continue
        idle = 0
        lead = claim.lead
        assert lead is not None
        if not shown:
            why = agent.dispatch.explain(project.id)
            print(
                f"  {names[agent.user_id]} got {lead.name} ({lead.id}), token {claim.token}, "
                f"locked until {claim.expires_at:%H:%M}, alert at {claim.alert_at:%H:%M:%S}",
                file=out,
            )
            print(f"  why the next one: {why.text().splitlines()[0]}", file=out)
            shown = True
        clock.advance(timedelta(minutes=rng.randint(2, 6)))
        answered = rng.random() < 0.6
        # The project forces notes: every call is logged with one.
        agent.dispatch.log_call(
            lead.id,
            claim.token,
            outcome="answered" if answered else "no answer",
            note="Picked up" if answered else "Rang out",
        )
        figures[agent.user_id]["calls"] += 1
        if claim.tier == "own_callback" and lead.id in callbacks:
            agent.leads.complete_task(callbacks.pop(lead.id))
        status = lead.status_id
        if status is None:
            agent.dispatch.change_status(lead.id, claim.token, "new", note="First call")
            status = "new"
        final = None
        if answered:
            agent.dispatch.change_status(lead.id, claim.token, "in_call", note="Talked about rates")
            final = "qualified" if rng.random() < 0.55 else "irrelevant"
            agent.dispatch.change_status(
                lead.id,
                claim.token,
                final,
                note="Wants an offer" if final == "qualified" else "Not interested",
            )
        elif status == "new":
            agent.dispatch.change_status(lead.id, claim.token, "no_answer", note="No answer")
            # The agent books a callback: the lead comes back to them in two hours.
            callbacks[lead.id] = agent.leads.add_task(
                lead.id,
                TaskDraft("Call back", due_in=timedelta(hours=2), kind=TaskKind.CALLBACK),
            ).id
            figures[agent.user_id]["callbacks"] += 1
        elif lead.attempts + 1 >= 3:
            final = "irrelevant"
            agent.dispatch.change_status(
                lead.id, claim.token, final, note="Three calls, never answered"
            )
        if final is not None:
            figures[agent.user_id][final] += 1
            handled += 1
            _progress(out, "leads worked", handled, total)
        agent.dispatch.release(lead.id, claim.token)
    why = agents[0].dispatch.explain(project.id)
    print("  at the end of the shift, explain says:", file=out)
    for line in why.text().splitlines():
        print(f"    {line}", file=out)
    return {names[agent_id]: c for agent_id, c in figures.items()}


def _partners(
    agency: Session, supplier: Session, advertiser: Session, rng: random.Random, out: TextIO
) -> None:
    _heading(out, "6. Leads between organisations: forwarding and feedback")
    agency_id = agency.organization_id
    for _ in range(4):
        lead = supplier.leads.create(
            f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", phones=[_phone(rng)], channel="radio"
        )
        supplier.leads.forward(lead.id, agency_id)
    incoming = agency.deliveries.list(direction="incoming", state="delivered")
    for n, delivery in enumerate(incoming):
        if n == 0:
            agency.deliveries.reject(delivery.id, "wrong_number")
        else:
            agency.deliveries.accept(delivery.id)
    print(
        f"  Leads4U forwarded 4 leads to Orion Media; Orion accepted {len(incoming) - 1} "
        "and rejected 1 (wrong number)",
        file=out,
    )
    qualified = agency.leads.list(status_ids=["qualified"], limit=500).items
    bank_id = advertiser.organization_id
    sent = [agency.leads.forward(lead.id, bank_id) for lead in qualified[:8]]
    received = advertiser.deliveries.list(direction="incoming", state="delivered")
    for n, delivery in enumerate(received):
        if n % 4 == 3:
            advertiser.deliveries.reject(delivery.id, "out_of_area")
        elif n % 4 == 2:
            advertiser.deliveries.accept(delivery.id)
            advertiser.deliveries.return_lead(delivery.id, "not_interested")
        else:
            advertiser.deliveries.accept(delivery.id)
    first = agency.deliveries.get(sent[-1].id)
    print(
        f"  Orion forwarded {len(sent)} qualified leads to BigBank; the last one reads "
        f"{first.state} ({first.reason_label or 'no reason'}) on Orion's side",
        file=out,
    )
    bank_lead = advertiser.leads.get(received[0].lead_id or "")
    print(
        f"  at BigBank it is {bank_lead.id}, with {bank_lead.status_id or 'no status yet'} in "
        f"BigBank's own workflow; Orion never sees BigBank's statuses",
        file=out,
    )
    for who, s in (("Leads4U sees", supplier), ("Orion sees", agency)):
        for row in s.deliveries.report(direction="outgoing", by="all"):
            print(
                f"  {who} about {row.partner_name}: {row.total} sent, {row.accepted} "
                f"accepted, {row.rejected} rejected, {row.returned} returned",
                file=out,
            )


def _results(
    core: Leadcore,
    agency: Session,
    advertiser: Session,
    figures: dict[str, Counter[str]],
    out: TextIO,
) -> None:
    _heading(out, "7. Conversions and the funnel")
    del core, figures, advertiser
    qualified = agency.leads.list(status_ids=["qualified"], limit=500).items
    converted = 0
    shown = False
    for lead in qualified[: max(1, len(qualified) // 2)]:
        account = f"{lead.name.split()[-1]} family"
        try:
            agency.leads.convert(
                lead.id,
                account_name=account,
                opportunity_name=f"Mortgage for {lead.name}",
                amount=450_000.0,
            )
        except ConflictError as exc:
            if not shown:
                print(f"  duplicate account check: {exc}", file=out)
                shown = True
            existing = next(
                a for a in agency.leads.accounts() if name_key(a.name) == name_key(account)
            )
            agency.leads.convert(
                lead.id, account_id=existing.id, opportunity_name=f"Mortgage for {lead.name}"
            )
        converted += 1
    print(f"  converted {converted} of {len(qualified)} qualified leads", file=out)
    print(f"  {'source':14} {'leads':>5} {'converted':>9} {'accounts':>8} {'opps':>4}", file=out)
    for row in agency.reports.funnel(by="channel"):
        print(
            f"  {row.key or '-':14} {row.leads:5} {row.converted:9} {row.accounts:8} "
            f"{row.opportunities:4}",
            file=out,
        )
    counts = agency.leads.status_counts(include_done=True)
    tabs = ", ".join(f"{k or 'no status'}: {v}" for k, v in counts.items())
    print(f"  status tabs: {tabs}", file=out)
    _pipeline(agency, out)


def _pipeline(agency: Session, out: TextIO) -> None:
    """A few deals move on: one is won, one lost with a reason; the pipeline report."""
    deals = agency.opportunities.list(limit=4).items
    for n, deal in enumerate(deals[:3]):
        deal = agency.opportunities.move(deal.id, "qualification")
        if n == 0:
            agency.opportunities.move(deal.id, "proposal")
            agency.opportunities.move(deal.id, "closed_won")
        elif n == 1:
            agency.opportunities.move(
                deal.id, "closed_lost", note="Went with their bank", lost_reason="competitor"
            )
    report = agency.reports.pipeline(by="stage")
    stages = ", ".join(f"{r.key}: {r.count} ({r.amount:,.0f})" for r in report.rows)
    print(f"  open pipeline: {stages or 'empty'}", file=out)
    rate = "-" if report.win_rate is None else f"{report.win_rate:.0%}"
    print(f"  won {report.won}, lost {report.lost}, win rate {rate}", file=out)


def _meetings(agency: Session, clock: ManualClock, out_dir: Path, out: TextIO) -> Path | None:
    _heading(out, "8. Meetings for converted leads, and the calendar")
    avi = next(u for u in agency.users.list() if u.name == "Avi")
    sales = agency  # the account manager books on Avi's behalf
    tz = ZoneInfo("Asia/Jerusalem")
    day = (clock.now().astimezone(tz) + timedelta(days=1)).date()
    converted = agency.leads.list(converted=True, include_done=True, limit=6).items
    for n, lead in enumerate(converted[:6]):
        start = datetime.combine(day, time(9, 0), tzinfo=tz) + timedelta(hours=n)
        booking = sales.calendar.create(
            f"Mortgage offer: {lead.name}",
            start=start,
            end=start + timedelta(minutes=45),
            responsible_user_id=avi.id,
            client=f"lead:{lead.id}",
            location="Orion Media, Tel Aviv",
        )
        if n == 0:
            print(
                f"  booked {booking.activity.title!r} for {avi.name}, {start:%a %d %b %H:%M}",
                file=out,
            )
    sales.calendar.create(
        "Pipeline review",
        start=datetime.combine(day, time(16, 0), tzinfo=tz),
        end=datetime.combine(day, time(16, 30), tzinfo=tz),
        responsible_user_id=avi.id,
        recurrence="FREQ=WEEKLY;BYDAY=SU,WE",
    )
    view = sales.calendar.day([avi.id], day)
    for column in view.columns:
        titles = [getattr(e, "title", "busy") for e in column.entries]
        print(
            f"  {avi.name}'s day ({day:%a %d %b}): {len(titles)} activities: "
            f"{', '.join(titles[:3])}, ...",
            file=out,
        )
    try:
        text = sales.calendar.export_ics(user_id=avi.id)
    except IcalUnavailable as exc:
        print(f"  no .ics written: {exc}", file=out)
        return None
    path = out_dir / "avi-calendar.ics"
    path.write_text(text, encoding="utf-8")
    print(f"  exported {text.count('BEGIN:VEVENT')} events to {path.name}", file=out)
    return path


def _events(core: Leadcore, sessions: list[Session], out: TextIO) -> None:
    _heading(out, "9. Events recorded in the outbox")
    for s in sessions:
        events = core.events.read(s.organization_id)
        kinds = Counter(e.event.type for e in events)
        top = ", ".join(f"{k} {n}" for k, n in kinds.most_common(5))
        print(f"  {s.users.me().name:6} ({len(events)} events): {top}", file=out)


def _summary(agency: Session, figures: dict[str, Counter[str]], out: TextIO) -> None:
    _heading(out, "10. The day in figures")
    leads = agency.leads.list(include_done=True, limit=1000).items
    sent = agency.deliveries.list(direction="outgoing")
    meetings = agency.calendar.search(text="Mortgage offer", limit=1000).items
    funnel = [
        ("leads in the agency", len(leads)),
        ("called at least once", sum(1 for lead in leads if lead.attempts > 0)),
        ("qualified", sum(1 for lead in leads if lead.status_id == "qualified")),
        ("converted", sum(1 for lead in leads if lead.converted)),
        ("meetings booked", len(meetings)),
        ("forwarded to BigBank", len(sent)),
        ("accepted by BigBank", sum(1 for d in sent if d.state == "accepted")),
    ]
    print("  funnel:", file=out)
    top = max(1, funnel[0][1])
    for label, n in funnel:
        bar = "#" * max(1 if n else 0, round(30 * n / top))
        print(f"    {label:22} {n:4}  {bar}", file=out)
    print("  per agent:", file=out)
    print(
        f"    {'agent':6} {'calls':>5} {'callbacks':>9} {'qualified':>9} {'not relevant':>12} "
        f"{'qualified/decided':>17}",
        file=out,
    )
    for name, c in figures.items():
        decided = c["qualified"] + c["irrelevant"]
        rate = f"{100 * c['qualified'] / decided:.0f}%" if decided else "-"
        print(
            f"    {name:6} {c['calls']:5} {c['callbacks']:9} {c['qualified']:9} "
            f"{c['irrelevant']:12} {rate:>17}",
            file=out,
        )
