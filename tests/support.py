"""Helpers shared by the test packages."""

from __future__ import annotations

import os

import pytest

# In CI every test must run: a missing PostgreSQL, Alertmanager or browser fails the run.
STRICT = os.environ.get("FIRELANE_TEST_STRICT", "") not in ("", "0") or bool(os.environ.get("CI"))


def need(available: bool, what: str) -> None:
    """Skip when ``what`` is missing locally; fail in CI, where everything must run."""
    if available:
        return
    if STRICT:
        pytest.fail(f"{what} is required when FIRELANE_TEST_STRICT/CI is set")
    pytest.skip(f"{what} is not available")
