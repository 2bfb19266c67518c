"""Old names of the forwarding API answer for one release, each with a ``DeprecationWarning``."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest

from leadcore import Leadcore, ManualClock, NotFound
from leadcore.forwarding import CapPeriod, DeliveryState, PartnerTerms
from leadcore.ids import SequentialIds
from leadcore.services.forwarding import DeliveriesService, RoutingService

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _chain() -> tuple[Leadcore, list[str]]:
    """A supplier and an agency; the supplier has sent the agency three leads."""
    core = Leadcore.open(clock=ManualClock(START), ids=SequentialIds())
    agency, dana = core.create_organization("Agency", admin_name="Dana", default_region="IL")
    a = core.session(dana.id)
    _, sue = a.partners.add_supplier("Supplier", admin_name="Sue")
    s = core.session(sue.id)
    (link,) = s.partners.list()
    s.deliveries.set_terms(link.id, PartnerTerms())
    for n in range(3):
        lead = s.leads.create(f"Lead {n}", phones=[f"+97252345670{n}"])
        s.leads.forward(lead.id, agency.id)
    received = [d.id for d in a.deliveries.list(direction="incoming")]
    return core, [dana.id, *received]


def test_the_reason_keyword_is_renamed_reason_id() -> None:
    core, (dana, first, second, third) = _chain()
    d = core.session(dana).deliveries
    with pytest.deprecated_call(match=r"accept\(reason=\.\.\.\) is renamed reason_id="):
        accepted = d.accept(first, reason="qualified")  # type: ignore[call-arg]
    assert (accepted.state, accepted.reason_id) == (DeliveryState.ACCEPTED, "qualified")
    with pytest.deprecated_call(match="reject"):
        assert d.reject(second, reason="wrong_number").reason_id == "wrong_number"  # type: ignore[call-arg]
    with pytest.deprecated_call(match="return_lead"):
        assert d.return_lead(first, reason="other").state is DeliveryState.RETURNED  # type: ignore[call-arg]
    with pytest.deprecated_call(match="feedback"):
        assert d.feedback(third, "returned", reason="other").reason_id == "other"  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="not also reason"):
        d.accept(first, reason="qualified", reason_id="qualified")  # type: ignore[call-arg]


def test_pass_back_takes_the_old_keyword_too() -> None:
    core, (dana, *_) = _chain()
    with pytest.deprecated_call(match="pass_back"), pytest.raises(NotFound):
        core.session(dana).deliveries.pass_back("delivery-999", reason="other")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("old", "new", "name"),
    [
        ("leadcore.leads.forwarding", DeliveriesService, "DeliveriesService"),
        ("leadcore.leads.forwarding", RoutingService, "RoutingService"),
        ("leadcore.leads._forwarding", CapPeriod, "CapPeriod"),
    ],
)
def test_old_module_paths_still_answer(old: str, new: object, name: str) -> None:
    module = importlib.import_module(old)
    with pytest.deprecated_call(match=f"{old}.{name} moved"):
        assert getattr(module, name) is new
