"""The fan-out: turn committed outbox events into one delivery per recipient webhook.

An event's transaction writes one ``hook_event`` row (the envelope, and in ``recipients``
the ids of the webhooks subscribed to it at commit) however many webhooks there are:
the request path stays as cheap with ten subscriptions as with one. The per-webhook
``delivery`` rows are written from it later, by the database itself (one
``INSERT ... SELECT`` per chunk, each delivery's UUID drawn there), whenever someone
needs them: the delivery loop before it claims, the delivery list before it answers,
and a webhook's deletion before it takes the webhook's deliveries with it. So
``GET /deliveries`` shows every committed event's deliveries, as before, and the
recipients of an event are exactly the webhooks subscribed in its transaction: one
created later never gets it, one deactivated later still gets it, one deleted gets
nothing.

A card event's row has no body yet: its transaction wrote only the row's keys (rendering
the card and the envelope for webhooks was most of what a fire's webhooks cost it). The
fan-out writes it first, from the ``card_event`` row (what the event did) and the card
as it is now, through the renderer the boards domain registers (``render_card_events_with``;
hooks imports no other domain). An event whose card event is gone by then (its board was
deleted) gets no deliveries.

PostgreSQL: the loop skips events another process is fanning out (``SKIP LOCKED``);
readers wait for them (``FOR UPDATE``), so that what they list is complete.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from sqlalchemy import update
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from app.core.db import Database
from app.core.events import Event
from app.hooks.catalogue import envelope_json
from app.hooks.models import FAN_OUT, HookEvent

logger = logging.getLogger("firelane.hooks")

# Events fanned out per transaction: a chunk holds the write lock (SQLite) for a few ms.
CHUNK = 500

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
    query = select(HookEvent.id).where(FAN_OUT).limit(1)
    return session.exec(query).first() is not None


def fan_out(session: Session, *, limit: int = CHUNK, wait: bool = False) -> int:
    """Write the deliveries of up to ``limit`` waiting events, oldest first; flushes only.

    ``wait``: on PostgreSQL, wait for events another transaction is fanning out (and
    skip them once it commits) instead of passing them by. Answer how many events.
    """
    query = (
        select(HookEvent.id, HookEvent.uuid, HookEvent.card_event_id, HookEvent.depth)
        .where(FAN_OUT)
        .order_by(col(HookEvent.id))
        .limit(limit)
        .with_for_update(skip_locked=not wait)
    )
    rows = session.exec(query).all()
    gone = _render(session, [row for row in rows if row[2] is not None])
    ids = [row[0] for row in rows if row[0] is not None and row[0] not in gone]
    if ids:
        _write(session.connection(), ids)
    return len(rows)


def _render(session: Session, rows: Sequence[tuple[int | None, str, int | None, int]]) -> set[int]:
    """Write the bodies of card events that have none; answer the ids of those now gone."""
    if not rows:
        return set()
    if not _renderer:
        raise RuntimeError("card events wait for their bodies and no renderer is registered")
    rendered = _renderer[0](session, [row[2] for row in rows if row[2] is not None])
    bodies: list[dict[str, object]] = []
    gone: set[int] = set()
    for event_id, event_uuid, card_event_id, depth in rows:
        assert event_id is not None and card_event_id is not None
        event = rendered.get(card_event_id)
        if event is None:
            gone.add(event_id)
        else:
            body = envelope_json(replace(event, depth=depth), event_uuid)
            bodies.append({"id": event_id, "body": body})
    if bodies:
        session.execute(update(HookEvent), bodies)
    if gone:
        logger.info("%d event(s) dropped: their card events are gone", len(gone))
        query = update(HookEvent).where(col(HookEvent.id).in_(sorted(gone))).values(recipients=None)
        session.execute(query.execution_options(synchronize_session=False))
    return gone


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
        total += done
        if done < CHUNK:
            return total
