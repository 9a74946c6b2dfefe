"""Cards: create, change, move and link (placing rules in ``placement``, comments in
``comments``). Public functions own one commit; the ``place_*``/``new_*`` helpers only
flush, for other domains' units of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from app.auth.models import User
from app.boards import placement
from app.boards.activity import Actor, actor_fields, card_snapshot, record
from app.boards.exceptions import (
    AutomatesNotAllowed,
    Busy,
    CardNotFound,
    InvalidMove,
    UnknownAssignee,
    VersionConflict,
)
from app.boards.models import (
    AutomationTarget,
    Board,
    Card,
    CardKind,
    CardLabel,
    CardLink,
    ChecklistItem,
    Priority,
)
from app.boards.schemas import CardCreate, CardMove, CardUpdate
from app.boards.service import first_column_id
from app.core.clock import now
from app.core.db import pk

# How often a write is recomputed when a concurrent writer took the same rank key.
RANK_ATTEMPTS = 5

T = TypeVar("T")


def get_card(session: Session, card_id: int) -> Card:
    card = session.get(Card, card_id)
    if card is None:
        raise CardNotFound()
    return card


def _conflict(card: Card) -> VersionConflict:
    return VersionConflict(current=card_snapshot(card))


def check_version(card: Card, version: int) -> None:
    if card.version != version:
        raise _conflict(card)


def _is_rank_collision(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return "uq_card_column_id_rank" in text or "card.column_id, card.rank" in text


def committing(session: Session, card_id: int | None, write: Callable[[], T]) -> T:
    """Run ``write`` and commit; recompute on a rank collision, 409 on a lost version race."""
    for _attempt in range(RANK_ATTEMPTS):
        try:
            result = write()
            session.commit()
            return result
        except IntegrityError as exc:
            session.rollback()
            if not _is_rank_collision(exc):
                raise
        except StaleDataError as exc:
            session.rollback()
            current = session.get(Card, card_id) if card_id is not None else None
            if current is None:
                raise CardNotFound() from exc
            raise _conflict(current) from exc
    raise Busy()


def resolve_assignee(session: Session, name: str | None) -> int | None:
    """Return the id of the active user called ``name`` (None for None), or 422."""
    if name is None:
        return None
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None or not user.is_active:
        raise UnknownAssignee(f"No active user is named {name!r}.")
    return user.id


# --- create --------------------------------------------------------------------------


def new_card(
    session: Session,
    *,
    board: Board,
    actor: Actor,
    title: str,
    column_id: int | None = None,
    top: bool = False,
    description: str = "",
    kind: CardKind = CardKind.project,
    priority: Priority = Priority.medium,
    labels: list[str] | None = None,
    assignee_id: int | None = None,
    due_at: datetime | None = None,
    time_spent_minutes: int = 0,
    estimate_minutes: int | None = None,
    automates: list[str] | None = None,
    checklist: list[str] | None = None,
    event_data: dict[str, Any] | None = None,
    depth: int = 0,
) -> tuple[Card, list[str]]:
    """Insert a card and its ``card.created`` event; flushes, the caller commits."""
    _check_automates(kind, automates)
    board_id = pk(board)
    target_id = column_id if column_id is not None else first_column_id(session, board_id=board_id)
    column = placement.lock_column(session, board_id=board_id, column_id=target_id)
    warnings = placement.wip_warnings(session, column)
    _, creator_id = actor_fields(actor)
    card = Card(
        board_id=board_id,
        column_id=pk(column),
        title=title,
        description=description,
        kind=kind,
        priority=priority,
        assignee_id=assignee_id,
        created_by_id=creator_id,
        due_at=due_at,
        time_spent_minutes=time_spent_minutes,
        estimate_minutes=estimate_minutes,
        rank=placement.edge_rank(session, target_id, top=top, exclude=None),
        label_rows=[CardLabel(name=name) for name in sorted(set(labels or []))],
        target_rows=[AutomationTarget(key=key) for key in sorted(set(automates or []))],
        checklist=[ChecklistItem(position=i, text=text) for i, text in enumerate(checklist or [])],
        links=[],
    )
    placement.set_times(
        card, column=column, first_position=placement.first_position(session, board_id)
    )
    session.add(card)
    session.flush()
    record(
        session,
        card=card,
        type="card.created",
        actor=actor,
        to_column_id=column.id,
        # Time logged at creation is an increase from 0 (the report's logged minutes).
        changes={"time_spent_minutes": [0, time_spent_minutes]} if time_spent_minutes else None,
        data=event_data,
        depth=depth,
    )
    if card.done_at is not None:
        record(
            session,
            card=card,
            type="card.done",
            actor=actor,
            to_column_id=column.id,
            depth=depth,
            at=card.done_at,
        )
    return card, warnings


def create_card(
    session: Session, *, board: Board, data: CardCreate, actor: Actor
) -> tuple[Card, list[str]]:
    """Create a card at the top or bottom of a column."""

    def write() -> tuple[Card, list[str]]:
        return new_card(
            session,
            board=board,
            actor=actor,
            title=data.title,
            column_id=data.column_id,
            top=data.position == "top",
            description=data.description,
            kind=data.kind,
            priority=data.priority,
            labels=data.labels,
            assignee_id=resolve_assignee(session, data.assignee),
            due_at=data.due_at,
            time_spent_minutes=data.time_spent_minutes,
            estimate_minutes=data.estimate_minutes,
            automates=data.automates,
            checklist=data.checklist,
        )

    return committing(session, None, write)


# --- update --------------------------------------------------------------------------

_PLAIN_FIELDS = (
    "title",
    "description",
    "kind",
    "priority",
    "due_at",
    "time_spent_minutes",
    "estimate_minutes",
)


def _check_automates(kind: CardKind | str, automates: list[str] | None) -> None:
    if automates and kind != CardKind.automation:
        raise AutomatesNotAllowed(
            f"A card of kind {CardKind(kind).value!r} cannot automate candidates; "
            "only automation cards can."
        )


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def change_card(
    session: Session, *, card: Card, fields: dict[str, Any], actor: Actor, depth: int = 0
) -> tuple[dict[str, list[Any]], list[str]]:
    """Apply field changes and record ``card.updated``; flushes, the caller commits.

    ``fields`` may hold the plain fields, ``labels``, ``automates``, ``assignee_id`` and
    ``archived``.
    """
    _check_automates(
        fields.get("kind", card.kind),
        fields["automates"] if fields.get("automates") is not None else card.automates,
    )
    changes: dict[str, list[Any]] = {}
    warnings: list[str] = []
    for field in _PLAIN_FIELDS:
        if field in fields and fields[field] != getattr(card, field):
            changes[field] = [_json_value(getattr(card, field)), _json_value(fields[field])]
            setattr(card, field, fields[field])
    if "labels" in fields and sorted(set(fields["labels"])) != card.labels:
        new_labels = sorted(set(fields["labels"]))
        changes["labels"] = [card.labels, new_labels]
        kept = [row for row in card.label_rows if row.name in new_labels]
        added = [CardLabel(name=name) for name in new_labels if name not in card.labels]
        card.label_rows = sorted(kept + added, key=lambda row: row.name)
    if fields.get("automates") is not None and sorted(set(fields["automates"])) != card.automates:
        new_keys = sorted(set(fields["automates"]))
        changes["automates"] = [card.automates, new_keys]
        kept_targets = [row for row in card.target_rows if row.key in new_keys]
        added_targets = [AutomationTarget(key=key) for key in new_keys if key not in card.automates]
        card.target_rows = sorted(kept_targets + added_targets, key=lambda row: row.key)
    if "assignee_id" in fields and fields["assignee_id"] != card.assignee_id:
        changes["assignee_id"] = [card.assignee_id, fields["assignee_id"]]
        card.assignee_id = fields["assignee_id"]
        card.assignee_user = session.get(User, card.assignee_id) if card.assignee_id else None
    archived = fields.get("archived")
    if archived is not None and archived != (card.archived_at is not None):
        changes["archived"] = [not archived, archived]
        if archived:
            card.archived_at = now()
        else:
            column = placement.lock_column(
                session, board_id=card.board_id, column_id=card.column_id
            )
            warnings = placement.wip_warnings(session, column)
            # Its new place first: the old rank may have gone to another card meanwhile, and
            # the query would flush the card back into the column with it.
            rank = placement.edge_rank(session, card.column_id, top=False, exclude=card.id)
            card.archived_at = None
            card.rank = rank
    if changes:
        card.updated_at = now()
        session.add(card)
        session.flush()
        record(session, card=card, type="card.updated", actor=actor, changes=changes, depth=depth)
    return changes, warnings


def update_card(
    session: Session, *, card: Card, data: CardUpdate, actor: Actor
) -> tuple[Card, list[str]]:
    """Change a card's fields; the request carries the version it read."""
    fields = data.model_dump(exclude_unset=True, exclude={"version", "assignee"})
    card_id = card.id

    def write() -> tuple[Card, list[str]]:
        check_version(card, data.version)
        if "assignee" in data.model_fields_set:
            fields["assignee_id"] = resolve_assignee(session, data.assignee)
        _, warnings = change_card(session, card=card, fields=fields, actor=actor)
        return card, warnings

    return committing(session, card_id, write)


