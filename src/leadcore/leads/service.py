"""Deprecated: this module moved to :mod:`leadcore.services.leads`.

Every name still answers from here for one release, with a ``DeprecationWarning``.
"""

from leadcore._moved import moved_module

__getattr__ = moved_module("leadcore.leads.service", "leadcore.services.leads")
