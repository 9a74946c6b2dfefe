"""Rows written in bulk: plain dictionaries in, one statement per table out.

``RowShape`` makes a table's rows from its model; ``insert_rows``, ``insert_returning_ids``
and ``insert_with_parents`` write many at once with as few statements as the backend
allows (SQLite: one prepared statement, bound by the driver directly; PostgreSQL: the rows
as one JSON document, and those that return nothing queued by ``deferred``, to go with the
transaction's next statement or its commit). ``reserve_ids`` draws on PostgreSQL the ids of
rows about to be inserted, for several tables at once: ``insert_returning_ids`` then needs
no answer either, and queues its INSERT too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from pydantic_core import PydanticUndefined
from sqlalchemy.engine import Dialect
from sqlmodel import Session, SQLModel

from app.core import deferred
from app.core.db import UTCDateTime, as_utc
from app.core.jsontext import dumps_text


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


_SEQUENCES: dict[str, str] = {}
_RESERVED = "firelane.reserved_ids"  # in a session's info: {table name: [ids, ascending]}


def _sequence(connection: sa.Connection, table: str) -> str:
    """The sequence a PostgreSQL table's ids come from (read once per process)."""
    found = _SEQUENCES.get(table)
    if found is None:
        found = _SEQUENCES[table] = connection.exec_driver_sql(
            "SELECT pg_get_serial_sequence(%s, 'id')", (table,)
        ).scalar_one()
    return found


class _Recordset:
    """A table's rows (with these keys) as PostgreSQL reads them in bulk: one JSON document
    (orjson, in C), read by ``json_populate_recordset`` into the table's own row type.

    A document is one string for psycopg to send; columns as arrays cost psycopg more than
    the rows cost the server, a pipelined INSERT per row more still. A JSON column's None
    is SQL NULL here (Firelane's JSON columns are never None, and NOT NULL).
    """

    _made: dict[tuple[str, tuple[str, ...]], _Recordset] = {}

    def __init__(self, table: sa.Table, names: tuple[str, ...]):
        self.table = table.name
        self.quoted = ", ".join(f'"{name}"' for name in names)
        # Names from the table's metadata, the rows as a parameter.
        self.source = f'json_populate_recordset(NULL::"{table.name}", %s)'
        self.times = tuple(name for name in names if isinstance(table.c[name].type, UTCDateTime))

    @classmethod
    def of(cls, table: sa.Table, names: tuple[str, ...]) -> _Recordset:
        found = cls._made.get((table.name, names))
        if found is None:
            found = cls._made[(table.name, names)] = cls(table, names)
        return found

    def document(self, rows: Sequence[dict[str, Any]]) -> str:
        if self.times:  # stored as UTC whatever the value's zone, as UTCDateTime binds them
            times = self.times
            rows = [row | {name: _utc(row[name]) for name in times} for row in rows]
        return dumps_text(rows)

    def insert(self) -> str:
        """The INSERT of the rows as they are (an id, unless they carry one, from the default)."""
        return f'INSERT INTO "{self.table}" ({self.quoted}) SELECT {self.quoted} FROM {self.source}'  # noqa: S608

    def numbered(self, connection: sa.Connection) -> str:
        """The INSERT, each row drawing the next id of the table's sequence as the rows are
        read, in order (so ascending ids follow the rows)."""
        sequence = _sequence(connection, self.table)
        return (
            f'INSERT INTO "{self.table}" ("id", {self.quoted}) '  # noqa: S608
            f"SELECT nextval('{sequence}'::regclass), {self.quoted} FROM {self.source}"
        )


def _postgres_insert(
    session: Session, table: sa.Table, rows: Sequence[dict[str, Any]], *, number: bool
) -> list[int]:
    """INSERT rows with one short statement (``_Recordset``). With ``number``, the new ids
    come back, ascending in row order. Without, nothing comes back and the statement is
    queued (``deferred``): sent with the transaction's next statement or its commit."""
    connection = session.connection()
    recordset = _Recordset.of(table, tuple(rows[0]))
    document = recordset.document(rows)
    if not number:
        deferred.queue(connection, recordset.insert(), (document,))
        return []
    statement = recordset.numbered(connection) + " RETURNING id"
    result = connection.exec_driver_sql(statement, (document,))
    return sorted(int(row_id) for row_id in result.scalars())


