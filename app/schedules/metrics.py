"""The schedules' metrics: how late the scheduler makes chore cards, and what it missed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.schedules.models import Schedule, ScheduleOccurrence
from app.schedules.runner import RunOutcome

LAG = Histogram(
    "firelane_schedule_lag_seconds",
    "From an occurrence's due time (its run, less the lead) to its card, when the scheduler "
    "made it, by schedule id.",
    ["schedule"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 900, 3600, 21600, 86400),
)
OCCURRENCES = Counter(
    "firelane_schedule_occurrences",
    "Occurrences the scheduler recorded in this process, by status (created, skipped, missed).",
    ["status"],
)


def observe(outcome: RunOutcome) -> None:
    """Count a committed run of the scheduler."""
    for schedule_id, lag in outcome.lags:
        LAG.labels(str(schedule_id)).observe(lag)
    for status in ("created", "skipped", "missed"):
        if count := getattr(outcome, status):
            OCCURRENCES.labels(status).inc(count)


def state(session: Session, now: datetime) -> Iterator[GaugeMetricFamily]:
    """Gauges read from the database: schedules due and not yet run, and how late."""
    due = select(func.count(), func.min(Schedule.next_run_at)).where(
        Schedule.enabled == True,  # noqa: E712 - SQL comparison
        col(Schedule.next_run_at).is_not(None),
        col(Schedule.next_run_at) <= now,
    )
    count, oldest = session.exec(due).one()
    waiting = GaugeMetricFamily(
        "firelane_schedules_due",
        "Enabled schedules whose next run has come and has not been made yet.",
    )
    waiting.add_metric([], count)
    yield waiting
    late = GaugeMetricFamily(
        "firelane_schedules_overdue_seconds",
        "How long the most overdue schedule has waited for the scheduler (0: none waits).",
    )
    late.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
    yield late
    missed = select(func.count()).where(ScheduleOccurrence.status == "missed")
    total = GaugeMetricFamily(
        "firelane_schedule_missed_occurrences",
        "Occurrences recorded as missed (the scheduler was down past their grace), all time.",
    )
    total.add_metric([], session.exec(missed).one())
    yield total
