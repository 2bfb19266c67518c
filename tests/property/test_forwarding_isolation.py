"""Three organisations exchange leads; none ever reads the others' data, by any path.

A supplier sends leads to an agency, which passes them on to an advertiser.
Each organisation creates leads (sharing phone numbers with the others, so
duplicates happen), writes notes, moves leads through its own statuses, gives
feedback on what it received and passes returns upstream, all through
sessions. A model of what each organisation owns and was told is checked
after every step, from each organisation's own point of view:

- its lists, counts, reports and history hold its own records only;
- its delivery records and their feedback are exactly those addressed to it;
- no id, status, or note text of another organisation appears anywhere it
  can read (records, reports, its event outbox), except the ids of its
  partners and of the deliveries it shares with them;
- asking for another organisation's record is answered exactly like asking
  for one that never existed;
- duplicate detection answers from its own leads only (a receiver's answer
  reaches the sender only as its policy discloses it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from leadcore import Leadcore, ManualClock, NotFound, Session, ValidationError, Workflow
from leadcore.events import Event, LeadForwarded
from leadcore.forwarding import (
    DEFAULT_REASONS,
    DeliveryState,
    Direction,
    DuplicateDisclosure,
    DuplicateHandling,
    PartnerTerms,
    ReceivingPolicy,
)
from leadcore.ids import SequentialIds

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TAGS = ("sup", "agy", "adv")
ROUTES = (("sup", "agy"), ("agy", "adv"))
PHONES = [f"+9725234567{n:02d}" for n in range(5)]
REASONS = [None, "qualified", "wrong_number", "not_interested", "other", "nope"]
WINDOWS = [None, timedelta(hours=1), timedelta(hours=3)]
ID_TOKEN = re.compile(r"\b(?:lead|delivery|note|hist|user|task|evt|org|link|partnership)-\d+\b")
STATUS_TOKEN = re.compile(r"\b(sup|agy|adv)_(?:open|work|won|lost)\b")
SECRET_TOKEN = re.compile(r"\bsecret_(sup|agy|adv)_\d+\b")


def _workflow(tag: str) -> Workflow:
    """A workflow whose status ids name the organisation, so a leaked status shows."""
    return Workflow.from_dict(
        {
            "id": "sales",
            "name": "Sales",
            "entry": [f"{tag}_open"],
            "status": [
                {"id": f"{tag}_open", "name": "Open", "color": "#1E88E5", "category": "todo",
                 "next": [f"{tag}_work", f"{tag}_lost"]},
                {"id": f"{tag}_work", "name": "Working", "color": "#FB8C00",
                 "category": "in_progress", "next": [f"{tag}_won", f"{tag}_lost"]},
                {"id": f"{tag}_won", "name": "Won", "color": "#43A047", "category": "done"},
                {"id": f"{tag}_lost", "name": "Lost", "color": "#E53935", "category": "done"},
            ],
        }
    )  # fmt: skip


WORKFLOWS = {tag: _workflow(tag) for tag in TAGS}
_REASON_STATES = {r.id: r.states for r in DEFAULT_REASONS}


@attrs.define
class ModelLead:
    phone: str
    status: str | None = None
    notes: list[str] = attrs.Factory(list)


@attrs.define
class ModelDelivery:
    direction: Direction
    partner: str
    lead_id: str | None
    state: DeliveryState
    reason_id: str | None
    link_id: str
    until: datetime | None
    counterpart: str
    """The other side's delivery id."""


def _shape(call: Callable[[str], object], ident: str) -> str:
    """The message of the ``NotFound`` a call raises for ``ident``, with the id taken out."""
    try:
        call(ident)
    except NotFound as exc:
        return str(exc).replace(repr(ident), "<id>")
    raise AssertionError(f"{ident!r} was found")


