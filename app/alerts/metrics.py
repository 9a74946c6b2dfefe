"""The alerts' metrics: what ingestion received and refused, and how its batches commit.

Outcomes are counted where the batch commits (in the ``serve`` process, or the ingest
writer process, which writes them for ``/metrics`` to add up); refusals where the request
is answered.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

from app.alerts.ingest.batch import IngestResult, IngestWork, Outcome
from app.core.errors import AppError

RECEIVED = Counter(
    "firelane_alerts_received",
    "Alerts stored, by integration id and outcome (new, recurred, reopened, repeat, resolved, "
    "acknowledged, suppressed, ignored).",
    ["integration", "outcome"],
)
REJECTED = Counter(
    "firelane_alerts_rejected",
    "Ingest requests refused, by integration id ('-' when not authenticated) and reason "
    "(the error code answered).",
    ["integration", "reason"],
)
BATCH_SIZE = Histogram(
    "firelane_ingest_batch_size",
    "Ingest requests stored together in one transaction (group commit).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
COMMIT_SECONDS = Histogram(
    "firelane_ingest_commit_seconds",
    "Time to store one batch of ingest requests, its commit included.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# SignalAction values, as the metric names them.
_OUTCOMES = {"fired": "new", "repeated": "repeat"}
# Refusals where the id in the URL may be anyone's guess (no label per guess).
_UNAUTHENTICATED = frozenset({"invalid_integration_token"})


@contextmanager
def timed_batch(size: int) -> Iterator[None]:
    """Time storing a batch of ``size`` requests, if it is stored."""
    started = time.perf_counter()
    yield
    observe_batch(size, time.perf_counter() - started)


def observe_batch(size: int, seconds: float) -> None:
    """Record a batch of ``size`` requests stored in ``seconds``, its commit included."""
    COMMIT_SECONDS.observe(seconds)
    BATCH_SIZE.observe(size)


def count_stored(works: Sequence[IngestWork], outcomes: Sequence[Outcome]) -> None:
    """Count the alerts of a committed batch by integration and outcome."""
    for work, outcome in zip(works, outcomes, strict=True):
        if not isinstance(outcome, IngestResult):
            continue
        integration = str(work.integration_id)
        for action, count in outcome.actions.items():
            RECEIVED.labels(integration, _OUTCOMES.get(action, action)).inc(count)


def count_refused(error: AppError, integration_id: int | None) -> None:
    """Count an ingest request answered with an error."""
    known = integration_id is not None and error.code not in _UNAUTHENTICATED
    REJECTED.labels(str(integration_id) if known else "-", error.code).inc()
