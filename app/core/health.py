"""Readiness: the database answers, its schema is at the migrations' head, and the loops
this process runs (the scheduler, the delivery loop) went round recently.

A loop calls ``Ticks.beat(name)`` each time round; ``/readyz`` (``app.ops``) asks
``problems()``. Liveness (``/healthz``) asks nothing: a process that answers is alive.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from app.core import clock
from app.core.db import Database
from app.core.metrics import LAST_TICK
from app.core.migrate import alembic_config

logger = logging.getLogger("firelane.health")


class Ticks:
    """When each loop of this process last went round; a loop is expected once it starts."""

    def __init__(self) -> None:
        self._last: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def expect(self, name: str) -> None:
        """Start counting ``name`` from now (its first round may take a moment)."""
        self.beat(name)

    def beat(self, name: str) -> None:
        at = clock.now()
        with self._lock:
            self._last[name] = at
        LAST_TICK.labels(name).set(at.timestamp())

    def forget(self, name: str) -> None:
        """``name`` stopped on purpose (the process is stopping)."""
        with self._lock:
            self._last.pop(name, None)

    def stale(self, max_age_seconds: float) -> dict[str, float]:
        """The loops that have not gone round for more than ``max_age_seconds``, with their age."""
        at = clock.now()
        with self._lock:
            ages = {name: (at - last).total_seconds() for name, last in self._last.items()}
        return {name: age for name, age in sorted(ages.items()) if age > max_age_seconds}


@lru_cache(maxsize=4)
def schema_heads(database_url: str) -> frozenset[str]:
    """The revisions a database at the migrations' head records (read once per process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


def problems(db: Database, ticks: Ticks, *, max_tick_age_seconds: float) -> list[str]:
    """What keeps this process from being ready, as sentences; empty when it is ready."""
    try:
        with db.session(readonly=True) as session:
            rows = session.connection().execute(sa.text("SELECT version_num FROM alembic_version"))
            current = frozenset(row[0] for row in rows)
    except Exception as exc:
        logger.warning("readiness: the database does not answer: %s", exc)
        return [f"the database does not answer ({type(exc).__name__})"]
    found: list[str] = []
    heads = schema_heads(db.engine.url.render_as_string(hide_password=False))
    if current != heads:
        found.append(
            f"the database schema is at {', '.join(sorted(current)) or 'nothing'}, not at the "
            f"migrations' head {', '.join(sorted(heads))} (run: firelane db upgrade)"
        )
    for name, age in ticks.stale(max_tick_age_seconds).items():
        found.append(f"the {name} loop has not gone round for {age:.0f} s")
    return found