# --- move ----------------------------------------------------------------------------


def place_card(
    session: Session,
    *,
    card: Card,
    column_id: int,
    actor: Actor,
    after_card_id: int | None = None,
    before_card_id: int | None = None,
    top: bool = False,
    depth: int = 0,
) -> list[str]:
    """Move a card to a place in a column and record the events; flushes, the caller commits."""
    if card.archived_at is not None:
        raise InvalidMove("An archived card cannot be moved; unarchive it first.")
    source_id = card.column_id
    target = placement.lock_column(session, board_id=card.board_id, column_id=column_id)
    warnings = placement.wip_warnings(session, target) if target.id != source_id else []
    if after_card_id is not None:
        new_rank = placement.rank_beside(
            session, column_id, after_card_id, after=True, moving=card.id
        )
    elif before_card_id is not None:
        new_rank = placement.rank_beside(
            session, column_id, before_card_id, after=False, moving=card.id
        )
    else:
        new_rank = placement.edge_rank(session, column_id, top=top, exclude=card.id)
    first_position = placement.first_position(session, card.board_id)
    was_done = card.done_at is not None
    card.column_id = column_id
    card.rank = new_rank
    card.updated_at = now()
    placement.set_times(card, column=target, first_position=first_position)
    session.add(card)
    session.flush()
    record(
        session,
        card=card,
        type="card.moved",
        actor=actor,
        from_column_id=source_id,
        to_column_id=column_id,
        depth=depth,
    )
    if card.done_at is not None and not was_done:
        record(
            session,
            card=card,
            type="card.done",
            actor=actor,
            depth=depth,
            from_column_id=source_id,
            to_column_id=column_id,
            at=card.done_at,
        )
    elif was_done and card.done_at is None:
        record(
            session,
            card=card,
            type="card.reopened",
            actor=actor,
            depth=depth,
            from_column_id=source_id,
            to_column_id=column_id,
        )
    return warnings


def move_card(
    session: Session, *, card: Card, data: CardMove, actor: Actor
) -> tuple[Card, list[str]]:
    """Move a card as the request intends: after or before a card, or to the top or bottom."""
    card_id = card.id
    column_id = data.column_id if data.column_id is not None else card.column_id

    def write() -> tuple[Card, list[str]]:
        check_version(card, data.version)
        warnings = place_card(
            session,
            card=card,
            column_id=column_id,
            actor=actor,
            after_card_id=data.after_card_id,
            before_card_id=data.before_card_id,
            top=data.position == "top",
        )
        return card, warnings

    return committing(session, card_id, write)


# --- links ---------------------------------------------------------------------------


def link_cards(session: Session, *, card: Card, target: Card, kind: str) -> CardLink:
    """Link ``card`` to ``target`` (e.g. "recurrence_of"); flushes, the caller commits."""
    for existing in card.links:
        if existing.target_card_id == target.id and existing.kind == kind:
            return existing
    link = CardLink(target_card_id=pk(target), kind=kind)
    card.links.append(link)
    session.flush()
    return link
