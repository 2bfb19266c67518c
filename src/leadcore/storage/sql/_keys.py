"""Contact keys: the fixed-length hashes duplicate lookups find records by.

Leads keep theirs in ``leadcore_lead_contacts``; accounts and contacts in
``leadcore_pipeline_keys`` (schema version 8), one row per ``(kind, key,
record id)`` where ``kind`` is ``"account"`` or ``"contact"``. An account's
keys are its phones, its e-mails and the key of its name
(:func:`leadcore.workflow.name_key`); a contact's are its phones and e-mails
(contacts are not compared by name).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from typing import Final

from leadcore.leads._conversion import (
    Account,
    Contact,
    account_match_values,
    contact_match_values,
    match_values,
)

__all__ = [
    "ACCOUNT_KIND",
    "CONTACT_KIND",
    "account_keys",
    "contact_key",
    "person_keys",
    "value_keys",
]

#: The ``kind`` of an account's rows in ``leadcore_pipeline_keys``.
ACCOUNT_KIND: Final = "account"
#: The ``kind`` of a contact's rows in ``leadcore_pipeline_keys``.
CONTACT_KIND: Final = "contact"


# Cached: an import computes the keys of each lead when it looks up, stages and writes it.
@functools.lru_cache(maxsize=1 << 16)
def contact_key(kind: str, value: str) -> str:
    """The fixed-length key of a contact value (``phone`` / ``email`` / ``name``)."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def value_keys(
    phones: Iterable[str] = (), emails: Iterable[str] = (), name_keys: Iterable[str] = ()
) -> set[str]:
    """The keys of these phones, e-mails and name keys."""
    return {contact_key(kind, value) for kind, value in match_values(phones, emails, name_keys)}


def account_keys(account: Account) -> set[str]:
    """The keys of an account (what :func:`account_match_values` names, hashed)."""
    return {contact_key(kind, value) for kind, value in account_match_values(account)}


def person_keys(contact: Contact) -> set[str]:
    """The keys of a contact (what :func:`contact_match_values` names, hashed)."""
    return {contact_key(kind, value) for kind, value in contact_match_values(contact)}
