"""Boards, columns, cards, moves, comments and card activity."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from app.auth.dependencies import Admin, Member, Viewer
from app.boards import activity, cards, checklist, comments, queries, service
from app.boards.dependencies import BoardDep, CardDep, ColumnDep, StreamedBoard
from app.boards.live.stream import stream_response
from app.boards.models import BoardColumn, Card, CardKind, CardStatus, Comment
from app.boards.schemas import (
    BoardCreate,
    BoardDetail,
    BoardPublic,
    BoardUpdate,
    CardCreate,
    CardEventPublic,
    CardLinked,
    CardMove,
    CardPublic,
    CardUpdate,
    CardWritten,
    ChecklistItemCreate,
    ChecklistItemUpdate,
    ColumnCreate,
    ColumnPublic,
    ColumnUpdate,
    CommentCreate,
    CommentPublic,
)
from app.core.db import SessionDep, pk
from app.core.pagination import Cursor, Limit, Page
from app.core.schemas import MAX_ID, Id

router = APIRouter(tags=["boards"])

Text = Annotated[str | None, Query(max_length=200)]


def _written(card: Card, warnings: list[str]) -> CardWritten:
    return CardWritten(**CardPublic.model_validate(card).model_dump(), warnings=warnings)


# --- boards --------------------------------------------------------------------------


@router.get("/boards", response_model=Page[BoardPublic])
def list_boards(
    session: SessionDep, _user: Viewer, limit: Limit = 50, cursor: Cursor = None
) -> Page[BoardPublic]:
    """List boards."""
    rows, next_cursor = service.list_boards(session, limit=limit, cursor=cursor)
    return Page(items=[BoardPublic.model_validate(b) for b in rows], next_cursor=next_cursor)


@router.post("/boards", response_model=BoardPublic, status_code=status.HTTP_201_CREATED)
def create_board(data: BoardCreate, session: SessionDep, _admin: Admin) -> BoardPublic:
    """Create a board (admin); without columns it gets Triage, In progress and Done."""
    return BoardPublic.model_validate(service.create_board(session, data=data))


@router.get("/boards/{board_id:int}", response_model=BoardDetail)
def get_board(
    board: BoardDep,
    session: SessionDep,
    cards_per_column: Annotated[int, Query(ge=0, le=200)] = 20,
    done_cards: Annotated[
        int | None,
        Query(
            ge=0,
            le=200,
            description="Done columns answer their most recently done cards, newest first, "
            "this many (no next page); without it, like the other columns.",
        ),
    ] = None,
) -> BoardDetail:
    """Read a board: its columns with card counts and the first cards of each column."""
    return queries.board_detail(
        session, board=board, cards_per_column=cards_per_column, done_cards=done_cards
    )


@router.patch("/boards/{board_id:int}", response_model=BoardPublic)
def update_board(
    data: BoardUpdate, board: BoardDep, session: SessionDep, _admin: Admin
) -> BoardPublic:
    """Rename a board or change its description (admin)."""
    return BoardPublic.model_validate(service.update_board(session, board=board, data=data))


@router.delete("/boards/{board_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_board(board: BoardDep, session: SessionDep, _admin: Admin) -> None:
    """Delete a board with all its cards and history (admin)."""
    service.delete_board(session, board=board)


@router.get(
    "/boards/{board_id:int}/stream",
    response_class=Response,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"}},
)
def stream_board(
    board: StreamedBoard,
    request: Request,
    last_event_id: Annotated[str | None, Header(max_length=40)] = None,
    resume: Annotated[str | None, Query(max_length=40, description="Last-Event-ID")] = None,
) -> Response:
    """Follow a board's card events as server-sent events; resume with Last-Event-ID."""
    return stream_response(request, board_id=pk(board), last_event_id=last_event_id or resume)


# --- columns -------------------------------------------------------------------------


@router.get("/boards/{board_id:int}/columns", response_model=Page[ColumnPublic])
def list_columns(board: BoardDep, session: SessionDep) -> Page[ColumnPublic]:
    """List a board's columns in order (a board has few; one page holds them all)."""
    columns = service.list_columns(session, board_id=pk(board))
    return Page(items=[ColumnPublic.model_validate(c) for c in columns])


@router.post(
    "/boards/{board_id:int}/columns",
    response_model=ColumnPublic,
    status_code=status.HTTP_201_CREATED,
)
def create_column(
    data: ColumnCreate, board: BoardDep, session: SessionDep, _admin: Admin
) -> BoardColumn:
    """Add a column (admin)."""
    return service.create_column(session, board=board, data=data)


@router.patch("/boards/{board_id:int}/columns/{column_id:int}", response_model=ColumnPublic)
def update_column(
    data: ColumnUpdate, column: ColumnDep, session: SessionDep, _admin: Admin
) -> BoardColumn:
    """Rename, reorder or change a column's WIP limit (admin)."""
    return service.update_column(session, column=column, data=data)


@router.delete(
    "/boards/{board_id:int}/columns/{column_id:int}", status_code=status.HTTP_204_NO_CONTENT
)
def delete_column(column: ColumnDep, session: SessionDep, _admin: Admin) -> None:
    """Delete an empty column (admin)."""
    service.delete_column(session, column=column)


# --- cards ---------------------------------------------------------------------------


