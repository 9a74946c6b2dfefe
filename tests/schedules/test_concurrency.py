"""Several scheduler processes over one database make every occurrence exactly once.

Each process has its own engine and ticks the same simulated moments, all of them released
together by a barrier, so they claim the same due schedules at the same time. Runs on
SQLite and PostgreSQL (the ``db`` fixture; in CI a missing PostgreSQL fails the run).
"""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core import clock
from app.core.db import Database
from app.schedules import recurrence
from app.schedules.jobs import tick
from tests.schedules.conftest import START, count, create_schedule

PROCESSES = 3
TICKS = 96
STEP = timedelta(minutes=5)


def _scheduler(url: str, barrier: Any, results: Any) -> None:
    """One scheduler process: tick every simulated moment in step with the others."""
    db = Database.from_url(url)
    totals = {"schedules": 0, "created": 0, "skipped": 0, "missed": 0, "failed": []}
    try:
        for number in range(1, TICKS + 1):
            barrier.wait(timeout=300)
            moment = START + STEP * number
            with clock.use(clock.ManualClock(moment)):
                report = tick(db)
            totals["schedules"] += report.schedules
            totals["created"] += report.created
            totals["skipped"] += report.skipped
            totals["missed"] += report.missed
            totals["failed"] += [f"{moment}: {k}: {v}" for k, v in report.failed.items()]
    except Exception as exc:
        totals["failed"] += [f"{type(exc).__name__}: {exc}"]
        barrier.abort()
    finally:
        db.dispose()
    results.put(totals)


def _expected(schedule: dict[str, Any], end: datetime) -> list[datetime]:
    rules = recurrence.build(
        cron=schedule["cron"],
        interval_minutes=schedule["interval_minutes"],
        timezone=schedule["timezone"],
        starts_at=datetime.fromisoformat(schedule["starts_at"]) if schedule["starts_at"] else None,
        ends_at=None,
    )
    times: list[datetime] = []
    current = START
    while (following := rules.next_after(current)) is not None and following <= end:
        times.append(following)
        current = following
    return times


def test_parallel_schedulers_make_no_duplicate(
    admin: TestClient, board: dict[str, Any], db: Database, database_url: str
) -> None:
    made = []
    for number in range(4):
        made.append(
            create_schedule(
                admin,
                board,
                name=f"every 5 min {number}",
                cron=None,
                interval_minutes=5,
                overlap="stack",
            )
        )
        made.append(
            create_schedule(
                admin, board, name=f"ten {number}", cron="*/10 * * * *", overlap="stack"
            )
        )
        made.append(create_schedule(admin, board, name=f"hourly {number}", cron="0 * * * *"))
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=_scheduler, args=(database_url, barrier, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    totals = [results.get(timeout=900) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert [t["failed"] for t in totals] == [[]] * PROCESSES

    end = START + STEP * TICKS
    with db.engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT schedule_id, scheduled_for, status, card_id FROM schedule_occurrence")
        ).all()
        duplicates = conn.execute(
            sa.text(
                "SELECT count(*) FROM (SELECT schedule_id, scheduled_for FROM schedule_occurrence "
                "GROUP BY schedule_id, scheduled_for HAVING count(*) > 1) AS twice"
            )
        ).scalar_one()
    assert duplicates == 0
    for schedule in made:
        expected = _expected(schedule, end)
        mine = [row for row in stored if row.schedule_id == schedule["id"]]
        assert len(mine) == len(expected), schedule["name"]
    created = [row for row in stored if row.status == "created"]
    skipped = [row for row in stored if row.status == "skipped"]
    assert not [row for row in stored if row.status == "missed"]
    # Interval: 96 runs; every ten minutes: 48; hourly with skip: 1 card and 7 skips.
    assert len(created) == 4 * 96 + 4 * 48 + 4 * 1
    assert len(skipped) == 4 * 7
    # Every card belongs to exactly one created occurrence, and each process's count adds up.
    assert count(db, "card", "kind = 'maintenance'") == len(created)
    assert len({row.card_id for row in created}) == len(created)
    assert sum(t["created"] for t in totals) == len(created)
    assert sum(t["skipped"] for t in totals) == len(skipped)
    assert count(db, "card_event", "type = 'schedule.occurred'") == len(created)
    assert count(db, "card_event", "type = 'schedule.skipped'") == len(skipped)
