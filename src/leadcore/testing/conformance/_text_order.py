"""Checks of text folding and order: ``casefold`` in search, one collation for every list.

Search folds case with :meth:`str.casefold`, not :meth:`str.lower`, so that
"GROSSMANN" finds "Großmann" (``"ß".casefold()`` is ``"ss"``; ``"ß".lower()``
is ``"ß"``). Every name list is in plain code-point order, then by id: a
case- or accent-insensitive collation on some columns (projects, accounts,
contacts) and not others gives one list in one order and the next in
another. Ties of creation time are broken by id in code-point order too, so
ids that differ only in case page the same way on every adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, TypeVar

import attrs

from leadcore.leads import Account, Contact, Cursor, LeadQuery, Project
from leadcore.storage.protocols import Storage, UnitOfWork
from leadcore.tenancy import PartnerKind
from leadcore.testing.conformance._base import StorageFixtures, add, seed
from leadcore.testing.conformance._leads import lead, store_leads
from leadcore.testing.conformance._records import T0, Records
from leadcore.testing.conformance._scope import Scope as Ids

__all__ = ["NAMES", "TextOrderTests"]

S = TypeVar("S", bound=Storage)

#: Names a case- or accent-insensitive collation orders differently from code points.
NAMES: Final = (
    "beta",
    "Beta",
    "alpha",
    "Alpha",
    "Ärger",
    "Zeta",
    "zeta",
    "ß",
    "ss",
    "SS",
    "אבי",
    "Ștefan",
    "Stefan",
    "Émile",
    "emile",
)

#: Spellings of one surname that ``casefold`` makes equal and ``lower`` does not.
GROSSMANN: Final = ("Großmann", "GROSSMANN", "grossmann", "Dana Grossmann")


def _expected(named: Sequence[tuple[str, str]]) -> list[str]:
    """Ids of ``(id, name)`` pairs by name in code-point order, then id."""
    return [i for i, _ in sorted(named, key=lambda pair: (pair[1], pair[0]))]


class TextOrderTests(StorageFixtures[S]):
    """Search folds with ``casefold``; every list orders names and ties by code points."""

    def test_search_folds_case_with_casefold_not_lower(self, storage: S, records: Records) -> None:
        ids = Ids(records)
        store_leads(
            storage,
            *(attrs.evolve(lead(ids, f"l{i}", i), name=n) for i, n in enumerate(GROSSMANN)),
            attrs.evolve(lead(ids, "other", 9), name="Grosman"),
        )
        everyone = sorted((ids(f"l{i}") for i in range(len(GROSSMANN))), reverse=True)
        with storage.unit_of_work() as uow:
            for text in ("GROSSMANN", "großmann", "Grossmann", "GROẞMANN", " grossMANN "):
                found = [x.id for x in uow.leads.query(ids.org, LeadQuery(text=text))]
                assert sorted(found, reverse=True) == everyone, (
                    f"searching {text!r} did not find every spelling of Großmann "
                    "(fold case with str.casefold, not str.lower)"
                )
                counts = uow.leads.count_by_status(ids.org, LeadQuery(text=text))
                assert dict(counts) == {None: len(GROSSMANN)}, (
                    f"counting {text!r} folded case otherwise than the search"
                )

    def test_every_name_list_is_in_code_point_order_then_by_id(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        org = records.organization(1)
        # Two records share a name; their ids, which differ only in case, break the tie.
        named = [(ids(f"x{i:02d}"), name) for i, name in enumerate(NAMES)]
        named += [(ids("Y-tie"), "Beta"), (ids("y-tie"), "Beta")]
        seed(storage, org)
        with storage.unit_of_work() as uow:
            for i, (record_id, name) in enumerate(named):
                add(uow, attrs.evolve(records.user(org, record_id, name), id=record_id))
                add(uow, attrs.evolve(records.group(org, record_id, name), id=record_id))
                partner = records.partnership(
                    org, ids("partner"), record_id, name, PartnerKind.SUPPLIER, link=i
                )
                add(uow, attrs.evolve(partner, id=record_id))
                uow.projects.add(Project(record_id, org.id, name, T0))
                uow.accounts.add(Account(record_id, org.id, name, T0))
                uow.contacts.add(Contact(record_id, org.id, name, ids("acc"), T0))
            uow.commit()
        expected = _expected(named)
        lists: dict[str, Callable[[UnitOfWork], Sequence[str]]] = {
            "users": lambda uow: [u.id for u in uow.users.list(org.id)],
            "groups": lambda uow: [g.id for g in uow.groups.list(org.id)],
            "partnerships": lambda uow: [p.id for p in uow.partnerships.list(org.id)],
            "projects": lambda uow: [p.id for p in uow.projects.list(org.id)],
            "accounts": lambda uow: [a.id for a in uow.accounts.list(org.id)],
            "contacts": lambda uow: [c.id for c in uow.contacts.for_account(org.id, ids("acc"))],
        }
        with storage.unit_of_work() as uow:
            wrong = [name for name, listed in lists.items() if list(listed(uow)) != expected]
        assert not wrong, (
            f"{', '.join(wrong)} not in code-point order of names, then ids "
            "(give every text column a binary collation)"
        )

    def test_leads_of_one_instant_page_by_id_in_code_point_order(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        # Ids that differ only in case, all created at the same instant.
        names = ("A1", "a2", "B3", "b4", "C5", "c6", "ä7")
        store_leads(storage, *(lead(ids, n, 0) for n in names))
        expected = sorted((ids(n) for n in names), reverse=True)
        with storage.unit_of_work() as uow:
            assert [x.id for x in uow.leads.query(ids.org, LeadQuery())] == expected
            pages: list[str] = []
            after: Cursor | None = None
            for _ in range(len(names)):
                page = uow.leads.query(ids.org, LeadQuery(after=after, limit=2))
                pages += [x.id for x in page]
                if len(page) < 2:
                    break
                after = Cursor(page[-1].created_at, page[-1].id)
            assert pages == expected, "pages of leads of one instant skipped or repeated a lead"
