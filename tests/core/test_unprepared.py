"""Lookups that must be planned for their own values are run unprepared on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.db import Database, unprepared


def test_unprepared_lookups_are_planned_each_time_and_the_rest_stays_prepared(
    db: Database,
) -> None:
    with db.session() as session:
        if db.dialect != "postgresql":
            with unprepared(session):  # nothing to change: SQLite plans every statement
                assert session.execute(sa.text("SELECT 1")).scalar_one() == 1
            return
        driver = session.connection().connection.driver_connection
        assert driver is not None
        before = driver.prepare_threshold
        assert before is not None  # psycopg prepares repeated statements
        query = sa.text("SELECT count(*) FROM card WHERE id = :id")
        with unprepared(session):
            assert driver.prepare_threshold is None
            for card_id in range(10):
                session.execute(query, {"id": card_id})
        assert driver.prepare_threshold == before
        prepared = "SELECT count(*) FROM pg_prepared_statements"
        assert session.execute(sa.text(prepared)).scalar_one() == 0
        with pytest.raises(RuntimeError), unprepared(session):
            raise RuntimeError("the block failed")
        assert driver.prepare_threshold == before  # restored all the same
