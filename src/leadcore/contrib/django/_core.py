"""``settings.LEADCORE`` read and checked; the project's one core, opened on first use."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs
from django import conf
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.module_loading import import_string

from leadcore.core import Leadcore

__all__ = [
    "LeadcoreSettings",
    "connection_provider",
    "get_core",
    "read_settings",
    "reset_core",
    "user_resolver",
]

_KEYS: Final = ("URL", "OPTIONS", "USER", "CONNECTION")

UserResolver = Callable[[HttpRequest], str | None]
ConnectionProvider = Callable[[HttpRequest], Any]
"""request -> the host's SQLAlchemy ``Connection`` for that request, or ``None``."""


def _default_user(request: HttpRequest) -> str | None:
    """The ``leadcore_user_id`` attribute of the request's authenticated user, if any."""
    found = getattr(getattr(request, "user", None), "leadcore_user_id", None)
    return found if isinstance(found, str) else None


@attrs.frozen
class LeadcoreSettings:
    """``settings.LEADCORE``, checked."""

    url: str | None
    options: Mapping[str, Any]
    user: UserResolver
    connection: ConnectionProvider | None = None
    """``CONNECTION``: the request's SQLAlchemy connection to run leadcore in, if any."""


def read_settings() -> LeadcoreSettings:
    """Read ``settings.LEADCORE``; ``ImproperlyConfigured`` naming the key that is wrong."""
    raw = getattr(conf.settings, "LEADCORE", {})
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured(
            f"settings.LEADCORE: expected a dict with keys {', '.join(_KEYS)}, "
            f"got {type(raw).__name__}"
        )
    unknown = sorted(str(k) for k in raw if k not in _KEYS)
    if unknown:
        raise ImproperlyConfigured(
            f"settings.LEADCORE: unknown keys {', '.join(unknown)}; accepted: {', '.join(_KEYS)}"
        )
    url = raw.get("URL")
    if url is not None and not isinstance(url, str):
        raise ImproperlyConfigured(
            f"settings.LEADCORE['URL']: expected a storage URL, got {type(url).__name__}"
        )
    options = raw.get("OPTIONS", {})
    if not isinstance(options, Mapping):
        raise ImproperlyConfigured(
            f"settings.LEADCORE['OPTIONS']: expected a dict, got {type(options).__name__}"
        )
    user = _function(raw, "USER", _default_user, "request -> user id")
    connection = _function(raw, "CONNECTION", None, "request -> SQLAlchemy connection")
    return LeadcoreSettings(url, dict(options), user, connection)


def _function(raw: Mapping[str, Any], key: str, default: Any, what: str) -> Any:
    """The function under ``key`` (imported when given by its dotted path)."""
    found = raw.get(key, default)
    if found is None:
        return None
    if isinstance(found, str):
        try:
            found = import_string(found)
        except ImportError as exc:
            raise ImproperlyConfigured(f"settings.LEADCORE[{key!r}]: {exc}") from exc
    if not callable(found):
        raise ImproperlyConfigured(
            f"settings.LEADCORE[{key!r}]: expected a function ({what}) or its "
            f"dotted path, got {type(found).__name__}"
        )
    return found


_lock = threading.Lock()
_core: Leadcore | None = None


def _open(config: LeadcoreSettings) -> Leadcore:
    if not config.options:
        return Leadcore.open(config.url)
    if config.url is None or config.url == "memory://":
        raise ImproperlyConfigured("settings.LEADCORE['OPTIONS']: only a SQL 'URL' takes options")
    from leadcore.storage.sql import SqlStorage

    return Leadcore(SqlStorage(config.url, create=True, **config.options))


def get_core() -> Leadcore:
    """The project's core, opened from ``settings.LEADCORE`` on first use."""
    global _core
    with _lock:
        if _core is None:
            _core = _open(read_settings())
            atexit.register(_core.close)
        return _core


def reset_core() -> None:
    """Close the core; the next :func:`get_core` opens it again (after a settings change)."""
    global _core
    with _lock:
        if _core is not None:
            atexit.unregister(_core.close)
            _core.close()
            _core = None


def user_resolver() -> UserResolver:
    """The function naming the acting user of a request (``settings.LEADCORE['USER']``)."""
    return read_settings().user


def connection_provider() -> ConnectionProvider | None:
    """The function giving a request's SQLAlchemy connection (``settings.LEADCORE['CONNECTION']``).

    ``None`` when not set: sessions then run in leadcore's own transactions.
    """
    return read_settings().connection
