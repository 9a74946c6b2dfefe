"""Writes that need no answer, sent with the next statement that needs one (PostgreSQL).

Every statement is a round trip to PostgreSQL, and a small transaction spends most of its
time waiting for them (an ingest batch of one new alert: 14 round trips). An INSERT whose
result nobody reads (no ids to return: a card's labels, an alert's signal, a webhook's
outbox row) need not be waited for on its own. ``queue`` keeps it on the connection; it
goes out with whatever else is queued, in one message, just before the next statement
of the transaction, or with the COMMIT itself: a transaction whose last statements are
such INSERTs sends them and its COMMIT in one round trip.

Nothing changes for whoever reads: every statement of the transaction, SQLAlchemy's or
the driver's through SQLAlchemy, finds the queued rows written (they are sent before it),
in the order they were queued; an error in one of them (a constraint) is raised by the
statement or the commit that sent it, as SQLAlchemy's exception for it, and the transaction
fails as it would have. A rollback (or a rollback to a savepoint: queued rows are all
younger than any savepoint, which sends them) drops them unsent.

SQLite has no round trips: its writes are never queued.
"""

from __future__ import annotations

import contextlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

_QUEUED = "firelane.deferred"  # in the pooled connection's info: [(statement, params)]


def queue(connection: sa.Connection, statement: str, params: Any) -> None:
    """Send ``statement`` (in the driver's own syntax) later, before the transaction's
    next statement or with its commit."""
    connection.info.setdefault(_QUEUED, []).append((statement, params))


def _send(connection: sa.Connection, *, commit: bool) -> None:
    queued: list[tuple[str, Any]] | None = connection.info.pop(_QUEUED, None)
    if not queued:
        return
    import psycopg  # PostgreSQL's driver: only PostgreSQL queues

    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection), "a connection in use has its driver's"
    statement, params = queued[0]
    try:
        # One message of several statements, one round trip (PostgreSQL's simple query
        # protocol): the values are written into each statement's text by psycopg's own
        # quoting (client-side binding). The server stops at the first that fails.
        with psycopg.ClientCursor(driver) as cursor:
            texts = [cursor.mogrify(statement, params) for statement, params in queued]
            if commit:
                texts.append("COMMIT")  # the driver's commit after it finds nothing to do
            cursor.execute(";\n".join(texts))
    except psycopg.Error as exc:
        if driver.broken:
            connection.invalidate(exc)  # the pool opens another (as SQLAlchemy would)
        elif commit:
            # SQLAlchemy counts its transaction ended by a failed commit and returns the
            # connection to the pool without a rollback: end the failed one here.
            with contextlib.suppress(psycopg.Error):
                driver.rollback()
        raise sa.exc.DBAPIError.instance(
            statement, params, exc, psycopg.Error, dialect=connection.dialect
        ) from exc


def _drop(connection: sa.Connection, *_args: Any) -> None:
    connection.info.pop(_QUEUED, None)


def install(engine: Engine) -> None:
    """Send queued writes before each statement and with each commit; drop them on a
    rollback (to a savepoint too) and when the connection goes back to the pool."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before_statement(connection: sa.Connection, *_args: Any) -> None:
        if _QUEUED in connection.info:
            _send(connection, commit=False)

    @event.listens_for(engine, "commit")
    def _before_commit(connection: sa.Connection) -> None:
        if _QUEUED in connection.info:
            # The driver commits here; SQLAlchemy's commit right after finds nothing to do.
            _send(connection, commit=True)

    event.listen(engine, "rollback", _drop)
    event.listen(engine, "rollback_savepoint", _drop)

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info.pop(_QUEUED, None)
