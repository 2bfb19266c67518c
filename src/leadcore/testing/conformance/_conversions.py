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
from leadcore.workflow import name_key

__all__ = ["ConversionRepositoryTests"]

S = TypeVar("S", bound=Storage)


class ConversionRepositoryTests(StorageFixtures[S]):
    """The records after conversion: orders, changes and isolation.

    ``uow.accounts``, ``contacts``, ``opportunities``, ``conversions``,
    ``pipeline_history`` and ``pipeline_settings``; accounts and contacts
    found by a shared phone, e-mail or name key (``matching``).
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

    def test_accounts_and_contacts_are_found_by_a_shared_phone_email_or_name(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        org, other = ids.org, ids.other
        phone, email = "+972505550100", "desk@cohen.example"
        accounts = [
            Account(ids("acc-new"), org, "Levi Bros", at(5), phones=(phone,)),
            Account(ids("acc-old"), org, "Cohen Ltd", at(0), phones=(phone,), emails=(email,)),
            Account(ids("acc-merged"), org, "COHEN LTD ", at(1), merged_into=ids("acc-old")),
            Account(ids("acc-twin"), other, "Cohen Ltd", at(0), phones=(phone,)),
        ]
        contacts = [
            Contact(ids("con-b"), org, "Ben", ids("acc-old"), at(2), emails=(email,)),
            Contact(ids("con-a"), org, "Avi", ids("acc-new"), at(1), phones=(phone,)),
            Contact(ids("con-c"), org, "Cohen Ltd", ids("acc-old"), at(0)),
        ]
        with storage.unit_of_work() as uow:
            for a in accounts:
                uow.accounts.add(a)
            for c in contacts:
                uow.contacts.add(c)
            uow.commit()
        with storage.unit_of_work() as uow:
            by_phone = uow.accounts.matching(org, phones=[phone])
            assert ids.names(by_phone) == ["acc-old", "acc-new"]
            assert ids.names(uow.accounts.matching(org, emails=[email])) == ["acc-old"]
            by_name = uow.accounts.matching(org, name_keys=[name_key("cohen LTD")])
            assert ids.names(by_name) == ["acc-old", "acc-merged"]  # merged ones too
            every = uow.accounts.matching(
                org, phones=[phone], emails=[email], name_keys=[name_key("Cohen Ltd")]
            )
            assert ids.names(every) == ["acc-old", "acc-merged", "acc-new"]
            assert uow.accounts.matching(org, phones=["+972505550199"]) == []
            assert uow.accounts.matching(org) == []
            assert ids.names(uow.accounts.matching(other, phones=[phone])) == ["acc-twin"]
            assert uow.accounts.matching(org, phones=[phone])[0] == accounts[1]
            both = uow.contacts.matching(org, phones=[phone], emails=[email])
            assert ids.names(both) == ["con-a", "con-b"]
            assert both[1] == contacts[0]
            assert uow.contacts.matching(org, emails=["x@cohen.example"]) == []
            assert uow.contacts.matching(org) == []
            assert uow.contacts.matching(other, phones=[phone]) == []

    def test_matching_accounts_and_contacts_follows_changes_and_this_unit_of_work(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        org = ids.org
        old_phone, new_phone = "+972505550100", "+972505550101"
        account = Account(ids("acc"), org, "Cohen Ltd", T0, phones=(old_phone,))
        contact = Contact(ids("con"), org, "Avi", ids("acc"), T0, phones=(old_phone,))
        with storage.unit_of_work() as uow:
            uow.accounts.add(account)
            uow.contacts.add(contact)
            # Added in this unit of work: found before it commits.
            assert ids.names(uow.accounts.matching(org, phones=[old_phone])) == ["acc"]
            assert ids.names(uow.contacts.matching(org, phones=[old_phone])) == ["con"]
            uow.commit()
        renamed = attrs.evolve(account, name="Levi", phones=(new_phone,), version=2)
        moved = attrs.evolve(contact, phones=(new_phone,))
        with storage.unit_of_work() as uow:
            uow.accounts.update(renamed)
            uow.contacts.update(moved)
            # Changed in this unit of work: found by the new details only.
            assert uow.accounts.matching(org, phones=[old_phone]) == []
            assert uow.accounts.matching(org, name_keys=[name_key("Cohen Ltd")]) == []
            assert uow.accounts.matching(org, name_keys=[name_key("levi")]) == [renamed]
            assert uow.contacts.matching(org, phones=[old_phone]) == []
            assert uow.contacts.matching(org, phones=[new_phone]) == [moved]
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.matching(org, phones=[old_phone]) == []
            assert uow.accounts.matching(org, phones=[new_phone]) == [renamed]
            assert uow.accounts.matching(org, name_keys=[name_key("Cohen Ltd")]) == []
            assert uow.contacts.matching(org, phones=[old_phone]) == []
            assert uow.contacts.matching(org, phones=[new_phone]) == [moved]