def card_filters(
    column_id: Id | None = None,
    kind: CardKind | None = None,
    status: CardStatus | None = None,
    label: Text = None,
    assignee: Text = None,
    q: Text = None,
    automates: Annotated[
        str | None, Query(max_length=400, description="Automation cards automating this key.")
    ] = None,
) -> queries.CardFilters:
    """The card list filters shared by /cards and /boards/{board_id}/cards."""
    return queries.CardFilters(None, column_id, kind, status, label, assignee, q, automates)


Filters = Annotated[queries.CardFilters, Depends(card_filters)]


def _card_page(
    session: SessionDep, filters: queries.CardFilters, limit: int, cursor: str | None
) -> Page[CardPublic]:
    rows, next_cursor = queries.list_cards(session, filters=filters, limit=limit, cursor=cursor)
    return Page(items=[CardPublic.model_validate(c) for c in rows], next_cursor=next_cursor)


@router.get("/cards", response_model=Page[CardPublic])
def list_cards(
    session: SessionDep,
    _user: Viewer,
    filters: Filters,
    board_id: Id | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CardPublic]:
    """List cards; within one column in board order, otherwise newest first."""
    return _card_page(session, replace(filters, board_id=board_id), limit, cursor)


@router.get("/boards/{board_id:int}/cards", response_model=Page[CardPublic])
def list_board_cards(
    board: BoardDep, session: SessionDep, filters: Filters, limit: Limit = 50, cursor: Cursor = None
) -> Page[CardPublic]:
    """List a board's cards, with the same filters as /cards."""
    return _card_page(session, replace(filters, board_id=board.id), limit, cursor)


@router.post(
    "/boards/{board_id:int}/cards", response_model=CardWritten, status_code=status.HTTP_201_CREATED
)
def create_card(
    data: CardCreate, board: BoardDep, session: SessionDep, user: Member
) -> CardWritten:
    """Create a card (member); 409 wip_limit_reached in a full hard-limited column."""
    return _written(*cards.create_card(session, board=board, data=data, actor=user))


@router.get("/cards/{card_id:int}", response_model=CardPublic)
def get_card(card: CardDep) -> Card:
    """Read a card."""
    return card


@router.patch("/cards/{card_id:int}", response_model=CardWritten)
def update_card(data: CardUpdate, card: CardDep, session: SessionDep, user: Member) -> CardWritten:
    """Change a card (member); 409 version_conflict if it changed since you read it."""
    return _written(*cards.update_card(session, card=card, data=data, actor=user))


@router.post("/cards/{card_id:int}/move", response_model=CardWritten)
def move_card(data: CardMove, card: CardDep, session: SessionDep, user: Member) -> CardWritten:
    """Move a card after/before another card or to the top/bottom of a column (member)."""
    return _written(*cards.move_card(session, card=card, data=data, actor=user))


@router.get("/cards/{card_id:int}/events", response_model=Page[CardEventPublic])
def list_card_events(
    card: CardDep, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[CardEventPublic]:
    """List what happened to a card, oldest first."""
    rows, next_cursor = activity.list_events(session, card=card, limit=limit, cursor=cursor)
    return Page(items=[CardEventPublic.model_validate(e) for e in rows], next_cursor=next_cursor)


@router.get("/cards/{card_id:int}/links", response_model=list[CardLinked])
def list_card_links(card: CardDep, session: SessionDep) -> list[CardLinked]:
    """List the cards linked to a card either way (recurrences, automations), with titles."""
    return queries.card_links(session, card=card)


@router.get("/cards/{card_id:int}/comments", response_model=Page[CommentPublic])
def list_comments(
    card: CardDep, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[CommentPublic]:
    """List a card's comments, oldest first."""
    rows, next_cursor = comments.list_comments(session, card=card, limit=limit, cursor=cursor)
    return Page(items=[CommentPublic.model_validate(c) for c in rows], next_cursor=next_cursor)


@router.post(
    "/cards/{card_id:int}/comments",
    response_model=CommentPublic,
    status_code=status.HTTP_201_CREATED,
)
def add_comment(data: CommentCreate, card: CardDep, session: SessionDep, user: Member) -> Comment:
    """Comment on a card (member)."""
    return comments.add_comment(session, card=card, data=data, author=user)


@router.post(
    "/cards/{card_id:int}/checklist", response_model=CardPublic, status_code=status.HTTP_201_CREATED
)
def add_checklist_item(
    data: ChecklistItemCreate, card: CardDep, session: SessionDep, user: Member
) -> Card:
    """Add a checklist item to a card (member); answers the card."""
    return checklist.add_item(session, card=card, data=data, actor=user)


@router.patch("/cards/{card_id:int}/checklist/{item_id:int}", response_model=CardPublic)
def update_checklist_item(
    item_id: Id, data: ChecklistItemUpdate, card: CardDep, session: SessionDep, user: Member
) -> Card:
    """Tick, untick or reword a checklist item (member); answers the card."""
    return checklist.update_item(session, card=card, item_id=item_id, data=data, actor=user)


@router.delete("/cards/{card_id:int}/checklist/{item_id:int}", response_model=CardPublic)
def remove_checklist_item(
    item_id: Id,
    card: CardDep,
    session: SessionDep,
    user: Member,
    version: Annotated[int, Query(ge=1, le=MAX_ID, description="The card version you read.")],
) -> Card:
    """Remove a checklist item (member); answers the card."""
    return checklist.remove_item(session, card=card, item_id=item_id, version=version, actor=user)
