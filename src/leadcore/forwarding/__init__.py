"""Leads flowing between organisations: deliveries, feedback, terms, field mappings, routing rules.

Pure records and rules; the use cases live in :mod:`leadcore.services.forwarding`
(``s.leads.forward``, ``s.deliveries``, ``s.routing``).

>>> from leadcore.forwarding import DeliveryState
>>> [s.value for s in DeliveryState.DELIVERED.feedback_moves()]
['accepted', 'rejected', 'returned']
"""

from __future__ import annotations

from leadcore.forwarding._model import (
    DEFAULT_REASONS,
    STANDARD_FIELDS,
    CapPeriod,
    Caps,
    CapUsage,
    Condition,
    ConditionOp,
    Delivery,
    DeliveryReportRow,
    DeliveryState,
    DeliveryTrail,
    Direction,
    DuplicateDisclosure,
    DuplicateHandling,
    FeedbackReason,
    FieldMapping,
    LeadCopy,
    PartnerTerms,
    ReceivingPolicy,
    ReportPeriod,
    RoutingOutcome,
    RoutingRule,
    Strategy,
    Target,
    TargetKind,
    delivery_report,
    feedback_problems,
    order_targets,
    period_key,
    rotate,
)

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
