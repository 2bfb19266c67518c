"""Every example in the documentation runs, and shows what really happens.

Conventions for writers of ``docs/*.md`` and ``README.md`` (checked here):

- The fenced blocks of a page are taken in order, in a fresh temporary
  working directory per page.
- A `````python`` block runs; all the Python blocks of one page share one
  namespace. Prefer blocks that ``assert`` what they show. A block meant to
  raise starts with the line ``# raises: ErrorName``; it passes only if it
  raises an exception of that class (or a subclass).
- A `````text`` block that follows a Python block, with only blank lines
  between, is that block's expected standard output, compared exactly.
- A ``{code-block}`` directive with a ``:caption:`` that ends in ``.toml`` or
  ``.json`` is a file: it is written, under that name, into the working
  directory before the next block runs. The bundled ``sales.toml`` and
  ``qualification.he.toml`` are always there.
- In a `````console`` block, each line ``$ leadcore ARGS`` runs
  ``leadcore.cli.main(ARGS)``; the lines up to the next ``$`` line are its
  expected standard output and error, together. A line ``...`` in expected
  output stands for any number of lines. ``$ echo $?`` followed by a number
  checks the exit status of the command before it. Other ``$`` lines are
  not run.
- A block right after the line ``<!-- not-run -->`` is neither run nor written.
- On ``lint-codes.md``, each heading ``### `code` (severity)`` documents one
  :class:`~leadcore.workflow.LintCode`; the first `````toml`` block under it
  must produce that code, and only that code, when built and when linted.
"""

from __future__ import annotations

import contextlib
import enum
import io
import pkgutil
import re
import shlex
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs
import pytest
from tests.django_project import configure_django

import leadcore
from leadcore import cli
from leadcore.dispatch import ProjectRules
from leadcore.errors import WorkflowInvalid
from leadcore.workflow import CODES, Finding, LintCode, ReasonCode, Workflow, lint

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "src" / "leadcore" / "examples"
PAGES = [*sorted(DOCS.glob("*.md")), *sorted(DOCS.glob("howto/*.md")), ROOT / "README.md"]

NOT_RUN = "<!-- not-run -->"
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*?)\s*$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
_RAISES = re.compile(r"^#\s*raises:\s*(?P<name>\w+)\s*$")


@attrs.frozen
class Block:
    """One fenced block of a Markdown page."""

    lang: str
    directive: str | None
    options: dict[str, str]
    code: str
    line: int
    """Line number (1-based) of the opening fence."""
    end: int
    """Line number of the closing fence."""
    not_run: bool


