"""A dedicated process for the scheduler and background jobs (``firelane worker``).

SIGTERM (or Ctrl+C) stops it the way ``serve`` stops: no job starts and nothing more is
claimed, webhook sends in flight get ``FIRELANE_STOP_GRACE_SECONDS`` to finish and be
recorded, the claims of the rest are released, and the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading

from app.core.config import Settings
from app.core.db import Database
from app.core.health import Ticks
from app.jobs import start_jobs, wire

logger = logging.getLogger("firelane.worker")


def run(settings: Settings, *, ticks: Ticks | None = None) -> None:
    """Run every periodic job and the delivery loop until SIGTERM or SIGINT."""
    wire()
    stopping = threading.Event()

    def ask_to_stop(signum: int, _frame: object) -> None:
        logger.info("worker: %s received, stopping", signal.Signals(signum).name)
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, ask_to_stop)
    db = Database.from_url(settings.database_url)
    try:
        stop_jobs = start_jobs(db, settings, ticks=ticks or Ticks())
        logger.info("worker started")
        try:
            while not stopping.wait(3600):
                pass
        finally:
            stop_jobs()
    finally:
        db.dispose()
    logger.info("worker stopped")
