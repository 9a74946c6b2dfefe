"""Engine, sessions and the column types every domain shares.

SQLite is opened in WAL mode with foreign keys on and a busy timeout. Its transactions
begin ``IMMEDIATE`` (take the write lock up front) unless a session is opened for
reading: a deferred transaction that reads and then writes can fail at once with
"database is locked" when another writer got in between, whatever the busy timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata = SQLModel.metadata


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware datetime, stored as UTC (naive UTC text on SQLite, timestamptz on PG)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
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


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for SQLite or PostgreSQL with Firelane's connection settings."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=32,
        )
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)


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


class _Stored(Protocol):
    id: int | None


def pk(row: _Stored) -> int:
    """Return a stored row's primary key (every row has one once it is flushed)."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id
