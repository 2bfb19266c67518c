"""The management commands of leadcore's Django application."""
