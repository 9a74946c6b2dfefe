"""The outbox: an event's deliveries are rows written in the event's own transaction.

``install()`` subscribes to ``app.core.events``: the in-transaction handler queues each
event for the rules. Just before the transaction commits, the rules run (see ``rules``),
then one delivery per subscribed webhook is written for every event the transaction
emitted, its rules' events included: a few statements per transaction, however many
events it holds. Events of a rolled-back savepoint (a failed rule run) get none.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import event as sa_event
from sqlalchemy import insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from app.core import events
from app.core.clock import now
from app.core.db import UTCDateTime
from app.hooks import rules, wakeup
from app.hooks.catalogue import ALL, envelope_json
from app.hooks.models import Delivery, HookEvent, Webhook

logger = logging.getLogger("firelane.hooks")

_HOOK_EVENT = HookEvent.__table__  # type: ignore[attr-defined]
_DELIVERY = Delivery.__table__  # type: ignore[attr-defined]
_WEBHOOK = Webhook.__table__  # type: ignore[attr-defined]


def _subscriptions(session: OrmSession) -> list[tuple[int, list[str], int | None]]:
    query = select(_WEBHOOK.c.id, _WEBHOOK.c.events, _WEBHOOK.c.board_id).where(
        _WEBHOOK.c.is_active
    )
    return [(row[0], row[1], row[2]) for row in session.execute(query)]


def write_deliveries(session: OrmSession, emitted: Sequence[events.Event]) -> int:
    """Write one delivery per subscribed webhook and event, in the caller's transaction."""
    if not emitted:
        return 0
    subscriptions = _subscriptions(session)
    if not subscriptions:
        return 0
    planned: list[tuple[events.Event, list[int]]] = []
    for event in emitted:
        webhook_ids = [
            webhook_id
            for webhook_id, names, board_id in subscriptions
            if (ALL in names or event.type in names)
            and (board_id is None or board_id == event.board_id)
        ]
        if webhook_ids:
            planned.append((event, webhook_ids))
    if not planned:
        return 0
    connection = session.connection()
    rows = []
    for event, _ in planned:
        event_uuid = str(uuid4())
        rows.append(
            {
                "uuid": event_uuid,
                "type": event.type,
                "occurred_at": event.occurred_at,
                "board_id": event.board_id,
                "card_id": event.card_id,
                "body": envelope_json(event, event_uuid),
            }
        )
    returning = insert(_HOOK_EVENT).returning(_HOOK_EVENT.c.id, sort_by_parameter_order=True)
    ids = list(connection.execute(returning, rows).scalars())
    stamp = _bind_time(connection.dialect, now())
    values = [
        (
            str(uuid4()),
            webhook_id,
            hook_event_id,
            event.type,
            event.board_id,
            event.card_id,
            event.depth,
            stamp,
            stamp,
            stamp,
        )
        for (event, webhook_ids), hook_event_id in zip(planned, ids, strict=True)
        for webhook_id in webhook_ids
    ]
    # Straight to the driver: this runs for every event, and SQLAlchemy's per-row
    # parameter handling would cost more than the inserts themselves.
    marks = ", ".join(["?" if connection.dialect.paramstyle == "qmark" else "%s"] * 10)
    connection.exec_driver_sql(
        f"{_INSERT_DELIVERY} VALUES ({marks}, 'POST', 'application/json', 'pending', 0, 0)", values
    )
    wakeup.after_commit(session)
    return len(values)


_INSERT_DELIVERY = (
    "INSERT INTO delivery (uuid, webhook_id, hook_event_id, event_type, board_id, card_id, "
    "depth, next_attempt_at, created_at, updated_at, method, content_type, status, attempts, "
    "step)"
)


def _bind_time(dialect: Dialect, value: datetime) -> Any:
    """Convert a time as the column type would, once for all rows of a statement."""
    processor = UTCDateTime().bind_processor(dialect)
    return processor(value) if processor else value


def _on_emit(session: OrmSession, event: events.Event) -> None:
    rules.enqueue(session, event)


def _before_commit(session: OrmSession) -> None:
    if session.in_nested_transaction():
        return
    if rules.has_queued(session):
        assert isinstance(session, Session), "Firelane's sessions are SQLModel sessions"
        rules.drain(session)
        session.flush()
    write_deliveries(session, events.pending(session))


def _after_rollback(session: OrmSession) -> None:
    if not session.in_nested_transaction():
        rules.forget(session)


def install() -> None:
    """Hear every event: run rules and write webhook deliveries (idempotent)."""
    events.on_emit(_on_emit)
    if not sa_event.contains(OrmSession, "before_commit", _before_commit):
        sa_event.listen(OrmSession, "before_commit", _before_commit)
        sa_event.listen(OrmSession, "after_rollback", _after_rollback)
    wakeup.install()
