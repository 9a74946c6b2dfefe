"""Register every domain's periodic jobs with the scheduler (core imports no domain).

The domains' other registrations into each other are in ``app.wiring``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.base import BaseScheduler

from app.alerts import jobs as alert_jobs
from app.auth import service as auth_service
from app.core.config import Settings
from app.core.db import Database
from app.core.health import Ticks
from app.core.scheduler import HEARTBEAT_SECONDS, build_scheduler
from app.hooks import jobs as hooks_jobs
from app.hooks.loop import DeliveryLoop
from app.reports import jobs as report_jobs
from app.reports.config import get_report_settings
from app.schedules import jobs as schedule_jobs
from app.wiring import check_wired

logger = logging.getLogger("firelane.jobs")


def _purge_sessions(db: Database) -> None:
    with db.session() as session:
        removed = auth_service.purge_expired_sessions(session)
    if removed:
        logger.info("auth.purge_sessions removed %d expired session(s)", removed)


def register_jobs(
    scheduler: BaseScheduler, *, db: Database, settings: Settings, ticks: Ticks | None = None
) -> None:
    """Add the periodic jobs; each is idempotent and safe in two processes at once."""
    if ticks is not None:  # readiness: the scheduler runs jobs
        ticks.expect("scheduler")
        scheduler.add_job(
            ticks.beat,
            "interval",
            seconds=HEARTBEAT_SECONDS,
            args=["scheduler"],
            id="ops.heartbeat",
            replace_existing=True,
        )
    scheduler.add_job(
        _purge_sessions,
        "interval",
        hours=1,
        args=[db],
        id="auth.purge_sessions",
        replace_existing=True,
    )
    # Hooks: the delivery loop itself is a thread (main.py, worker.py); this trims its log.
    scheduler.add_job(
        hooks_jobs.purge_job,
        "interval",
        hours=1,
        args=[db],
        id="hooks.purge",
        replace_existing=True,
    )
    # Chores: the schedule rows hold the truth; a tick at start catches up after downtime.
    scheduler.add_job(
        schedule_jobs.tick_job,
        "interval",
        seconds=schedule_jobs.TICK_SECONDS,
        args=[db],
        id="schedules.tick",
        replace_existing=True,
        next_run_time=datetime.now(UTC),
    )
    # Alerts: each job claims its rows and re-checks their state, so overlaps are harmless.
    for job, every, job_id in (
        (alert_jobs.expire_job, {"seconds": alert_jobs.EXPIRE_SECONDS}, "alerts.expire_stale"),
        (alert_jobs.heartbeat_job, {"seconds": alert_jobs.HEARTBEAT_SECONDS}, "alerts.heartbeats"),
        (alert_jobs.purge_job, {"minutes": alert_jobs.PURGE_MINUTES}, "alerts.purge_payloads"),
    ):
        scheduler.add_job(job, "interval", **every, args=[db], id=job_id, replace_existing=True)
    # The weekly report: at its time (in the report's zone), and at start and every few
    # minutes for what is due and not done (downtime, a failed e-mail).
    report_settings = get_report_settings()
    report_args = [db, settings, report_settings]
    scheduler.add_job(
        report_jobs.publish_job,
        "cron",
        day_of_week=report_settings.weekday_number,
        hour=report_settings.report_time.hour,
        minute=report_settings.report_time.minute,
        timezone=settings.report_zone_name,
        args=report_args,
        id="reports.weekly",
        replace_existing=True,
    )
    scheduler.add_job(
        report_jobs.publish_job,
        "interval",
        minutes=report_jobs.CATCH_UP_MINUTES,
        args=report_args,
        id="reports.weekly.catch_up",
        replace_existing=True,
        next_run_time=datetime.now(UTC),
    )


def start_jobs(
    db: Database, settings: Settings, *, ticks: Ticks | None = None
) -> Callable[[], None]:
    """Start the periodic jobs and the webhook delivery loop in threads of this process
    (``serve``, ``worker``); return how to stop them (within the stop grace)."""
    check_wired()  # jobs write cards: rules and webhooks must hear their events
    scheduler = build_scheduler()
    register_jobs(scheduler, db=db, settings=settings, ticks=ticks)
    scheduler.start()
    delivery_loop = DeliveryLoop(db, settings, ticks=ticks)
    delivery_loop.start()

    def stop() -> None:
        scheduler.shutdown(wait=False)  # no job starts any more; a running one ends its run
        if ticks is not None:
            ticks.forget("scheduler")
        delivery_loop.stop()

    return stop
