"""Card events: the activity of every card, and the source of every domain event about cards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from app.auth.models import User
from app.boards.models import Card, CardEvent
from app.boards.schemas import CardPublic
from app.core import events
from app.core.clock import now
from app.core.db import pk
from app.core.pagination import decode_cursor, encode_cursor, split_page

# A user, or the name of what acted for nobody in particular ("rule:3", "schedule:7").
Actor = User | str


def actor_fields(actor: Actor) -> tuple[str, int | None]:
    if isinstance(actor, User):
        return actor.actor, actor.id
    return actor, None


def card_snapshot(card: Card) -> dict[str, Any]:
    return CardPublic.model_validate(card).model_dump(mode="json")


def record(
    session: Session,
    *,
    card: Card,
    type: str,
    actor: Actor,
    changes: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    from_column_id: int | None = None,
    to_column_id: int | None = None,
    depth: int = 0,
) -> CardEvent:
    """Append a card event and emit it as a domain event, inside the caller's transaction."""
    actor_name, actor_id = actor_fields(actor)
    row = CardEvent(
        card_id=pk(card),
        board_id=card.board_id,
        type=type,
        actor=actor_name,
        actor_id=actor_id,
        from_column_id=from_column_id,
        to_column_id=to_column_id,
        changes=changes or {},
        data=data or {},
        created_at=now(),
    )
    session.add(row)
    session.flush()
    payload: dict[str, Any] = {
        "card": card_snapshot(card),
        "changes": row.changes,
        "from_column_id": from_column_id,
        "to_column_id": to_column_id,
        **row.data,
    }
    events.emit(
        session,
        events.Event(
            type=type,
            occurred_at=row.created_at,
            board_id=card.board_id,
            card_id=card.id,
            actor=actor_name,
            data=payload,
            event_id=row.id,
            depth=depth,
        ),
    )
    return row


@dataclass(slots=True)
class Pending:
    """A card event to record with ``record_many``."""

    card: Card
    type: str
    actor: Actor
    data: dict[str, Any] = field(default_factory=dict)
    depth: int = 0


def record_many(session: Session, entries: Sequence[Pending]) -> list[int]:
    """Append many card events in one INSERT and emit each, in order; flushes, the caller commits.

    For units of work that write events in bulk (alert storms): the cards' snapshots are
    taken once per card, as the cards are when this is called.
    """
    if not entries:
        return []
    session.flush()
    stamp = now()
    snapshots: dict[int, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    for entry in entries:
        actor_name, actor_id = actor_fields(entry.actor)
        card_id = pk(entry.card)
        if card_id not in snapshots:
            snapshots[card_id] = card_snapshot(entry.card)
        rows.append(
            {
                "card_id": card_id,
                "board_id": entry.card.board_id,
                "type": entry.type,
                "actor": actor_name,
                "actor_id": actor_id,
                "changes": {},
                "data": entry.data,
                "created_at": stamp,
            }
        )
    statement = insert(CardEvent).returning(col(CardEvent.id), sort_by_parameter_order=True)
    ids = [int(row_id) for row_id in session.execute(statement, rows).scalars()]
    for entry, row, event_id in zip(entries, rows, ids, strict=True):
        payload: dict[str, Any] = {
            "card": snapshots[row["card_id"]],
            "changes": {},
            "from_column_id": None,
            "to_column_id": None,
            **entry.data,
        }
        events.emit(
            session,
            events.Event(
                type=entry.type,
                occurred_at=stamp,
                board_id=entry.card.board_id,
                card_id=row["card_id"],
                actor=row["actor"],
                data=payload,
                event_id=event_id,
                depth=entry.depth,
            ),
        )
    return ids


def list_events(
    session: Session, *, card: Card, limit: int, cursor: str | None
) -> tuple[list[CardEvent], str | None]:
    """Return a card's events oldest first, a page at a time."""
    query = select(CardEvent).where(CardEvent.card_id == card.id)
    if cursor:
        (after,) = decode_cursor(cursor, "event", (int,))
        query = query.where(col(CardEvent.id) > after)
    rows = list(session.exec(query.order_by(col(CardEvent.id)).limit(limit + 1)))
    return split_page(rows, limit, lambda row: encode_cursor("event", row.id))
