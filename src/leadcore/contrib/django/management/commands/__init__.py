"""``leadcore_migrate``, ``leadcore_check``, ``leadcore_import``."""
