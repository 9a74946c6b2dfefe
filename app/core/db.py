"""Engine, sessions and the column types every domain shares.

SQLite is opened in WAL mode with foreign keys on and a busy timeout. Its transactions
begin ``IMMEDIATE`` (take the write lock up front) unless a session is opened for
reading: a deferred transaction that reads and then writes can fail at once with
"database is locked" when another writer got in between, whatever the busy timeout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel

from app.core import deferred
from app.core.jsontext import dumps_text

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata = SQLModel.metadata


def as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given where an aware one is required")
    return value.astimezone(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware datetime, stored as UTC (naive UTC text on SQLite, timestamptz on PG)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Fractional-index keys compare byte by byte; PostgreSQL's default collation would not.
RankKey = sa.String().with_variant(sa.String(collation="C"), "postgresql")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # BEGIN is issued by _on_begin below
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a commit is on disk when it returns
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


# A pooled PostgreSQL connection idle for longer than this is checked before it is used.
PING_AFTER_SECONDS = 1.0
_CHECKED_IN_AT = "firelane.checked_in_at"


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only if it sat idle (SQLAlchemy's
    ``pool_pre_ping`` checks it every time: a round trip more for every unit of work,
    about one in fifteen of an ingest batch's). One that died while in use fails its unit
    of work, as it would have anyway, and is replaced."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_CHECKED_IN_AT)
        if since is None or time.monotonic() - since < PING_AFTER_SECONDS:
            return  # just opened, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # The pool drops it and opens another (SQLAlchemy's pessimistic disconnects).
            raise sa.exc.DisconnectionError() from exc


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for SQLite or PostgreSQL with Firelane's connection settings."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=32,
            json_serializer=dumps_text,
        )
        _configure_sqlite(engine)
        return engine
    engine = sa.create_engine(
        url, echo=echo, pool_size=10, max_overflow=20, json_serializer=dumps_text
    )
    _ping_when_idle(engine)
    deferred.install(engine)
    return engine


@dataclass
class Database:
    """The engine and the two session factories (writing and reading) of one process."""

    engine: Engine
    write: sessionmaker[Session]
    read: sessionmaker[Session]

    @classmethod
    def from_url(cls, url: str, *, echo: bool = False) -> Database:
        engine = create_db_engine(url, echo=echo)
        reader = engine.execution_options(sqlite_begin="DEFERRED")
        return cls(
            engine=engine,
            write=sessionmaker(engine, class_=Session, expire_on_commit=False),
            read=sessionmaker(reader, class_=Session, expire_on_commit=False),
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """Open a session; the caller commits. It is rolled back and closed on the way out."""
        factory = self.read if readonly else self.write
        with factory() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_session(request: Request) -> Iterator[Session]:
    """Yield the request's session: a reading one for safe methods, a writing one otherwise."""
    db = get_database(request)
    with db.session(readonly=request.method in SAFE_METHODS) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
DatabaseDep = Annotated[Database, Depends(get_database)]


@contextmanager
def unprepared(session: Session) -> Iterator[None]:
    """Run the block's statements unprepared on PostgreSQL: planned for their own values.

    psycopg prepares a statement it has run five times, and PostgreSQL may then keep one
    generic plan for it for good: made while a table was nearly empty (a new install, a
    process started early), a lookup by key stays a sequential scan that costs more as
    the table grows (seen: the ingest writer's open-alert lookup, 8 % of the server's
    time at 20k alerts and growing). For such lookups; everything else stays prepared
    (re-planning costs, e.g. ~15 % of the one-key ingest rate if nothing were).
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    driver = session.connection().connection.driver_connection
    assert driver is not None, "a connection in use has its driver's"
    saved = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        yield
    finally:
        driver.prepare_threshold = saved


def among(
    session: Session, column: sa.orm.Mapped[Any] | sa.ColumnElement[Any], ids: Sequence[int]
) -> sa.ColumnElement[bool]:
    """``column IN ids``, with the ids as one parameter: an array on PostgreSQL (``= ANY``),
    a JSON list on SQLite (``json_each``). The statement's text is the same however many
    ids there are, so nothing renders a placeholder per id (SQLAlchemy's ``in_`` does, and
    for a few hundred ids that cost more than the query) and the statement is cached.
    Run such statements ``unprepared`` on PostgreSQL: a generic plan would not know the
    array's size."""
    if session.get_bind().dialect.name == "postgresql":
        array = sa.bindparam("ids", list(ids), type_=postgresql.ARRAY(sa.Integer))
        return column == sa.any_(array)
    listed = sa.bindparam("ids", dumps_text(list(ids)), type_=sa.String)
    return column.in_(sa.select(sa.column("value")).select_from(sa.func.json_each(listed)))


class _Stored(Protocol):
    id: int | None


def pk(row: _Stored) -> int:
    """Return a stored row's primary key (every row has one once it is flushed)."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id
