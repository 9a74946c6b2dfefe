"""``firelane schedule list`` and ``firelane schedule tick``, run as the real command."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.core.clock import ManualClock
from app.core.db import Database
from tests.schedules.conftest import count, create_schedule

FIRELANE = Path(sys.executable).with_name("firelane")


def firelane(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FIRELANE_DATABASE_URL": database_url,
        "FIRELANE_SECRET_KEY": "cli-test-secret-0123456789abcdef",
    }
    return subprocess.run(
        [str(FIRELANE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_schedule_list(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    database_url: str,
    tmp_path: Path,
) -> None:
    empty = firelane(database_url, tmp_path, "schedule", "list")
    assert empty.returncode == 0 and empty.stdout == ""
    assert "No schedules yet" in empty.stderr
    first = create_schedule(admin, board, name="Rotate certs", timezone="Europe/Berlin")
    second = create_schedule(
        admin, board, name="Drain queue", cron=None, interval_minutes=30, timezone="UTC"
    )
    member.post(f"/api/v1/schedules/{second['id']}/pause")
    listed = firelane(database_url, tmp_path, "schedule", "list")
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == [
        "ID",
        "NAME",
        "BOARD",
        "RECURRENCE",
        "TIMEZONE",
        "NEXT",
        "CARD",
        "STATE",
    ]
    assert len(rows) == 2
    assert "Rotate certs" in rows[0] and "0 9 * * *" in rows[0]
    assert "2026-03-02 09:00 CET" in rows[0] and rows[0].endswith("enabled")
    assert "ops" in rows[0]
    assert "every 30 min" in rows[1] and rows[1].endswith("paused")
    paused = firelane(database_url, tmp_path, "schedule", "list", "--paused").stdout
    assert "Drain queue" in paused and "Rotate certs" not in paused
    by_board = firelane(database_url, tmp_path, "schedule", "list", "--board", "ops").stdout
    assert by_board.count("\n") == 3
    unknown = firelane(database_url, tmp_path, "schedule", "list", "--board", "nope")
    assert unknown.returncode == 1 and "nope" in unknown.stderr
    assert str(first["id"]) in rows[0].split()[0]


def test_schedule_tick_runs_what_is_due(
    admin: TestClient,
    board: dict[str, Any],
    db: Database,
    database_url: str,
    tmp_path: Path,
    manual_clock: ManualClock,
) -> None:
    # Defined two days ago (by the real clock): today's run is due, earlier ones were missed.
    manual_clock.set(datetime.now(UTC) - timedelta(days=2, hours=1))
    create_schedule(admin, board, cron="@hourly", overlap="stack")
    ran = firelane(database_url, tmp_path, "schedule", "tick")
    assert ran.returncode == 0, ran.stderr
    assert "1 schedule(s) run: 1 created, 0 skipped" in ran.stderr
    assert count(db, "card", "kind = 'maintenance'") == 1
    assert count(db, "schedule_occurrence", "status = 'missed'") >= 47
