"""The fan-out: turn committed outbox events into one delivery per recipient webhook.

An event's transaction writes its outbox rows however many webhooks there are: one
``hook_batch`` row for all its card events (their ids, and in ``recipients`` the ids of
the webhooks subscribed to each at commit), a ``hook_event`` row (the envelope and its
recipients) for any other event. The request path stays as cheap with ten
subscriptions as with one. The rest is written later, whenever someone needs it: the
delivery loop before it claims, the delivery list before it answers, and a webhook's
deletion before it takes the webhook's deliveries with it. So ``GET /deliveries`` shows
every committed event's deliveries, and the recipients of an event are exactly the
webhooks subscribed in its transaction: one created later never gets it, one
deactivated later still gets it, one deleted gets nothing.

First each waiting batch becomes one ``hook_event`` per card event, its envelope
rendered from the ``card_event`` row (what the event did) and the card as it is now,
through the renderer the boards domain registers (``render_card_events_with``; hooks
imports no other domain). A card event that is gone by then (its board was deleted)
gets no deliveries. Then the per-webhook ``delivery`` rows are written by the database
itself (one ``INSERT ... SELECT`` per chunk of events, each delivery's UUID drawn there).

PostgreSQL: the loop skips rows another process is fanning out (``SKIP LOCKED``);
readers wait for them (``FOR UPDATE``), so that what they list is complete.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from sqlalchemy import delete
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from app.core.db import Database
from app.core.events import Event
from app.core.rows import insert_rows
from app.hooks.catalogue import envelope_json, random_uuids
from app.hooks.models import FAN_OUT, HookBatch, HookEvent

logger = logging.getLogger("firelane.hooks")

_HOOK_EVENT = HookEvent.__table__  # type: ignore[attr-defined]

# Events fanned out per transaction: a chunk holds the write lock (SQLite) for a few ms.
CHUNK = 500
# Batches looked at per chunk (a batch holds one transaction's card events).
_BATCHES = 64

_INSERT = (
    "INSERT INTO delivery (uuid, webhook_id, hook_event_id, event_type, board_id, card_id, "
    "depth, next_attempt_at, created_at, updated_at, method, content_type, status, attempts, "
    "step) "
)
# A random (version 4) UUID, drawn by SQLite for each row.
_SQLITE_UUID = (
    "lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
    "substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || "
    "substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))"
)
# A delivery is queued when its event was: created, updated and due at the event's time.
# Recipients deleted since are skipped (their deliveries would have gone with them).
_SQLITE_REST = (
    ", w.id, e.id, e.type, e.board_id, e.card_id, e.depth, e.occurred_at, e.occurred_at, "
    "e.occurred_at, 'POST', 'application/json', 'pending', 0, 0 "
    "FROM hook_event AS e, json_each(e.recipients) AS r JOIN webhook AS w ON w.id = r.value "
    "WHERE e.id IN (SELECT value FROM json_each(?)) ORDER BY e.id, r.key"
)
_POSTGRES_REST = (
    ", w.id, e.id, e.type, e.board_id, e.card_id, e.depth, e.occurred_at, e.occurred_at, "
    "e.occurred_at, 'POST', 'application/json', 'pending', 0, 0 "
    "FROM hook_event AS e "
    "CROSS JOIN LATERAL json_array_elements_text(e.recipients::json) WITH ORDINALITY AS r(id, n) "
    "JOIN webhook AS w ON w.id = r.id::integer "
    "WHERE e.id = ANY(%s) ORDER BY e.id, r.n"
)
_STATEMENTS = {
    "sqlite": (
        f"{_INSERT}SELECT {_SQLITE_UUID}{_SQLITE_REST}",
        "UPDATE hook_event SET recipients = NULL WHERE id IN (SELECT value FROM json_each(?))",
    ),
    "postgresql": (
        f"{_INSERT}SELECT gen_random_uuid()::text{_POSTGRES_REST}",
        "UPDATE hook_event SET recipients = NULL WHERE id = ANY(%s)",
    ),
}


# Card events by id, as webhooks get them (their card as it is now); the ids of card
# events that are gone are left out.
CardEventRenderer = Callable[[Session, Sequence[int]], dict[int, Event]]
_renderer: list[CardEventRenderer] = []


def render_card_events_with(renderer: CardEventRenderer) -> None:
    """Register how card events are rendered (the boards domain does, when wired)."""
    _renderer[:] = [renderer]


def renders_card_events() -> bool:
    """Whether card events can be left for the fan-out to render (a renderer is registered)."""
    return bool(_renderer)


def waiting(session: Session) -> bool:
    """Tell whether committed events still wait for their deliveries (a cheap read)."""
    if session.exec(select(HookBatch.id).limit(1)).first() is not None:
        return True
    return session.exec(select(HookEvent.id).where(FAN_OUT).limit(1)).first() is not None


def fan_out(session: Session, *, limit: int = CHUNK, wait: bool = False) -> int:
    """Write the deliveries of about ``limit`` waiting events, oldest first; flushes only.

    ``wait``: on PostgreSQL, wait for rows another transaction is fanning out (and skip
    them once it commits) instead of passing them by. Answer how many events got their
    deliveries or were dropped (0: none was waiting).
    """
    dropped = _unbatch(session, limit=limit, wait=wait)
    query = (
        select(HookEvent.id)
        .where(FAN_OUT)
        .order_by(col(HookEvent.id))
        .limit(limit)
        .with_for_update(skip_locked=not wait)
    )
    ids = [each for each in session.exec(query).all() if each is not None]
    if ids:
        _write(session.connection(), ids)
    return dropped + len(ids)


def _unbatch(session: Session, *, limit: int, wait: bool) -> int:
    """Turn the oldest batches, about ``limit`` events, into rendered ``hook_event`` rows.

    Answer how many of their events were dropped: their card events are gone.
    """
    query = (
        select(HookBatch.id, HookBatch.size)
        .order_by(col(HookBatch.id))
        .limit(_BATCHES)
        .with_for_update(skip_locked=not wait)
    )
    taken: list[int] = []
    size = 0
    for batch_id, batch_size in session.exec(query).all():
        if size >= limit:
            break
        assert batch_id is not None
        taken.append(batch_id)
        size += batch_size
    if not taken:
        return 0
    if not _renderer:
        raise RuntimeError("card events wait for their fan-out and no renderer is registered")
    read = select(HookBatch.events, HookBatch.recipients).where(col(HookBatch.id).in_(taken))
    entries: list[tuple[int, int, str]] = []
    for events_json, recipients_json in session.exec(read.order_by(col(HookBatch.id))).all():
        lists = ["[" + ",".join(map(str, ids)) + "]" for ids in json.loads(recipients_json)]
        entries.extend(
            (event_id, depth, lists[n]) for event_id, depth, n in json.loads(events_json)
        )
    rendered = _renderer[0](session, [entry[0] for entry in entries])
    rows: list[dict[str, object]] = []
    for (event_id, depth, recipients), event_uuid in zip(
        entries, random_uuids(len(entries)), strict=True
    ):
        event = rendered.get(event_id)
        if event is None:
            continue
        rows.append(
            {
                "uuid": event_uuid,
                "type": event.type,
                "occurred_at": event.occurred_at,
                "board_id": event.board_id,
                "card_id": event.card_id,
                "card_event_id": event_id,
                "body": envelope_json(replace(event, depth=depth), event_uuid),
                "recipients": recipients,
                "depth": depth,
            }
        )
    insert_rows(session, _HOOK_EVENT, rows)
    query_delete = delete(HookBatch).where(col(HookBatch.id).in_(taken))
    session.execute(query_delete.execution_options(synchronize_session=False))
    dropped = len(entries) - len(rows)
    if dropped:
        logger.info("%d event(s) dropped: their card events are gone", dropped)
    return dropped


def _write(connection: Connection, ids: Sequence[int]) -> None:
    dialect = connection.dialect.name
    insert, update = _STATEMENTS[dialect]
    chosen = list(ids) if dialect == "postgresql" else "[" + ",".join(map(str, ids)) + "]"
    connection.exec_driver_sql(insert, (chosen,))
    connection.exec_driver_sql(update, (chosen,))


def fan_out_all(session: Session, *, wait: bool = True) -> int:
    """Write the deliveries of every waiting event, in the caller's transaction."""
    total = 0
    while done := fan_out(session, wait=wait):
        total += done
    return total


def catch_up(db: Database) -> int:
    """Write the deliveries of every event committed so far, a chunk per transaction."""
    total = 0
    while True:
        with db.session() as session:
            done = fan_out(session, wait=True)
            session.commit()
        if not done:
            return total
        total += done
