"""The ``leadcore`` command: check and draw workflow files, run the demo.

Exit status: 0 when all is well, 1 when a checked workflow has errors, 2
when a file cannot be read or parsed or the command line is wrong. Errors
are one line each, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from leadcore.errors import WorkflowInvalid
from leadcore.workflow import Finding, Workflow, lint, read_definition

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
            "finding: FILE:PATH: CODE severity: message. Exit 1 if any file has an error, "
            "2 if a file cannot be read or parsed, 0 otherwise."
        ),
    )
    check.add_argument("files", nargs="+", metavar="FILE", type=Path, help="definition files")
    check.add_argument(
        "--format", choices=["text", "json"], default="text", help="output format (default: text)"
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

    demo = sub.add_parser(
        "demo",
        help="run a short tour of what leadcore does",
        description="Run a deterministic tour of leadcore on sample data and print what happens.",
    )
    demo.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("leadcore-demo"),
        help="folder for the files the demo writes (default: ./leadcore-demo)",
    )
    return parser


def _read(path: Path) -> object:
    """Read a definition; raise ``_Unreadable`` with a one-line reason."""
    try:
        return read_definition(path)
    except OSError as exc:
        raise _Unreadable(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise _Unreadable(f"{path}: cannot read: not UTF-8 text") from None
    except WorkflowInvalid as exc:
        message = exc.findings[0].message.splitlines()[0] if exc.findings else "cannot parse"
        raise _Unreadable(f"{path}: {message}") from None


class _Unreadable(Exception):
    pass


def _check(files: Sequence[Path], fmt: str, out: TextIO, err: TextIO) -> int:
    status = EXIT_OK
    records: list[dict[str, str]] = []
    for path in files:
        try:
            data = _read(path)
        except _Unreadable as exc:
            print(str(exc), file=err)
            status = EXIT_USAGE
            continue
        findings: list[Finding] = lint(data)
        if any(f.severity == "error" for f in findings) and status == EXIT_OK:
            status = EXIT_FINDINGS
        for f in findings:
            if fmt == "json":
                records.append({"file": str(path), **f.to_dict()})
            else:
                where = f"{path}:{f.path}" if f.path else str(path)
                print(f"{where}: {f.code} {f.severity}: {f.message}", file=out)
    if fmt == "json":
        json.dump(records, out, ensure_ascii=False, indent=2)
        out.write("\n")
    return status


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
        print(
            f"{path}: workflow is invalid: {len(exc.errors)} errors{detail}; "
            f"run 'leadcore check {path}'",
            file=err,
        )
        return EXIT_FINDINGS
    out.write(wf.to_mermaid() if fmt == "mermaid" else wf.to_dot())
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    if args.command == "check":
        return _check(args.files, args.format, out, err)
    if args.command == "graph":
        return _graph(args.file, args.format, out, err)
    if args.command == "demo":
        from leadcore._demo import run_demo

        return run_demo(seed=args.seed, out_dir=args.out, out=out)
    parser.print_help(out)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
