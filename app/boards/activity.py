"""Card events: the activity of every card, and the source of every domain event about cards."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlmodel import Session, col, select

from app.auth.models import User
from app.boards.models import EVENT_ROW, Card, CardEvent
from app.boards.schemas import CardPublic
from app.core import events
from app.core.clock import now
from app.core.db import pk
from app.core.jsontext import Document, enum_value, jsonable, plain_document, time_text
from app.core.pagination import decode_cursor, encode_cursor, split_page
from app.core.rows import insert_returning_ids

# A user, or the name of what acted for nobody in particular ("rule:3", "schedule:7").
Actor = User | str


def actor_fields(actor: Actor) -> tuple[str, int | None]:
    if isinstance(actor, User):
        return actor.actor, actor.id
    return actor, None


# A card's own columns, in the order of CardPublic's fields.
CARD_COLUMNS = tuple(name for name in CardPublic.model_fields if name in Card.__table__.c)  # type: ignore[attr-defined]


def card_json(
    values: Mapping[str, Any],
    *,
    labels: list[str],
    assignee: str | None,
    checklist: list[dict[str, Any]],
    links: list[dict[str, Any]],
    alert: dict[str, Any] | None,
    automates: list[str] | None = None,
) -> Document:
    """Return a card as ``CardPublic`` renders it in JSON, from its column values and parts.

    The one place that shape is built for events: from ORM cards (``card_snapshot``) and
    from rows written in bulk (``app.boards.bulk``), so the two cannot drift apart;
    tests compare it with ``CardPublic``. Far cheaper than validating a pydantic model;
    encoded once, and that text is what every event and envelope embedding it copies.
    ``checklist`` and ``links`` hold JSON's types only (item times as ``time_text``).
    """
    archived_at, done_at = values["archived_at"], values["done_at"]
    status = "archived" if archived_at is not None else "done" if done_at is not None else "open"
    values_ = {
        "id": values["id"],
        "board_id": values["board_id"],
        "column_id": values["column_id"],
        "title": values["title"],
        "description": values["description"],
        "kind": enum_value(values["kind"]),
        "priority": enum_value(values["priority"]),
        "labels": labels,
        "assignee_id": values["assignee_id"],
        "assignee": assignee,
        "due_at": time_text(values["due_at"]),
        "rank": values["rank"],
        "version": values["version"],
        "status": status,
        "created_at": time_text(values["created_at"]),
        "updated_at": time_text(values["updated_at"]),
        "started_at": time_text(values["started_at"]),
        "done_at": time_text(done_at),
        "archived_at": time_text(archived_at),
        "time_spent_minutes": values["time_spent_minutes"],
        "estimate_minutes": values["estimate_minutes"],
        "automates": automates or [],
        "checklist": checklist,
        "links": links,
        "alert": None if alert is None else jsonable(alert),
    }
    return plain_document(values_)


def card_snapshot(card: Card) -> Document:
    """Return the card as ``CardPublic`` renders it in JSON (the ``card`` of its events)."""
    return card_json(
        {name: getattr(card, name) for name in CARD_COLUMNS},
        labels=card.labels,
        assignee=card.assignee_name,
        checklist=[
            {
                "id": item.id,
                "text": item.text,
                "done": item.done,
                "done_at": time_text(item.done_at),
                "done_by": item.done_by,
            }
            for item in card.checklist
        ],
        links=[{"target_card_id": link.target_card_id, "kind": link.kind} for link in card.links],
        alert=card.alert_summary,
        automates=card.automates,
    )


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
    at: datetime | None = None,
) -> int:
    """Append a card event and emit it as a domain event, inside the caller's transaction.

    A one-item ``write_events``; returns the event's id. ``at``: when it happened, if not
    now (a card's ``card.done`` is stamped with its ``done_at``, so the two agree to the
    microsecond).
    """
    session.flush()  # the card's id, and its changes written before its snapshot is taken
    entry = Entry(
        card_id=pk(card),
        board_id=card.board_id,
        type=type,
        actor=actor,
        card=partial(card_snapshot, card),
        data=data or {},
        from_column_id=from_column_id,
        to_column_id=to_column_id,
        depth=depth,
        changes=changes or {},
        at=at,
    )
    (event_id,) = write_events(session, [entry])
    return event_id


def _as_event(row: CardEvent, card: Document | None, *, depth: int = 0) -> events.Event:
    """A card event's row as the domain event it is: what it did, and its card if given."""
    payload: dict[str, Any] = {"card": card} if card is not None else {}
    payload.update(
        {
            "changes": row.changes,
            "from_column_id": row.from_column_id,
            "to_column_id": row.to_column_id,
        }
    )
    payload.update(row.data)
    return events.Event(
        type=row.type,
        occurred_at=row.created_at,
        board_id=row.board_id,
        card_id=row.card_id,
        actor=row.actor,
        data=payload,
        event_id=pk(row),
        depth=depth,
    )


