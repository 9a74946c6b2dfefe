"""The APScheduler instance that runs periodic jobs inside ``serve`` or ``worker``."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler


def build_scheduler(*, blocking: bool = False) -> BackgroundScheduler:
    """Build a UTC scheduler; each job runs alone (no overlap) and late runs coalesce."""
    defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler: BackgroundScheduler = cls(timezone="UTC", job_defaults=defaults)
    return scheduler
