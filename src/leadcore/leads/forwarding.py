"""Deprecated: moved to :mod:`leadcore.services.forwarding` and :mod:`leadcore.forwarding`.

Every name still answers from here for one release, with a ``DeprecationWarning``:
the use cases from the service layer, the records and rules from the domain package.
"""

from leadcore._moved import moved_module

_use_cases = moved_module("leadcore.leads.forwarding", "leadcore.services.forwarding")
_records = moved_module("leadcore.leads.forwarding", "leadcore.forwarding")


def __getattr__(name: str) -> object:
    try:
        return _use_cases(name)
    except AttributeError:
        return _records(name)
