"""Shared pytest configuration: hypothesis profiles.

Pick one with the environment variable ``HYPOTHESIS_PROFILE`` (default ``ci``):

- ``ci``: 25 examples, no deadline, derandomized (the same examples every run);
- ``dev``: 50 examples, no deadline;
- ``thorough``: 500 examples, no deadline.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
