"""A dedicated process for the scheduler and background jobs (``firelane worker``)."""

from __future__ import annotations

import logging

from app.core.config import Settings
from app.core.db import Database
from app.core.scheduler import build_scheduler
from app.hooks.loop import DeliveryLoop
from app.jobs import register_jobs, wire

logger = logging.getLogger("firelane.worker")


def run(settings: Settings) -> None:
    """Run every periodic job and the delivery loop until interrupted."""
    wire()
    db = Database.from_url(settings.database_url)
    scheduler = build_scheduler(blocking=True)
    register_jobs(scheduler, db=db, settings=settings)
    logger.info("worker started with %d job(s)", len(scheduler.get_jobs()))
    delivery_loop = DeliveryLoop(db, settings)
    delivery_loop.start()
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        delivery_loop.stop()
        db.dispose()
