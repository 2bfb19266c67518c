"""``manage.py leadcore_check``: ``leadcore check`` on the project's database."""

from __future__ import annotations

from leadcore.contrib.django.management.commands._leadcore_cli import CliCommand

# Django finds the class by its name; it is no public name of leadcore.
__all__: list[str] = []


class Command(CliCommand):
    """``leadcore check ARGS`` (validate workflow files and print every finding)."""

    help = (
        "Run 'leadcore check' (validate workflow files and print every finding); ARGS pass through."
    )
    subcommand = "check"
    takes_db = False
