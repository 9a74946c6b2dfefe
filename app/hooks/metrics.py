"""The hooks' metrics: attempts by outcome, and the delivery queue as the database holds it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.hooks.models import PENDING, Delivery, HookBatch

ATTEMPTS = Counter(
    "firelane_hook_deliveries",
    "Delivery attempts recorded by this process, by outcome (delivered, retry, failed, dead, "
    "stale, released).",
    ["outcome"],
)


def state(session: Session, now: datetime) -> Iterator[GaugeMetricFamily]:
    """Gauges read from the database: the queue's depth, what is due, and how late."""
    pending = select(func.count(), func.min(Delivery.created_at)).where(PENDING)
    depth, oldest = session.exec(pending).one()
    due = select(func.count(), func.min(Delivery.next_attempt_at)).where(
        PENDING, col(Delivery.next_attempt_at) <= now
    )
    due_count, oldest_due = session.exec(due).one()
    batches = session.exec(select(func.count()).select_from(HookBatch)).one()
    for name, text, value in (
        ("firelane_hook_queue_depth", "Deliveries waiting to be sent (due or retrying).", depth),
        ("firelane_hook_queue_due", "Deliveries due now, not yet sent.", due_count),
        (
            "firelane_hook_queue_oldest_seconds",
            "Age of the oldest delivery still waiting to be sent (0: none waits).",
            _age(now, oldest),
        ),
        (
            "firelane_hook_queue_oldest_due_seconds",
            "How long the most overdue delivery has been due (0: none is).",
            _age(now, oldest_due),
        ),
        (
            "firelane_hook_batches_waiting",
            "Transactions' events not yet turned into deliveries (the fan-out's backlog).",
            batches,
        ),
    ):
        family = GaugeMetricFamily(name, text)
        family.add_metric([], value)
        yield family


def _age(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0
