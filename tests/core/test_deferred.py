"""Writes sent with the next statement or the commit (PostgreSQL): whoever reads finds
them, an error in one fails its transaction as SQLAlchemy's exception, a rollback drops
them, and a transaction of such writes commits in one round trip."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.core import deferred
from app.core.db import Database
from app.core.rows import insert_rows
from tests.support import need, postgres_database

_META = sa.MetaData()
_ROWS = sa.Table(
    "deferred_row",
    _META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, unique=True, nullable=False),
    sa.Column("labels", sa.JSON, nullable=False),
)


@pytest.fixture
def pg() -> Iterator[Database]:
    """A PostgreSQL database of its own (SQLite sends every write at once: these tests are
    PostgreSQL's alone, and run once)."""
    base = os.environ.get("FIRELANE_TEST_DATABASE_URL")
    need(base is not None, "PostgreSQL (FIRELANE_TEST_DATABASE_URL)")
    assert base is not None
    with postgres_database(base, "firelane_deferred") as url:
        database = Database.from_url(url)
        _META.create_all(database.engine)
        yield database
        database.dispose()


def _names(database: Database) -> list[str]:
    with database.engine.connect() as conn:
        return list(conn.execute(sa.select(_ROWS.c.name).order_by(_ROWS.c.id)).scalars())


def _row(name: str) -> dict[str, object]:
    return {"name": name, "labels": {"team": name}}


def _round_trips(database: Database) -> list[str]:
    """Record the statements SQLAlchemy sends (each one a round trip of its own)."""
    sent: list[str] = []
    sa.event.listen(
        database.engine, "before_cursor_execute", lambda *args: sent.append(args[2]), named=False
    )
    return sent


def test_a_statement_after_queued_writes_reads_them(pg: Database) -> None:
    awkward = '50% o\'clock \\ %s ü "quoted" ; COMMIT; --'
    with pg.session() as session:
        insert_rows(session, _ROWS, [_row(awkward)])
        session.commit()
    assert _names(pg) == [awkward]
    with pg.session() as session:
        found = session.execute(sa.select(_ROWS.c.labels).where(_ROWS.c.name == awkward))
        assert found.scalar() == {"team": awkward}
        session.execute(sa.delete(_ROWS))
        insert_rows(session, _ROWS, [_row("a"), _row("b")])
        count = session.execute(sa.select(sa.func.count()).select_from(_ROWS)).scalar_one()
        assert count == 2
        label = session.execute(sa.select(_ROWS.c.labels).where(_ROWS.c.name == "b")).scalar()
        assert label == {"team": "b"}
        session.commit()
    assert _names(pg) == ["a", "b"]


def test_writes_queued_last_go_with_the_commit(pg: Database) -> None:
    sent = _round_trips(pg)
    with pg.session() as session:
        session.execute(sa.select(sa.literal(1))).scalar_one()
        sent.clear()
        insert_rows(session, _ROWS, [_row("a")])
        insert_rows(session, _ROWS, [_row("b"), _row("c")])
        assert sent == []  # nothing sent yet
        session.commit()
    assert sent == []  # not through SQLAlchemy's cursor: in the COMMIT's pipeline
    assert _names(pg) == ["a", "b", "c"]


def test_a_queued_write_that_fails_fails_the_commit_and_nothing_is_stored(
    pg: Database,
) -> None:
    with pg.session() as session:
        insert_rows(session, _ROWS, [_row("taken")])
        session.commit()
    with pg.session() as session:
        session.execute(sa.insert(_ROWS).values(_row("first")))
        insert_rows(session, _ROWS, [_row("second")])
        insert_rows(session, _ROWS, [_row("taken")])  # the unique name is taken
        with pytest.raises(sa.exc.IntegrityError, match="deferred_row_name_key"):
            session.commit()
    assert _names(pg) == ["taken"]
    # The connection is clean for the next unit of work.
    with pg.session() as session:
        insert_rows(session, _ROWS, [_row("next")])
        session.commit()
    assert _names(pg) == ["taken", "next"]


def test_a_queued_write_that_fails_fails_the_next_statement(pg: Database) -> None:
    with pg.session() as session:
        insert_rows(session, _ROWS, [_row("same"), _row("same")])
        with pytest.raises(sa.exc.IntegrityError):
            session.execute(sa.select(sa.literal(1)))
    assert _names(pg) == []


def test_a_rollback_drops_queued_writes(pg: Database) -> None:
    with pg.session() as session:
        insert_rows(session, _ROWS, [_row("dropped")])
        session.rollback()
        insert_rows(session, _ROWS, [_row("kept")])
        session.commit()
    with pg.session() as session:
        insert_rows(session, _ROWS, [_row("left in an unfinished session")])
    # The pooled connection went back without them, and does not send them later.
    with pg.session() as session:
        session.execute(sa.select(sa.literal(1)))
        session.commit()
    assert _names(pg) == ["kept"]


def test_a_rollback_to_a_savepoint_drops_only_what_came_after_it(pg: Database) -> None:
    with pg.session() as session:
        insert_rows(session, _ROWS, [_row("before")])
        savepoint = session.begin_nested()
        insert_rows(session, _ROWS, [_row("inside")])
        savepoint.rollback()
        insert_rows(session, _ROWS, [_row("after")])
        session.commit()
    assert _names(pg) == ["before", "after"]


def test_a_sent_commit_is_durable_once_answered_and_the_session_commits_after_it(
    pg: Database,
) -> None:
    committed: list[str] = []
    sent = _round_trips(pg)
    with pg.session() as session:
        sa.event.listen(session, "after_commit", lambda _s: committed.append("heard"))
        session.execute(sa.insert(_ROWS).values(_row("a")))
        insert_rows(session, _ROWS, [_row("b")])
        driver = session.connection().connection.driver_connection
        assert driver is not None
        sent.clear()
        in_flight = deferred.send_commit(session)
        assert sent == []  # not through SQLAlchemy's cursor
        assert committed == []  # its listeners hear it only from the session's commit()
        assert in_flight.wait() is None
        assert driver.info.transaction_status.name == "IDLE"
        assert _names(pg) == ["a", "b"]  # another connection sees it: committed
        sent.clear()
        session.commit()  # nothing left to send
        assert sent == []
        assert committed == ["heard"]
    # The connection went back to the pool clean, and serves the next unit of work.
    with pg.session() as session:
        insert_rows(session, _ROWS, [_row("c")])
        session.commit()
    assert _names(pg) == ["a", "b", "c"]


def test_a_sent_commit_flushes_the_session_and_runs_its_before_commit_listeners(
    pg: Database,
) -> None:
    with pg.session() as session:

        @sa.event.listens_for(session, "before_commit")
        def _last_write(_session: Session) -> None:
            insert_rows(session, _ROWS, [_row("written before the commit")])

        session.execute(sa.insert(_ROWS).values(_row("a")))
        assert deferred.send_commit(session).wait() is None
        session.commit()
    assert _names(pg) == ["a", "written before the commit"]


def test_a_sent_commit_that_fails_says_why_and_the_session_rolls_back(pg: Database) -> None:
    with pg.session() as session:
        insert_rows(session, _ROWS, [_row("taken")])
        session.commit()
    with pg.session() as session:
        session.execute(sa.insert(_ROWS).values(_row("first")))
        insert_rows(session, _ROWS, [_row("taken")])
        error = deferred.send_commit(session).wait()
        assert error is not None
        assert "deferred_row_name_key" in error
        session.rollback()
    assert _names(pg) == ["taken"]
    with pg.session() as session:
        insert_rows(session, _ROWS, [_row("next")])
        session.commit()
    assert _names(pg) == ["taken", "next"]


def test_a_sent_commit_is_waited_for_in_another_thread(pg: Database) -> None:
    big = "x" * 4_000_000  # more than a socket buffer: sending it waits for the server
    with pg.session() as session:
        insert_rows(session, _ROWS, [{"name": "big", "labels": {"text": big}}])
        in_flight = deferred.send_commit(session)
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(in_flight.wait).result() is None
        session.commit()
    with pg.session() as session:
        stored = session.execute(sa.select(_ROWS.c.labels).where(_ROWS.c.name == "big"))
        assert stored.scalar() == {"text": big}


def test_sqlite_writes_at_once(tmp_path: object) -> None:
    database = Database.from_url(f"sqlite:///{tmp_path}/d.db")
    _META.create_all(database.engine)
    try:
        sent = _round_trips(database)
        with database.session() as session:
            session.execute(sa.select(sa.literal(1)))
            sent.clear()
            insert_rows(session, _ROWS, [_row("a")])
            assert len(sent) == 1
            assert isinstance(session, Session)
            session.commit()
        assert _names(database) == ["a"]
    finally:
        database.dispose()
