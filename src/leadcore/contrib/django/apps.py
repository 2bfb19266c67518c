"""The Django application of leadcore (``"leadcore.contrib.django"`` in ``INSTALLED_APPS``)."""

from __future__ import annotations

from django.apps import AppConfig

from leadcore.contrib.django._core import read_settings

__all__ = ["LeadcoreConfig"]


class LeadcoreConfig(AppConfig):
    """Checks ``settings.LEADCORE`` when Django starts; the core opens on first use."""

    name = "leadcore.contrib.django"
    label = "leadcore"
    verbose_name = "leadcore"
    default = True

    def ready(self) -> None:
        """Refuse a malformed ``settings.LEADCORE`` at start-up rather than at the first request."""
        read_settings()
