"""The one Django configuration of the test process (settings are configured once per process).

The Django tests and the documentation tests both need Django configured;
whichever runs first configures it, with these settings, and the other finds
them in place.
"""

from __future__ import annotations


def configure_django() -> None:
    """Configure Django for ``leadcore.contrib.django`` and ``leadcore.examples.django_app``."""
    import django
    from django.conf import settings

    if settings.configured:
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY="test",
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=["leadcore.contrib.django"],
        MIDDLEWARE=["leadcore.contrib.django.LeadcoreMiddleware"],
        ROOT_URLCONF="leadcore.examples.django_app",
        DATABASES={},
        USE_TZ=True,
    )
    django.setup()
