"""Forwarding through the facade on every SQL backend answers exactly as on MemoryStorage.

One script runs supplier -> agency -> advertiser forwarding on two facades,
one on the reference memory adapter and one on the SQL backend, with one
manual clock and sequential ids each: partners, terms and policies,
forwarding (delivered, duplicate, failed, sent twice), feedback (accept,
reject, return, pass back, refused ones), routing rules with caps to users
and to partners, and every read (lists with filters, trails, reports, usage,
the outbox of each organisation). Every answer, value or error, must be the
same.

A second, random run extends the kit's stateful comparison with forwarding
and routing operations.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from tests.integration.conftest import BACKENDS, new_storage

from leadcore import Leadcore, ManualClock, Session
from leadcore.errors import LeadcoreError
from leadcore.forwarding import (
    Caps,
    Condition,
    Delivery,
    DeliveryState,
    DuplicateDisclosure,
    DuplicateHandling,
    FieldMapping,
    PartnerTerms,
    ReceivingPolicy,
    RoutingRule,
    Target,
)
from leadcore.ids import SequentialIds
from leadcore.leads import FieldDefinition, LeadSettings
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.sql import SqlStorage
from leadcore.testing.conformance import ForwardingAnswersAsMemory

T = TypeVar("T")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORGS = ("agency", "supplier", "insure", "cars")


@attrs.frozen
class Outcome:
    """What a call answered: its value, or the type and message of the leadcore error."""

    value: Any
    error: tuple[str, str] | None


def outcome(call: Callable[[], object]) -> Outcome:
    try:
        return Outcome(call(), None)
    except LeadcoreError as exc:
        return Outcome(None, (type(exc).__name__, str(exc)))


class Twins:
    """The same organisations on MemoryStorage and on the storage under test."""

    def __init__(self, subject: SqlStorage) -> None:
        self.clock = ManualClock(START)
        self.cores = (
            Leadcore(storage=MemoryStorage(), clock=self.clock, ids=SequentialIds()),
            Leadcore(storage=subject, clock=self.clock, ids=SequentialIds()),
        )
        self.sessions: dict[str, tuple[Session, Session]] = {}
        self.org: dict[str, str] = {}
        self.answers = 0

    def same(self, call: Callable[[Leadcore], T]) -> T:
        """Call both facades; the answers must be equal."""
        found = [outcome(lambda core=core: call(core)) for core in self.cores]  # type: ignore[misc]
        assert found[1] == found[0], "the SQL storage answered differently from MemoryStorage"
        self.answers += 1
        assert found[0].error is None, found[0].error
        value: T = found[0].value
        return value

    def ok(self, who: str, call: Callable[[Session], T]) -> T:
        """Call as ``who`` on both; both must answer the same value."""
        return self.answer(who, call).value  # type: ignore[no-any-return]

    def fails(self, who: str, call: Callable[[Session], object], error: str) -> str:
        """Call as ``who`` on both; both must raise the same ``error`` with the same message."""
        found = self.answer(who, call, allow_error=True)
        assert found.error is not None, f"expected {error}, got {found.value!r}"
        assert found.error[0] == error, found.error
        return found.error[1]

    def answer(
        self, who: str, call: Callable[[Session], object], *, allow_error: bool = False
    ) -> Outcome:
        reference, subject = self.sessions[who]
        expected = outcome(lambda: call(reference))
        actual = outcome(lambda: call(subject))
        assert actual == expected, "the SQL storage answered differently from MemoryStorage"
        self.answers += 1
        if not allow_error:
            assert expected.error is None, expected.error
        return expected

    def login(self, who: str, user_id: str) -> None:
        self.sessions[who] = (self.cores[0].session(user_id), self.cores[1].session(user_id))

    def same_outboxes(self) -> None:
        for org in self.org.values():
            self.same(lambda core, org=org: core.events.read(org))  # type: ignore[misc]

    def close(self) -> None:
        for core in self.cores:
            core.close()


def open_subject(backend: str, request: pytest.FixtureRequest) -> SqlStorage:
    return new_storage(request, backend, "forwarding")


@pytest.fixture(params=BACKENDS)
def twins(request: pytest.FixtureRequest) -> Iterator[Twins]:
    made = Twins(open_subject(str(request.param), request))
    yield made
    made.close()


def _set_up(t: Twins) -> None:
    org, dana = t.same(
        lambda c: c.create_organization(
            "Star Media", admin_name="Dana", default_region="IL", timezone="Asia/Jerusalem"
        )
    )
    t.org["agency"] = org.id
    t.login("agency", dana.id)
    for who, kind, name, admin, tz in (
        ("supplier", "supplier", "Leads Ltd", "Sue", "UTC"),
        ("insure", "advertiser", "Insure Co", "Avi", "UTC"),
        ("cars", "advertiser", "Car Co", "Cal", "Asia/Jerusalem"),
    ):
        add = "add_supplier" if kind == "supplier" else "add_advertiser"
        partner, admin_user = t.ok(
            "agency",
            lambda s, add=add, name=name, admin=admin, tz=tz: getattr(s.partners, add)(  # type: ignore[misc]
                name, admin_name=admin, timezone=tz
            ),
        )
        t.org[who] = partner.id
        t.login(who, admin_user.id)


def _forward(s: Session, lead_id: str, to: str) -> Delivery:
    return s.leads.forward(lead_id, to)


def _partnership(t: Twins, who: str, partner: str) -> str:
    found = t.ok(who, lambda s: s.partners.list("advertiser"))
    (link,) = [p for p in found if p.partner_id == t.org[partner]]
    return str(link.id)


def test_forwarding_and_routing_answer_as_on_memory(twins: Twins) -> None:
    t = twins
    _set_up(t)

    # -- what each organisation sets --------------------------------------------------------
    to_agency = _partnership(t, "supplier", "agency")
    to_insure = _partnership(t, "agency", "insure")
    t.ok(
        "supplier",
        lambda s: s.deliveries.set_terms(to_agency, PartnerTerms(return_window=timedelta(days=1))),
    )
    t.ok(
        "agency",
        lambda s: s.deliveries.set_terms(
            to_insure,
            PartnerTerms(FieldMapping(standard={"name", "phones"}), timedelta(hours=2)),
        ),
    )
    t.fails("agency", lambda s: s.deliveries.set_terms(to_agency, PartnerTerms()), "NotFound")
    t.ok(
        "agency",
        lambda s: s.deliveries.set_policy(ReceivingPolicy(disclosure=DuplicateDisclosure.REJECTED)),
    )
    t.ok(
        "insure",
        lambda s: s.deliveries.set_policy(ReceivingPolicy(duplicates=DuplicateHandling.KEEP)),
    )
    t.ok("agency", lambda s: s.deliveries.terms(to_insure))
    t.ok("cars", lambda s: s.deliveries.policy())

    # -- the supplier sends leads to the agency ---------------------------------------------
    phones = ["052-345-6701", "052-345-6702", "052-345-6703", "052-345-6701", "052-345-6704"]
    leads = [
        t.ok("supplier", lambda s, i=i, p=p: s.leads.create(f"Noa {i}", phones=[p])).id  # type: ignore[misc]
        for i, p in enumerate(phones)
    ]
    sent = []
    for lead_id in leads:
        forward = functools.partial(_forward, lead_id=lead_id, to=t.org["agency"])
        sent.append(t.ok("supplier", forward))
        t.clock.advance(timedelta(minutes=1))
    assert [d.state for d in sent].count(DeliveryState.REJECTED) == 1  # the duplicate phone
    t.fails("supplier", lambda s: s.leads.forward(leads[0], t.org["agency"]), "ValidationError")
    t.fails("supplier", lambda s: s.leads.forward(leads[0], t.org["insure"]), "NotFound")
    t.fails("agency", lambda s: s.leads.forward("lead-404", t.org["insure"]), "NotFound")

    # A receiver whose fields the lead does not fit: the delivery fails, then succeeds.
    t.ok(
        "agency",
        lambda s: s.leads.set_settings(
            LeadSettings(custom_fields=(FieldDefinition("score", "integer", required=True),))
        ),
    )
    late = t.ok("supplier", lambda s: s.leads.create("Late", phones=["052-345-6709"])).id
    failed = t.ok("supplier", lambda s: s.leads.forward(late, t.org["agency"]))
    assert failed.state is DeliveryState.FAILED
    t.ok("agency", lambda s: s.leads.set_settings(LeadSettings()))
    t.ok("supplier", lambda s: s.leads.forward(late, t.org["agency"]))

    # -- the agency answers -----------------------------------------------------------------
    incoming = t.ok("agency", lambda s: s.deliveries.list(direction="incoming", state="delivered"))
    assert len(incoming) == 5
    first, second, third, fourth, fifth = (d.id for d in incoming)
    t.ok("agency", lambda s: s.deliveries.accept(first, reason_id="qualified"))
    t.ok("agency", lambda s: s.deliveries.reject(second, "wrong_number"))
    t.fails("agency", lambda s: s.deliveries.feedback(third, "rejected"), "ValidationError")
    t.fails("agency", lambda s: s.deliveries.reject(second, "other"), "ValidationError")
    t.fails("agency", lambda s: s.deliveries.accept(sent[0].id), "NotFound")
    t.fails("supplier", lambda s: s.deliveries.accept(sent[0].id), "ValidationError")
    t.ok("agency", lambda s: s.deliveries.accept(third))

    # ... passes the accepted ones on, and gets a return it passes back upstream.
    for delivery_id in (first, third):
        received = t.ok("agency", lambda s, d=delivery_id: s.deliveries.get(d))  # type: ignore[misc]
        t.ok("agency", lambda s, r=received: s.leads.forward(r.lead_id, t.org["insure"]))  # type: ignore[misc]
    t.clock.advance(timedelta(minutes=30))
    at_insure = t.ok("insure", lambda s: s.deliveries.list(direction="incoming"))
    t.ok("insure", lambda s: s.deliveries.return_lead(at_insure[0].id, "wrong_number"))
    t.ok("insure", lambda s: s.deliveries.accept(at_insure[1].id))
    onward = t.ok("agency", lambda s: s.deliveries.list(direction="outgoing", state="returned"))
    t.ok("agency", lambda s: s.deliveries.pass_back(onward[0].id))
    t.fails("agency", lambda s: s.deliveries.pass_back(onward[0].id), "ValidationError")
    t.clock.advance(timedelta(hours=3))
    t.fails(
        "insure", lambda s: s.deliveries.return_lead(at_insure[1].id, "other"), "ValidationError"
    )
    t.ok("agency", lambda s: s.deliveries.return_lead(fourth, "not_interested"))
    t.clock.advance(timedelta(days=2))
    t.fails("agency", lambda s: s.deliveries.return_lead(fifth, "other"), "ValidationError")

    # -- routing with caps ------------------------------------------------------------------
    users = [
        t.ok("agency", lambda s, n=n: s.users.create(n, "salesperson")).id  # type: ignore[misc]
        for n in ("Omer", "Yael")
    ]
    rules = [
        RoutingRule(
            "buyers",
            "Buyers",
            to="partners",
            strategy="cascade",
            channels={"web"},
            targets=[
                Target(t.org["cars"], caps=Caps(per_hour=2, per_day=3)),
                Target(t.org["insure"], caps=Caps(per_day=2)),
            ],
        ),
        RoutingRule(
            "team",
            "Team",
            to="users",
            strategy="weighted",
            conditions=[Condition("name", "starts_with", "own")],
            targets=[Target(users[0], weight=2, caps=Caps(per_hour=3)), Target(users[1])],
        ),
    ]
    t.ok("agency", lambda s: s.routing.set_rules(rules))
    t.fails(
        "agency",
        lambda s: s.routing.set_rules([attrs.evolve(rules[0], targets=[Target("org-404")])]),
        "ValidationError",
    )
    t.ok("agency", lambda s: s.routing.rules())
    mine = [
        t.ok(
            "agency",
            lambda s, i=i: s.leads.create(  # type: ignore[misc]
                f"Own {i}" if i % 3 else f"Web {i}",
                phones=[f"053-111-{i:04d}"],
                channel="web" if i % 3 == 0 else None,
            ),
        ).id
        for i in range(15)
    ]
    for hour in range(3):
        for lead_id in mine[hour * 5 : hour * 5 + 5]:
            t.ok("agency", lambda s, lead_id=lead_id: s.routing.route(lead_id))  # type: ignore[misc]
        t.ok("agency", lambda s: s.routing.usage())
        t.clock.advance(timedelta(minutes=40))
    t.ok("agency", lambda s: s.routing.route_many(mine[:3]))
    t.fails("agency", lambda s: s.routing.route("lead-404"), "NotFound")

    # -- every read, from every organisation ----------------------------------------------
    t.clock.advance(timedelta(days=40))
    for who in ORGS:
        everything = t.ok(who, lambda s: s.deliveries.list())
        for direction in ("incoming", "outgoing"):
            t.ok(who, lambda s, d=direction: s.deliveries.list(direction=d))  # type: ignore[misc]
        for partner in ORGS:
            t.ok(who, lambda s, p=partner: s.deliveries.list(partner_id=t.org[p]))  # type: ignore[misc]
        for state in DeliveryState:
            t.ok(who, lambda s, st_=state: s.deliveries.list(state=st_))  # type: ignore[misc]
        t.ok(
            who,
            lambda s: s.deliveries.list(
                start=START + timedelta(minutes=2), end=START + timedelta(hours=1)
            ),
        )
        for by in ("day", "week", "month", "all"):
            t.ok(who, lambda s, by=by: s.deliveries.report(by=by))  # type: ignore[misc]
        for lead in t.ok(who, lambda s: s.leads.list(include_done=True, limit=100)).items:
            t.ok(who, lambda s, lead=lead: s.deliveries.trail(lead.id))  # type: ignore[misc]
        for d in everything:
            t.ok(who, lambda s, d=d: s.deliveries.get(d.id))  # type: ignore[misc]
        t.fails(who, lambda s: s.deliveries.get("delivery-404"), "NotFound")
        t.ok(who, lambda s: s.routing.usage())
        t.ok(who, lambda s: s.leads.status_counts(include_done=True))
    t.same_outboxes()
    assert t.answers > 150


# -- random operations ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_random_forwarding_answers_as_on_memory(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    def subject() -> SqlStorage:
        return open_subject(backend, request)

    machine = type(
        f"ForwardingOn{backend.title().replace('-', '')}",
        (ForwardingAnswersAsMemory,),
        {"open_subject": staticmethod(subject)},
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=10,
            stateful_step_count=50,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
