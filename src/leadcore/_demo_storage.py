"""Where ``leadcore demo`` keeps its data: an SQLite file by default, or any storage URL.

The demo writes sample records with ids of its own (``org-1``, ``lead-1``...),
so it needs a database without leadcore data: its own default file is made
anew on every run, and a database named with ``--db`` must hold no
organisation yet. Without the ``sql`` extra the demo runs in memory and says
how to get the SQL storage.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import attrs

from leadcore.clock import Clock
from leadcore.core import Leadcore
from leadcore.errors import LeadcoreError
from leadcore.ids import IdFactory

__all__ = ["DEFAULT_FILE", "DemoStorage", "DemoStorageError", "open_demo_storage"]

#: The demo's own database, in its ``--out`` folder.
DEFAULT_FILE = "leadcore-demo.db"
_NEEDED = ("dispatch", "calendar", "forwarding")


class DemoStorageError(Exception):
    """The storage named for the demo cannot be used; the message says why and what to do."""


@attrs.frozen
class DemoStorage:
    """The opened core, how to describe its storage, and the database file (if one)."""

    core: Leadcore
    description: str
    file: Path | None


def open_demo_storage(
    db: str | None, out_dir: Path, *, clock: Clock, ids: IdFactory, out: TextIO
) -> DemoStorage:
    """Open the storage the demo runs on (see the module docs); ``DemoStorageError`` if unusable."""
    if db is None:
        try:
            import sqlalchemy  # noqa: F401
        except ImportError:
            print(
                "  (the 'sql' extra is not installed, so the data stays in memory: "
                "pip install 'leadcore[sql]' to keep it in SQLite)",
                file=out,
            )
            return DemoStorage(Leadcore.open(clock=clock, ids=ids), "memory", None)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = (out_dir / DEFAULT_FILE).resolve()
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        core = _open(f"sqlite:///{path}", str(path), clock=clock, ids=ids)
        return DemoStorage(core, f"SQLite file {path}", path)
    if db.strip() in ("", "memory://"):
        return DemoStorage(Leadcore.open(clock=clock, ids=ids), "memory", None)
    core = _open(db, f"--db {db}", clock=clock, ids=ids)
    return DemoStorage(core, _describe(core), None)


def _open(url: str, label: str, *, clock: Clock, ids: IdFactory) -> Leadcore:
    try:
        core = Leadcore.open(url, clock=clock, ids=ids)
    except LeadcoreError as exc:  # an unsupported URL, a missing extra
        raise DemoStorageError(f"{label}: {exc}") from exc
    except OSError as exc:
        raise DemoStorageError(f"{label}: cannot open the database ({exc})") from exc
    except Exception as exc:
        # The database driver's own errors (an unreachable server, bad credentials) come
        # wrapped by SQLAlchemy: say what they are instead of a traceback.
        from sqlalchemy.exc import SQLAlchemyError

        if not isinstance(exc, SQLAlchemyError):
            raise
        raise DemoStorageError(
            f"{label}: cannot open the database ({type(exc).__name__}: {exc})"
        ) from exc
    try:
        _check_usable(core, label)
    except BaseException:
        core.close()
        raise
    return core


def _check_usable(core: Leadcore, label: str) -> None:
    caps = core.storage.capabilities
    missing = [name for name in _NEEDED if not getattr(caps, name)]
    if missing:
        raise DemoStorageError(
            f"{label}: this storage cannot run the demo, it lacks {', '.join(missing)}"
        )
    from sqlalchemy import func, select

    from leadcore.storage.sql import SqlStorage, metadata

    storage = core.storage
    if isinstance(storage, SqlStorage):
        table = metadata.tables["leadcore_organizations"]
        with storage.engine.connect() as connection:
            found = connection.execute(select(func.count()).select_from(table)).scalar_one()
        if found:
            raise DemoStorageError(
                f"{label}: the database already holds leadcore data ({found} organisations); "
                "the demo writes its sample data into an empty database: name another one, "
                "or drop the leadcore_* tables"
            )


def _describe(core: Leadcore) -> str:
    from sqlalchemy.engine import make_url

    from leadcore.storage.sql import SqlStorage

    storage = core.storage
    if isinstance(storage, SqlStorage):
        url = make_url(storage.url)
        return f"{url.get_backend_name()} database {url.render_as_string(hide_password=True)}"
    return type(storage).__name__
