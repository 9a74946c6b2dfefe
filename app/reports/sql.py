"""SQL pieces the report's queries share: exact times in microseconds, JSON fields of card
events and alerts, and the conditions that make an event a human action, a resolution."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.alerts.models import Alert, Integration
from app.boards.models import ALERT_EVENT_TYPES, CARD_WRITE_TYPES, Card, CardEvent
from app.schedules.models import Schedule, ScheduleOccurrence

EVENT: sa.Table = CardEvent.__table__  # type: ignore[attr-defined]
CARD: sa.Table = Card.__table__  # type: ignore[attr-defined]
ALERT: sa.Table = Alert.__table__  # type: ignore[attr-defined]
INTEGRATION: sa.Table = Integration.__table__  # type: ignore[attr-defined]
SCHEDULE: sa.Table = Schedule.__table__  # type: ignore[attr-defined]
OCCURRENCE: sa.Table = ScheduleOccurrence.__table__  # type: ignore[attr-defined]

MINUTE_US = 60_000_000


class epoch_us(FunctionElement[int]):  # noqa: N801 - an SQL function's name
    """A stored time as whole microseconds since 1970: exact on both backends."""

    type = sa.BigInteger()
    inherit_cache = True
    name = "epoch_us"


@compiles(epoch_us, "sqlite")
def _epoch_us_sqlite(element: epoch_us, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as "YYYY-MM-DD HH:MM:SS.ffffff" (UTC): whole seconds, then the digits after them.
    value = compiler.process(element.clauses, **kw)
    return (
        f"(CAST(strftime('%s', {value}) AS INTEGER) * 1000000"
        f" + CAST(substr({value}, 21, 6) AS INTEGER))"
    )


@compiles(epoch_us, "postgresql")
def _epoch_us_postgresql(element: epoch_us, compiler: SQLCompiler, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    return f"CAST(EXTRACT(EPOCH FROM {value}) * 1000000 AS BIGINT)"


def literal(value: str) -> sa.ColumnElement[str]:
    """A constant written into the statement, so that partial indexes on it are used."""
    return sa.literal_column("'" + value.replace("'", "''") + "'", sa.String)


def is_type(table: sa.FromClause, *types: str, by_time: bool = True) -> sa.ColumnElement[bool]:
    """Events of these types. For a scan by time, card writes and alert events also carry
    the predicate of their partial index word for word: SQLite uses a partial index only
    for queries that repeat its WHERE (and then prefers it: lookups by card leave it out)."""
    column = table.c.type
    wanted = (
        column == literal(types[0])
        if len(types) == 1
        else column.in_([literal(each) for each in types])
    )
    for group in (CARD_WRITE_TYPES, ALERT_EVENT_TYPES):
        if by_time and set(types) <= set(group):
            return sa.and_(column.in_([literal(each) for each in group]), wanted)
    return wanted


def changed(table: sa.FromClause, field: str, index: int) -> sa.ColumnElement[Any]:
    """The old (0) or new (1) value of ``field`` in an event's ``changes``."""
    return table.c.changes[(field, index)]


def has_change(table: sa.FromClause, field: str) -> sa.ColumnElement[bool]:
    """Whether an event's ``changes`` holds ``field`` (whatever its values, null included)."""
    present: sa.ColumnElement[bool] = table.c.changes[field].as_string().is_not(None)
    return present


def logged_delta(table: sa.FromClause) -> sa.ColumnElement[int]:
    """What an event added to the card's time spent, in minutes (new - old)."""
    return sa.func.coalesce(
        changed(table, "time_spent_minutes", 1).as_integer(), 0
    ) - sa.func.coalesce(changed(table, "time_spent_minutes", 0).as_integer(), 0)


def is_human(table: sa.FromClause) -> sa.ColumnElement[bool]:
    """A card event made by a person (a session or an API token)."""
    return table.c.actor_id.is_not(None)


def is_archiving(table: sa.FromClause) -> sa.ColumnElement[bool]:
    return sa.and_(
        is_type(table, "card.updated", by_time=False),
        changed(table, "archived", 1).as_boolean().is_(True),
    )


def is_resolution(table: sa.FromClause) -> sa.ColumnElement[bool]:
    return sa.or_(
        is_type(table, "alert.resolved", "alert.expired", "card.done", by_time=False),
        is_archiving(table),
    )


def alert_name(table: sa.FromClause = ALERT) -> sa.ColumnElement[str]:
    """The name of an alert's candidate: its ``alertname`` label, else its title."""
    return sa.func.coalesce(table.c.labels["alertname"].as_string(), table.c.title)