class ThreeOrganisations(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(START)
        self.core = Leadcore.open(clock=self.clock, ids=SequentialIds())
        self.s: dict[str, Session] = {}
        self.org: dict[str, str] = {}
        self.leads: dict[str, dict[str, ModelLead]] = {t: {} for t in TAGS}
        self.roots: dict[str, dict[str, str]] = {t: {} for t in TAGS}
        self.deliveries: dict[str, dict[str, ModelDelivery]] = {t: {} for t in TAGS}
        self.policies: dict[str, ReceivingPolicy] = {}
        self.windows: dict[tuple[str, str], timedelta | None] = {}
        self.counter = 0

    # -- set-up -----------------------------------------------------------------------------

    @initialize(
        handling=st.tuples(*(st.sampled_from(DuplicateHandling),) * 2),
        disclosure=st.tuples(*(st.sampled_from(DuplicateDisclosure),) * 2),
        windows=st.tuples(*(st.sampled_from(WINDOWS),) * 2),
    )
    def set_up(
        self,
        handling: tuple[DuplicateHandling, DuplicateHandling],
        disclosure: tuple[DuplicateDisclosure, DuplicateDisclosure],
        windows: tuple[timedelta | None, timedelta | None],
    ) -> None:
        agency, dana = self.core.create_organization(
            "Agency", admin_name="Dana", default_region="IL"
        )
        a = self.core.session(dana.id)
        supplier, sue = a.partners.add_supplier("Supplier", admin_name="Sue")
        advertiser, avi = a.partners.add_advertiser("Advertiser", admin_name="Avi")
        self.org = {"sup": supplier.id, "agy": agency.id, "adv": advertiser.id}
        self.s = {"sup": self.core.session(sue.id), "agy": a, "adv": self.core.session(avi.id)}
        for tag in TAGS:
            self.s[tag].workflow.publish(WORKFLOWS[tag])
        for tag, h, d in zip(("agy", "adv"), handling, disclosure, strict=True):
            self.policies[tag] = ReceivingPolicy(duplicates=h, disclosure=d)
            self.s[tag].deliveries.set_policy(self.policies[tag])
        for (sender, receiver), window in zip(ROUTES, windows, strict=True):
            (link,) = [
                p
                for p in self.s[sender].partners.list("advertiser")
                if p.partner_id == self.org[receiver]
            ]
            self.s[sender].deliveries.set_terms(link.id, PartnerTerms(return_window=window))
            self.windows[(sender, receiver)] = window

    # -- helpers ------------------------------------------------------------------------------

    def _secret(self, tag: str) -> str:
        self.counter += 1
        return f"secret_{tag}_{self.counter}"

    def _pick(self, tag: str, index: int) -> tuple[str, ModelLead]:
        ids = sorted(self.leads[tag])
        lead_id = ids[index % len(ids)]
        return lead_id, self.leads[tag][lead_id]

    def _heads(self) -> dict[str, int]:
        return {t: len(self.core.events.read(self.org[t])) for t in TAGS}

    def _new_events(self, tag: str, since: dict[str, int]) -> list[Event]:
        return [e.event for e in self.core.events.read(self.org[tag], after=since[tag])]

    # -- rules --------------------------------------------------------------------------------

    @rule(tag=st.sampled_from(TAGS), phone=st.sampled_from(PHONES))
    def create_lead(self, tag: str, phone: str) -> None:
        self.counter += 1
        lead = self.s[tag].leads.create(f"Lead {self.counter}", phones=[phone])
        # Duplicate detection answers from this organisation's own leads only.
        assert lead.duplicate_of == self.roots[tag].get(phone)
        self.roots[tag].setdefault(phone, lead.id)
        self.leads[tag][lead.id] = ModelLead(phone)

    @precondition(lambda self: any(self.leads.values()))
    @rule(tag=st.sampled_from(TAGS), index=st.integers(0, 99))
    def add_note(self, tag: str, index: int) -> None:
        if not self.leads[tag]:
            return
        lead_id, lead = self._pick(tag, index)
        text = self._secret(tag)
        self.s[tag].leads.add_note(lead_id, text)
        lead.notes.append(text)

    @precondition(lambda self: any(self.leads.values()))
    @rule(tag=st.sampled_from(TAGS), index=st.integers(0, 99), choice=st.integers(0, 1))
    def change_status(self, tag: str, index: int, choice: int) -> None:
        if not self.leads[tag]:
            return
        lead_id, lead = self._pick(tag, index)
        wf = WORKFLOWS[tag]
        options = list(wf.entry) if lead.status is None else list(wf.next_stages(lead.status))
        if not options:
            return
        target = options[choice % len(options)]
        text = self._secret(tag)
        moved = self.s[tag].leads.change_status(lead_id, target, note=text)
        assert moved.status_id == target
        lead.status = target
        lead.notes.append(text)

    @precondition(lambda self: self.leads["sup"] or self.leads["agy"])
    @rule(route=st.sampled_from(ROUTES), index=st.integers(0, 99))
    def forward(self, route: tuple[str, str], index: int) -> None:
        sender, receiver = route
        if not self.leads[sender]:
            return
        lead_id, lead = self._pick(sender, index)
        already = any(
            d.lead_id == lead_id and d.partner == receiver and d.direction is Direction.OUTGOING
            for d in self.deliveries[sender].values()
        )
        before = self._heads()
        if already:
            with pytest.raises(ValidationError, match="a lead goes to each partner once"):
                self.s[sender].leads.forward(lead_id, self.org[receiver])
            assert self._heads() == before
            return
        sent = self.s[sender].leads.forward(lead_id, self.org[receiver])
        policy = self.policies[receiver]
        root = self.roots[receiver].get(lead.phone)
        (received,) = [d for d in self.s[receiver].deliveries.list() if d.link_id == sent.link_id]
        if root is not None and policy.duplicates is DuplicateHandling.REJECT:
            shown, reason, _ = policy.disclose_duplicate()
            assert (sent.state, sent.reason_id) == (shown, reason)
            assert (received.state, received.lead_id) == (DeliveryState.DUPLICATE, None)
            assert received.duplicate_of == root
        else:
            assert sent.state is received.state is DeliveryState.DELIVERED
            assert received.lead_id is not None
            copy = self.s[receiver].leads.get(received.lead_id)
            assert copy.duplicate_of == root
            assert copy.status_id is None
            self.roots[receiver].setdefault(lead.phone, copy.id)
            self.leads[receiver][copy.id] = ModelLead(lead.phone)
        assert sent.duplicate_of is None
        until = self.clock.now() + w if (w := self.windows[route]) else None
        self.deliveries[sender][sent.id] = ModelDelivery(
            Direction.OUTGOING, receiver, lead_id, sent.state, sent.reason_id,
            sent.link_id, until, received.id,
        )  # fmt: skip
        self.deliveries[receiver][received.id] = ModelDelivery(
            Direction.INCOMING, sender, received.lead_id, received.state, received.reason_id,
            sent.link_id, until, sent.id,
        )  # fmt: skip
        # Both organisations record the delivery, each with its own ids.
        for tag, mine in ((sender, sent.id), (receiver, received.id)):
            forwarded = [e for e in self._new_events(tag, before) if isinstance(e, LeadForwarded)]
            assert [e.delivery_id for e in forwarded] == [mine]
        (third,) = set(TAGS) - {sender, receiver}
        assert self._heads()[third] == before[third]

    def _feedback_allowed(self, d: ModelDelivery, state: DeliveryState, reason: str | None) -> bool:
        if state not in d.state.feedback_moves():
            return False
        if reason is None:
            reason_ok = state is DeliveryState.ACCEPTED
        else:
            reason_ok = state in _REASON_STATES.get(reason, frozenset())
        late = (
            state is DeliveryState.RETURNED and d.until is not None and self.clock.now() > d.until
        )
        return reason_ok and not late

    def _apply_feedback(
        self, tag: str, delivery_id: str, state: DeliveryState, reason: str | None
    ) -> None:
        mine = self.deliveries[tag][delivery_id]
        mine.state, mine.reason_id = state, reason
        theirs = self.deliveries[mine.partner][mine.counterpart]
        theirs.state, theirs.reason_id = state, reason

    @precondition(lambda self: self.deliveries["agy"] or self.deliveries["adv"])
    @rule(
        tag=st.sampled_from(("agy", "adv")),
        index=st.integers(0, 99),
        state=st.sampled_from(
            [DeliveryState.ACCEPTED, DeliveryState.REJECTED, DeliveryState.RETURNED]
        ),
        reason=st.sampled_from(REASONS),
    )
    def feedback(self, tag: str, index: int, state: DeliveryState, reason: str | None) -> None:
        incoming = sorted(
            k for k, d in self.deliveries[tag].items() if d.direction is Direction.INCOMING
        )
        if not incoming:
            return
        delivery_id = incoming[index % len(incoming)]
        d = self.deliveries[tag][delivery_id]
        before = self._heads()
        if not self._feedback_allowed(d, state, reason):
            try:
                self.s[tag].deliveries.feedback(delivery_id, state, reason)
            except ValidationError:
                assert self._heads() == before
                return
            raise AssertionError(f"feedback {state} ({reason}) on a {d.state} delivery passed")
        updated = self.s[tag].deliveries.feedback(delivery_id, state, reason)
        assert (updated.state, updated.reason_id) == (state, reason)
        self._apply_feedback(tag, delivery_id, state, reason)
        sender = d.partner
        assert self.s[sender].deliveries.get(d.counterpart).state is state
        mine = [e for e in self._new_events(tag, before) if e.type.startswith("delivery.")]
        theirs = [e for e in self._new_events(sender, before) if e.type.startswith("delivery.")]
        assert [getattr(e, "delivery_id", None) for e in mine] == [delivery_id]
        assert [getattr(e, "delivery_id", None) for e in theirs] == [d.counterpart]
        assert theirs[0].actor_id is None

    @precondition(lambda self: self.deliveries["agy"])
    @rule(index=st.integers(0, 99))
    def pass_back(self, index: int) -> None:
        outgoing = sorted(
            k for k, d in self.deliveries["agy"].items() if d.direction is Direction.OUTGOING
        )
        if not outgoing:
            return
        out_id = outgoing[index % len(outgoing)]
        out = self.deliveries["agy"][out_id]
        incoming = next(
            (
                k
                for k, d in self.deliveries["agy"].items()
                if d.direction is Direction.INCOMING and d.lead_id == out.lead_id
            ),
            None,
        )
        allowed = (
            out.state is DeliveryState.RETURNED
            and incoming is not None
            and self._feedback_allowed(
                self.deliveries["agy"][incoming], DeliveryState.RETURNED, out.reason_id
            )
        )
        if not allowed:
            try:
                self.s["agy"].deliveries.pass_back(out_id)
            except ValidationError:
                return
            raise AssertionError("an impossible return was passed back")
        back = self.s["agy"].deliveries.pass_back(out_id)
        assert incoming is not None
        assert back.id == incoming
        self._apply_feedback("agy", incoming, DeliveryState.RETURNED, out.reason_id)

    @rule(minutes=st.integers(1, 90))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    # -- what each organisation can read --------------------------------------------------------

    @invariant()
    def no_organisation_reads_anything_of_another(self) -> None:
        if not self.s:
            return
        for tag in TAGS:
            self._check(tag)

    def _check(self, tag: str) -> None:
        s, org = self.s[tag], self.org[tag]
        own: set[str] = {org}
        seen: list[Any] = []

        users = s.users.list()
        user_ids = {u.id for u in users}
        leads = s.leads.list(include_done=True, limit=1000).items
        assert {x.id for x in leads} == set(self.leads[tag])
        for lead in leads:
            assert lead.organization_id == org
            assert lead.status_id == self.leads[tag][lead.id].status
            notes = s.leads.notes(lead.id)
            assert sorted(n.text for n in notes) == sorted(self.leads[tag][lead.id].notes)
            history = s.leads.history(lead.id, limit=1000).items
            trail = s.deliveries.trail(lead.id)
            for note in notes:
                assert note.organization_id == org
                own.add(note.id)
            for entry in history:
                assert entry.organization_id == org
                assert entry.actor_id in user_ids
                own.add(entry.id)
            seen += [lead, notes, history, trail]
        own |= {x.id for x in leads}

        assert {u.organization_id for u in users} == {org}
        own |= {u.id for u in users}
        partners = s.partners.list()
        own |= {p.id for p in partners} | {p.link_id for p in partners}
        partner_orgs = {p.partner_id for p in partners}

        counts = s.leads.status_counts(include_done=True)
        assert sum(counts.values()) == len(self.leads[tag])
        assert set(counts) <= {None, *(st_.id for st_ in WORKFLOWS[tag].statuses)}
        funnel = s.reports.funnel(by="all")
        assert sum(r.leads for r in funnel) == len(self.leads[tag])

        deliveries = s.deliveries.list()
        assert {d.id for d in deliveries} == set(self.deliveries[tag])
        for d in deliveries:
            want = self.deliveries[tag][d.id]
            assert d.organization_id == org
            assert (d.direction, d.lead_id, d.state, d.reason_id, d.link_id) == (
                want.direction, want.lead_id, want.state, want.reason_id, want.link_id,
            )  # fmt: skip
            assert d.partner_id == self.org[want.partner]
            own |= {d.id, d.link_id}
        report = s.deliveries.report(by="all")
        assert sum(r.total for r in report) == len(deliveries)
        for state, field in (
            (DeliveryState.ACCEPTED, "accepted"),
            (DeliveryState.REJECTED, "rejected"),
            (DeliveryState.RETURNED, "returned"),
            (DeliveryState.DUPLICATE, "duplicates"),
        ):
            assert sum(getattr(r, field) for r in report) == sum(
                1 for d in deliveries if d.state is state
            )

        events = [e.event for e in self.core.events.read(org)]
        for event in events:
            assert event.organization_id == org
            assert event.actor_id is None or event.actor_id in own
            own.add(event.event_id)

        text = repr([*seen, users, partners, counts, funnel, deliveries, report, events])
        strangers = set(ID_TOKEN.findall(text)) - own - partner_orgs
        assert not strangers, f"{tag} can read ids of other organisations: {sorted(strangers)}"
        assert set(STATUS_TOKEN.findall(text)) <= {tag}
        assert set(SECRET_TOKEN.findall(text)) <= {tag}
        self._probe(tag)

    def _probe(self, tag: str) -> None:
        """Another organisation's ids are answered exactly like ids that never existed."""
        s = self.s[tag]
        partner = next(iter(p.partner_id for p in s.partners.list()))
        calls: dict[str, tuple[Callable[[str], object], ...]] = {
            "lead": (
                s.leads.get,
                s.leads.notes,
                s.leads.history,
                s.deliveries.trail,
                s.routing.route,
                lambda ident: s.leads.forward(ident, partner),
            ),
            "delivery": (s.deliveries.get, s.deliveries.accept),
        }
        foreign = {
            "lead": [i for t in TAGS if t != tag for i in sorted(self.leads[t])[-2:]],
            "delivery": [i for t in TAGS if t != tag for i in sorted(self.deliveries[t])[-2:]],
        }
        for kind, idents in foreign.items():
            for call in calls[kind]:
                expected = _shape(call, f"{kind}-999999")
                for ident in idents:
                    assert _shape(call, ident) == expected


ThreeOrganisations.TestCase.settings = settings(
    ThreeOrganisations.TestCase.settings, max_examples=20, stateful_step_count=25
)
test_no_organisation_reads_another_ones_data_through_forwarding = ThreeOrganisations.TestCase