def sent_events(session: Session, event_ids: Sequence[int]) -> dict[int, events.Event]:
    """Card events by id as webhooks get them, rendered later than they were emitted.

    What the event did is its ``card_event`` row's (``record`` and ``write_events`` emit
    exactly that); its ``card`` is the card as it is now. Card events that are gone (their
    board was deleted) are left out.
    """
    if not event_ids:
        return {}
    rows = session.exec(select(CardEvent).where(col(CardEvent.id).in_(sorted(set(event_ids)))))
    found = list(rows)
    card_ids = sorted({row.card_id for row in found})
    cards = session.exec(select(Card).where(col(Card.id).in_(card_ids)))
    snapshots = {pk(card): card_snapshot(card) for card in cards}
    return {
        pk(row): _as_event(row, snapshots[row.card_id]) for row in found if row.card_id in snapshots
    }


# A card's snapshot, or how to take it (``write_events`` takes it only if it is wanted).
Snapshot = dict[str, Any] | Callable[[], dict[str, Any]]


class Once:
    """Take a snapshot the first time it is asked for; answer that one ever after.

    A card's events in one transaction share it (cheaper than ``functools.cache``,
    made for every card whether it is taken or not).
    """

    __slots__ = ("_take", "_taken")

    def __init__(self, take: Callable[[], Document]) -> None:
        self._take = take
        self._taken: Document | None = None

    def __call__(self) -> Document:
        if self._taken is None:
            self._taken = self._take()
        return self._taken


@dataclass(slots=True)
class Entry:
    """A card event to write with ``write_events``, with its card's snapshot."""

    card_id: int
    board_id: int
    type: str
    actor: Actor
    card: Snapshot
    data: dict[str, Any] = field(default_factory=dict)
    from_column_id: int | None = None
    to_column_id: int | None = None
    depth: int = 0
    changes: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None  # when it happened, if not when it is written


def write_events(session: Session, entries: Sequence[Entry]) -> list[int]:
    """Append card events with one INSERT and emit each, in order; the caller commits.

    One time for all, but an entry's own ``at``. A snapshot given as a function is taken
    now, and only if the event's type is ``wanted``.
    """
    if not entries:
        return []
    stamp = now()
    rows: list[dict[str, Any]] = []
    for entry in entries:
        actor_name, actor_id = actor_fields(entry.actor)
        rows.append(
            EVENT_ROW.row(
                card_id=entry.card_id,
                board_id=entry.board_id,
                type=entry.type,
                actor=actor_name,
                actor_id=actor_id,
                from_column_id=entry.from_column_id,
                to_column_id=entry.to_column_id,
                changes=entry.changes,
                data=entry.data,
                created_at=entry.at or stamp,
            )
        )
    ids = insert_returning_ids(session, EVENT_ROW.table, rows)
    wants: dict[str, bool] = {}
    for entry, row, event_id in zip(entries, rows, ids, strict=True):
        want = wants.get(entry.type)
        if want is None:
            want = wants[entry.type] = events.wanted(session, entry.type)
        payload: dict[str, Any] = {}
        if want:
            payload["card"] = entry.card() if callable(entry.card) else entry.card
        payload.update(
            {
                "changes": entry.changes,
                "from_column_id": entry.from_column_id,
                "to_column_id": entry.to_column_id,
            }
        )
        payload.update(entry.data)
        events.emit(
            session,
            events.Event(
                type=entry.type,
                occurred_at=row["created_at"],
                board_id=entry.board_id,
                card_id=entry.card_id,
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
