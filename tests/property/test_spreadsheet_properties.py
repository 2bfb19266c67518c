"""Invariants of reading a spreadsheet for ``leadcore import`` (no database)."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore._spreadsheet import ColumnMap, SheetError, open_sheet

_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
_DELIMITERS = st.sampled_from([",", ";", "\t", "|"])


def _write(rows: list[list[str]], delimiter: str, *, bom: bool = False) -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    folder = Path(tempfile.mkdtemp())
    path = folder / "rows.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    return path


@settings(max_examples=60, deadline=None)
@given(
    header=st.lists(
        st.from_regex(r"[A-Za-z][A-Za-z ]{0,8}[A-Za-z]", fullmatch=True),
        min_size=2,
        max_size=4,
        unique=True,
    ),
    body=st.lists(st.lists(_TEXT, min_size=4, max_size=4), max_size=8),
    delimiter=_DELIMITERS,
    bom=st.booleans(),
)
def test_every_cell_written_as_csv_is_read_back_unchanged(
    header: list[str], body: list[list[str]], delimiter: str, bom: bool
) -> None:
    width = len(header)
    rows = [row[:width] for row in body]
    path = _write([header, *rows], delimiter, bom=bom)
    sheet = open_sheet(path, delimiter=delimiter)
    try:
        read = list(sheet.rows)
    finally:
        sheet.close()
    assert sheet.header == [h.strip() for h in header]
    # Rows holding only blanks are skipped; every other row comes back cell for cell.
    assert read == [r for r in rows if any(c.strip() for c in r)]


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(st.from_regex(r"[a-z0-9 ]{1,20}", fullmatch=True), min_size=1, max_size=20),
    data=st.data(),
    bad=st.sampled_from([b"\xff", b"\xe9", b"\xc3(", b"\x80"]),
)
def test_a_byte_that_is_not_utf8_is_reported_at_its_offset(
    lines: list[str], data: st.DataObject, bad: bytes
) -> None:
    encoded = [b"name,phone\n", *(f"{line},1\n".encode() for line in lines)]
    line = data.draw(st.integers(min_value=1, max_value=len(encoded) - 1))
    column = data.draw(st.integers(min_value=0, max_value=len(encoded[line]) - 1))
    where = sum(len(e) for e in encoded[:line]) + column
    text = b"".join(encoded)
    path = Path(tempfile.mkdtemp()) / "bad.csv"
    path.write_bytes(text[:where] + bad + text[where:])
    with pytest.raises(SheetError, match=rf"byte {where} \(line {line + 1}\) is 0x{bad[0]:02x}"):
        _read_all(path)


def _read_all(path: Path) -> list[list[str]]:
    sheet = open_sheet(path, delimiter=",")
    try:
        return list(sheet.rows)
    finally:
        sheet.close()


@given(
    cells=st.lists(_TEXT, min_size=3, max_size=3),
    extra=st.lists(_TEXT, max_size=3),
)
def test_a_lead_row_holds_only_mapped_columns_and_no_empty_value(
    cells: list[str], extra: list[str]
) -> None:
    header = ["Full name", "Mobile", "Comment"]
    columns = ColumnMap.build(
        Path("f.csv"), header, [("name", "Full name"), ("phone", "Mobile")], []
    )
    row = columns.lead_row([*cells, *extra])
    assert set(row) <= {"name", "phones"}
    assert row["name"] == cells[0].strip()
    assert row.get("phones", []) == [
        p.strip() for p in re.split(r"[;,]", cells[1].strip()) if p.strip()
    ]