def insert_with_parents(
    session: Session,
    parents: sa.Table,
    parent_rows: Sequence[dict[str, Any]],
    children: sa.Table,
    child_rows: Sequence[dict[str, Any]],
    *,
    link: str,
) -> None:
    """INSERT rows and rows that point to them: each child's ``link`` column holds the
    index of its parent in ``parent_rows`` and is stored as that parent's new id.

    On PostgreSQL one statement, queued (``deferred``): the parents in a WITH clause,
    their ids numbered in row order, the children joined to them and stored in their own
    order (their ids follow it). Elsewhere the parents' INSERT returns their ids, then the
    children go in.
    """
    if not parent_rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        ids = insert_returning_ids(session, parents, parent_rows)
        insert_rows(session, children, [row | {link: ids[row[link]]} for row in child_rows])
        return
    if not child_rows:
        _postgres_insert(session, parents, parent_rows, number=False)
        return
    connection = session.connection()
    names = tuple(child_rows[0])
    above = _Recordset.of(parents, tuple(parent_rows[0]))
    below = _Recordset.of(children, names)
    chosen = ", ".join("parent.id" if name == link else f'child."{name}"' for name in names)
    # Names from the tables' metadata, the rows as parameters.
    statement = (
        f"WITH made AS ({above.numbered(connection)} RETURNING id), "  # noqa: S608
        "parent AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM made) "
        f'INSERT INTO "{children.name}" ({below.quoted}) '
        f"SELECT {chosen} FROM {below.source} WITH ORDINALITY AS child "
        f'JOIN parent ON parent.n = child."{link}" ORDER BY child.ordinality'
    )
    params = (above.document(parent_rows), below.document(child_rows))
    deferred.queue(connection, statement, params)


_SQLITE: dict[tuple[str, tuple[str, ...]], tuple[str, str, list[Any]]] = {}
# SQLite takes at most 32,766 parameters per statement.
_SQLITE_PARAMETERS = 32_000


def _sqlite_utc_text(value: datetime | None) -> str | None:
    """``UTCDateTime`` as SQLAlchemy stores it on SQLite (naive UTC, microseconds), faster."""
    if value is None:
        return None
    return _utc_text(value)


