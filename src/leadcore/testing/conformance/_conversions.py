"""Checks of accounts, contacts, opportunities and conversion records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TypeVar

import attrs

from leadcore.leads import (
    Account,
    Contact,
    Conversion,
    Opportunity,
    PipelineEntry,
    PipelineEntryKind,
    PipelineSettings,
)
from leadcore.storage.protocols import Storage
from leadcore.testing.conformance._base import StorageFixtures
from leadcore.testing.conformance._records import T0, Records
from leadcore.testing.conformance._scope import Scope as Ids
from leadcore.testing.conformance._scope import at

__all__ = ["ConversionRepositoryTests"]

S = TypeVar("S", bound=Storage)


class ConversionRepositoryTests(StorageFixtures[S]):
    """The records after conversion: orders, changes and isolation.

    ``uow.accounts``, ``contacts``, ``opportunities``, ``conversions``,
    ``pipeline_history`` and ``pipeline_settings``.
    """

    def test_conversion_records_and_what_they_link(self, storage: S, records: Records) -> None:
        ids = Ids(records)
        org = ids.org
        account = Account(ids("acc-1"), org, "Cohen Ltd", T0, created_from_lead_id=ids("l1"))
        contacts = [Contact(ids(f"con-{n}"), org, n, ids("acc-1"), T0) for n in ("Ben", "Avi")]
        opportunities = [
            Opportunity(ids(f"opp-{i}"), org, "Deal", ids("acc-1"), None, "prospecting", 1, at(i))
            for i in (2, 1)
        ]
        conversions = [
            Conversion(
                ids(f"conv-{i}"),
                org,
                ids(lead_name),
                at(i),
                "user-1",
                ids("con-Avi"),
                ids("acc-1"),
                i == 1,
                None,
                None,
                "won",
                {"name": lead_name},
            )
            for i, lead_name in ((2, "l2"), (1, "l1"), (3, "l1"))
        ]
        with storage.unit_of_work() as uow:
            uow.accounts.add(account)
            uow.accounts.add(Account(ids("acc-0"), org, "Abba", T0))
            uow.accounts.add(Account(ids("acc-9"), ids.other, "Abba", T0))
            for c in contacts:
                uow.contacts.add(c)
            for o in opportunities:
                uow.opportunities.add(o)
            for conv in conversions:
                uow.conversions.add(conv)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.get(org, ids("acc-1")) == account
            assert ids.names(uow.accounts.list(org)) == ["acc-0", "acc-1"]
            assert ids.names(uow.accounts.list(ids.other)) == ["acc-9"]
            assert ids.names(uow.contacts.for_account(org, ids("acc-1"))) == ["con-Avi", "con-Ben"]
            by_created = uow.opportunities.for_account(org, ids("acc-1"))
            assert ids.names(by_created) == ["opp-1", "opp-2"]
            assert ids.names(uow.conversions.list(org)) == ["conv-1", "conv-2", "conv-3"]
            assert ids.names(uow.conversions.for_lead(org, ids("l1"))) == ["conv-1", "conv-3"]
            used = uow.conversions.for_account(org, ids("acc-1"))
            assert ids.names(used) == ["conv-1", "conv-2", "conv-3"]
            undone = attrs.evolve(conversions[1], undone_at=at(9), undone_by="user-2")
            uow.conversions.update(undone)
            staged = attrs.evolve(opportunities[0], stage_id="qualification")
            uow.opportunities.update(staged)
            assert uow.conversions.get(org, ids("conv-1")) == undone
            assert uow.opportunities.get(org, ids("opp-2")) == staged
            assert uow.contacts.get(org, ids("con-Avi")) == contacts[1]

    def test_records_of_one_organisation_are_invisible_from_another(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        org, other = ids.org, ids.other
        with storage.unit_of_work() as uow:
            uow.accounts.add(Account(ids("acc"), org, "Cohen Ltd", T0))
            uow.contacts.add(Contact(ids("con"), org, "Avi", ids("acc"), T0))
            uow.opportunities.add(
                Opportunity(ids("opp"), org, "Deal", ids("acc"), None, "prospecting", 1, T0)
            )
            uow.conversions.add(
                Conversion(
                    ids("conv"),
                    org,
                    ids("lead"),
                    T0,
                    "user-1",
                    ids("con"),
                    ids("acc"),
                    True,
                    None,
                    None,
                    "won",
                    {},
                )
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.get(other, ids("acc")) is None
            assert uow.accounts.list(other) == []
            assert uow.contacts.get(other, ids("con")) is None
            assert uow.contacts.for_account(other, ids("acc")) == []
            assert uow.opportunities.get(other, ids("opp")) is None
            assert uow.opportunities.for_account(other, ids("acc")) == []
            assert uow.conversions.get(other, ids("conv")) is None
            assert uow.conversions.list(other) == []
            assert uow.conversions.for_lead(other, ids("lead")) == []
            assert uow.conversions.for_account(other, ids("acc")) == []

    def test_pipeline_records_change_and_their_history_keeps_its_order(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        org, other = ids.org, ids.other
        account = Account(ids("acc"), org, "Cohen Ltd", T0)
        contact = Contact(ids("con"), org, "Avi", ids("acc"), T0)
        deal = Opportunity(
            ids("opp"), org, "Deal", ids("acc"), None, "prospecting", 1, T0,
            amount=Decimal("1200.50"), currency="EUR", close_date=date(2026, 4, 1),
        )  # fmt: skip
        entries = [
            PipelineEntry(ids(f"h{n}"), org, ids("opp"), PipelineEntryKind.UPDATED, at(t), "u")
            for n, t in ((2, 1), (1, 1), (3, 0))
        ]
        with storage.unit_of_work() as uow:
            uow.accounts.add(account)
            uow.contacts.add(contact)
            uow.opportunities.add(deal)
            uow.opportunities.add(attrs.evolve(deal, id=ids("opp-0"), created_at=at(-1)))
            for e in entries:
                uow.pipeline_history.add(e)
            uow.pipeline_settings.put(
                org, PipelineSettings(lost_reasons=("price",), force_notes_on_stage_change=True)
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            renamed = attrs.evolve(account, name="Cohen", merged_into=ids("acc-2"), version=2)
            uow.accounts.update(renamed)
            moved = attrs.evolve(contact, account_id=ids("acc-2"))
            uow.contacts.update(moved)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.get(org, ids("acc")) == renamed
            assert uow.contacts.get(org, ids("con")) == moved
            assert uow.contacts.list(org) == [moved]
            assert uow.opportunities.get(org, ids("opp")) == deal
            assert ids.names(uow.opportunities.list(org)) == ["opp-0", "opp"]
            assert ids.names(uow.pipeline_history.for_subject(org, ids("opp"))) == [
                "h3",
                "h1",
                "h2",
            ]
            settings = uow.pipeline_settings.get(org)
            assert settings == PipelineSettings(
                lost_reasons=("price",), force_notes_on_stage_change=True
            )
            assert uow.pipeline_settings.get(other) is None
            assert uow.pipeline_history.for_subject(other, ids("opp")) == []
            assert uow.opportunities.list(other) == []
            assert uow.contacts.list(other) == []
