"""``leadcore import``: load a supplier's spreadsheet (CSV or XLSX) into an organisation.

The file is streamed in batches of ``--batch-size`` rows; each batch is one
``LeadsService.import_many`` call, so one transaction: a batch is committed
whole or not at all. The file is read through once before anything is
written, so a byte that is not UTF-8 or a broken quote stops the import
before the first batch. The summary counts what became of every row and
says which batches were committed; ``--rejected`` writes the refused rows
(with ``--include-duplicates`` the duplicates too) with their original
columns and a ``reason``, to fix and import again.
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final, TextIO, TypeVar

import attrs

from leadcore._spreadsheet import (
    MAX_BYTES,
    ColumnMap,
    Sheet,
    SheetError,
    open_sheet,
    read_mapping_file,
)
from leadcore.core import Leadcore, Session
from leadcore.errors import LeadcoreError
from leadcore.leads import ImportOutcome, ImportReport
from leadcore.tenancy import Role

__all__ = ["add_import_parser", "run_import"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
#: Stopped with Ctrl-C, as shells report SIGINT (128 + 2).
EXIT_INTERRUPTED: Final = 130
_QUOTED: Final = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_ROW_PATH: Final = re.compile(r"^rows\[\d+\]\.?")
#: A row's key written as a subscript (``rows[3]['name']``), as the text checks name it.
_KEY_SUBSCRIPT: Final = re.compile(r"^(rows\[\d+\])\['((?:[^'\\]|\\.)*)'\]")
_INDEX: Final = re.compile(r"\[\d+\]")


_P = TypeVar("_P", bound=argparse.ArgumentParser)


def add_import_parser(sub: argparse._SubParsersAction[_P]) -> None:
    """Add the ``import`` subcommand to the ``leadcore`` parser."""
    p = sub.add_parser(
        "import",
        help="import leads from a CSV or XLSX file into an organisation",
        description=(
            "Import the rows of a CSV or XLSX file as leads of an organisation, in batches "
            "of --batch-size rows, each committed whole. Columns named like lead keys "
            "(name, phone, email, channel, ...) or custom fields fill them; --map and "
            "--mapping name others. Exit 0 when every row was imported, 1 when rows were "
            "rejected or a batch failed (earlier batches stay committed), 2 when the file, "
            "the database or the command line cannot be used."
        ),
    )
    p.add_argument("file", metavar="FILE", type=Path, help="a .csv or .xlsx file")
    p.add_argument("--db", metavar="URL", required=True, help="the storage URL of the database")
    p.add_argument("--org", metavar="ORG", required=True, help="organisation id, or unique name")
    p.add_argument(
        "--as",
        dest="user",
        metavar="USER",
        help="user id or name to import as (default: the organisation's first account manager)",
    )
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="KEY=COLUMN",
        type=_pair,
        help="fill the lead key KEY (name, phones, emails, channel, supplier_id, project_id, "
        "pool_id, assignee_ids or a custom field) from COLUMN; repeatable",
    )
    p.add_argument(
        "--mapping", metavar="FILE", type=Path, help="a saved mapping: a JSON or TOML file"
    )
    p.add_argument(
        "--batch-size",
        type=_positive,
        default=1000,
        metavar="N",
        help="rows per batch (default: 1000)",
    )
    p.add_argument("--delimiter", metavar="CHAR", type=_delimiter, help="CSV delimiter")
    p.add_argument(
        "--max-size",
        type=_size,
        default=MAX_BYTES,
        metavar="SIZE",
        help="refuse a larger file (a workbook that unpacks to more): bytes, or with K, M or "
        "G (binary units); 'none' for no limit (default: 1G)",
    )
    p.add_argument(
        "--rejected", metavar="OUT", type=Path, help="write the rejected rows to this CSV file"
    )
    p.add_argument(
        "--include-duplicates",
        action="store_true",
        help="with --rejected: also write the rows imported as duplicates",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _pair(text: str) -> tuple[str, str]:
    key, sep, column = text.partition("=")
    if not sep or not key.strip() or not column.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not of the form KEY=COLUMN (phones=Mobile)")
    return key.strip(), column.strip()


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of rows, 1 or more")
    return value


_SIZE: Final = re.compile(r"\s*(\d+)\s*([KMG]?)(?:i?B)?\s*", re.IGNORECASE)


def _size(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    found = _SIZE.fullmatch(text)
    if found is None or int(found[1]) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size: a whole number of bytes, or with K, M or G (500M, 2G), "
            "or 'none'"
        )
    return int(found[1]) << {"": 0, "K": 10, "M": 20, "G": 30}[found[2].upper()]


def _delimiter(text: str) -> str:
    value = {"tab": "\t", "\\t": "\t"}.get(text, text)
    if len(value) != 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not one character (or 'tab')")
    return value


class _Refused(Exception):
    """The import cannot start; the message is one line."""


@attrs.define
class _Tally:
    rows: int = 0
    outcomes: Counter[ImportOutcome] = attrs.field(factory=Counter)
    reasons: Counter[str] = attrs.field(factory=Counter)
    committed: int = 0
    failed: str | None = None
    unreadable: bool = False
    interrupted: bool = False


def run_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``leadcore import`` with parsed ``args``; return the exit status."""
    try:
        sheet = open_sheet(args.file, delimiter=args.delimiter, max_bytes=args.max_size)
    except SheetError as exc:
        print(str(exc), file=err)
        return EXIT_USAGE
    try:
        pairs = read_mapping_file(args.mapping) if args.mapping is not None else []
        pairs += list(args.map)
        total = _count_rows(sheet)
        if total == 0:
            raise SheetError(f"{args.file}: the file has a header but no rows")
        with _open(args.db) as core:
            session = _session(core, args.org, args.user)
            hint = (
                f" (read as one column with the delimiter {sheet.delimiter!r}; "
                "name the right one with --delimiter)"
                if sheet.delimiter is not None and len(sheet.header) == 1
                else ""
            )
            columns = ColumnMap.build(
                args.file, sheet.header, pairs, session.leads.settings().custom_fields, hint
            )
            batches = -(-total // args.batch_size)
            tally = _import(sheet, columns, session, args, total, err)
    except (SheetError, _Refused) as exc:
        print(str(exc), file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(
            f"{args.file}: interrupted (Ctrl-C) before the first batch; nothing was written",
            file=err,
        )
        return EXIT_INTERRUPTED
    finally:
        sheet.close()
    _summary(tally, batches, args, out)
    if tally.interrupted:
        return EXIT_INTERRUPTED
    if tally.unreadable:
        return EXIT_USAGE
    if tally.failed is not None or tally.outcomes[ImportOutcome.INVALID]:
        return EXIT_FINDINGS
    return EXIT_OK


def _count_rows(sheet: Sheet) -> int:
    """Read the file through once: count its rows, and find a bad byte before any write."""
    check = open_sheet(sheet.path, delimiter=sheet.delimiter)
    try:
        return sum(1 for _ in check.rows)
    finally:
        check.close()


def _open(url: str) -> Leadcore:
    if url.strip() in ("", "memory://"):
        raise _Refused(f"--db {url}: an in-memory database holds no organisation to import into")
    try:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import SQLAlchemyError

        from leadcore.storage.sql import current_version
    except ImportError as exc:
        raise _Refused(
            f"--db {url}: SQL storage needs the 'sql' extra: pip install 'leadcore[sql]' ({exc})"
        ) from None
    try:
        parsed = make_url(url)
        database = parsed.database or ""
        on_file = parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
        if on_file and not Path(database).is_file():  # connecting would create an empty file
            raise _Refused(f"--db {url}: no database file {database}")
        engine = create_engine(url)
    except _Refused:
        raise
    except Exception as exc:  # an unknown scheme or driver, as SQLAlchemy words it
        raise _Refused(f"--db {url}: cannot open the database ({exc})") from None
    try:
        with engine.connect() as connection:
            version = current_version(connection)
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0]
        raise _Refused(f"--db {url}: cannot open the database ({first})") from None
    finally:
        engine.dispose()
    if version == 0:
        raise _Refused(
            f"--db {url}: the database holds no leadcore tables; create the organisation "
            "first (Leadcore.open(url).create_organization(...)) and import into it"
        )
    try:
        return Leadcore.open(url)
    except LeadcoreError as exc:
        raise _Refused(f"--db {url}: {exc}") from None
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0]
        raise _Refused(f"--db {url}: cannot open the database ({first})") from None


