"""``leadcore migrate``: show a database's pending schema steps, and apply them.

``leadcore migrate --db URL`` prints the database's schema version and each
step that would bring it to this leadcore's, and changes nothing; it exits 1
when steps are pending, so a deployment script can check before it starts.
``--apply`` applies them (exit 0). A database at a newer version than this
leadcore, or one that cannot be opened, exits 2 with the reason.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

__all__ = ["add_parser", "run"]

EXIT_OK, EXIT_PENDING, EXIT_ERROR = 0, 1, 2


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the ``migrate`` command to the command line's subcommands."""
    migrate = sub.add_parser(
        "migrate",
        help="show and apply the pending schema steps of a SQL database",
        description=(
            "Show the schema version of a SQL database and the steps that bring it to the "
            "version this leadcore uses; with --apply, apply them. Without --apply nothing "
            "changes, and the exit status is 1 when steps are pending (needs the 'sql' extra)."
        ),
    )
    migrate.add_argument(
        "--db",
        metavar="URL",
        required=True,
        help="the database, e.g. sqlite:///crm.db or postgresql+psycopg://user@host/db",
    )
    migrate.add_argument("--apply", action="store_true", help="apply the pending steps")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``leadcore migrate`` with parsed ``args``; return the exit status."""
    try:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import SQLAlchemyError

        from leadcore.storage.sql import SqlStorage, migrate
        from leadcore.storage.sql._schema_check import inspect_schema
    except ImportError as exc:
        print(
            f"leadcore migrate needs the 'sql' extra: pip install 'leadcore[sql]' ({exc})", file=err
        )
        return EXIT_ERROR
    from leadcore.errors import LeadcoreError

    try:
        storage = SqlStorage(args.db)
    except LeadcoreError as exc:
        print(f"--db {args.db}: {exc}", file=err)
        return EXIT_ERROR
    try:
        with storage.engine.connect() as connection:
            state = inspect_schema(connection)
        print(f"database: {make_url(storage.url).render_as_string(hide_password=True)}", file=out)
        print(f"schema version: {state.version} (this leadcore: {state.latest})", file=out)
        if state.other_tables:
            print(f"other tables: {len(state.other_tables)} (not leadcore's, left alone)", file=out)
        if state.version > state.latest:
            print(
                f"the database is newer than this leadcore ({state.version} > {state.latest}): "
                "upgrade leadcore",
                file=err,
            )
            return EXIT_ERROR
        if not state.pending:
            print("up to date: nothing to apply", file=out)
            return EXIT_OK
        print("pending steps:", file=out)
        for step in state.pending:
            print(f"  {step.version}  {step.description}", file=out)
        if not args.apply:
            print("run again with --apply to apply them", file=out)
            return EXIT_PENDING
        version = migrate(storage.engine)
        print(f"applied {len(state.pending)} step(s); schema version {version}", file=out)
        return EXIT_OK
    except (LeadcoreError, SQLAlchemyError) as exc:
        print(f"--db {args.db}: {type(exc).__name__}: {exc}", file=err)
        return EXIT_ERROR
    finally:
        storage.close()
