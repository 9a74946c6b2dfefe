"""Boards and their columns: every public function owns one commit."""

from __future__ import annotations

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.boards.exceptions import (
    BoardNotFound,
    ColumnNotEmpty,
    ColumnNotFound,
    LastColumn,
    SlugTaken,
)
from app.boards.models import Board, BoardColumn, Card
from app.boards.schemas import BoardCreate, BoardUpdate, ColumnCreate, ColumnUpdate
from app.core.clock import now
from app.core.db import pk
from app.core.pagination import decode_cursor, encode_cursor, split_page

DEFAULT_COLUMNS = (
    ColumnCreate(name="Triage"),
    ColumnCreate(name="In progress"),
    ColumnCreate(name="Done", is_done=True),
)


def get_board(session: Session, board_id: int) -> Board:
    board = session.get(Board, board_id)
    if board is None:
        raise BoardNotFound()
    return board


def get_board_by_slug(session: Session, slug: str) -> Board:
    board = session.exec(select(Board).where(Board.slug == slug)).first()
    if board is None:
        raise BoardNotFound(f"No board has the slug {slug!r}.")
    return board


def list_boards(
    session: Session, *, limit: int, cursor: str | None
) -> tuple[list[Board], str | None]:
    """Return boards by id, a page at a time."""
    query = select(Board).order_by(col(Board.id)).limit(limit + 1)
    if cursor:
        (after,) = decode_cursor(cursor, "board", (int,))
        query = query.where(col(Board.id) > after)
    return split_page(list(session.exec(query)), limit, lambda b: encode_cursor("board", b.id))


def create_board(session: Session, *, data: BoardCreate) -> Board:
    """Create a board with the given columns, or Triage / In progress / Done."""
    if session.exec(select(Board.id).where(Board.slug == data.slug)).first() is not None:
        raise SlugTaken(f"The slug {data.slug!r} is taken.")
    board = Board(name=data.name, slug=data.slug, description=data.description)
    session.add(board)
    session.flush()
    for position, spec in enumerate(data.columns or DEFAULT_COLUMNS):
        session.add(_column_from(board, spec, position))
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise SlugTaken(f"The slug {data.slug!r} is taken.") from exc
    return board


def _relayout(session: Session, board_id: int) -> None:
    """Count a change of the board or its columns (live boards hear of it: app.boards.live)."""
    bump = update(Board).where(col(Board.id) == board_id)
    session.execute(bump.values(layout_version=col(Board.layout_version) + 1))


def update_board(session: Session, *, board: Board, data: BoardUpdate) -> Board:
    """Rename a board or change its description."""
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(board, field, value)
    board.updated_at = now()
    session.add(board)
    session.flush()
    _relayout(session, pk(board))
    session.commit()
    return board


def delete_board(session: Session, *, board: Board) -> None:
    """Delete a board with its columns, cards and their history."""
    session.delete(board)
    session.commit()


def list_columns(session: Session, *, board_id: int) -> list[BoardColumn]:
    query = select(BoardColumn).where(BoardColumn.board_id == board_id)
    return list(session.exec(query.order_by(col(BoardColumn.position), col(BoardColumn.id))))


def get_column(session: Session, *, board_id: int, column_id: int) -> BoardColumn:
    column = session.get(BoardColumn, column_id)
    if column is None or column.board_id != board_id:
        raise ColumnNotFound()
    return column


def first_column_id(session: Session, *, board_id: int) -> int:
    query = select(BoardColumn.id).where(BoardColumn.board_id == board_id)
    found = session.exec(query.order_by(col(BoardColumn.position), col(BoardColumn.id))).first()
    if found is None:
        raise ColumnNotFound("The board has no columns.")
    return found


def _column_from(board: Board, spec: ColumnCreate, position: int) -> BoardColumn:
    return BoardColumn(
        board_id=pk(board),
        name=spec.name,
        position=position,
        wip_limit=spec.wip_limit,
        wip_mode=spec.wip_mode,
        is_done=spec.is_done,
    )


def _renumber(columns: list[BoardColumn], moved: BoardColumn, position: int) -> None:
    others = [c for c in columns if c.id != moved.id]
    others.insert(min(position, len(others)), moved)
    for index, column in enumerate(others):
        column.position = index


def create_column(session: Session, *, board: Board, data: ColumnCreate) -> BoardColumn:
    """Add a column at ``position`` (default: last)."""
    columns = list_columns(session, board_id=pk(board))
    column = _column_from(board, data, len(columns))
    session.add(column)
    session.flush()
    if data.position is not None:
        _renumber(columns, column, data.position)
    _relayout(session, pk(board))
    session.commit()
    return column


def update_column(session: Session, *, column: BoardColumn, data: ColumnUpdate) -> BoardColumn:
    """Rename, reorder or re-limit a column; ``wip_limit: null`` removes the limit."""
    changes = data.model_dump(exclude_unset=True)
    position = changes.pop("position", None)
    for field, value in changes.items():
        if value is not None or field == "wip_limit":
            setattr(column, field, value)
    if position is not None:
        _renumber(list_columns(session, board_id=column.board_id), column, position)
    session.add(column)
    session.flush()
    _relayout(session, column.board_id)
    session.commit()
    return column


def delete_column(session: Session, *, column: BoardColumn) -> None:
    """Delete an empty column; a board keeps at least one."""
    held = session.exec(
        select(func.count()).select_from(Card).where(Card.column_id == column.id)
    ).one()
    if held:
        raise ColumnNotEmpty(f"The column still holds {held} card(s), archived ones included.")
    columns = list_columns(session, board_id=column.board_id)
    if len(columns) <= 1:
        raise LastColumn()
    session.delete(column)
    for index, other in enumerate(c for c in columns if c.id != column.id):
        other.position = index
    _relayout(session, column.board_id)
    session.commit()
