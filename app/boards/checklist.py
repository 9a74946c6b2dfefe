"""Card checklists: items added, ticked, reworded and removed, each a card event."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.boards.activity import Actor, actor_fields, record
from app.boards.cards import check_version, committing
from app.boards.exceptions import ChecklistItemNotFound
from app.boards.models import Card, ChecklistItem
from app.boards.schemas import ChecklistItemCreate, ChecklistItemUpdate
from app.core.clock import now


def _item(card: Card, item_id: int) -> ChecklistItem:
    for item in card.checklist:
        if item.id == item_id:
            return item
    raise ChecklistItemNotFound()


def _touch(session: Session, card: Card, actor: Actor, change: dict[str, Any]) -> None:
    card.updated_at = now()
    session.add(card)
    session.flush()
    record(session, card=card, type="card.updated", actor=actor, changes={"checklist": change})


def add_item(session: Session, *, card: Card, data: ChecklistItemCreate, actor: Actor) -> Card:
    """Append an item to a card's checklist."""

    def write() -> Card:
        check_version(card, data.version)
        position = max((item.position for item in card.checklist), default=-1) + 1
        item = ChecklistItem(position=position, text=data.text)
        card.checklist.append(item)
        session.flush()
        _touch(session, card, actor, {"added": {"id": item.id, "text": item.text}})
        return card

    return committing(session, card.id, write)


def update_item(
    session: Session, *, card: Card, item_id: int, data: ChecklistItemUpdate, actor: Actor
) -> Card:
    """Tick, untick or reword a checklist item."""

    def write() -> Card:
        check_version(card, data.version)
        item = _item(card, item_id)
        change: dict[str, Any] = {"id": item.id, "text": item.text}
        if data.text is not None and data.text != item.text:
            change["text"] = [item.text, data.text]
            item.text = data.text
        if data.done is not None and data.done != item.done:
            change["done"] = [item.done, data.done]
            item.done_at = now() if data.done else None
            item.done_by = actor_fields(actor)[0] if data.done else None
        if len(change) > 2:
            _touch(session, card, actor, change)
        return card

    return committing(session, card.id, write)


def remove_item(session: Session, *, card: Card, item_id: int, version: int, actor: Actor) -> Card:
    """Remove an item from a card's checklist."""

    def write() -> Card:
        check_version(card, version)
        item = _item(card, item_id)
        card.checklist.remove(item)
        _touch(session, card, actor, {"removed": {"id": item.id, "text": item.text}})
        return card

    return committing(session, card.id, write)
