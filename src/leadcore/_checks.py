"""Small input checks shared by the services; each returns a problem text or ``None``."""

from __future__ import annotations

import phonenumbers

from leadcore._limits import zone_problem
from leadcore._text import MAX_NAME

__all__ = ["bad_region", "bad_timezone", "blank"]


def blank(value: object, path: str) -> str | None:
    """A problem if ``value`` is not a non-blank string of at most 200 characters."""
    if not isinstance(value, str):
        return f"{path}: expected text, got {type(value).__name__}"
    if not value.strip():
        return f"{path}: must not be blank"
    if len(value) > MAX_NAME:
        return f"{path}: has {len(value)} characters; at most {MAX_NAME} are allowed"
    return None


def bad_timezone(value: object, path: str) -> str | None:
    """A problem if ``value`` is not an IANA time zone name known to this system."""
    return zone_problem(value, path)


def bad_region(value: object, path: str) -> str | None:
    """A problem if ``value`` is not a region ``phonenumbers`` knows (ISO 3166 alpha-2)."""
    if value is None:
        return None
    if not isinstance(value, str) or value not in phonenumbers.SUPPORTED_REGIONS:
        return f"{path}: {value!r} is not a two-letter region code such as 'IL' or 'GB'"
    return None
