"""Crash test: ``kill -9`` of the ingest writer, and of the whole server, under a burst.

Several threads send alerts (each its own key) to ``firelane serve --ingest-writer``;
at a random moment the writer (round 1) or the whole server, writer included (round 2),
is killed with SIGKILL, and the server is started again. Every alert that got a 202 is
then stored exactly once (one alert, one card), and SQLite's integrity check passes.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.e2e.processes import Firelane, until
from tests.e2e.test_serve_writer import _descendants, _writers
from tests.support import need, postgres_database

pytestmark = pytest.mark.e2e

THREADS = 4


@pytest.fixture(params=["sqlite", "postgresql"])
def installed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Firelane]:
    if request.param == "sqlite":
        firelane = Firelane(tmp_path)
        firelane.run("db", "upgrade")
        yield firelane
        firelane.stop_all()
        return
    base = os.environ.get("FIRELANE_TEST_DATABASE_URL")
    need(base is not None, "PostgreSQL (FIRELANE_TEST_DATABASE_URL)")
    assert base is not None
    with postgres_database(base, "firelane_crash") as url:
        firelane = Firelane(tmp_path, FIRELANE_DATABASE_URL=url)
        firelane.run("db", "upgrade")
        yield firelane
        firelane.stop_all()


class Burst:
    """Threads posting one new alert after another; records which keys got a 202."""

    def __init__(self, url: str, integration: dict[str, Any], prefix: str) -> None:
        self.url = f"{url}/api/v1/ingest/{integration['id']}"
        self.headers = {"Authorization": f"Bearer {integration['token']}"}
        self.prefix = prefix
        self.acknowledged: list[str] = []
        self.refused = 0
        self.sent = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send, args=(n,)) for n in range(THREADS)]

    def _send(self, thread: int) -> None:
        with httpx.Client(headers=self.headers, timeout=30) as client:
            number = 0
            while not self._stop.is_set() and number < 2000:
                number += 1
                key = f"{self.prefix}-{thread}-{number}"
                payload = {"title": f"crash {key}", "key": key}
                try:
                    answer = client.post(self.url, json=payload)
                except httpx.HTTPError:
                    answer = None
                    self._stop.wait(0.05)  # the server is down: do not spin
                with self._lock:
                    self.sent += 1
                    if answer is not None and answer.status_code == 202:
                        self.acknowledged.append(key)
                    else:
                        self.refused += 1

    def start(self) -> Burst:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)


def _stored(firelane: Firelane) -> dict[str, int]:
    """How many times each key is stored, read from the database itself."""
    engine = sa.create_engine(firelane.env["FIRELANE_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            # Each key is sent once: stored exactly once is one alert, one occurrence.
            query = "SELECT dedup_key, sum(occurrences) FROM alert GROUP BY dedup_key"
            rows = conn.execute(sa.text(query)).all()
            cards = conn.execute(sa.text("SELECT count(*) FROM card")).scalar_one()
            if engine.dialect.name == "sqlite":
                assert conn.execute(sa.text("PRAGMA integrity_check")).scalar_one() == "ok"
    finally:
        engine.dispose()
    counts = {str(key): int(count) for key, count in rows}
    counts["<cards>"] = int(cards)
    return counts


def _kill_everything(serving: Any) -> None:
    for pid in [*_descendants(serving.pid), serving.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    serving.wait(10)


def test_every_acknowledged_alert_survives_kill_9(installed: Firelane) -> None:
    rng = random.Random()
    serving = installed.serve("--ingest-writer", "--no-scheduler")
    with installed.admin_client() as client:
        made = client.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()
        generic = {"name": "burst", "kind": "generic", "board_id": made["id"]}
        created = client.post("/api/v1/integrations", json=generic)
        assert created.status_code == 201, created.text
        integration = created.json()
    acknowledged: list[str] = []
    for round_, victim in enumerate(("writer", "server")):
        burst = Burst(installed.url, integration, f"r{round_}").start()
        until("a first acknowledged alert", lambda b=burst: len(b.acknowledged) > 20)
        threading.Event().wait(rng.uniform(0.0, 1.0))  # a random moment of the burst
        if victim == "writer":
            (writer,) = _writers(serving)
            os.kill(writer, signal.SIGKILL)
            until("a new writer", lambda w=writer, s=serving: _writers(s) not in ([], [w]))
        else:
            _kill_everything(serving)
            serving = installed.serve("--ingest-writer", "--no-scheduler")
        # The burst goes on against the restarted writer or server before it stops.
        after = len(burst.acknowledged)
        until("more acknowledged", lambda b=burst, n=after: len(b.acknowledged) > n + 20)
        burst.stop()
        acknowledged += burst.acknowledged
        stored = _stored(installed)
        print(
            f"round {round_ + 1} (kill -9 of the {victim}): {burst.sent} sent, "
            f"{len(burst.acknowledged)} acknowledged, {burst.refused} refused; "
            f"{len(stored) - 1} keys stored"
        )
        twice = {key: count for key, count in stored.items() if count > 1 and key != "<cards>"}
        assert twice == {}
        lost = [key for key in acknowledged if key not in stored]
        assert lost == [], f"{len(lost)} acknowledged alerts lost, e.g. {lost[:5]}"
        assert stored["<cards>"] == len(stored) - 1  # one card per stored alert
    installed.stop(serving)
