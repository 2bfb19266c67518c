"""``s.routing``: routing rules with caps, and routing leads by them."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._text import checks_text
from leadcore.errors import ConflictError, NotFound, ValidationError
from leadcore.forwarding._deliveries import DeliveryState
from leadcore.forwarding._routing import (
    CapUsage,
    RoutingOutcome,
    RoutingRule,
    Strategy,
    Target,
    TargetKind,
    order_targets,
    period_key,
    rotate,
)
from leadcore.leads._model import HistoryKind, Lead
from leadcore.leads._query import LeadQuery
from leadcore.services._shared import (
    LEADS,
    ServiceContext,
    Work,
    Writer,
    retry_on_conflict,
    visible_lead,
)
from leadcore.services.forwarding._forward import ATTEMPTS, already_sent, forward_lead
from leadcore.tenancy import PartnerKind, Permission

__all__ = ["RoutingService"]


@checks_text
@checked_arguments
class RoutingService:
    """Routing rules and routing leads by them (``s.routing``).

    Rules are tried in order; the first that matches a lead and has a target
    able to take it routes the lead: to a user of this organisation (the lead
    is assigned to them) or to a partner (the lead is forwarded). A target
    whose cap for the current hour, day or month (in its own time zone) is
    used up is passed over. Caps stay exact under any number of concurrent
    routers: of two routes that would pass a cap, one runs again and sees it.
    """

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def rules(self) -> builtins.list[RoutingRule]:
        """The routing rules of this organisation, in the order they are tried."""
        with Work(self._ctx, None, "") as w:
            return list(w.uow.routing.rules(w.org))

    def set_rules(self, rules: Iterable[RoutingRule]) -> builtins.list[RoutingRule]:
        """Replace the routing rules (needs ``manage_partners``).

        Every problem of every rule is reported at once, each with its path
        (``rules[1].targets[0].id``). A rule's rotation and cap counters are
        kept across changes by its id.
        """
        wanted = list(rules)
        with Work(self._ctx, Permission.MANAGE_PARTNERS, "manage routing rules") as w:
            problems = self._problems(w, wanted)
            if problems:
                raise ValidationError("invalid routing rules", problems)
            w.uow.routing.put_rules(w.org, wanted)
            w.emit(ev.ForwardingSettingsChanged, setting="rules")
            w.uow.commit()
        return wanted

    @staticmethod
    def _problems(w: Writer, rules: Sequence[RoutingRule]) -> builtins.list[str]:
        problems: list[str] = []
        users = {u.id for u in w.uow.users.list(w.org) if u.active}
        advertisers = {
            p.partner_id for p in w.uow.partnerships.list(w.org) if p.kind is PartnerKind.ADVERTISER
        }
        workflow = w.uow.workflows.get(w.org, LEADS)
        seen: set[str] = set()
        for i, rule in enumerate(rules):
            path = f"rules[{i}]"
            if not isinstance(rule, RoutingRule):
                problems.append(f"{path}: expected a RoutingRule, got {type(rule).__name__}")
                continue
            problems.extend(rule.problems(path))
            if rule.id in seen:
                problems.append(f"{path}.id: {rule.id!r} is used by an earlier rule")
            seen.add(rule.id)
            for j, t in enumerate(rule.targets):
                if rule.to is TargetKind.USERS and t.id not in users:
                    problems.append(
                        f"{path}.targets[{j}].id: {t.id!r} is not an active user of this "
                        "organisation"
                    )
                if rule.to is TargetKind.PARTNERS and t.id not in advertisers:
                    problems.append(
                        f"{path}.targets[{j}].id: {t.id!r} is not an advertiser of this "
                        "organisation"
                    )
            for s in sorted(x for x in rule.statuses or () if x is not None):
                if workflow is not None and s not in workflow:
                    problems.append(
                        f"{path}.statuses: {s!r} is not a status of the current workflow"
                    )
        return problems

    def route(self, lead_id: str) -> RoutingOutcome:
        """Route one lead by the first rule that matches it and has a target that takes it.

        Routing to users needs ``assign_leads``; to partners,
        ``forward_leads``. A lead no rule can place comes back unrouted, with
        the reason for each rule and target passed over in ``skipped``.
        """

        def run() -> RoutingOutcome:
            with Work(self._ctx, None, "") as w:
                self._may_route(w)
                lead = visible_lead(w.uow, w.actor, lead_id)
                outcome = self._route(w, lead)
                w.uow.commit()
                return outcome

        return retry_on_conflict(run, ATTEMPTS)

    def route_many(self, lead_ids: Iterable[str]) -> dict[str, RoutingOutcome | Exception]:
        """Route several leads, each on its own; per lead, the outcome or the error."""
        out: dict[str, RoutingOutcome | Exception] = {}
        for lead_id in lead_ids:
            try:
                out[lead_id] = self.route(lead_id)
            except (NotFound, ValidationError, ConflictError) as exc:
                out[lead_id] = exc
        return out

    def usage(self) -> builtins.list[CapUsage]:
        """How much of each cap each target has used in its current period (``see_reports``)."""
        with Work(self._ctx, Permission.SEE_REPORTS, "see routing usage") as w:
            out = []
            for rule in w.uow.routing.rules(w.org):
                for t in rule.targets:
                    tz = self._timezone(w, rule, t)
                    for period, limit in t.caps.limits():
                        key = period_key(period, w.now, tz)
                        used = w.uow.routing.count(w.org, rule.id, t.id, key)
                        out.append(CapUsage(rule.id, t.id, period, key, used, limit))
            return out

    # -- the routing itself -----------------------------------------------------------------

    @staticmethod
    def _may_route(w: Writer) -> None:
        if not (w.actor.has(Permission.ASSIGN_LEADS) or w.actor.has(Permission.FORWARD_LEADS)):
            w.actor.require(Permission.ASSIGN_LEADS, "route leads")

    def _route(self, w: Writer, lead: Lead) -> RoutingOutcome:
        skipped: list[str] = []
        for rule in w.uow.routing.rules(w.org):
            why = rule.refusal(lead)
            if why is not None:
                skipped.append(f"rule {rule.id!r}: {why}")
                continue
            if rule.to is TargetKind.USERS:
                w.actor.require(Permission.ASSIGN_LEADS, "route leads to users")
            else:
                w.actor.require(Permission.FORWARD_LEADS, "route leads to partners")
            outcome = self._apply(w, rule, lead, skipped)
            if outcome is not None:
                return outcome
            skipped.append(f"rule {rule.id!r}: no target could take the lead")
        if not skipped:
            skipped.append("no routing rules are set")
        return RoutingOutcome(lead.id, skipped=tuple(skipped))

    @staticmethod
    def _timezone(w: Writer, rule: RoutingRule, target: Target) -> str:
        if rule.to is TargetKind.USERS:
            user = w.uow.users.get(w.org, target.id)
            if user is not None and user.timezone:
                return user.timezone
            org = w.uow.organizations.get(w.org)
        else:
            org = w.uow.organizations.get(target.id)
        return org.timezone if org is not None else "UTC"

    def _unavailable(self, w: Writer, rule: RoutingRule, target: Target, lead: Lead) -> str | None:
        if rule.to is TargetKind.USERS:
            user = w.uow.users.get(w.org, target.id)
            if user is None or not user.active:
                return "not an active user"
            return None
        partner = next(
            (
                p
                for p in w.uow.partnerships.list(w.org)
                if p.partner_id == target.id and p.kind is PartnerKind.ADVERTISER
            ),
            None,
        )
        if partner is None or not partner.active:
            return "no active partnership"
        if already_sent(w, lead, target.id) is not None:
            return "the lead was already sent there"
        return None

    def _apply(
        self, w: Writer, rule: RoutingRule, lead: Lead, skipped: list[str]
    ) -> RoutingOutcome | None:
        eligible: list[Target] = []
        keys: dict[str, list[str]] = {}
        for t in rule.targets:
            why = self._unavailable(w, rule, t, lead)
            tz = self._timezone(w, rule, t)
            periods = [(p, n, period_key(p, w.now, tz)) for p, n in t.caps.limits()]
            for period, limit, key in periods:
                if why is None and w.uow.routing.count(w.org, rule.id, t.id, key) >= limit:
                    why = f"its cap of {limit} per {period.value} is used up ({key})"
            if why is not None:
                skipped.append(f"rule {rule.id!r}, target {t.id!r}: {why}")
                continue
            eligible.append(t)
            keys[t.id] = [key for _, _, key in periods]
        loads = self._loads(w, eligible) if rule.strategy is Strategy.BY_LOAD else {}
        rotation = w.uow.routing.rotation(w.org, rule.id)
        for t in order_targets(rule, eligible, rotation, loads):
            delivery = None
            if rule.to is TargetKind.USERS:
                self._assign(w, lead, t.id)
            else:
                delivery = forward_lead(w, lead, t.id, rule_id=rule.id)
                if delivery.state is not DeliveryState.DELIVERED:
                    skipped.append(
                        f"rule {rule.id!r}, target {t.id!r}: the delivery ended "
                        f"{delivery.state.value}"
                    )
                    continue
            for key in keys[t.id]:
                w.uow.routing.add_count(w.org, rule.id, t.id, key)
            # Written even when unchanged: concurrent routes by one rule then conflict and
            # run again in turn, so the rotation never hands two leads the same turn.
            w.uow.routing.put_rotation(w.org, rule.id, rotate(rule, eligible, rotation, t.id))
            w.emit(
                ev.LeadRouted,
                lead_id=lead.id,
                rule_id=rule.id,
                to=str(rule.to),
                target_id=t.id,
                delivery_id=delivery.id if delivery else None,
            )
            return RoutingOutcome(
                lead.id,
                rule_id=rule.id,
                to=rule.to,
                target_id=t.id,
                delivery=delivery,
                skipped=tuple(skipped),
            )
        return None

    @staticmethod
    def _loads(w: Writer, targets: Sequence[Target]) -> dict[str, int]:
        """Open leads (not done, not converted) assigned to each user."""
        workflow = w.uow.workflows.get(w.org, LEADS)
        done = frozenset(workflow.done_statuses()) if workflow is not None else frozenset()
        return {
            t.id: len(
                w.uow.leads.query(
                    w.org,
                    LeadQuery(assignee_id=t.id, exclude_status_ids=done, converted=False),
                )
            )
            for t in targets
        }

    @staticmethod
    def _assign(w: Writer, lead: Lead, user_id: str) -> None:
        w.save(lead, attrs.evolve(lead, assignee_ids=(user_id,)))
        w.history(lead, HistoryKind.ASSIGNED, text=user_id)
        w.emit(ev.LeadAssigned, lead_id=lead.id, assignee_ids=(user_id,))
