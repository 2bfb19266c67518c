"""The stateful comparison with forwarding: advertisers, deliveries, feedback and routing.

:class:`ForwardingAnswersAsMemory` is :class:`SameAnswersAsMemory` with
advertisers that receive forwarded leads under a receiving policy and terms,
their feedback, routing rules with caps to users and to partners, and every
read of both sides (deliveries, trails, the report, cap usage, the
advertiser's own lead list). It needs ``Capabilities.forwarding``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from leadcore.forwarding import (
    Caps,
    DuplicateHandling,
    PartnerTerms,
    ReceivingPolicy,
    RoutingRule,
    Target,
)
from leadcore.testing.conformance._comparison import SameAnswersAsMemory

__all__ = ["ForwardingAnswersAsMemory"]

T = TypeVar("T")


class ForwardingAnswersAsMemory(SameAnswersAsMemory):
    """The kit's comparison, with advertisers, forwarding, feedback and routing added."""

    def __init__(self) -> None:
        super().__init__()
        self.advertisers: list[tuple[str, str]] = []
        """(organisation id, admin user id) of each advertiser."""
        self.deliveries: list[tuple[str, str]] = []
        """(advertiser admin id, delivery id) of each received delivery."""

    @initialize()
    def organization(self) -> None:
        """The kit's organisation, supplier and project, and a first advertiser."""
        super().organization()
        self.add_advertiser(keep=False, window=90)

    @precondition(lambda self: self.sessions is not None and len(self.advertisers) < 2)
    @rule(keep=st.booleans(), window=st.sampled_from([None, 1, 90]))
    def add_advertiser(self, keep: bool, window: int | None) -> None:
        """Add an advertiser with a receiving policy and terms."""
        name = f"Buyer {len(self.advertisers)}"
        added = self.both(lambda s: s.partners.add_advertiser(name, admin_name="Avi"))
        assert added is not None
        org, admin = added
        self.orgs.append(org.id)
        self.advertisers.append((org.id, admin.id))
        handling = DuplicateHandling.KEEP if keep else DuplicateHandling.REJECT
        self.as_user(admin.id, lambda s: s.deliveries.set_policy(ReceivingPolicy(handling)))
        links = self.both(lambda s: s.partners.list("advertiser")) or []
        (link,) = [p for p in links if p.partner_id == org.id]
        terms = PartnerTerms(return_window=None if window is None else timedelta(minutes=window))
        self.both(lambda s: s.deliveries.set_terms(link.id, terms))

    @precondition(lambda self: bool(self.leads and self.advertisers))
    @rule(data=st.data())
    def forward(self, data: st.DataObject) -> None:
        """Forward a few leads (possibly ones already sent) to an advertiser."""
        lead_ids = data.draw(st.lists(st.sampled_from(self.leads), min_size=1, max_size=3))
        org_id, admin_id = data.draw(st.sampled_from(self.advertisers))
        for lead_id in lead_ids:
            sent = self.both(lambda s, lead_id=lead_id: s.leads.forward(lead_id, org_id))  # type: ignore[misc]
            if sent is not None:
                received = self.as_user(admin_id, lambda s: s.deliveries.list()) or []
                self.deliveries += [(admin_id, d.id) for d in received if d.link_id == sent.link_id]

    @precondition(lambda self: bool(self.deliveries))
    @rule(
        data=st.data(),
        state=st.sampled_from(["accepted", "rejected", "returned"]),
        reason=st.sampled_from([None, "qualified", "wrong_number", "other"]),
    )
    def feedback(self, data: st.DataObject, state: str, reason: str | None) -> None:
        """An advertiser gives feedback, allowed or not."""
        admin_id, delivery_id = data.draw(st.sampled_from(self.deliveries))
        self.as_user(admin_id, lambda s: s.deliveries.feedback(delivery_id, state, reason))

    @precondition(lambda self: bool(self.advertisers))
    @rule(cap=st.integers(0, 3), users=st.booleans())
    def set_rules(self, cap: int, users: bool) -> None:
        """Route to the advertisers by cascade with a cap, or to the users in turn."""
        if users:
            targets = [Target(u, caps=Caps(per_hour=cap)) for u in self.users]
            rule_ = RoutingRule("team", "Team", to="users", targets=targets)
        else:
            targets = [Target(o, caps=Caps(per_day=cap)) for o, _ in self.advertisers]
            rule_ = RoutingRule("buyers", "Buyers", to="partners", strategy="cascade",
                                targets=targets)  # fmt: skip
        self.both(lambda s: s.routing.set_rules([rule_]))

    @precondition(lambda self: bool(self.leads))
    @rule(data=st.data())
    def route(self, data: st.DataObject) -> None:
        """Route a few leads by the rules."""
        for lead_id in data.draw(st.lists(st.sampled_from(self.leads), min_size=1, max_size=4)):
            self.both(lambda s, lead_id=lead_id: s.routing.route(lead_id))  # type: ignore[misc]

    @rule(by=st.sampled_from(["day", "month", "all"]))
    def read_deliveries(self, by: str) -> None:
        """Read deliveries, trails, the report and cap usage on each side."""
        self.both(lambda s: s.deliveries.list())
        self.both(lambda s: s.deliveries.report(by=by))  # type: ignore[arg-type]
        self.both(lambda s: s.routing.usage())
        for lead_id in self.leads[-3:]:
            self.both(lambda s, lead_id=lead_id: s.deliveries.trail(lead_id))  # type: ignore[misc]
        for _, admin_id in self.advertisers:
            self.as_user(admin_id, lambda s: s.deliveries.list())
            self.as_user(admin_id, lambda s: s.leads.list(include_done=True, limit=50))
