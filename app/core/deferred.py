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

``send_commit`` goes one step further for a caller with other work to do meanwhile (the
ingest writer): it runs what ``Session.commit()`` runs before committing (the
before_commit listeners, the last flush), sends the queued writes and the COMMIT, and
returns at once; ``SentCommit.wait`` reads the answer (from any thread), and the session's
own ``commit()`` after it finds nothing left to send (its after_commit listeners hear the
commit then). On SQLite it commits at once.
"""

from __future__ import annotations

import contextlib
import select
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

_QUEUED = "firelane.deferred"  # in the pooled connection's info: [(statement, params)]


def queue(connection: sa.Connection, statement: str, params: Any) -> None:
    """Send ``statement`` (in the driver's own syntax) later, before the transaction's
    next statement or with its commit."""
    connection.info.setdefault(_QUEUED, []).append((statement, params))


def _driver(connection: sa.Connection) -> Any:
    import psycopg  # PostgreSQL's driver: only PostgreSQL queues

    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection), "a connection in use has its driver's"
    return driver


def _texts(cursor: Any, queued: list[tuple[str, Any]]) -> list[str]:
    """The queued statements with their values written in by psycopg's own quoting
    (client-side binding, a ``ClientCursor``), for one message of several statements
    (PostgreSQL's simple query protocol: one round trip; the server stops at the first
    that fails)."""
    return [cursor.mogrify(statement, params) for statement, params in queued]


def _send(connection: sa.Connection, *, commit: bool) -> None:
    queued: list[tuple[str, Any]] | None = connection.info.pop(_QUEUED, None)
    if not queued:
        return
    import psycopg

    driver = _driver(connection)
    statement, params = queued[0]
    try:
        with psycopg.ClientCursor(driver) as cursor:
            texts = _texts(cursor, queued)
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


class SentCommit:
    """A transaction's COMMIT (with its queued writes) sent, its answer not yet read.

    ``wait`` may run in another thread than the one that sent it, as long as nothing
    else uses the connection meanwhile.
    """

    def __init__(self, pgconn: Any = None, *, error: str | None = None) -> None:
        self._pgconn = pgconn  # None: answered already (SQLite commits at once)
        self._error = error

    def wait(self) -> str | None:
        """Wait for the answer: None once committed, else the server's error (the
        transaction then stays open and failed, for the session to roll back)."""
        from psycopg import pq

        pgconn = self._pgconn
        if pgconn is None:
            return self._error
        error: str | None = None
        try:
            while True:
                pgconn.consume_input()
                while not pgconn.is_busy():
                    result = pgconn.get_result()
                    if result is None:
                        if error is None and pgconn.transaction_status != pq.TransactionStatus.IDLE:
                            error = "the transaction did not end with its COMMIT"
                        return error
                    if result.status == pq.ExecStatus.FATAL_ERROR and error is None:
                        error = (result.error_message or b"").decode("utf-8", "replace").strip()
                select.select([pgconn.socket], [], [])
        except Exception as exc:  # the connection failed: the session's rollback finds it
            return str(exc) or type(exc).__name__


def send_commit(session: Session) -> SentCommit:
    """Finish a session's transaction as ``commit()`` would, but on PostgreSQL only send
    its queued writes and COMMIT: wait for the answer with ``SentCommit.wait``, then call
    the session's ``commit()`` (which then finds nothing to send: its listeners hear the
    commit and its connection goes back to the pool) or, if it failed, ``rollback()``.
    SQLite commits at once (its ``SentCommit`` is answered already)."""
    connection = session.connection()  # (a prepared session emits nothing more)
    # The first half of Session.commit(): its before_commit listeners (a rule's writes, the
    # webhook outbox) and the last flush. The second half is the caller's commit() later.
    session.get_transaction()._prepare_impl()  # type: ignore[union-attr]
    if connection.dialect.name != "postgresql":
        try:
            connection.connection.driver_connection.commit()  # type: ignore[union-attr]
        except Exception as exc:
            return SentCommit(error=str(exc) or type(exc).__name__)
        return SentCommit()
    driver = _driver(connection)
    queued: list[tuple[str, Any]] = connection.info.pop(_QUEUED, [])
    import psycopg

    with psycopg.ClientCursor(driver) as cursor:
        text = ";\n".join([*_texts(cursor, queued), "COMMIT"])
    pgconn = driver.pgconn
    pgconn.send_query(text.encode(driver.info.encoding))
    while pgconn.flush():  # a large message: wait until the socket took all of it
        select.select([], [pgconn.socket], [])
    return SentCommit(pgconn)
