"""``manage.py leadcore_migrate``: ``leadcore migrate`` on the project's database."""

from __future__ import annotations

from leadcore.contrib.django.management.commands._leadcore_cli import CliCommand

# Django finds the class by its name; it is no public name of leadcore.
__all__: list[str] = []


class Command(CliCommand):
    """``leadcore migrate ARGS`` (bring leadcore's tables to the current schema)."""

    help = (
        "Run 'leadcore migrate' (bring leadcore's tables to the current schema); ARGS pass through."
    )
    subcommand = "migrate"
    takes_db = True
