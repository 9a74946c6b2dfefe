"""The ``schedules.tick`` job: claim due schedules one by one and make their occurrences.

Safe in any number of processes: a schedule is claimed with ``SELECT ... FOR UPDATE SKIP
LOCKED`` on PostgreSQL (SQLite's write transaction serialises the claim), its next run
moves on in the same transaction as its occurrence, and ``(schedule_id, scheduled_for)``
is unique in the database, so a retry or a second scheduler cannot make a run twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from app.core.clock import now as clock_now
from app.core.db import Database, pk
from app.core.errors import AppError
from app.schedules import metrics
from app.schedules.models import Schedule
from app.schedules.runner import RunOutcome, run_due

logger = logging.getLogger("firelane.schedules")

TICK_SECONDS = 30


@dataclass
class TickReport:
    """What one tick did: schedules run, occurrences by status, and failures by schedule."""

    schedules: int = 0
    outcome: RunOutcome = field(default_factory=RunOutcome)
    failed: dict[int, str] = field(default_factory=dict)

    @property
    def created(self) -> int:
        return self.outcome.created

    @property
    def skipped(self) -> int:
        return self.outcome.skipped

    @property
    def missed(self) -> int:
        return self.outcome.missed


def _claim(session: Session, moment: datetime, passed: set[int]) -> Schedule | None:
    """Lock the most overdue due schedule that no other transaction holds."""
    query = select(Schedule).where(
        Schedule.enabled == True,  # noqa: E712 - SQL comparison
        col(Schedule.next_run_at).is_not(None),
        col(Schedule.next_run_at) <= moment,
    )
    if passed:
        query = query.where(col(Schedule.id).not_in(passed))
    query = (
        query.order_by(col(Schedule.next_run_at), col(Schedule.id))
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return session.exec(query).first()


def tick(db: Database, now: datetime | None = None) -> TickReport:
    """Run every schedule due at ``now`` (default: the clock), each in its own transaction."""
    moment = now or clock_now()
    report = TickReport()
    # Schedules that failed in this tick are left for the next one instead of retried now.
    passed: set[int] = set()
    while True:
        with db.session() as session:
            schedule = _claim(session, moment, passed)
            if schedule is None:
                return report
            schedule_id = pk(schedule)
            try:
                outcome = run_due(session, schedule=schedule, now=moment)
                session.commit()
            except (AppError, IntegrityError, StaleDataError) as exc:
                # Expected: a full hard-WIP column, a card edited meanwhile, a lost race.
                session.rollback()
                passed.add(schedule_id)
                report.failed[schedule_id] = str(exc)[:300]
                logger.warning("schedule %d not run this tick: %s", schedule_id, exc)
                continue
            except Exception as exc:
                session.rollback()
                passed.add(schedule_id)
                report.failed[schedule_id] = f"{type(exc).__name__}: {exc}"[:300]
                logger.exception("schedule %d failed", schedule_id)
                continue
        report.schedules += 1
        report.outcome.add(outcome)
        metrics.observe(outcome)


def tick_job(db: Database) -> None:
    """Run one tick for the periodic scheduler and log what it did."""
    report = tick(db)
    if report.schedules or report.failed:
        logger.info(
            "schedules.tick: %d schedule(s), %d created, %d skipped, %d missed, %d failed",
            report.schedules,
            report.created,
            report.skipped,
            report.missed,
            len(report.failed),
        )
