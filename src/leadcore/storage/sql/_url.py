"""Read a database URL before any engine is made: a typed error for what cannot be opened.

A URL that does not parse, names a driver that is not installed, or puts a
SQLite file in a folder that does not exist is answered with a
:class:`~leadcore.errors.ValidationError` naming the URL (and the URL to use
instead, where there is one) rather than the driver's or SQLAlchemy's own error.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from leadcore.errors import ValidationError

__all__ = ["read_url"]

#: The driver leadcore is tested with, per database family.
_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
    "sqlite": "sqlite",
}


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def read_url(url: object) -> URL:
    """The parsed ``url``, its driver importable; ``ValidationError`` naming what is wrong.

    >>> read_url("sqlite://").get_backend_name()
    'sqlite'
    >>> read_url("mysql://root@db/crm")
    Traceback (most recent call last):
    ...
    leadcore.errors.ValidationError: cannot open the database (1 problem):
      url: 'mysql://root@db/crm' needs the driver 'mysqldb', which is not installed; use 'mysql+pymysql://root@db/crm'
    """
    if not isinstance(url, str | URL):
        raise ValidationError(
            "cannot open the database",
            [f"url: expected a database URL such as 'sqlite:///crm.db', got {type(url).__name__}"],
        )
    try:
        parsed = make_url(url)
        dialect = parsed.get_dialect()
    except (ArgumentError, ValueError) as exc:
        raise ValidationError(
            "cannot open the database",
            [f"url: {str(url)!r} is not a database URL such as 'sqlite:///crm.db' ({exc})"],
        ) from None
    family = parsed.get_backend_name()
    try:
        dialect.import_dbapi()
    except ImportError:
        problem = (
            f"url: {_shown(parsed)!r} needs the driver {parsed.get_driver_name()!r}, "
            "which is not installed"
        )
        driver = _DRIVERS.get(family)
        if driver is not None and driver != parsed.drivername:
            problem += f"; use {_shown(parsed.set(drivername=driver))!r}"
        raise ValidationError("cannot open the database", [problem]) from None
    if family == "sqlite":
        _check_sqlite_file(parsed)
    return parsed


def _check_sqlite_file(url: URL) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or "mode" in url.query:
        return
    path = Path(database)
    if path.is_dir():
        raise ValidationError(
            "cannot open the database",
            [f"url: the SQLite database {database!r} is a folder, not a file"],
        )
    if not path.parent.is_dir():
        raise ValidationError(
            "cannot open the database",
            [
                f"url: the folder {str(path.parent)!r} of the SQLite database {database!r} "
                "does not exist; create it first"
            ],
        )