def _session(core: Leadcore, org_ref: str, user_ref: str | None) -> Session:
    with core.storage.unit_of_work() as uow:
        org = uow.organizations.get(org_ref)
        if org is None:
            named = [o for o in (uow.organizations.get(i) for i in _org_ids(core)) if o]
            matches = [o for o in named if o.name == org_ref]
            if len(matches) > 1:
                ids = ", ".join(o.id for o in matches)
                raise _Refused(
                    f"--org {org_ref}: {len(matches)} organisations have this name; "
                    f"give the id ({ids})"
                )
            if not matches:
                raise _Refused(f"--org {org_ref}: no organisation with this id or name")
            org = matches[0]
        users = [u for u in uow.users.list(org.id) if u.active]
    if user_ref is None:
        admins = [u for u in users if u.role is Role.ACCOUNT_MANAGER]
        if not admins:
            raise _Refused(
                f"--org {org_ref}: the organisation has no active account manager; "
                "name the user to import as with --as"
            )
        user = admins[0]
    else:
        found = [u for u in users if u.id == user_ref] or [u for u in users if u.name == user_ref]
        if len(found) != 1:
            what = "no active user" if not found else f"{len(found)} users"
            raise _Refused(f"--as {user_ref}: {what} with this id or name in {org.name!r}")
        user = found[0]
    return core.session(user.id)


def _org_ids(core: Leadcore) -> list[str]:
    from sqlalchemy import select

    from leadcore.storage.sql import SqlStorage, metadata

    storage = core.storage
    if not isinstance(storage, SqlStorage):
        return []
    table = metadata.tables["leadcore_organizations"]
    with storage.engine.connect() as connection:
        return list(connection.execute(select(table.c.organization_id)).scalars())


