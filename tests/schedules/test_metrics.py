"""The scheduler's lag (due time to card) and what it recorded are counted; the database
gauges say how overdue the schedules are while no scheduler runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from app.core import clock
from app.core.db import Database
from app.schedules.jobs import tick
from tests.schedules.conftest import create_schedule
from tests.support import sample


def test_lag_and_overdue_are_measured(
    admin: TestClient, db: Database, board: dict[str, Any], manual_clock: clock.ManualClock
) -> None:
    schedule = create_schedule(admin, board, cron="0 9 * * *")
    label = {"schedule": str(schedule["id"])}
    lags = REGISTRY.get_sample_value("firelane_schedule_lag_seconds_count", label) or 0
    made = REGISTRY.get_sample_value("firelane_schedule_occurrences_total", {"status": "created"})

    def between_60_and_120_s() -> float:
        # The registry is the process's: other tests (the other backend's) counted before.
        late = REGISTRY.get_sample_value(
            "firelane_schedule_lag_seconds_bucket", {**label, "le": "60.0"}
        )
        within = REGISTRY.get_sample_value(
            "firelane_schedule_lag_seconds_bucket", {**label, "le": "120.0"}
        )
        return (within or 0) - (late or 0)

    before = between_60_and_120_s()
    # 06:00; the run is at 09:00. Nobody ticks until 09:02.
    manual_clock.advance(timedelta(hours=3, minutes=2))
    text = admin.get("/metrics").text
    assert sample(text, "firelane_schedules_due") == 1
    assert sample(text, "firelane_schedules_overdue_seconds") == 120
    assert tick(db).created == 1
    assert REGISTRY.get_sample_value("firelane_schedule_lag_seconds_count", label) == lags + 1
    assert between_60_and_120_s() - before == 1  # 120 s late
    created = REGISTRY.get_sample_value(
        "firelane_schedule_occurrences_total", {"status": "created"}
    )
    assert (created or 0) - (made or 0) == 1
    manual_clock.advance(timedelta(seconds=5))  # the database gauges are read again after 5 s
    text = admin.get("/metrics").text
    assert sample(text, "firelane_schedules_due") == 0
    assert sample(text, "firelane_schedules_overdue_seconds") == 0
