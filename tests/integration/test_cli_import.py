"""``leadcore import FILE --db URL --org ORG``: a supplier's spreadsheet into an organisation."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect
from tests.integration.conftest import empty_database
from tests.unit.test_cli import run

from leadcore import Leadcore
from leadcore.core import Session
from leadcore.leads import FieldDefinition, FieldType, ImportReport, Lead, LeadSettings
from leadcore.services.leads import LeadsService

SERVER_BACKENDS = ("sqlite-file", "postgresql", "mariadb")


def _make_db(url: str) -> str:
    with Leadcore.open(url) as core:
        _org, admin = core.create_organization("Agency", admin_name="Dana", default_region="IL")
        s = core.session(admin.id)
        s.leads.set_settings(
            LeadSettings(custom_fields=(FieldDefinition("budget", FieldType.INTEGER),))
        )
        s.users.create("Avi", role="qualifier")
        core.create_organization("Other", admin_name="Gil")
    return url


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A SQLite file holding the organisation 'Agency' (region IL, admin Dana)."""
    return _make_db(f"sqlite:///{tmp_path / 'crm.db'}")


@pytest.fixture(params=SERVER_BACKENDS)
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same database on SQLite, PostgreSQL and MariaDB."""
    with empty_database(str(request.param), tmp_path) as url:
        yield _make_db(url)


def _csv(path: Path, rows: list[list[str]], *, delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def _leads(url: str, org: str = "Agency") -> list[Lead]:
    with Leadcore.open(url) as core:
        s = _admin(core, org)
        found: list[Lead] = []
        page = s.leads.list(limit=500)
        found.extend(page.items)
        while page.next is not None:
            page = s.leads.list(limit=500, after=page.next)
            found.extend(page.items)
        return sorted(found, key=lambda lead: lead.name)


def _admin(core: Leadcore, org_name: str) -> Session:
    from sqlalchemy import select

    from leadcore.storage.sql import SqlStorage, metadata

    assert isinstance(core.storage, SqlStorage)
    table = metadata.tables["leadcore_organizations"]
    with core.storage.engine.connect() as c:
        ids = list(c.execute(select(table.c.organization_id)).scalars())
    with core.storage.unit_of_work() as uow:
        org = next(o for o in map(uow.organizations.get, ids) if o and o.name == org_name)
        admin = next(u for u in uow.users.list(org.id) if u.role == "account_manager")
    return core.session(admin.id)


SUPPLIER = [
    ["Full name", "Mobile", "Mail", "Budget", "Comment"],
    ["Yael Cohen", "052-555-0101", "Yael@Example.com", "5000", "hot"],
    ["Noam Levi", "not a phone", "", "", "cold"],
    ["Dana Katz", "052-555-0102", "", "abc", ""],
]
SUPPLIER_MAP = ["--map", "name=Full name", "--map", "phone=Mobile", "--map", "email=Mail"]


# -- mapping ---------------------------------------------------------------------------


def test_mapped_columns_fill_the_lead_with_the_organisation_region(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [SUPPLIER[0], SUPPLIER[1]]
    path = _csv(tmp_path / "supplier.csv", rows)
    status, out, err = run(capsys, "import", path, "--db", db, "--org", "Agency", *SUPPLIER_MAP)
    assert (status, err) == (0, "")
    assert "1 created, 0 duplicates, 0 do-not-call, 0 rejected" in out
    (lead,) = _leads(db)
    assert lead.name == "Yael Cohen"
    assert lead.phones == ("+972525550101",)  # read in IL, the organisation's region
    assert lead.emails == ("yael@example.com",)
    assert lead.fields == {"budget": 5000}  # a column named like a custom field fills it


def test_headers_named_like_lead_keys_need_no_mapping(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(
        tmp_path / "plain.csv",
        [["Name", "Phone", "E-mail", "Channel"], ["Omer", "+972 52-555-0103", "o@x.io", "web"]],
    )
    assert run(capsys, "import", path, "--db", db, "--org", "Agency")[0] == 0
    (lead,) = _leads(db)
    assert (lead.name, lead.phones, lead.source.channel) == ("Omer", ("+972525550103",), "web")


@pytest.mark.parametrize("kind", ["json", "toml"])
def test_a_saved_mapping_file_maps_like_map_options(
    kind: str, db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = tmp_path / f"supplier.{kind}"
    if kind == "json":
        mapping.write_text(json.dumps({"name": "Full name", "phones": ["Mobile"], "email": "Mail"}))
    else:
        mapping.write_text('[columns]\nname = "Full name"\nphones = ["Mobile"]\nemail = "Mail"\n')
    path = _csv(tmp_path / "supplier.csv", SUPPLIER[:2])
    assert run(capsys, "import", path, "--db", db, "--org", "Agency", "--mapping", mapping)[0] == 0
    assert [lead.phones for lead in _leads(db)] == [("+972525550101",)]


def test_two_columns_mapped_to_name_are_joined(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path / "f.csv", [["First", "Last", "Tel"], ["Maya", "Biton", "0525550104"]])
    argv = ["--map", "name=First", "--map", "name=Last", "--map", "phones=Tel"]
    assert run(capsys, "import", path, "--db", db, "--org", "Agency", *argv)[0] == 0
    assert [lead.name for lead in _leads(db)] == ["Maya Biton"]


def test_an_unknown_lead_key_is_refused_naming_the_keys(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path / "supplier.csv", SUPPLIER)
    status, out, err = run(
        capsys, "import", path, "--db", db, "--org", "Agency", "--map", "mobile=Mobile"
    )
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert "'mobile' is not a lead key" in err
    assert "budget" in err


# -- outcomes, batches and the rejected file -------------------------------------------


def test_duplicates_are_found_across_batches(
    any_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [["name", "phone"]] + [[f"Lead {i}", f"052555{i:04d}"] for i in range(5)]
    rows.append(["Lead 0 again", "0525550000"])  # the first row's number, three batches later
    path = _csv(tmp_path / "leads.csv", rows)
    status, out, err = run(
        capsys, "import", path, "--db", any_db, "--org", "Agency", "--batch-size", "2"
    )
    assert (status, err) == (0, "")
    assert "6 rows imported from leads.csv: 5 created, 1 duplicates" in out
    assert "batches 1–3 of 3 committed" in out
    leads = _leads(any_db)
    assert len(leads) == 6
    assert leads[1].name == "Lead 0 again"
    assert leads[1].duplicate_of == leads[0].id


def test_numbers_on_the_do_not_call_list_are_counted(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Leadcore.open(db) as core:
        _admin(core, "Agency").leads.add_blocked_number("052-555-0101")
    path = _csv(tmp_path / "supplier.csv", SUPPLIER[:2])
    out = run(capsys, "import", path, "--db", db, "--org", "Agency", *SUPPLIER_MAP)[1]
    assert "0 created, 0 duplicates, 1 do-not-call, 0 rejected" in out


def test_rejected_rows_are_written_with_a_reason_and_import_once_fixed(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path / "supplier.csv", SUPPLIER)
    rejected = tmp_path / "rejected.csv"
    status, out, _ = run(
        capsys, "import", path, "--db", db, "--org", "Agency", *SUPPLIER_MAP,
        "--rejected", rejected,
    )  # fmt: skip
    assert status == 1  # rows were rejected
    assert "1 created, 0 duplicates, 0 do-not-call, 2 rejected" in out
    assert "1 × phones: … is not a phone number" in out
    assert "1 × fields.budget: expected integer, got …" in out
    with rejected.open(encoding="utf-8", newline="") as f:
        back = list(csv.reader(f))
    assert back[0] == [*SUPPLIER[0], "reason"]
    assert [r[:-1] for r in back[1:]] == [SUPPLIER[2], SUPPLIER[3]]
    assert "phones[0]: 'not a phone'" in back[1][-1]
    # A person fixes the two cells and imports the file again, reason column and all.
    back[1][1], back[2][3] = "052-555-0109", "7000"
    _csv(rejected, back)
    status, out, _ = run(capsys, "import", rejected, "--db", db, "--org", "Agency", *SUPPLIER_MAP)
    assert status == 0
    assert "2 created, 0 duplicates, 0 do-not-call, 0 rejected" in out
    assert sorted(lead.name for lead in _leads(db)) == ["Dana Katz", "Noam Levi", "Yael Cohen"]


def test_a_rejection_by_the_text_checks_is_counted_under_the_column_it_names(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path / "nul.csv", [["name", "phone"], ["Da\x00na", "052-345-0004"]])
    status, out, _ = run(capsys, "import", path, "--db", db, "--org", "Agency", "--quiet")
    assert status == 1
    assert "1 × name: contains a NUL character (U+0000) at position 2" in out


def test_duplicates_go_to_the_rejected_file_only_when_asked(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [["name", "phone"], ["A", "0525550101"], ["B", "0525550101"]]
    path = _csv(tmp_path / "dups.csv", rows)
    rejected = tmp_path / "rejected.csv"
    argv: list[str | Path] = ["import", path, "--db", db, "--org", "Agency", "--rejected", rejected]
    run(capsys, *argv)
    assert rejected.read_text(encoding="utf-8").splitlines() == ["name,phone,reason"]
    run(capsys, *argv, "--include-duplicates")
    lines = rejected.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    assert all("duplicate of lead" in line for line in lines[1:])


def test_a_failed_batch_leaves_the_earlier_batches_committed(
    any_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = LeadsService.import_many
    calls: list[int] = []

    def third_fails(self: LeadsService, rows: list[object], *, batch_size: int) -> object:
        assert batch_size == len(rows)  # one transaction per batch of the command
        calls.append(len(rows))
        if len(calls) == 3:
            raise ConnectionError("the server went away")
        return real(self, rows, batch_size=batch_size)

    monkeypatch.setattr(LeadsService, "import_many", third_fails)
    rows = [["name", "phone"]] + [[f"Lead {i}", f"052555{i:04d}"] for i in range(7)]
    path = _csv(tmp_path / "leads.csv", rows)
    status, out, _ = run(
        capsys, "import", path, "--db", any_db, "--org", "Agency", "--batch-size", "2"
    )
    assert status == 1
    assert calls == [2, 2, 2]  # nothing after the failed batch is tried
    assert (
        "batches 1–2 of 4 committed; batch 3 failed: ConnectionError: the server went away" in out
    )
    assert [lead.name for lead in _leads(any_db)] == [f"Lead {i}" for i in range(4)]


def test_a_batch_larger_than_the_library_default_is_still_one_transaction(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = LeadsService.import_many
    sizes: list[tuple[int, int]] = []

    def spy(self: LeadsService, rows: list[object], **kwargs: Any) -> ImportReport:
        report = real(self, rows, **kwargs)
        sizes.append((len(rows), report.batches))
        return report

    monkeypatch.setattr(LeadsService, "import_many", spy)
    rows = [["name", "phone"]] + [[f"Lead {i}", f"0525{i:06d}"] for i in range(1_500)]
    path = _csv(tmp_path / "leads.csv", rows)
    status, out, _ = run(
        capsys, "import", path, "--db", db, "--org", "Agency", "--batch-size", "1500"
    )
    assert status == 0
    assert sizes == [(1_500, 1)]  # not two transactions of the library's default 1,000
    assert "batch 1 of 1 committed" in out


def test_ctrl_c_stops_the_import_and_the_summary_says_which_batches_are_in(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = LeadsService.import_many
    calls: list[int] = []

    def second_interrupted(self: LeadsService, rows: list[object], **kwargs: Any) -> object:
        calls.append(len(rows))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, rows, **kwargs)

    monkeypatch.setattr(LeadsService, "import_many", second_interrupted)
    rows = [["name", "phone"]] + [[f"Lead {i}", f"052555{i:04d}"] for i in range(5)]
    path = _csv(tmp_path / "leads.csv", rows)
    status, out, _ = run(capsys, "import", path, "--db", db, "--org", "Agency", "--batch-size", "2")
    assert status == 130
    assert "batch 1 of 3 committed; batch 2 interrupted (Ctrl-C)" in out
    assert len(_leads(db)) == 2


def test_ctrl_c_while_the_next_batch_is_read_names_it(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadcore import _cli_import

    real = _cli_import._chunks

    def one_then_interrupted(rows: Iterator[list[str]], size: int) -> Iterator[list[list[str]]]:
        chunks = real(rows, size)
        yield next(chunks)
        raise KeyboardInterrupt

    monkeypatch.setattr(_cli_import, "_chunks", one_then_interrupted)
    rows = [["name", "phone"]] + [[f"Lead {i}", f"052555{i:04d}"] for i in range(5)]
    path = _csv(tmp_path / "leads.csv", rows)
    status, out, _ = run(capsys, "import", path, "--db", db, "--org", "Agency", "--batch-size", "2")
    assert status == 130
    assert "batch 1 of 3 committed; interrupted (Ctrl-C) while reading batch 2" in out


# -- the database, the organisation and the user ---------------------------------------


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_a_database_without_leadcore_tables_is_refused_and_left_empty(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path / "supplier.csv", SUPPLIER)
    with empty_database(backend, tmp_path) as url:
        if backend == "sqlite-file":
            create_engine(url).connect().close()  # an empty database file
        status, out, err = run(capsys, "import", path, "--db", url, "--org", "Agency")
        assert (status, out) == (2, "")
        assert "holds no leadcore tables" in err
        engine = create_engine(url)
        try:
            assert inspect(engine).get_table_names() == []
        finally:
            engine.dispose()


def test_a_missing_sqlite_file_is_refused_and_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path / "supplier.csv", SUPPLIER)
    url = f"sqlite:///{tmp_path / 'typo.db'}"
    status, _, err = run(capsys, "import", path, "--db", url, "--org", "Agency")
    assert status == 2
    assert "no database file" in err
    assert not (tmp_path / "typo.db").exists()


def test_the_organisation_is_named_by_id_or_name_and_the_user_by_as(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path / "plain.csv", [["name", "phone"], ["Gal", "0525550111"]])
    status, _, err = run(capsys, "import", path, "--db", db, "--org", "Nowhere")
    assert (status, err) == (2, "--org Nowhere: no organisation with this id or name\n")
    status, _, err = run(capsys, "import", path, "--db", db, "--org", "Agency", "--as", "Gil")
    assert status == 2
    assert "--as Gil: no active user" in err  # Gil works in another organisation
    with Leadcore.open(db) as core:
        org_id = _admin(core, "Agency").organization_id
    assert run(capsys, "import", path, "--db", db, "--org", org_id, "--as", "Avi")[0] == 0
    assert [lead.name for lead in _leads(db)] == ["Gal"]


# -- bad files -------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_is_named_as_such(
    encoding: str, db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "unicode.txt"
    text = "name\tphone\r\nRina\t052-345-0011\r\n"
    path.write_bytes(("\ufeff" + text if encoding == "utf-16-be" else text).encode(encoding))
    status, out, err = run(capsys, "import", path, "--db", db, "--org", "Agency")
    assert (status, out) == (2, "")
    assert err == f"{path}: UTF-16 text, not UTF-8; save the file as UTF-8 (CSV UTF-8) " + (
        "and import it again\n"
    )
    assert _leads(db) == []


def test_a_file_that_is_not_utf8_is_refused_with_the_byte_offset_before_any_batch(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = "".join(f"Lead {i},05255501{i:02d}\n" for i in range(10))
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"name,phone\n" + good.encode() + "Jos\u00e9,0525550199\n".encode("latin-1"))
    status, out, err = run(
        capsys, "import", path, "--db", db, "--org", "Agency", "--batch-size", "2"
    )
    offset = len(b"name,phone\n" + good.encode()) + 3
    assert (status, out) == (2, "")
    assert err == (
        f"{path}: not UTF-8 text: byte {offset} (line 12) is 0xe9; save the file as UTF-8 "
        "(CSV UTF-8) and import it again\n"
    )
    assert _leads(db) == []  # the first five batches were fine, but nothing was written


def test_a_byte_order_mark_is_not_part_of_the_first_column(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfname,phone\r\nRina,0525550120\r\n")
    assert run(capsys, "import", path, "--db", db, "--org", "Agency")[0] == 0
    assert [lead.name for lead in _leads(db)] == ["Rina"]


def test_a_missing_mapped_column_is_named_with_the_header(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path / "supplier.csv", SUPPLIER)
    status, _, err = run(
        capsys, "import", path, "--db", db, "--org", "Agency", "--map", "phones=Cell"
    )
    assert status == 2
    assert err == (
        f"{path}: no column 'Cell' (mapped to phones); the header has: 'Full name', "
        "'Mobile', 'Mail', 'Budget', 'Comment'\n"
    )


def test_a_semicolon_file_is_sniffed_and_a_wrong_delimiter_is_explained(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path / "semi.csv", [["name", "phone"], ["Itai", "0525550130"]], delimiter=";")
    assert run(capsys, "import", path, "--db", db, "--org", "Agency")[0] == 0
    status, _, err = run(
        capsys, "import", path, "--db", db, "--org", "Agency", "--delimiter", "tab"
    )
    assert status == 2
    assert "'name;phone'" in err
    assert "--delimiter" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "the file is empty"), (b"\n\n", "the file is empty"), (b"name,phone\n", "no rows")],
)
def test_an_empty_file_is_refused(
    content: bytes, message: str, db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    status, out, err = run(capsys, "import", path, "--db", db, "--org", "Agency")
    assert (status, out) == (2, "")
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("where", ["same", "link", "missing-dir", "directory"])
def test_a_rejected_file_that_cannot_be_written_is_refused_before_any_row_is_imported(
    where: str, db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path / "supplier.csv", SUPPLIER)
    before = path.read_bytes()
    out_path = {
        "same": path,
        "link": tmp_path / "link.csv",
        "missing-dir": tmp_path / "nowhere" / "rejected.csv",
        "directory": tmp_path,
    }[where]
    if where == "link":
        out_path.symlink_to(path)
    status, out, err = run(
        capsys, "import", path, "--db", db, "--org", "Agency", *SUPPLIER_MAP,
        "--rejected", out_path,
    )  # fmt: skip
    assert (status, out) == (2, "")
    assert err.startswith(f"--rejected {out_path}: ")
    assert err.count("\n") == 1
    assert path.read_bytes() == before  # the file being imported is never written over
    assert _leads(db) == []


def test_a_file_that_does_not_exist_is_one_line(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "import", tmp_path / "nope.csv", "--db", db, "--org", "Agency")
    assert status == 2
    assert err.startswith(f"{tmp_path / 'nope.csv'}: cannot read: ")
    assert err.count("\n") == 1


def test_a_file_over_the_size_limit_is_one_line_before_any_row_is_read(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:  # 2 GiB, sparse: nothing is written past the first rows
        f.write(b"name,phone\nGal,0525550111\n")
        f.truncate(2 << 30)
    status, out, err = run(capsys, "import", path, "--db", db, "--org", "Agency")
    assert (status, out) == (2, "")
    assert err == (
        f"{path}: 2.0 GiB is more than an import reads (1.0 GiB); split the file, or raise "
        "the limit with --max-size\n"
    )
    small = _csv(tmp_path / "small.csv", [["name", "phone"], ["Gal", "0525550111"]])
    status, _, err = run(capsys, "import", small, "--db", db, "--org", "Agency", "--max-size", "20")
    assert status == 2
    assert err.startswith(
        f"{small}: {small.stat().st_size} bytes is more than an import reads (20 bytes)"
    )
    assert _leads(db) == []
    for limit in ("1K", "1 MiB", "none"):
        args = ("import", small, "--db", db, "--org", "Agency", "--max-size", limit, "--quiet")
        assert run(capsys, *args)[0] == 0
    assert [lead.name for lead in _leads(db)] == ["Gal"] * 3


@pytest.mark.parametrize("size", ["0", "-1", "2x", "1T", ""])
def test_a_size_limit_that_is_not_a_size_is_refused(
    size: str, db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = _csv(tmp_path / "small.csv", [["name", "phone"], ["Gal", "0525550111"]])
    with pytest.raises(SystemExit) as info:
        run(capsys, "import", small, "--db", db, "--org", "Agency", "--max-size", size)
    assert info.value.code == 2
    assert f"argument --max-size: {size!r} is not a size" in capsys.readouterr().err


# -- XLSX and the progress bar ---------------------------------------------------------


def test_an_xlsx_workbook_imports_like_a_csv_file(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    openpyxl = pytest.importorskip(
        "openpyxl", reason="openpyxl (the 'xlsx' extra) is not installed: XLSX import untested"
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Full name", "Mobile", "Mail", "Budget"])
    sheet.append(["Shira Katz", 972525550140, "s@x.io", 1200])  # numbers typed as numbers
    sheet.append([None, None, None, None])
    sheet.append(["Eitan Azulay", "052-555-0141", None, None])
    path = tmp_path / "supplier.xlsx"
    book.save(path)
    status, out, err = run(capsys, "import", path, "--db", db, "--org", "Agency", *SUPPLIER_MAP)
    assert (status, err) == (0, "")
    assert "2 created" in out
    leads = _leads(db)
    assert [(lead.phones, lead.fields) for lead in leads] == [
        (("+972525550141",), {}),
        (("+972525550140",), {"budget": 1200}),
    ]


def test_a_workbook_that_unpacks_past_the_size_limit_is_one_line(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    openpyxl = pytest.importorskip(
        "openpyxl", reason="openpyxl (the 'xlsx' extra) is not installed"
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["name", "phone"])
    for i in range(2_000):
        sheet.append([f"Lead {i}", f"05255{i:05d}"])
    path = tmp_path / "packed.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as packed:
        unpacked = sum(member.file_size for member in packed.infolist())
    packed_size = path.stat().st_size
    assert unpacked > 2 * packed_size
    limit = str(2 * packed_size)
    status, out, err = run(
        capsys, "import", path, "--db", db, "--org", "Agency", "--max-size", limit
    )
    assert (status, out) == (2, "")
    assert err.startswith(f"{path}: the workbook unpacks to ")
    assert f"more than an import reads ({2 * packed_size / 1024:.1f} KiB)" in err
    assert _leads(db) == []


def test_a_broken_xlsx_file_is_one_line(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("openpyxl", reason="openpyxl (the 'xlsx' extra) is not installed")
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"name,phone\n")
    status, _, err = run(capsys, "import", path, "--db", db, "--org", "Agency")
    assert status == 2
    assert err.startswith(f"{path}: not an XLSX workbook")
    assert err.count("\n") == 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("quiet", [False, True])
def test_a_progress_bar_is_drawn_only_on_a_terminal(
    quiet: bool, db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadcore.cli import main

    rows = [["name", "phone"]] + [[f"Lead {i}", f"052555{i:04d}"] for i in range(5)]
    path = _csv(tmp_path / "leads.csv", rows)
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    argv = ["import", str(path), "--db", db, "--org", "Agency", "--batch-size", "2"]
    assert main([*argv, "--quiet"] if quiet else argv) == 0
    drawn = terminal.getvalue()
    if quiet:
        assert drawn == ""
    else:
        assert "\r  importing [" in drawn
        assert "5/5 rows" in drawn
