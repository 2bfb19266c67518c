"""Checks of the e-mail log repository: records kept whole, newest first, filtered, isolated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from leadcore.calendar import ClientRef, Email
from leadcore.calendar._emails import MAX_EXCERPT
from leadcore.errors import ConflictError
from leadcore.storage.protocols import Storage
from leadcore.testing.conformance._base import StorageFixtures, require_capability
from leadcore.testing.conformance._records import Records
from leadcore.testing.conformance._scope import Scope as Ids

__all__ = ["EmailRepositoryTests"]

S = TypeVar("S", bound=Storage)

_T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _email(ids: Ids, name: str, hour: int, *, other: bool = False, **links: object) -> Email:
    return Email(
        id=ids(name),
        organization_id=ids.other if other else ids.org,
        direction="in" if hour % 2 else "out",
        sender="dana@star.example",
        to=["yossi@example.com", "שירה@example.co.il"],
        subject=f"Subject {name} ✓",
        sent_at=_T0 + timedelta(hours=hour),
        cc=["noa@example.com"],
        excerpt="שלום\n" + "x" * (MAX_EXCERPT - 5),
        attachments=["מחירון.pdf", "terms.docx"],
        **links,  # type: ignore[arg-type]
    )


class EmailRepositoryTests(StorageFixtures[S]):
    """``uow.emails``: the e-mail log."""

    def test_emails_are_kept_whole_and_listed_newest_first(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "emails")
        ids = Ids(records)
        lead = ClientRef("lead", ids("lead-1"))
        stored = [
            _email(ids, "e-old", 1, clients=[lead]),
            _email(ids, "e-new", 5, activity_ids=[ids("act-1")]),
            _email(ids, "e-mid", 3, clients=[lead, ClientRef("contact", ids("c-1"))]),
            _email(ids, "e-foreign", 4, other=True, clients=[lead]),
        ]
        with storage.unit_of_work() as uow:
            for email in stored:
                uow.emails.add(email)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.emails.get(ids.org, ids("e-mid")) == stored[2]
            assert uow.emails.get(ids.other, ids("e-mid")) is None
            assert uow.emails.get(ids.org, ids("e-foreign")) is None
            assert ids.names(uow.emails.list(ids.org)) == ["e-new", "e-mid", "e-old"]
            assert ids.names(uow.emails.list(ids.org, client=lead)) == ["e-mid", "e-old"]
            assert ids.names(uow.emails.list(ids.org, activity_id=ids("act-1"))) == ["e-new"]
            assert ids.names(uow.emails.list(ids.other)) == ["e-foreign"]

    def test_an_email_id_is_taken_once_and_a_rollback_keeps_nothing(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "emails")
        ids = Ids(records)
        with storage.unit_of_work() as uow:
            uow.emails.add(_email(ids, "e-1", 1))
            uow.commit()
        with storage.unit_of_work() as uow, pytest.raises(ConflictError):
            uow.emails.add(_email(ids, "e-1", 2))
        with storage.unit_of_work() as uow:
            uow.emails.add(_email(ids, "e-2", 2))  # not committed
        with storage.unit_of_work() as uow:
            assert ids.names(uow.emails.list(ids.org)) == ["e-1"]
