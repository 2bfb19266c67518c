"""Use cases of leads flowing between organisations.

- ``s.leads.forward(lead_id, to_org_id)`` sends a lead to a partner;
- ``s.deliveries`` (:class:`DeliveriesService`): delivery records, feedback
  (accept, reject, return, pass a return upstream), partner terms, the
  receiving policy, and delivery reports;
- ``s.routing`` (:class:`RoutingService`): routing rules with caps, and
  routing a lead by them.

Forwarding is the one use case in which an organisation's action writes into
another organisation: the receiver's lead, its delivery record and its events
are written in the sender's unit of work, together with the sender's record,
or not at all. Nothing of the receiver flows back except the delivery outcome
its policy discloses and the feedback it gives.

The pure records and rules are in :mod:`leadcore.forwarding`.
"""

from __future__ import annotations

from leadcore.services.forwarding._deliveries import DeliveriesService
from leadcore.services.forwarding._forward import forward, forward_lead
from leadcore.services.forwarding._routing import RoutingService

__all__ = ["DeliveriesService", "RoutingService", "forward", "forward_lead"]
