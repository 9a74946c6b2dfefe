"""Schemathesis finds nothing: no server error, no answer the OpenAPI does not describe.

A bounded run (a fixed seed, a few cases per operation) over a real server on each
backend, as an admin and as a viewer; bench/fuzz.py runs longer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import fuzzing
from tests.e2e.processes import Firelane
from tests.support import need, postgres_database

pytestmark = pytest.mark.e2e


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Firelane]:
    env = {"FIRELANE_HOOKS_ALLOW_PRIVATE": "false", "FIRELANE_SCHEDULER": "false"}
    if request.param == "sqlite":
        firelane = Firelane(tmp_path, **env)
        yield firelane
        firelane.stop_all()
        return
    base = os.environ.get("FIRELANE_TEST_DATABASE_URL")
    need(base is not None, "PostgreSQL (FIRELANE_TEST_DATABASE_URL)")
    assert base is not None
    with postgres_database(base, "firelane_fuzz") as url:
        firelane = Firelane(tmp_path, FIRELANE_DATABASE_URL=url, **env)
        yield firelane
        firelane.stop_all()


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_fuzzing_finds_no_failure(served: Firelane, role: str, tmp_path: Path) -> None:
    tokens = fuzzing.start(served)
    result = fuzzing.run(
        served.url, role, tokens[role], max_examples=8, seed=16, report=tmp_path / "junit.xml"
    )
    print(result.line())
    assert result.cases > 500, result.output[-3000:]
    assert result.clean, result.output[-20000:]