def _chunks(rows: Iterator[list[str]], size: int) -> Iterator[list[list[str]]]:
    chunk: list[list[str]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _import(
    sheet: Sheet,
    columns: ColumnMap,
    session: Session,
    args: argparse.Namespace,
    total: int,
    err: TextIO,
) -> _Tally:
    tally = _Tally()
    bar = _Progress(err, total) if err.isatty() and not args.quiet else None
    rejected = _RejectedFile(args.rejected, sheet.header, args.file) if args.rejected else None
    try:
        for number, chunk in enumerate(_chunks(sheet.rows, args.batch_size), start=1):
            try:
                # One transaction for the whole batch, whatever its size: a batch this
                # summary calls failed wrote nothing.
                report: ImportReport = session.leads.import_many(
                    [columns.lead_row(r) for r in chunk], batch_size=len(chunk)
                )
            except Exception as exc:  # the batch rolled back whole; say why and stop
                first = (str(exc).splitlines() or [""])[0]
                tally.failed = f"batch {number} failed: {type(exc).__name__}: {first}"
                break
            except KeyboardInterrupt:
                # Stopped by hand: the summary still says which batches are in. (Ctrl-C
                # that lands as the commit returns may leave the batch written, whole.)
                tally.failed = f"batch {number} interrupted (Ctrl-C): written whole or not at all"
                tally.interrupted = True
                break
            tally.committed = number
            tally.rows += len(chunk)
            for cells, result in zip(chunk, report.rows, strict=True):
                tally.outcomes[result.outcome] += 1
                if result.outcome is ImportOutcome.INVALID:
                    reason = "; ".join(_ROW_PATH.sub("", p) for p in result.problems)
                    tally.reasons.update({_reason_kind(p) for p in result.problems})
                    if rejected:
                        rejected.write(cells, reason)
                elif (
                    result.outcome is ImportOutcome.DUPLICATE
                    and rejected
                    and args.include_duplicates
                ):
                    rejected.write(cells, f"duplicate of lead {result.duplicate_of}")
            if bar:
                bar.show(tally.rows)
    except SheetError as exc:  # the file changed since it was checked
        tally.failed, tally.unreadable = str(exc), True
    except KeyboardInterrupt:  # while the next batch was read
        tally.failed = f"interrupted (Ctrl-C) while reading batch {tally.committed + 1}"
        tally.interrupted = True
    finally:
        if bar:
            bar.finish()
        if rejected:
            rejected.close()
    return tally


def _reason_kind(problem: str) -> str:
    """A problem without its row, positions and quoted values: what to count it under."""
    text = _ROW_PATH.sub("", _KEY_SUBSCRIPT.sub(r"\1.\2", problem))
    return _QUOTED.sub("…", _INDEX.sub("", text))


class _RejectedFile:
    def __init__(self, path: Path, header: Sequence[str], source: Path) -> None:
        self.path = path
        if _same_file(path, source):
            raise _Refused(f"--rejected {path}: this is the file being imported; name another file")
        try:
            self.file = path.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise _Refused(f"--rejected {path}: cannot write: {exc.strerror or exc}") from None
        self.writer = csv.writer(self.file)
        self.width = len(header)
        self.writer.writerow([*header, "reason"])

    def write(self, cells: Sequence[str], reason: str) -> None:
        padded = [*cells[: self.width], *[""] * (self.width - len(cells))]
        self.writer.writerow([*padded, reason])

    def close(self) -> None:
        self.file.close()


def _same_file(one: Path, other: Path) -> bool:
    """Whether the two paths name one file (through links too, when both exist)."""
    try:
        return one.samefile(other)
    except OSError:
        return one.resolve() == other.resolve()


class _Progress:
    """One line on a terminal, redrawn in place: a bar, rows done and the total."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream = stream
        self.total = max(total, 1)

    def show(self, done: int) -> None:
        width = 30
        filled = min(width, width * done // self.total)
        bar = "#" * filled + "." * (width - filled)
        print(
            f"\r  importing [{bar}] {done}/{self.total} rows", end="", file=self.stream, flush=True
        )

    def finish(self) -> None:
        print(file=self.stream, flush=True)


def _summary(tally: _Tally, batches: int, args: argparse.Namespace, out: TextIO) -> None:
    o = tally.outcomes
    print(
        f"{tally.rows} rows imported from {args.file.name}: {o[ImportOutcome.CREATED]} created, "
        f"{o[ImportOutcome.DUPLICATE]} duplicates, {o[ImportOutcome.BLACKLISTED]} do-not-call, "
        f"{o[ImportOutcome.INVALID]} rejected",
        file=out,
    )
    for reason, count in sorted(tally.reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {count} × {reason}", file=out)
    done = tally.committed
    if tally.failed is None:
        span = "batch 1" if batches == 1 else f"batches 1–{batches}"
        print(f"{span} of {batches} committed", file=out)
    else:
        span = "no batch" if done == 0 else ("batch 1" if done == 1 else f"batches 1–{done}")
        print(f"{span} of {batches} committed; {tally.failed}", file=out)
    if args.rejected is not None:
        print(f"rejected rows written to {args.rejected}", file=out)
