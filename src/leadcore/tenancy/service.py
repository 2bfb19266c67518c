"""Deprecated: split into :mod:`leadcore.services.users` and :mod:`leadcore.services.partners`.

Every name still answers from here for one release, with a ``DeprecationWarning``.
"""

from leadcore._moved import moved_names

__getattr__ = moved_names(
    "leadcore.tenancy.service",
    {
        "UsersService": "leadcore.services.users",
        "PartnersService": "leadcore.services.partners",
        "new_organization": "leadcore.services._organizations",
    },
)
