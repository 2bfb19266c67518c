"""``manage.py leadcore_import``: ``leadcore import`` on the project's database."""

from __future__ import annotations

from leadcore.contrib.django.management.commands._leadcore_cli import CliCommand

# Django finds the class by its name; it is no public name of leadcore.
__all__: list[str] = []


class Command(CliCommand):
    """``leadcore import ARGS`` (import leads and records into leadcore)."""

    help = "Run 'leadcore import' (import leads and records into leadcore); ARGS pass through."
    subcommand = "import"
    takes_db = True
