"""Where a card goes in a column: the column's lock, its WIP limit, ranks beside the
neighbours, and the times a placement sets. Flushes nothing; the caller's unit of work
commits."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.boards import rank
from app.boards.exceptions import ColumnNotFound, InvalidMove, WipLimitReached
from app.boards.models import BoardColumn, Card
from app.core.clock import now


def lock_column(session: Session, *, board_id: int, column_id: int) -> BoardColumn:
    """Load and lock a board's column, so placements into it run one after another."""
    query = (
        select(BoardColumn)
        .where(BoardColumn.id == column_id, BoardColumn.board_id == board_id)
        .with_for_update()
    )
    column = session.exec(query).first()
    if column is None:
        raise ColumnNotFound()
    return column


def wip_warnings(session: Session, column: BoardColumn, *, adding: int = 1) -> list[str]:
    if column.wip_limit is None:
        return []
    held = session.exec(
        select(func.count())
        .select_from(Card)
        .where(Card.column_id == column.id, col(Card.archived_at).is_(None))
    ).one()
    if held + adding <= column.wip_limit:
        return []
    if column.wip_mode == "hard":
        raise WipLimitReached(
            f"Column {column.name!r} holds {held} card(s) and its hard WIP limit is "
            f"{column.wip_limit}.",
            column_id=column.id,
            wip_limit=column.wip_limit,
        )
    return [f"Column {column.name!r} is over its WIP limit ({held + adding}/{column.wip_limit})."]


def edge_rank(session: Session, column_id: int, *, top: bool, exclude: int | None) -> str:
    query = select(Card.rank).where(Card.column_id == column_id, col(Card.archived_at).is_(None))
    if exclude is not None:
        query = query.where(Card.id != exclude)
    query = query.order_by(col(Card.rank) if top else col(Card.rank).desc()).limit(1)
    edge = session.exec(query).first()
    return rank.between(None, edge) if top else rank.between(edge, None)


def rank_beside(
    session: Session, column_id: int, anchor_id: int, *, after: bool, moving: int | None
) -> str:
    # Only the anchor's place is needed, not the card with its relations.
    place = select(Card.rank, Card.column_id, Card.archived_at).where(Card.id == anchor_id)
    anchor = session.exec(place).first()
    if anchor is None or anchor[2] is not None:
        raise InvalidMove(f"Card {anchor_id} does not exist or is archived.")
    anchor_rank, anchor_column = anchor[0], anchor[1]
    if anchor_column != column_id:
        raise InvalidMove(f"Card {anchor_id} is not in column {column_id}.")
    if anchor_id == moving:
        raise InvalidMove("A card cannot be placed relative to itself.")
    query = select(Card.rank).where(Card.column_id == column_id, col(Card.archived_at).is_(None))
    if moving is not None:
        query = query.where(Card.id != moving)
    if after:
        query = query.where(col(Card.rank) > anchor_rank).order_by(col(Card.rank))
    else:
        query = query.where(col(Card.rank) < anchor_rank).order_by(col(Card.rank).desc())
    neighbour = session.exec(query.limit(1)).first()
    if after:
        return rank.between(anchor_rank, neighbour)
    return rank.between(neighbour, anchor_rank)


def first_position(session: Session, board_id: int) -> int:
    query = select(func.min(BoardColumn.position)).where(BoardColumn.board_id == board_id)
    return session.exec(query).one() or 0


def set_times(card: Card, *, column: BoardColumn, first_position: int) -> None:
    stamp = now()
    if column.position != first_position and card.started_at is None:
        card.started_at = stamp
    if column.is_done and card.done_at is None:
        card.done_at = stamp
    elif not column.is_done:
        card.done_at = None
