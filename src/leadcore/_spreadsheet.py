"""Reading a supplier's spreadsheet for ``leadcore import``: rows streamed, columns mapped.

A :class:`Sheet` yields a header and then the rows one at a time, so a file of
any size is never held in memory. CSV files are decoded line by line as UTF-8
(a byte-order mark is allowed), so a byte that is not UTF-8 is reported with
its byte offset; the delimiter is sniffed from the first lines unless given.
XLSX files need the optional ``openpyxl`` (extra ``xlsx``).

A :class:`ColumnMap` says which columns fill which lead key (``name``,
``phones``, a custom field...) and turns a row into the mapping that
``LeadsService.import_many`` reads.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import re
import tomllib
import zipfile
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Final

import attrs

from leadcore.leads import FieldDefinition, FieldType

__all__ = [
    "LEAD_KEYS",
    "ColumnMap",
    "Sheet",
    "SheetError",
    "open_sheet",
    "read_mapping_file",
]

#: The lead keys a column can fill besides the organisation's custom fields.
LEAD_KEYS: Final = (
    "name",
    "phones",
    "emails",
    "channel",
    "supplier_id",
    "project_id",
    "pool_id",
    "assignee_ids",
)
_ALIASES: Final = {"phone": "phones", "email": "emails", "assignee_id": "assignee_ids"}
_LISTS: Final = frozenset({"phones", "emails", "assignee_ids"})
_LIST_SPLIT: Final = re.compile(r"[;,]")
_SNIFF_LINES: Final = 50
_DELIMITERS: Final = ",;\t|"
_TRUE: Final = frozenset({"true", "yes", "y", "1"})
_FALSE: Final = frozenset({"false", "no", "n", "0"})


class SheetError(Exception):
    """A file that cannot be imported; the message is one line saying what and where."""


@attrs.define
class Sheet:
    """An opened spreadsheet: its header and its rows, streamed (close them when done)."""

    path: Path
    header: list[str]
    rows: Generator[list[str], None, None]
    """The data rows that hold a value, each as text cells; :class:`SheetError` on a bad byte."""
    delimiter: str | None
    """The CSV delimiter used (given or sniffed); ``None`` for XLSX."""
    release: Callable[[], None]
    """Closes the file (rows not read yet can no longer be read)."""

    def close(self) -> None:
        """Stop reading and close the file."""
        self.rows.close()
        self.release()


#: The most an import reads by default: a CSV file, or a workbook unpacked (1 GiB).
MAX_BYTES: Final = 1 << 30


def open_sheet(
    path: Path, *, delimiter: str | None = None, max_bytes: int | None = MAX_BYTES
) -> Sheet:
    """Open ``path`` (``.xlsx``, or CSV otherwise); raise :class:`SheetError` if it is unusable.

    A file larger than ``max_bytes`` (a workbook that unpacks to more) is
    refused before a row is read; ``None``: no limit.
    """
    workbook = path.suffix.lower() in (".xlsx", ".xlsm")
    if max_bytes is not None:
        _check_size(path, max_bytes, workbook=workbook)
    if workbook:
        return _open_xlsx(path)
    return _open_csv(path, delimiter)


def size_text(size: int) -> str:
    """A number of bytes for a person: ``2.0 GiB``, ``512.0 MiB``, ``300 bytes``."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{size / (1 << shift):.1f} {unit}"
    return f"{size} bytes"


def _check_size(path: Path, max_bytes: int, *, workbook: bool) -> None:
    try:
        size = path.stat().st_size
    except OSError:
        return  # opening the file says what is wrong with it
    limit = size_text(max_bytes)
    advice = "split the file, or raise the limit with --max-size"
    if size > max_bytes:
        raise SheetError(
            f"{path}: {size_text(size)} is more than an import reads ({limit}); {advice}"
        )
    if not workbook:
        return
    try:
        with zipfile.ZipFile(path) as book:
            # What the members unpack to, as their headers say; reading one never gives more.
            unpacked = sum(member.file_size for member in book.infolist())
    except (OSError, zipfile.BadZipFile):
        return  # opening the workbook says what is wrong with it
    if unpacked > max_bytes:
        raise SheetError(
            f"{path}: the workbook unpacks to {size_text(unpacked)}, more than an import "
            f"reads ({limit}); {advice}"
        )