@lru_cache(maxsize=1024)  # a batch's rows share a handful of times
def _utc_text(value: datetime) -> str:
    return as_utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_binder(column_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """How a column's values are bound on SQLite: as the type would, with faster code for
    the two kinds bulk inserts spend their time on (times and JSON documents)."""
    if isinstance(column_type, UTCDateTime):
        return _sqlite_utc_text
    if isinstance(column_type, sa.JSON):
        none_as_null = column_type.none_as_null

        def json_text(value: Any) -> str | None:
            if value is None and none_as_null:
                return None
            return dumps_text(value)

        return json_text
    processor: Callable[[Any], Any] | None = column_type.dialect_impl(dialect).bind_processor(
        dialect
    )
    return processor


def _sqlite_rows(
    session: Session, table: sa.Table, rows: Sequence[dict[str, Any]]
) -> tuple[sa.Connection, str, str, list[tuple[Any, ...]]]:
    """The statement's head, one row's placeholders, and the rows' values as SQLAlchemy
    would bind them (each column's bind processor, None included, as ``table.insert()``).

    Bound by the driver directly: SQLAlchemy's own bulk path costs several times the
    time SQLite takes to store the rows.
    """
    connection = session.connection()
    names = tuple(rows[0])
    found = _SQLITE.get((table.name, names))
    if found is None:
        dialect = connection.dialect
        processors = [_sqlite_binder(table.c[name].type, dialect) for name in names]
        quoted = ", ".join(f'"{name}"' for name in names)
        head = f'INSERT INTO "{table.name}" ({quoted}) VALUES '  # noqa: S608 - the metadata's names
        found = _SQLITE[(table.name, names)] = (
            head,
            f"({', '.join('?' * len(names))})",
            processors,
        )
    head, marks, processors = found
    columns = [
        [row[name] for row in rows] if process is None else [process(row[name]) for row in rows]
        for name, process in zip(names, processors, strict=True)
    ]
    return connection, head, marks, list(zip(*columns, strict=True))


def insert_rows(session: Session, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows (all with the same keys) with as few statements as the backend allows."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        _postgres_insert(session, table, rows, number=False)
        return
    connection, head, marks, values = _sqlite_rows(session, table, rows)
    connection.exec_driver_sql(head + marks, values)  # one prepared statement, executemany


def reserve_ids(session: Session, counts: Sequence[tuple[sa.Table, int]]) -> None:
    """Draw now the ids of rows this session is about to insert with
    ``insert_returning_ids``, for several tables with one statement (PostgreSQL; elsewhere
    nothing is done). Those INSERTs then take them and need no answer: they are queued
    (``deferred``), to go with the transaction's next statement or its COMMIT. Ids drawn
    and never used are gaps in their sequence, as a rolled-back INSERT's are."""
    wanted = [(table, count) for table, count in counts if count > 0]
    if not wanted or session.get_bind().dialect.name != "postgresql":
        return
    connection = session.connection()
    # Sequence names from the catalogue, the counts as parameters.
    draws = ", ".join(
        f"ARRAY(SELECT nextval('{_sequence(connection, table.name)}'::regclass) "  # noqa: S608
        "FROM generate_series(1, %s))"
        for table, _ in wanted
    )
    drawn = connection.exec_driver_sql(f"SELECT {draws}", tuple(n for _, n in wanted)).one()
    reserved: dict[str, list[int]] = session.info.setdefault(_RESERVED, {})
    for (table, _), ids in zip(wanted, drawn, strict=True):
        reserved[table.name] = sorted([*reserved.get(table.name, []), *ids])


def _take_reserved(session: Session, table: sa.Table, count: int) -> list[int] | None:
    reserved: dict[str, list[int]] | None = session.info.get(_RESERVED)
    if not reserved or len(reserved.get(table.name, ())) < count:
        return None
    ids = reserved[table.name][:count]
    del reserved[table.name][:count]
    return ids


def insert_returning_ids(
    session: Session, table: sa.Table, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """INSERT rows (all with the same keys); return their new ids, ascending in row order.

    Neither backend takes SQLAlchemy's ordered RETURNING well in bulk: SQLite cannot order
    it (SQLAlchemy then sends one INSERT per row) and psycopg re-parses every long
    multi-row statement. So the ids come back in any order and are sorted: on PostgreSQL
    each row draws the sequence's next value as the rows are read, in row order, in the
    INSERT itself (one round trip); SQLite gives each row of an INSERT the next rowid in
    turn (the largest plus one). Either way ascending ids follow the rows. On PostgreSQL,
    ids drawn beforehand by ``reserve_ids`` are used if there are enough of them: the rows
    carry them and the INSERT is queued.
    """
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        ids = _take_reserved(session, table, len(rows))
        if ids is not None:
            carried = [row | {"id": row_id} for row, row_id in zip(rows, ids, strict=True)]
            _postgres_insert(session, table, carried, number=False)
            return ids
        ids = _postgres_insert(session, table, rows, number=True)
    else:
        connection, head, marks, values = _sqlite_rows(session, table, rows)
        per_statement = max(1, min(500, _SQLITE_PARAMETERS // len(values[0])))
        ids = []
        for start in range(0, len(values), per_statement):
            chunk = values[start : start + per_statement]
            statement = head + ", ".join([marks] * len(chunk)) + " RETURNING id"
            flat = tuple(value for row in chunk for value in row)
            ids += sorted(
                int(row_id) for row_id in connection.exec_driver_sql(statement, flat).scalars()
            )
    if len(ids) != len(rows):
        raise RuntimeError(f"{table.name}: {len(rows)} rows inserted, {len(ids)} ids returned")
    return ids


class RowShape:
    """A table's rows as plain dictionaries for bulk INSERTs, derived from its model.

    Every column but ``id``: a row starts from the model's constant defaults (enums as
    their values), and the columns without one, or whose default is computed (times),
    must be given. ``row`` refuses a row with a column missing (or unknown), so a column
    added to the model can never be left out of the rows written in bulk.
    """

    __slots__ = ("_defaults", "_names", "columns", "table")

    def __init__(self, model: type[SQLModel]) -> None:
        self.table: sa.Table = model.__table__  # type: ignore[attr-defined]
        self.columns = tuple(column.name for column in self.table.columns if column.name != "id")
        self._defaults: dict[str, Any] = {}
        for name in self.columns:
            field = model.model_fields[name]
            if field.default is not PydanticUndefined and field.default_factory is None:
                default = field.default
                self._defaults[name] = default.value if isinstance(default, Enum) else default
        self._names = frozenset(self.columns)

    def row(self, **values: Any) -> dict[str, Any]:
        """A row of this table: the model's defaults, then ``values``."""
        row = self._defaults | values
        # Counting is what this costs per row (it runs for every alert); a row with one
        # column missing and one unknown passes it, and the INSERT refuses the unknown one.
        if len(row) != len(self._names):
            missing = sorted(self._names - row.keys())
            unknown = sorted(row.keys() - self._names)
            raise TypeError(f"{self.table.name} row: missing {missing}, unknown {unknown}")
        return row
