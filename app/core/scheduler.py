"""The APScheduler instance that runs periodic jobs inside ``serve`` or ``worker``."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

# How often the scheduler shows it runs jobs (readiness, firelane_loop_last_tick_...).
HEARTBEAT_SECONDS = 15


def build_scheduler() -> BackgroundScheduler:
    """Build a UTC scheduler; each job runs alone (no overlap) and late runs coalesce."""
    defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
    return BackgroundScheduler(timezone="UTC", job_defaults=defaults)
