"""Prometheus metrics of one process, or of all the processes of one ``serve``.

Each domain declares its own counters and histograms with prometheus-client (module level,
default registry). ``firelane serve --workers N`` and ``--ingest-writer`` run several
processes (HTTP processes, the ingest writer): there ``serve`` calls ``use_directory`` before
any metric holds a value, every process of it then writes its values to files in that
directory (prometheus-client's multi-process mode), and ``/metrics`` in any HTTP process
answers the sum of all of them. Gauges read from the database at scrape time (queue depth,
open cards) come from ``state`` collectors and are right whichever process answers.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Gauge,
    disable_created_metrics,
    generate_latest,
    values,
)
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

# A ``_created`` series beside every counter and histogram doubles what is stored for
# nothing Firelane's rules use.
disable_created_metrics()  # type: ignore[no-untyped-call]

# When each loop of this process last went round (``health.Ticks`` sets it).
LAST_TICK = Gauge(
    "firelane_loop_last_tick_timestamp_seconds",
    "When a background loop (scheduler, delivery) last went round, as a Unix time.",
    ["loop"],
    multiprocess_mode="max",
)


def multiprocess() -> bool:
    """Whether this process writes its metrics to the shared directory."""
    return bool(os.environ.get(MULTIPROCESS_ENV))


def use_directory(path: str) -> None:
    """Make this process, and the processes it starts, write metrics to files in ``path``.

    Values recorded before (none, when called at the start of ``serve``) stay in memory and
    are not answered; the directory is emptied first, as prometheus-client requires.
    """
    directory = Path(path)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROCESS_ENV] = str(directory)
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    # A labelled metric makes its values as labels come; one without labels made its value
    # when it was declared (at import): make it again, in the directory.
    for collector in list(REGISTRY._collector_to_names):
        if isinstance(collector, MetricWrapperBase) and not collector._labelnames:
            collector._metric_init()  # type: ignore[no-untyped-call]


def exposition(own: CollectorRegistry, state: Iterable[Collector] = ()) -> bytes:
    """The text ``/metrics`` answers: this process's (or all processes') values, then
    ``own`` (an app's request metrics) and the ``state`` collectors."""
    states = CollectorRegistry(auto_describe=False)
    for collector in state:
        states.register(collector)
    if multiprocess():
        shared = CollectorRegistry()
        MultiProcessCollector(shared)  # type: ignore[no-untyped-call] # every process, own too
        return generate_latest(shared) + generate_latest(states)
    return generate_latest(REGISTRY) + generate_latest(own) + generate_latest(states)
