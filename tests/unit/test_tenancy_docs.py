"""The organisations page tells the truth about roles and their default permissions."""

from __future__ import annotations

from pathlib import Path

from leadcore.tenancy import DEFAULT_ROLE_PERMISSIONS, Permission, Role

PAGE = Path(__file__).resolve().parents[2] / "docs" / "organizations.md"

# The page's column headings, in the order of leadcore.tenancy.Role.
COLUMNS = {
    "AM": Role.ACCOUNT_MANAGER,
    "CM": Role.CAMPAIGN_MANAGER,
    "QM": Role.QUALIFIER_MANAGER,
    "Q": Role.QUALIFIER,
    "SM": Role.SALES_MANAGER,
    "SP": Role.SALESPERSON,
}


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _permission_table() -> tuple[list[str], dict[str, list[str]]]:
    """The heading and the rows (permission -> cells) of the page's permission table."""
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Permission |"))
    heading = _cells(lines[start])
    rows: dict[str, list[str]] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        rows[cells[0].strip("`")] = cells
    return heading, rows


def test_the_permission_table_has_a_column_per_role_in_order() -> None:
    heading, _ = _permission_table()
    assert heading[2:] == list(COLUMNS)
    assert list(COLUMNS.values()) == list(Role)


def test_the_permission_table_lists_every_permission_once_in_order() -> None:
    _, rows = _permission_table()
    assert list(rows) == [p.value for p in Permission]


def test_the_permission_table_marks_exactly_the_default_permissions() -> None:
    _, rows = _permission_table()
    for permission in Permission:
        marks = rows[permission.value][2:]
        shown = {role for role, mark in zip(COLUMNS.values(), marks, strict=True) if mark == "✓"}
        held = {role for role, perms in DEFAULT_ROLE_PERMISSIONS.items() if permission in perms}
        assert shown == held, permission
        assert all(mark in {"✓", ""} for mark in marks), permission


def test_the_role_table_names_every_role() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for role in Role:
        assert f"| `{role.value}` |" in text, role
