"""What a test does when a tool it needs (docker, Chromium, ...) is missing on this machine."""

import os

import pytest

CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason):
    """Skips a test whose tool is missing; under CI a missing tool fails it instead."""
    if CI:
        pytest.fail(f"{reason} (CI=true: a missing tool is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)
