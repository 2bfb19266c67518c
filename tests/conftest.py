"""Shared test settings: the hypothesis profiles.

``ci`` (chosen when the environment has ``CI=true``) is derandomised, so a
run on the same code draws the same examples, and prints the blob that
reproduces a failure. ``dev`` explores new examples on each run. Neither has
a deadline: a slow machine must not fail a correct test. Set
``HYPOTHESIS_PROFILE`` to choose another registered profile by name.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=60)

_default = "ci" if os.environ.get("CI", "").lower() == "true" else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _default))
