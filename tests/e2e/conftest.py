"""Fixtures of the end-to-end tests: Firelane's CLI as real processes, a real receiver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.processes import Firelane
from tests.hooks.receiver import Receiver


@pytest.fixture
def firelane(tmp_path: Path) -> Iterator[Firelane]:
    """A Firelane installation over a SQLite file in ``tmp_path``, upgraded; its processes
    are stopped at the end. Webhook deliveries are polled for every half second."""
    made = Firelane(tmp_path, FIRELANE_HOOKS_POLL_SECONDS="0.5")
    made.run("db", "upgrade")
    yield made
    made.stop_all()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()
