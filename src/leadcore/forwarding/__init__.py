"""Leads flowing between organisations: deliveries, feedback, terms, field mappings, routing rules.

Pure records and rules; the use cases live in :mod:`leadcore.services.forwarding`
(``s.leads.forward``, ``s.deliveries``, ``s.routing``).

>>> from leadcore.forwarding import DeliveryState
>>> [s.value for s in DeliveryState.DELIVERED.feedback_moves()]
['accepted', 'rejected', 'returned']
"""

from __future__ import annotations

from leadcore.forwarding import _serde  # noqa: F401  (registers the converter hooks)
from leadcore.forwarding._deliveries import (
    DEFAULT_REASONS,
    Delivery,
    DeliveryState,
    DeliveryTrail,
    Direction,
    DuplicateDisclosure,
    DuplicateHandling,
    FeedbackReason,
    ReceivingPolicy,
    feedback_problems,
)
from leadcore.forwarding._reports import DeliveryReportRow, ReportPeriod, delivery_report
from leadcore.forwarding._routing import (
    CapPeriod,
    Caps,
    CapUsage,
    Condition,
    ConditionOp,
    RoutingOutcome,
    RoutingRule,
    Strategy,
    Target,
    TargetKind,
    order_targets,
    period_key,
    rotate,
)
from leadcore.forwarding._terms import STANDARD_FIELDS, FieldMapping, LeadCopy, PartnerTerms

__all__ = [
    "DEFAULT_REASONS",
    "STANDARD_FIELDS",
    "CapPeriod",
    "CapUsage",
    "Caps",
    "Condition",
    "ConditionOp",
    "Delivery",
    "DeliveryReportRow",
    "DeliveryState",
    "DeliveryTrail",
    "Direction",
    "DuplicateDisclosure",
    "DuplicateHandling",
    "FeedbackReason",
    "FieldMapping",
    "LeadCopy",
    "PartnerTerms",
    "ReceivingPolicy",
    "ReportPeriod",
    "RoutingOutcome",
    "RoutingRule",
    "Strategy",
    "Target",
    "TargetKind",
    "delivery_report",
    "feedback_problems",
    "order_targets",
    "period_key",
    "rotate",
]