def parse_blocks(text: str) -> list[Block]:
    """Return the fenced blocks of a Markdown page, in order."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    previous = ""
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            if lines[i].strip():
                previous = lines[i].strip()
            i += 1
            continue
        indent, fence, info = len(match["indent"]), match["fence"], match["info"]
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines):
            closing = lines[i].strip()
            if closing.startswith(fence[0] * len(fence)) and not closing.strip(fence[0]):
                break
            # Content is indented like its fence (inside a list item, say); drop that much.
            line = lines[i]
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
            i += 1
        directive: str | None = None
        lang = info.split()[0] if info else ""
        options: dict[str, str] = {}
        if lang.startswith("{") and lang.endswith("}"):
            directive = lang[1:-1]
            rest = info.split()[1:]
            lang = rest[0] if rest else ""
            while body and (option := _OPTION.match(body[0])) is not None:
                options[option["key"]] = option["value"]
                body.pop(0)
            if options and body and not body[0].strip():
                body.pop(0)
        blocks.append(
            Block(
                lang=lang,
                directive=directive,
                options=options,
                code="\n".join(body) + "\n" if body else "",
                line=start + 1,
                end=i + 1,
                not_run=previous == NOT_RUN,
            )
        )
        previous = ""
        i += 1
    return blocks


def _only_blank_between(text: str, first: Block, second: Block) -> bool:
    lines = text.splitlines()
    return all(not line.strip() for line in lines[first.end : second.line - 1])


def _matches(expected: Sequence[str], actual: Sequence[str]) -> bool:
    """Compare output lines; an expected line ``...`` stands for any number of lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        rest = expected[1:]
        return any(_matches(rest, actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and _matches(expected[1:], actual[1:])


def _run_python(block: Block, page: Path, namespace: dict[str, object]) -> str:
    first_line = block.code.split("\n", 1)[0]
    raises = _RAISES.match(first_line)
    # Padding keeps tracebacks pointing at the page's own line numbers.
    code = compile("\n" * block.line + block.code, str(page), "exec")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        if raises is None:
            exec(code, namespace)
            return out.getvalue()
        try:
            exec(code, namespace)
        except Exception as exc:
            raised: Exception = exc
        else:
            pytest.fail(f"{page.name}:{block.line}: expected {raises['name']}, nothing raised")
    names = {cls.__name__ for cls in type(raised).__mro__}
    assert raises["name"] in names, (
        f"{page.name}:{block.line}: raised {type(raised).__name__}, expected {raises['name']}"
    )
    return out.getvalue()


def _run_cli(args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            status = cli.main(args)
        except SystemExit as exc:  # argparse's --help, --version and usage errors
            status = exc.code if isinstance(exc.code, int) else 1
    return status, out.getvalue()


def _commands(code: str) -> Iterator[tuple[str, list[str]]]:
    """Split a console transcript into (command, expected output lines)."""
    command: str | None = None
    expected: list[str] = []
    for line in code.splitlines():
        if line.startswith("$ "):
            if command is not None:
                yield command, expected
            command, expected = line[2:], []
        elif command is not None:
            expected.append(line)
    if command is not None:
        yield command, expected


def _run_console(block: Block, page: Path) -> int:
    """Run the ``leadcore`` lines of a console block; return how many ran."""
    ran = 0
    last_status: int | None = None
    for command, expected in _commands(block.code):
        where = f"{page.name}:{block.line}: $ {command}"
        if command == "echo $?":
            assert last_status is not None, f"{where}: no leadcore command before it"
            assert expected == [str(last_status)], f"{where}: exit status was {last_status}"
            continue
        argv = shlex.split(command)
        if argv[:1] != ["leadcore"]:
            last_status = None
            continue
        last_status, output = _run_cli(argv[1:])
        ran += 1
        actual = output.splitlines()
        assert _matches(expected, actual), (
            f"{where}: output differs.\n--- expected\n"
            + "\n".join(expected)
            + "\n--- actual\n"
            + "\n".join(actual)
        )
    return ran


def _provide_samples(directory: Path) -> None:
    for sample in ("sales.toml", "qualification.he.toml"):
        (directory / sample).write_text((EXAMPLES / sample).read_text("utf-8"), "utf-8")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    # argparse wraps help text to the terminal width; the pages show 80 columns.
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    _provide_samples(tmp_path)
    return tmp_path


def test_there_are_pages_to_check() -> None:
    names = {page.name for page in PAGES}
    assert {"index.md", "getting-started.md", "workflows.md", "lint-codes.md", "cli.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_example_of_the_page_runs_as_shown(page: Path, workdir: Path) -> None:
    run_page(page, workdir)


#: Pages whose examples need a framework configured first (and installed: else skipped).
_FRAMEWORKS = {"frameworks.md": configure_django}


def run_page(page: Path, workdir: Path) -> None:
    """Run every example of a page as the conventions above say, failing on the first."""
    if page.name in _FRAMEWORKS:
        pytest.importorskip("django", reason="Django is not installed (extra 'django')")
        _FRAMEWORKS[page.name]()
    text = page.read_text(encoding="utf-8")
    blocks = parse_blocks(text)
    namespace: dict[str, object] = {"__name__": f"docs.{page.stem}"}
    last_python: Block | None = None
    last_output = ""
    for block in blocks:
        if block.not_run:
            continue
        caption = block.options.get("caption", "")
        if block.directive == "code-block" and caption.endswith((".toml", ".json")):
            (workdir / caption).write_text(block.code, encoding="utf-8")
        elif block.directive is None and block.lang == "python":
            last_output = _run_python(block, page, namespace)
            last_python = block
            continue
        elif (
            block.directive is None
            and block.lang == "text"
            and last_python is not None
            and _only_blank_between(text, last_python, block)
        ):
            assert last_output == block.code, (
                f"{page.name}:{block.line}: the output shown differs from what the block at "
                f"line {last_python.line} prints.\n--- shown\n{block.code}--- printed\n"
                f"{last_output}"
            )
        elif block.directive is None and block.lang == "console":
            _run_console(block, page)
        last_python = None


_HARNESS_PAGE = """\
```python
total = 1 + 1
print(total)
```

```text
2
```

<!-- not-run -->
```python
raise SystemExit("not run")
```

```python
# raises: LookupError
{}["missing"]
```

```{code-block} toml
:caption: tiny.toml

id = "tiny"
```

```python
from pathlib import Path

assert Path("tiny.toml").read_text(encoding="utf-8") == 'id = "tiny"\\n'
```

```console
$ leadcore check sales.toml
$ echo $?
0
$ leadcore --help
usage: leadcore [-h] [--version] COMMAND ...
...
```
"""


def test_the_harness_follows_its_conventions(workdir: Path) -> None:
    page = workdir / "page.md"
    page.write_text(_HARNESS_PAGE, encoding="utf-8")
    run_page(page, workdir)


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        ("```text\n2\n", "```text\n3\n"),
        ("# raises: LookupError", "# raises: TypeError"),
        ('{}["missing"]', "pass"),
        ("$ echo $?\n0", "$ echo $?\n1"),
        ("usage: leadcore [-h]", "usage: leadcore [-x]"),
    ],
)
def test_the_harness_fails_a_page_that_shows_the_wrong_thing(
    workdir: Path, good: str, bad: str
) -> None:
    assert good in _HARNESS_PAGE
    page = workdir / "page.md"
    page.write_text(_HARNESS_PAGE.replace(good, bad, 1), encoding="utf-8")
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        run_page(page, workdir)


# -- the CLI page -------------------------------------------------------------------


def test_the_cli_page_runs_every_command() -> None:
    blocks = parse_blocks((DOCS / "cli.md").read_text(encoding="utf-8"))
    commands = [
        command
        for block in blocks
        if block.lang == "console" and not block.not_run
        for command, _ in _commands(block.code)
        if command.startswith("leadcore ")
    ]
    for sub in ("check", "graph", "schema", "demo"):
        assert any(c.startswith(f"leadcore {sub}") for c in commands), sub


def test_the_cli_page_has_a_section_for_each_command_of_the_help(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    status, output = _run_cli(["--help"])
    assert status == 0
    # The subcommands are listed under "COMMAND", one per line, indented by four spaces.
    listed = re.findall(r"^    ([a-z][a-z-]*)\s", output, flags=re.MULTILINE)
    assert listed, output
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [sub for sub in listed if f"## `leadcore {sub}`" not in text]
    assert not missing


def test_the_console_matcher_treats_dots_as_any_lines() -> None:
    assert _matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert _matches(["a", "..."], ["a"])
    assert not _matches(["a", "...", "d"], ["a", "b"])
    assert not _matches(["a"], ["a", "b"])


# -- the lint-codes page --------------------------------------------------------------

_CODE_HEADING = re.compile(r"^###\s+`(?P<code>[^`]+)`\s+\((?P<severity>\w+)\)\s*$")


@attrs.frozen
class CodeSection:
    """The section of lint-codes.md that documents one code."""

    code: str
    severity: str
    line: int
    example: str | None


def _code_sections() -> list[CodeSection]:
    text = (DOCS / "lint-codes.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    blocks = parse_blocks(text)
    headings = [
        (number, match)
        for number, line in enumerate(lines, start=1)
        if (match := _CODE_HEADING.match(line)) is not None
    ]
    section_ends = [
        number for number, line in enumerate(lines, start=1) if line.startswith(("## ", "### "))
    ]
    sections: list[CodeSection] = []
    for number, match in headings:
        end = min((n for n in section_ends if n > number), default=len(lines) + 1)
        example = next(
            (b.code for b in blocks if number < b.line < end and b.lang == "toml"),
            None,
        )
        sections.append(CodeSection(match["code"], match["severity"], number, example))
    return sections


def _findings_of(toml_text: str) -> tuple[Finding, ...]:
    """Every finding for a definition, as building it reports them."""
    try:
        wf = Workflow.from_toml(toml_text)
    except WorkflowInvalid as exc:
        return exc.findings
    return wf.warnings


def test_the_lint_codes_page_documents_every_code_once() -> None:
    documented = [s.code for s in _code_sections()]
    assert sorted(documented) == sorted(str(code) for code in LintCode)
    assert len(documented) == len(set(documented))


def test_the_lint_codes_page_gives_each_code_its_severity() -> None:
    for section in _code_sections():
        assert section.severity == str(CODES[LintCode(section.code)]), section.code


def test_the_lint_codes_page_names_no_unknown_code() -> None:
    text = (DOCS / "lint-codes.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z]{2,}(?:-[a-z]{2,})+)`", text))
    known = {str(code) for code in LintCode} | {str(code) for code in ReasonCode}
    assert named <= known, sorted(named - known)


@pytest.mark.parametrize("code", sorted(LintCode), ids=str)
def test_each_lint_code_example_produces_that_code_alone(code: LintCode) -> None:
    section = next((s for s in _code_sections() if s.code == code), None)
    assert section is not None, f"lint-codes.md has no section for {code}"
    assert section.example is not None, f"lint-codes.md:{section.line}: no toml example"
    findings = _findings_of(section.example)
    assert findings, f"lint-codes.md:{section.line}: the example has no finding"
    assert {f.code for f in findings} == {code}, [str(f) for f in findings]
    if code is not LintCode.SYNTAX:
        linted = lint(tomllib.loads(section.example))
        assert [str(f) for f in linted] == [str(f) for f in findings]


# -- the workflows page ------------------------------------------------------------------


def test_the_workflows_page_explains_every_reason_code() -> None:
    text = (DOCS / "workflows.md").read_text(encoding="utf-8")
    missing = [str(code) for code in ReasonCode if f"`{code}`" not in text]
    assert not missing


# -- the how-to guides --------------------------------------------------------------------


def test_every_how_to_guide_is_in_the_index_and_in_the_toctree() -> None:
    guides = sorted(p.stem for p in (DOCS / "howto").glob("*.md") if p.stem != "index")
    assert guides
    listing = (DOCS / "howto" / "index.md").read_text(encoding="utf-8")
    toctree = (DOCS / "index.md").read_text(encoding="utf-8")
    for guide in guides:
        assert f"{{doc}}`{guide}`" in listing, guide
        assert f"\nhowto/{guide}\n" in toctree, guide


# -- the dispatch page --------------------------------------------------------------------


def test_the_dispatch_page_documents_every_project_rule_with_its_default() -> None:
    text = (DOCS / "dispatch.md").read_text(encoding="utf-8")
    section = text.split("## Project rules", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    for field in attrs.fields(ProjectRules):
        row = next((r for r in rows if f"`{field.name}`" in r), None)
        assert row is not None, f"dispatch.md has no row for the rule {field.name}"
        default_cell = row.rstrip(" |").rsplit("|", 1)[1]
        default = field.default
        if isinstance(default, enum.Enum):
            expected = str(default.value).replace("_", " ")
        else:
            expected = f"`{default!r}`"
        assert expected in default_cell, f"{field.name}: default {default!r} not in {row!r}"


def test_the_dispatch_page_states_the_bounds_of_every_numeric_rule() -> None:
    text = (DOCS / "dispatch.md").read_text(encoding="utf-8")
    section = text.split("## Project rules", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    column = header.index("Bounds")
    for name, bound in ProjectRules.BOUNDS.items():
        row = next(r for r in rows if f"`{name}`" in r)
        cell = row.strip("|").split("|")[column]
        for number in (bound.minimum, bound.maximum):
            assert f"{number:,}" in cell, f"{name}: bound {number:,} not in {cell!r}"


# -- the API reference: docstring examples ---------------------------------------------

PUBLIC_MODULES = (
    "leadcore",
    "leadcore.contrib",
    "leadcore.contrib.fastapi",
    "leadcore.contrib.django",
    "leadcore.contrib.django.apps",
    "leadcore.calendar",
    "leadcore.services.calendar",
    "leadcore.clock",
    "leadcore.dispatch",
    "leadcore.services.dispatch",
    "leadcore.errors",
    "leadcore.events",
    "leadcore.ids",
    "leadcore.leads",
    "leadcore.forwarding",
    "leadcore.services.outbox",
    "leadcore.services.forwarding",
    "leadcore.services.reports",
    "leadcore.services.leads",
    "leadcore.services.accounts",
    "leadcore.services.opportunities",
    "leadcore.serde",
    "leadcore.storage.memory",
    "leadcore.storage.protocols",
    "leadcore.storage.sql",
    "leadcore.tenancy",
    "leadcore.services.users",
    "leadcore.services.partners",
    "leadcore.testing",
    "leadcore.testing.conformance",
    "leadcore.testing.hostile",
    "leadcore.testing.pytest_plugin",
    "leadcore.testing.strategies",
    "leadcore.workflow",
    "leadcore.services.workflow",
)


# Public modules that are not API: the command line, the package of sample files, the
# namespace package of the storage adapters, the facade's home (documented as ``leadcore``),
# and the hypothesis state machine (documented through ``leadcore.testing``).
NOT_IN_THE_REFERENCE = frozenset(
    {
        "leadcore.cli",
        "leadcore.core",
        "leadcore.examples",
        "leadcore.examples.fastapi_app",
        "leadcore.examples.django_app",
        "leadcore.contrib.django.management",
        "leadcore.contrib.django.management.commands",
        "leadcore.contrib.django.management.commands.leadcore_check",
        "leadcore.contrib.django.management.commands.leadcore_import",
        "leadcore.contrib.django.management.commands.leadcore_migrate",
        "leadcore.services",
        "leadcore.storage",
        "leadcore.testing.stateful",
    }
)


def test_the_api_page_documents_each_public_module() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    for name in PUBLIC_MODULES:
        assert f"## `{name}`" in text, name
        assert f"automodule:: {name}\n" in text, name


# Old import paths kept for one release: each only forwards, with a warning, to its new home.
DEPRECATED_PATHS = frozenset(
    {
        "leadcore.calendar.service",
        "leadcore.dispatch.service",
        "leadcore.leads.forwarding",
        "leadcore.leads.reporting",
        "leadcore.leads.service",
        "leadcore.tenancy.service",
        "leadcore.workflow.service",
    }
)


def test_the_api_page_covers_every_public_module_of_the_package() -> None:
    # A new public module (no underscore in its path) must get its section in api.md.
    found = {
        info.name
        for info in pkgutil.walk_packages(leadcore.__path__, "leadcore.")
        if not any(part.startswith("_") for part in info.name.split("."))
    }
    undocumented = found - set(PUBLIC_MODULES) - NOT_IN_THE_REFERENCE - DEPRECATED_PATHS
    assert not undocumented, sorted(undocumented)