# -- CSV -----------------------------------------------------------------------------


def _decoded_lines(path: Path, raw: IO[bytes]) -> Iterator[str]:
    """The lines of ``raw`` as text; a byte that is not UTF-8 is reported with its offset."""
    offset = 0
    for number, line in enumerate(raw, start=1):
        start = 3 if number == 1 and line.startswith(b"\xef\xbb\xbf") else 0
        try:
            text = line[start:].decode("utf-8")
        except UnicodeDecodeError as exc:
            if number == 1 and line.startswith((b"\xff\xfe", b"\xfe\xff")):
                # What Excel saves as "Unicode Text".
                raise SheetError(
                    f"{path}: UTF-16 text, not UTF-8; save the file as UTF-8 (CSV UTF-8) "
                    "and import it again"
                ) from None
            bad = offset + start + exc.start
            raise SheetError(
                f"{path}: not UTF-8 text: byte {bad} (line {number}) is "
                f"0x{line[start + exc.start]:02x}; save the file as UTF-8 (CSV UTF-8) "
                "and import it again"
            ) from None
        offset += len(line)
        yield text


def _open_csv(path: Path, delimiter: str | None) -> Sheet:
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise SheetError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return _read_csv(path, raw, delimiter)
    except BaseException:
        raw.close()
        raise


def _read_csv(path: Path, raw: IO[bytes], delimiter: str | None) -> Sheet:
    lines = _decoded_lines(path, raw)
    head = list(itertools.islice(lines, _SNIFF_LINES))
    while head and not head[0].strip():
        head.pop(0)  # blank lines before the header
    if not head:
        raise SheetError(f"{path}: the file is empty; expected a header line and rows")
    if delimiter is None:
        delimiter = _sniff(path, head)
    reader = csv.reader(itertools.chain(head, lines), delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise SheetError(f"{path}: the header line is not CSV: {exc}") from None

    def rows() -> Generator[list[str], None, None]:
        try:
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise SheetError(f"{path}: line {reader.line_num}: {exc}") from None
                if any(cell.strip() for cell in row):
                    yield row
        finally:
            raw.close()

    return Sheet(path, header, rows(), delimiter, raw.close)


def _sniff(path: Path, head: Sequence[str]) -> str:
    sample = "".join(head)
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        pass
    first = head[0]
    found = [d for d in _DELIMITERS if d in first]
    if not found:
        return ","  # a single column
    if len(found) == 1:
        return found[0]
    shown = " ".join(repr(d) for d in found)
    raise SheetError(
        f"{path}: cannot tell which delimiter separates the columns ({shown} all appear "
        "in the header); name it with --delimiter"
    )


# -- XLSX ----------------------------------------------------------------------------


def _open_xlsx(path: Path) -> Sheet:
    try:
        import openpyxl
    except ImportError:
        raise SheetError(
            f"{path}: reading .xlsx files needs the 'xlsx' extra: pip install 'leadcore[xlsx]'"
        ) from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError as exc:
        raise SheetError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except Exception as exc:  # openpyxl reports a broken file with zipfile's or its own errors
        raise SheetError(f"{path}: not an XLSX workbook ({type(exc).__name__}: {exc})") from None
    sheet = book.active
    if sheet is None:
        book.close()
        raise SheetError(f"{path}: the workbook has no sheet")
    values = sheet.iter_rows(values_only=True)
    header_cells = next(values, None)
    if header_cells is None or not any(_cell(c).strip() for c in header_cells):
        book.close()
        raise SheetError(f"{path}: the first sheet is empty; expected a header row and rows")
    header = [_cell(c).strip() for c in header_cells]

    def rows() -> Generator[list[str], None, None]:
        try:
            for cells in values:
                row = [_cell(c) for c in cells]
                if any(cell.strip() for cell in row):
                    yield row
        finally:
            book.close()

    return Sheet(path, header, rows(), None, book.close)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed into a number cell
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# -- mapping -------------------------------------------------------------------------


def _key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def read_mapping_file(path: Path) -> list[tuple[str, str]]:
    """Read a saved mapping (JSON or TOML): lead key to a column name or a list of them."""
    try:
        data: object
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SheetError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SheetError(f"{path}: cannot read: not UTF-8 text") from None
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        first = str(exc).splitlines()[0]
        raise SheetError(f"{path}: not a mapping file: {first}") from None
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict):
        raise SheetError(f"{path}: a mapping file holds one table of lead key = column name")
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        columns = value if isinstance(value, list) else [value]
        for i, column in enumerate(columns):
            if not isinstance(column, str) or not column.strip():
                where = f"{key}[{i}]" if isinstance(value, list) else key
                raise SheetError(f"{path}: {where}: expected a column name, got {column!r}")
            pairs.append((str(key), column))
    return pairs


