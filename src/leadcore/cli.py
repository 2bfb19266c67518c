"""The ``leadcore`` command: check and draw workflow files, import leads, run the demo.

Exit status: 0 when all is well, 1 when a checked workflow has errors (or,
with ``check --strict``, warnings), a property breaks or a migration has a
hazard, or (``import``) rows were rejected or a batch failed, 2 when a file or
database cannot be used or the command line is wrong.
Errors are one line each, never a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from leadcore import _cli_migrate
from leadcore.errors import ValidationError, WorkflowInvalid
from leadcore.tenancy import Permission, Role, RolePolicy
from leadcore.workflow import CODES, Finding, Workflow, lint, read_definition

__all__ = ["main"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="leadcore",
        description=(
            "leadcore: the embeddable core of a lead-management CRM. "
            "Check and draw status workflows, or run the demo."
        ),
    )
    from leadcore import __version__

    parser.add_argument("--version", action="version", version=f"leadcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser(
        "check",
        help="validate workflow files and print every finding",
        description=(
            "Validate workflow definition files (.toml, or .json) and print one line per "
            "finding: FILE:PATH: CODE severity: message. Exit 1 if any file has an error "
            "(with --strict, also a warning), a property breaks or a migration has an error, "
            "2 if a file cannot be read or parsed, 0 otherwise."
        ),
    )
    check.add_argument("files", nargs="+", metavar="FILE", type=Path, help="definition files")
    check.add_argument(
        "--format", choices=["text", "json"], default="text", help="output format (default: text)"
    )
    check.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 1) on warnings too: lint warnings and migration warnings",
    )
    check.add_argument(
        "--against",
        type=Path,
        metavar="OLD",
        help="also check moving live leads from the version in OLD to each FILE: removed "
        "statuses without a mapping, mappings that strand or close leads, entry changes",
    )
    check.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="OLD_ID=NEW_ID",
        type=_mapping_pair,
        help="with --against: where leads of a removed status go (repeatable)",
    )
    check.add_argument(
        "--restricted",
        action="append",
        metavar="ROLE",
        choices=[str(r) for r in Role],
        help="with --properties or --against: a role your organisation restricts to next "
        "stages (repeatable; default: qualifier and salesperson, as in the default role "
        "permissions)",
    )
    check.add_argument(
        "--properties",
        action="store_true",
        help="also property-check each valid workflow with random users and leads (needs "
        "hypothesis); exit 1 and print a counterexample when a property breaks",
    )
    check.add_argument(
        "--accept",
        action="append",
        default=[],
        metavar="CODE",
        choices=sorted(str(c) for c, severity in CODES.items() if severity == "warning"),
        help="with --properties: a lint warning that is intended, such as dead-end or "
        "no-path-to-done (repeatable)",
    )
    check.add_argument(
        "--seed", type=int, metavar="N", help="with --properties: seed of the random runs"
    )
    check.add_argument(
        "--max-examples",
        type=int,
        default=100,
        metavar="N",
        help="with --properties: how many runs to try (default: 100)",
    )

    graph = sub.add_parser(
        "graph",
        help="draw a workflow as Mermaid or Graphviz DOT",
        description="Print a workflow file as a Mermaid flowchart or a Graphviz DOT graph.",
    )
    graph.add_argument("file", metavar="FILE", type=Path, help="definition file")
    graph.add_argument(
        "--format",
        choices=["mermaid", "dot"],
        default="mermaid",
        help="diagram language (default: mermaid)",
    )

    schema = sub.add_parser(
        "schema",
        help="print the SQL schema (DDL) of the SQL storage",
        description=(
            "Print every CREATE TABLE and CREATE INDEX of leadcore's SQL schema for a "
            "dialect, e.g. to review it or feed your own migration tool (needs the 'sql' "
            "extra). 'mysql' also covers MariaDB."
        ),
    )
    schema.add_argument(
        "--dialect",
        choices=["postgresql", "mysql", "sqlite"],
        default="postgresql",
        help="SQL dialect (default: postgresql)",
    )
    schema.add_argument(
        "--citus",
        action="store_true",
        help="print instead the statements that distribute the tables on Citus (PostgreSQL), "
        "to run once the tables exist",
    )

    from leadcore._cli_import import add_import_parser

    add_import_parser(sub)

    demo = sub.add_parser(
        "demo",
        help="run a short tour of what leadcore does",
        description="Run a deterministic tour of leadcore on sample data and print what happens.",
    )
    demo.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    demo.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help=(
            "where the demo keeps its data: a storage URL such as "
            "postgresql+psycopg://user@host/db, mysql+pymysql://user@host/db or memory:// "
            "(default: a new SQLite file in the --out folder; the database must hold no "
            "leadcore data yet)"
        ),
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("leadcore-demo"),
        help="folder for the files the demo writes (default: ./leadcore-demo)",
    )
    _cli_migrate.add_parser(sub)
    return parser


def _policy(restricted: Sequence[str] | None) -> RolePolicy | None:
    """The role permissions in which exactly ``restricted`` are restricted to next stages."""
    if restricted is None:
        return None
    policy = RolePolicy()
    for role in Role:
        permissions = policy.permissions_of(role) - {Permission.RESTRICT_TO_NEXT_STAGES}
        if role in restricted:
            permissions |= {Permission.RESTRICT_TO_NEXT_STAGES}
        policy = policy.with_role(role, permissions)
    return policy


def _mapping_pair(text: str) -> tuple[str, str]:
    source, sep, target = text.partition("=")
    if not sep or not source.strip() or not target.strip():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not of the form OLD_ID=NEW_ID (e.g. parked=callback)"
        )
    return source.strip(), target.strip()


def _read(path: Path) -> object:
    """Read a definition; raise ``_Unreadable`` with a one-line reason."""
    try:
        data = read_definition(path)
    except OSError as exc:
        raise _Unreadable(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise _Unreadable(f"{path}: cannot read: not UTF-8 text") from None
    except WorkflowInvalid as exc:
        message = exc.findings[0].message.splitlines()[0] if exc.findings else "cannot parse"
        raise _Unreadable(f"{path}: {message}") from None
    if not isinstance(data, dict):
        # Only JSON can hold a list or a scalar here; TOML always gives a table.
        kinds = {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
        kind = kinds.get(type(data), "a number")
        raise _Unreadable(
            f"{path}: a workflow file must hold one object (a table) at the top level, not {kind}"
        )
    return data


class _Unreadable(Exception):
    pass


def _check(
    files: Sequence[Path], fmt: str, out: TextIO, err: TextIO, args: argparse.Namespace
) -> int:
    status = EXIT_OK
    records: list[dict[str, object]] = []
    old: Workflow | None = None
    if args.against is not None:
        try:
            old = _build(args.against)
        except _Unreadable as exc:
            print(str(exc), file=err)
            return EXIT_USAGE
    for path in files:
        try:
            data = _read(path)
        except _Unreadable as exc:
            print(str(exc), file=err)
            status = EXIT_USAGE
            continue
        findings: list[Finding] = lint(data)
        failing = ("error", "warning") if args.strict else ("error",)
        if any(f.severity in failing for f in findings) and status == EXIT_OK:
            status = EXIT_FINDINGS
        for f in findings:
            if fmt == "json":
                records.append({"file": str(path), **f.to_dict()})
            else:
                where = f"{path}:{f.path}" if f.path else str(path)
                print(f"{where}: {f.code} {f.severity}: {f.message}", file=out)
        valid = not any(f.severity == "error" for f in findings)
        if old is not None and valid and isinstance(data, dict):
            hazards = _check_migration(path, Workflow.from_dict(data), old, fmt, out, args, records)
            if hazards != EXIT_OK and status == EXIT_OK:
                status = hazards
        if args.properties and valid:
            broken = _check_properties(path, fmt, out, err, args, records)
            if broken != EXIT_OK and status != EXIT_USAGE:
                status = broken
    if fmt == "json":
        json.dump(records, out, ensure_ascii=False, indent=2)
        out.write("\n")
    return status


def _build(path: Path) -> Workflow:
    """Read and build the workflow in ``path``; raise ``_Unreadable`` if it has errors."""
    data = _read(path)
    try:
        assert isinstance(data, dict)  # _read refuses anything else
        return Workflow.from_dict(data)
    except WorkflowInvalid as exc:
        first = exc.errors[0] if exc.errors else None
        raise _Unreadable(
            f"{path}: workflow is invalid: {first}; run 'leadcore check {path}'"
        ) from None


def _check_migration(
    path: Path,
    new: Workflow,
    old: Workflow,
    fmt: str,
    out: TextIO,
    args: argparse.Namespace,
    records: list[dict[str, object]],
) -> int:
    from leadcore.testing._migration_check import check_migration

    report = check_migration(old, new, dict(args.map), roles=_policy(args.restricted))
    for f in report.findings:
        if fmt == "json":
            records.append({"file": str(path), "against": str(args.against), **f.to_dict()})
        else:
            where = f"{path}:{f.path}" if f.path else str(path)
            print(f"{where}: {f.code} {f.severity}: {f.message}", file=out)
            for i, step in enumerate(f.steps, start=1):
                print(f"    {i}. {step}", file=out)
    return EXIT_OK if report.passes(strict=args.strict) else EXIT_FINDINGS


def _check_properties(
    path: Path,
    fmt: str,
    out: TextIO,
    err: TextIO,
    args: argparse.Namespace,
    records: list[dict[str, object]],
) -> int:
    try:
        from leadcore.testing import check_workflow
    except ImportError:
        print("leadcore check --properties needs hypothesis: pip install hypothesis", file=err)
        return EXIT_USAGE
    try:
        report = check_workflow(
            path,
            max_examples=args.max_examples,
            seed=args.seed,
            accept=args.accept,
            roles=_policy(args.restricted),
        )
    except ValidationError as exc:
        print(f"{path}: {exc}", file=err)
        return EXIT_USAGE
    if fmt == "json":
        records.extend(
            {"file": str(path), "property": f.name, "message": f.detail, "steps": list(f.steps)}
            for f in report.failures
        )
    else:
        print(str(report), file=out)
    return EXIT_OK if report.ok else EXIT_FINDINGS


def _graph(path: Path, fmt: str, out: TextIO, err: TextIO) -> int:
    try:
        data = _read(path)
    except _Unreadable as exc:
        print(str(exc), file=err)
        return EXIT_USAGE
    try:
        if not isinstance(data, dict):
            raise WorkflowInvalid(lint(data))
        wf = Workflow.from_dict(data)
    except WorkflowInvalid as exc:
        first = exc.errors[0] if exc.errors else None
        detail = f" (first: {first})" if first else ""
        noun = "error" if len(exc.errors) == 1 else "errors"
        print(
            f"{path}: workflow is invalid: {len(exc.errors)} {noun}{detail}; "
            f"run 'leadcore check {path}'",
            file=err,
        )
        return EXIT_FINDINGS
    out.write(wf.to_mermaid() if fmt == "mermaid" else wf.to_dot())
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (``leadcore demo | head``): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _main(argv: Sequence[str] | None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    for stream in (out, err):
        if isinstance(stream, io.TextIOWrapper):
            # Findings quote the file's own text: a JSON file may spell a lone surrogate
            # (\ud800), and Hebrew may meet a console that is not UTF-8. Neither may crash.
            stream.reconfigure(errors="backslashreplace")
    if args.command == "check":
        return _check(args.files, args.format, out, err, args)
    if args.command == "graph":
        return _graph(args.file, args.format, out, err)
    if args.command == "schema":
        try:
            from leadcore._schema_ddl import schema_ddl

            if args.citus and args.dialect != "postgresql":
                print("leadcore schema --citus: Citus is PostgreSQL; drop --dialect", file=err)
                return EXIT_USAGE
            if args.citus:
                from leadcore.storage.sql import citus_ddl

                out.write("\n".join(citus_ddl()) + "\n")
            else:
                out.write(schema_ddl(args.dialect))
        except ImportError as exc:
            print(
                f"leadcore schema needs the 'sql' extra: pip install 'leadcore[sql]' ({exc})",
                file=err,
            )
            return EXIT_USAGE
        return EXIT_OK
    if args.command == "import":
        from leadcore._cli_import import run_import

        return run_import(args, out, err)
    if args.command == "demo":
        from leadcore._demo import run_demo

        return run_demo(seed=args.seed, out_dir=args.out, out=out, err=err, db=args.db)
    if args.command == "migrate":
        return _cli_migrate.run(args, out, err)
    parser.print_help(err)
    return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
