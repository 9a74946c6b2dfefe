"""``firelane report`` and ``firelane report backfill``, run as the real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.auth.models import Role
from app.core.clock import ManualClock
from tests.conftest import MakeClient
from tests.reports.conftest import ZONE, History

FIRELANE = Path(sys.executable).with_name("firelane")


def firelane(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("FIRELANE_")},
        "FIRELANE_DATABASE_URL": database_url,
        "FIRELANE_SECRET_KEY": "cli-test-secret-0123456789abcdef",
        "FIRELANE_REPORT_TIMEZONE": ZONE,
    }
    return subprocess.run(
        [str(FIRELANE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def history(client_for: MakeClient, manual_clock: ManualClock) -> History:
    h = History(client_for(Role.admin, "root"), {}, manual_clock)
    ops = h.board("ops")
    h.board("dev")
    h.integration("prom", ops)
    h.at(datetime(2026, 3, 24, 8, tzinfo=UTC)).signal("prom", "DiskFull", instance="web-1")
    h.at(datetime(2026, 4, 1, 12, tzinfo=UTC))
    return h


def test_report_prints_or_writes_one_week(
    history: History, database_url: str, tmp_path: Path
) -> None:
    as_json = firelane(database_url, tmp_path, "report", "--week", "2026-W13", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    computed = history.report(week="2026-W13")
    assert json.loads(as_json.stdout) == computed

    written = firelane(
        database_url, tmp_path, "report", "--board", "ops", "--week", "2026-W13",
        "--output", "ops.md",
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    assert written.stdout == ""
    assert "wrote 2026-W13 (ops, computed now) to ops.md" in written.stderr
    markdown = (tmp_path / "ops.md").read_text()
    assert markdown.startswith("# Weekly automation-debt report 2026-W13, board ops\n")
    assert "- **Interruptions:** 1 (1 in business hours" in markdown

    page = firelane(database_url, tmp_path, "report", "--week", "2026-W13", "--format", "html")
    assert page.stdout.startswith("<!DOCTYPE html>") and "<script" not in page.stdout

    unknown = firelane(database_url, tmp_path, "report", "--board", "nope")
    assert unknown.returncode == 1 and "error: No board has the slug 'nope'." in unknown.stderr
    bad = firelane(database_url, tmp_path, "report", "--week", "2026-13")
    assert bad.returncode == 1 and "is not an ISO week" in bad.stderr
    wrong = firelane(database_url, tmp_path, "report", "--format", "pdf")
    assert wrong.returncode == 2


def test_backfill_stores_each_week_once(
    history: History, database_url: str, tmp_path: Path
) -> None:
    first = firelane(database_url, tmp_path, "report", "backfill", "--weeks", "3")
    assert first.returncode == 0, first.stderr
    assert "3 week(s), 3 report(s) each" in first.stderr  # the progress bar's label
    assert "stored 9 report(s) from " in first.stderr
    listed = history.admin.get("/api/v1/reports", params={"limit": 50}).json()["items"]
    assert len(listed) == 9 and {item["made_by"] for item in listed} == {"cli"}
    assert len({item["week"] for item in listed}) == 3

    again = firelane(database_url, tmp_path, "report", "backfill", "--weeks", "3")
    assert "stored 0 report(s)" in again.stderr and "9 already stored, kept" in again.stderr
    forced = firelane(
        database_url, tmp_path, "report", "backfill", "--weeks", "1", "--board", "ops", "--force"
    )
    assert "stored 1 report(s)" in forced.stderr, forced.stderr

    # The stored week is what `firelane report` now prints.
    latest = firelane(database_url, tmp_path, "report", "--board", "ops")
    assert latest.returncode == 0, latest.stderr
    assert "/api/v1/reports/" in latest.stdout and "Made " in latest.stdout
    none = firelane(database_url, tmp_path, "report", "backfill", "--weeks", "0")
    assert none.returncode == 2
