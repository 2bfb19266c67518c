"""What the management commands share: run ``leadcore.cli.main`` and report its exit status."""

from __future__ import annotations

import argparse
import contextlib
import io
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leadcore.cli import main
from leadcore.contrib.django._core import read_settings

__all__ = ["CliCommand"]


class CliCommand(BaseCommand):
    """A ``leadcore`` subcommand as a management command; its arguments pass through."""

    subcommand = ""
    """The ``leadcore`` subcommand run."""
    takes_db = False
    """Whether it takes ``--db URL`` (given the ``URL`` setting unless passed)."""

    def add_arguments(self, parser: CommandParser) -> None:
        """Everything after the command's name goes to ``leadcore SUBCOMMAND``."""
        parser.add_argument("cli_args", nargs=argparse.REMAINDER, metavar="ARGS")

    def cli_arguments(self, given: Sequence[str]) -> list[str]:
        """The arguments of ``leadcore.cli.main``."""
        args = [self.subcommand, *given]
        url = read_settings().url
        if self.takes_db and url is not None and not any(a.startswith("--db") for a in given):
            args += ["--db", url]
        return args

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the command line; a non-zero exit status is a ``CommandError`` with it."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(self.cli_arguments(list(options["cli_args"])))
            except SystemExit as exc:  # argparse refused the arguments
                status = exc.code if isinstance(exc.code, int) else 2
        self.stdout.write(out.getvalue(), ending="")
        self.stderr.write(err.getvalue(), ending="")
        if status:
            raise CommandError(
                f"leadcore {self.subcommand} exited with {status}", returncode=status
            )
