"""Register every domain's periodic jobs with the scheduler (core imports no domain)."""

from __future__ import annotations

import logging

from apscheduler.schedulers.base import BaseScheduler

from app.auth import service as auth_service
from app.core.config import Settings
from app.core.db import Database

logger = logging.getLogger("firelane.jobs")


def _purge_sessions(db: Database) -> None:
    with db.session() as session:
        removed = auth_service.purge_expired_sessions(session)
    if removed:
        logger.info("auth.purge_sessions removed %d expired session(s)", removed)


def register_jobs(scheduler: BaseScheduler, *, db: Database, settings: Settings) -> None:
    """Add the periodic jobs; each is idempotent and safe in two processes at once."""
    scheduler.add_job(
        _purge_sessions,
        "interval",
        hours=1,
        args=[db],
        id="auth.purge_sessions",
        replace_existing=True,
    )