@attrs.frozen
class ColumnMap:
    """Which columns (by position) fill which lead key, and how to read custom fields."""

    columns: Mapping[str, tuple[int, ...]]
    """Lead key (``name``, ``phones``... or a custom field key) to column positions."""
    fields: Mapping[str, FieldDefinition]
    """The organisation's custom fields, by key."""

    @classmethod
    def build(
        cls,
        path: Path,
        header: Sequence[str],
        pairs: Sequence[tuple[str, str]],
        custom_fields: Sequence[FieldDefinition],
        delimiter_hint: str = "",
    ) -> ColumnMap:
        """Map ``header`` with explicit ``(key, column)`` pairs, else by matching names.

        A column named like a lead key or custom field (case and spaces aside)
        fills it unless that key is mapped explicitly. Raise
        :class:`SheetError` for an unknown key, a mapped column the header
        lacks, or no column for ``name``.
        """
        fields = {d.key: d for d in custom_fields}
        known = [*LEAD_KEYS, *sorted(fields)]
        positions: dict[str, int] = {}
        for i, column in enumerate(header):
            positions.setdefault(column, i)
            positions.setdefault(_key(column), i)
        shown = ", ".join(repr(h) for h in header)
        explicit: dict[str, list[int]] = {}
        for raw_key, column in pairs:
            key = _ALIASES.get(raw_key.strip(), raw_key.strip())
            if key not in known:
                raise SheetError(
                    f"--map {raw_key}={column}: {raw_key!r} is not a lead key; use one of "
                    + ", ".join(known)
                )
            found = positions.get(column.strip())
            if found is None:
                raise SheetError(
                    f"{path}: no column {column!r} (mapped to {key}); the header has: "
                    f"{shown}{delimiter_hint}"
                )
            explicit.setdefault(key, []).append(found)
        columns: dict[str, tuple[int, ...]] = {k: tuple(v) for k, v in explicit.items()}
        taken = {i for v in explicit.values() for i in v}
        for i, column in enumerate(header):
            key = _ALIASES.get(_key(column), _key(column))
            if key in known and key not in explicit and i not in taken:
                columns[key] = (*columns.get(key, ()), i)
        if "name" not in columns:
            raise SheetError(
                f"{path}: no column for the lead's name; map one with --map name=COLUMN "
                f"(the header has: {shown}){delimiter_hint}"
            )
        return cls(columns, fields)

    def lead_row(self, cells: Sequence[str]) -> dict[str, object]:
        """The ``import_many`` row of one line of cells; empty cells give nothing."""

        def cell(i: int) -> str:
            return cells[i].strip() if i < len(cells) else ""

        row: dict[str, object] = {}
        for key, places in self.columns.items():
            values = [v for v in (cell(i) for i in places) if v]
            if key == "name":
                row["name"] = " ".join(values)
            elif key in _LISTS:
                items = [p.strip() for v in values for p in _LIST_SPLIT.split(v) if p.strip()]
                if items:
                    row[key] = items
            elif values:
                row[key] = self._value(key, " ".join(values))
        return row

    def _value(self, key: str, text: str) -> object:
        defn = self.fields.get(key)
        if defn is not None and defn.type is FieldType.BOOLEAN:
            lowered = text.lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
        return text
