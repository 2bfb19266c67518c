"""Reading spreadsheets for ``leadcore import``: streaming, sniffing, mapping (no database)."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from leadcore._spreadsheet import ColumnMap, SheetError, open_sheet, read_mapping_file
from leadcore.leads import FieldDefinition, FieldType


def test_a_large_file_is_streamed_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    line = "Yael Cohen,052-555-0101,yael@example.com," + "x" * 60 + "\n"
    with path.open("w", encoding="utf-8") as f:
        f.write("name,phone,email,comment\n")
        for _ in range(100_000):
            f.write(line)
    size = path.stat().st_size
    assert size > 10_000_000
    tracemalloc.start()
    try:
        sheet = open_sheet(path)
        count = 0
        for _ in sheet.rows:
            count += 1
        sheet.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 100_000
    assert peak < size // 20  # a few lines at a time, not the file


def test_the_delimiter_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("name;phone;city\nA;0525550101;Haifa, north\n", encoding="utf-8")
    sheet = open_sheet(path)
    try:
        assert (sheet.delimiter, sheet.header) == (";", ["name", "phone", "city"])
        assert list(sheet.rows) == [["A", "0525550101", "Haifa, north"]]
    finally:
        sheet.close()


def test_a_single_column_file_reads_as_one_column(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("name\nA\nB\n", encoding="utf-8")
    sheet = open_sheet(path)
    try:
        assert list(sheet.rows) == [["A"], ["B"]]
    finally:
        sheet.close()


def test_a_broken_quote_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('name,phone\n"A"x,1\n', encoding="utf-8")
    sheet = open_sheet(path, delimiter=",")
    try:
        with pytest.raises(SheetError, match=r"quote.csv: line 2: "):
            list(sheet.rows)
    finally:
        sheet.close()


def test_columns_named_like_keys_map_themselves_unless_mapped() -> None:
    budget = FieldDefinition("budget", FieldType.INTEGER)
    vip = FieldDefinition("vip", FieldType.BOOLEAN)
    header = ["Name", "Phone", "Phone 2", "Budget", "VIP", "Notes"]
    columns = ColumnMap.build(Path("f.csv"), header, [("phones", "Phone 2")], [budget, vip])
    assert dict(columns.columns) == {"name": (0,), "phones": (2,), "budget": (3,), "vip": (4,)}
    row = columns.lead_row(["  Avi ", "0521", "0525550101; 0525550102", "", "yes", "n"])
    assert row == {"name": "Avi", "phones": ["0525550101", "0525550102"], "vip": True}


def test_no_name_column_is_refused_with_the_header() -> None:
    with pytest.raises(SheetError, match=r"no column for the lead's name.*'Mobile'"):
        ColumnMap.build(Path("f.csv"), ["Mobile"], [], [])


def test_a_mapping_file_may_hold_lists_and_a_columns_table(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"columns": {"name": ["First", "Last"], "phones": "Tel"}}))
    assert read_mapping_file(path) == [("name", "First"), ("name", "Last"), ("phones", "Tel")]
    path.write_text(json.dumps({"name": 3}))
    with pytest.raises(SheetError, match=r"m.json: name: expected a column name, got 3"):
        read_mapping_file(path)
    path.write_text("{")
    with pytest.raises(SheetError, match=r"m.json: not a mapping file"):
        read_mapping_file(path)


def test_xlsx_without_openpyxl_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "openpyxl", None)
    path = tmp_path / "leads.xlsx"
    path.write_bytes(b"")
    with pytest.raises(SheetError, match=r"needs the 'xlsx' extra: pip install 'leadcore\[xlsx\]'"):
        open_sheet(path)
