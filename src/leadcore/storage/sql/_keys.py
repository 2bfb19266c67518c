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

from leadcore.leads._conversion import Account, Contact
from leadcore.workflow import name_key

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
    keys = {contact_key("phone", p) for p in phones}
    keys |= {contact_key("email", e) for e in emails}
    keys |= {contact_key("name", n) for n in name_keys}
    return keys


def account_keys(account: Account) -> set[str]:
    """The keys of an account: its phones, e-mails and name key."""
    return value_keys(account.phones, account.emails, (name_key(account.name),))


def person_keys(contact: Contact) -> set[str]:
    """The keys of a contact: its phones and e-mails."""
    return value_keys(contact.phones, contact.emails)
