"""Pooled PostgreSQL connections: checked before use only after sitting idle."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from app.core import db as db_module
from app.core.db import Database
from tests.support import need, postgres_database


@pytest.fixture
def pg() -> Iterator[Database]:
    """A PostgreSQL database of its own (SQLite's connections have no network between:
    these tests are PostgreSQL's alone, and run once)."""
    base = os.environ.get("FIRELANE_TEST_DATABASE_URL")
    need(base is not None, "PostgreSQL (FIRELANE_TEST_DATABASE_URL)")
    assert base is not None
    with postgres_database(base, "firelane_pool") as url:
        database = Database.from_url(url)
        yield database
        database.dispose()


def _backend(database: Database) -> int:
    with database.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def test_a_connection_in_use_a_moment_ago_is_not_pinged(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "PING_AFTER_SECONDS", 3600.0)
    first = _backend(pg)

    def refuse(_dbapi_conn: Any) -> bool:
        raise AssertionError("pinged")

    monkeypatch.setattr(pg.engine.dialect, "do_ping", refuse)
    assert _backend(pg) == first  # the same connection, taken back without a ping


def test_a_connection_that_died_while_idle_is_replaced(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "PING_AFTER_SECONDS", 0.0)  # every one counts as idle
    first = _backend(pg)
    admin = sa.create_engine(pg.engine.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(%s, 10000)", (first,)
            )  # waits for it to end
    finally:
        admin.dispose()
    second = _backend(pg)  # no error: the ping found it dead, and the pool opened another
    assert second != first
