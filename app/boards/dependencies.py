"""Load boards, columns and cards by path id, after authenticating the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.auth.dependencies import Viewer, get_current_user, require_role
from app.auth.models import Role
from app.boards import service
from app.boards.cards import get_card
from app.boards.models import Board, BoardColumn, Card
from app.core.db import SessionDep, get_database, pk
from app.core.schemas import Id


def get_board_or_404(board_id: Id, session: SessionDep, _user: Viewer) -> Board:
    return service.get_board(session, board_id)


BoardDep = Annotated[Board, Depends(get_board_or_404)]


def get_streamed_board(board_id: Id, request: Request) -> Board:
    """Authenticate and load the board in a session closed before the stream starts.

    A stream lasts minutes: the request's own session would hold a pooled connection (and,
    on SQLite, a read snapshot) all that time.
    """
    with get_database(request).session(readonly=True) as session:
        require_role(Role.viewer)(get_current_user(request, session))
        return service.get_board(session, board_id)


StreamedBoard = Annotated[Board, Depends(get_streamed_board)]


def get_column_or_404(board: BoardDep, column_id: Id, session: SessionDep) -> BoardColumn:
    return service.get_column(session, board_id=pk(board), column_id=column_id)


ColumnDep = Annotated[BoardColumn, Depends(get_column_or_404)]


def get_card_or_404(card_id: Id, session: SessionDep, _user: Viewer) -> Card:
    return get_card(session, card_id)


CardDep = Annotated[Card, Depends(get_card_or_404)]
