"""Schedules benchmark: the ``schedules.tick`` job over many schedules, on SQLite or PostgreSQL.

Defines ``--schedules`` daily chores (3-item checklists, half with the skip policy), then
times, with a manual clock:
- an idle tick (nothing due: the claim query only), repeated ``--idle`` times;
- the tick at which every schedule is due at once (one card and one occurrence each);
- the next day's tick (half stack a new card, half skip and flag the open card overdue).
Goal on a 2-core machine: idle tick p95 <= 5 ms; >= 50 occurrences per second when due.

    .venv/bin/python bench/schedules.py [--schedules 1000] [--idle 300] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.boards import service as boards
from app.boards.schemas import BoardCreate
from app.core import clock
from app.core.db import Database, pk
from app.core.migrate import upgrade
from app.schedules import service
from app.schedules.jobs import tick
from app.schedules.models import Overlap
from app.schedules.schemas import ScheduleCreate
from bench.common import describe

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def seed(db: Database, count: int) -> None:
    with clock.use(clock.ManualClock(START)), db.session() as session:
        board = boards.create_board(session, data=BoardCreate(name="Bench", slug="bench"))
        board_id = pk(board)
    started = time.perf_counter()
    with clock.use(clock.ManualClock(START)):
        for index in range(count):
            data = ScheduleCreate(
                name=f"Chore {index}",
                board_id=board_id,
                cron=f"{index % 60} 9 * * *",
                timezone="Europe/Berlin",
                title="Chore " + str(index) + " {date}",
                checklist=["Prepare", "Do", "Verify"],
                labels=["bench"],
                overlap=Overlap.skip if index % 2 else Overlap.stack,
            )
            with db.session() as session:
                service.create_schedule(session, data=data, default_timezone="UTC")
    print(f"defined {count} schedules in {time.perf_counter() - started:.1f} s")


def timed_tick(db: Database, moment: datetime) -> tuple[float, int]:
    with clock.use(clock.ManualClock(moment)):
        started = time.perf_counter()
        report = tick(db)
        elapsed = time.perf_counter() - started
    if report.failed:
        raise SystemExit(f"tick failed: {report.failed}")
    return elapsed, report.created + report.skipped + report.missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--idle", type=int, default=300)
    parser.add_argument(
        "--url", default=None, help="An empty database's URL (default: a new SQLite file)."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        db = Database.from_url(url)
        try:
            seed(db, args.schedules)
            quiet = START + timedelta(minutes=5)
            idle = [timed_tick(db, quiet)[0] * 1000 for _ in range(args.idle)]
            print(describe("idle tick", idle))
            for label, moment in (
                ("all due (cards made)", datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),
                ("next day (stack/skip)", datetime(2026, 3, 3, 9, 0, tzinfo=UTC)),
            ):
                elapsed, made = timed_tick(db, moment)
                rate = made / elapsed if elapsed else 0.0
                print(f"{label:<28} {made} occurrences in {elapsed:.2f} s = {rate:.0f}/s")
        finally:
            db.dispose()


if __name__ == "__main__":
    main()
