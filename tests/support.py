"""Helpers shared by the test packages."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session as OrmSession

from app.core import events

# In CI every test must run: a missing PostgreSQL, Alertmanager or browser fails the run.
STRICT = os.environ.get("FIRELANE_TEST_STRICT", "") not in ("", "0") or bool(os.environ.get("CI"))


def need(available: bool, what: str) -> None:
    """Skip when ``what`` is missing locally; fail in CI, where everything must run."""
    if available:
        return
    if STRICT:
        pytest.fail(f"{what} is required when FIRELANE_TEST_STRICT/CI is set")
    pytest.skip(f"{what} is not available")


@contextmanager
def postgres_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of ``server_url``; dropped after."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def hearing(wants: events.Interest | None = None) -> Iterator[list[events.Event]]:
    """Collect every event emitted in the block, as an in-transaction listener.

    Without ``wants`` it reads every payload (events carry their cards' snapshots);
    with it, it says which event types it reads, as the outbox does.
    """
    heard: list[events.Event] = []

    def listen(_session: OrmSession, event: events.Event) -> None:
        heard.append(event)

    events.on_emit(listen, wants=wants)
    try:
        yield heard
    finally:
        events.remove(listen)


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of a /metrics answer, or None."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = "^" + re.escape(f"{name}{{{wanted}}}" if labels else name) + r" (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else None
