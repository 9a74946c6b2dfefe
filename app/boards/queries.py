"""Reading cards: filtered, paged lists and the board view with per-column counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.auth.models import User
from app.boards.models import (
    AutomationTarget,
    Board,
    Card,
    CardKind,
    CardLabel,
    CardLink,
    CardStatus,
)
from app.boards.schemas import (
    BoardDetail,
    BoardPublic,
    CardLinked,
    CardPublic,
    ColumnDetail,
    ColumnPublic,
)
from app.boards.service import list_columns
from app.core.db import pk
from app.core.pagination import decode_cursor, encode_cursor, split_page


@dataclass(frozen=True)
class CardFilters:
    board_id: int | None = None
    column_id: int | None = None
    kind: CardKind | None = None
    # None lists open and done cards; archived ones only when asked for.
    status: CardStatus | None = None
    label: str | None = None
    assignee: str | None = None
    q: str | None = None
    # Automation cards that automate this candidate key.
    automates: str | None = None


def _filtered(filters: CardFilters) -> SelectOfScalar[Card]:
    query = select(Card)
    if filters.board_id is not None:
        query = query.where(Card.board_id == filters.board_id)
    if filters.column_id is not None:
        query = query.where(Card.column_id == filters.column_id)
    if filters.kind is not None:
        query = query.where(Card.kind == filters.kind)
    if filters.status is None:
        query = query.where(col(Card.archived_at).is_(None))
    elif filters.status == CardStatus.archived:
        query = query.where(col(Card.archived_at).is_not(None))
    else:
        done = col(Card.done_at).is_not(None)
        query = query.where(
            col(Card.archived_at).is_(None), done if filters.status == "done" else ~done
        )
    if filters.label is not None:
        query = query.where(
            exists().where(
                col(CardLabel.card_id) == col(Card.id), col(CardLabel.name) == filters.label
            )
        )
    if filters.automates is not None:
        query = query.where(
            exists().where(
                col(AutomationTarget.card_id) == col(Card.id),
                col(AutomationTarget.key) == filters.automates,
            )
        )
    if filters.assignee is not None:
        assignee_ids = select(User.id).where(User.name == filters.assignee)
        query = query.where(col(Card.assignee_id).in_(assignee_ids.scalar_subquery()))
    if filters.q:
        query = query.where(
            or_(
                col(Card.title).icontains(filters.q, autoescape=True),
                col(Card.description).icontains(filters.q, autoescape=True),
            )
        )
    return query


def list_cards(
    session: Session, *, filters: CardFilters, limit: int, cursor: str | None
) -> tuple[list[Card], str | None]:
    """List cards: in board order (rank) within one column, else newest first."""
    query = _filtered(filters)
    if filters.column_id is not None:
        if cursor:
            after_rank, after_id = decode_cursor(cursor, "rank", (str, int))
            query = query.where(
                or_(
                    col(Card.rank) > after_rank,
                    and_(col(Card.rank) == after_rank, col(Card.id) > after_id),
                )
            )
        query = query.order_by(col(Card.rank), col(Card.id)).limit(limit + 1)
        rows = list(session.exec(query))
        return split_page(rows, limit, lambda c: encode_cursor("rank", c.rank, c.id))
    if cursor:
        (before_id,) = decode_cursor(cursor, "id", (int,))
        query = query.where(col(Card.id) < before_id)
    rows = list(session.exec(query.order_by(col(Card.id).desc()).limit(limit + 1)))
    return split_page(rows, limit, lambda c: encode_cursor("id", c.id))


def column_counts(session: Session, *, board_id: int) -> dict[int, int]:
    """Count the cards each column holds (archived ones excluded)."""
    query = (
        select(Card.column_id, func.count())
        .where(Card.board_id == board_id, col(Card.archived_at).is_(None))
        .group_by(col(Card.column_id))
    )
    return dict(session.exec(query).all())


def _first_pages(
    session: Session, column_ids: list[int], limit: int, *, recent: frozenset[int] = frozenset()
) -> dict[int, tuple[list[Card], str | None]]:
    """The first ``limit`` cards of each column: one indexed query per column for the ids,
    then the cards and their relations loaded together (not once per column). Columns in
    ``recent`` answer their most recently done cards instead, newest first, with no cursor."""
    page_ids: dict[int, list[int]] = {}
    cursors: dict[int, str | None] = {}
    for column_id in column_ids:
        query = select(Card.id, Card.rank).where(
            Card.column_id == column_id, col(Card.archived_at).is_(None)
        )
        if column_id in recent:  # (ix_card_column_id_done_at)
            newest = query.where(col(Card.done_at).is_not(None)).order_by(
                col(Card.done_at).desc(), col(Card.id).desc()
            )
            page_ids[column_id] = [row[0] for row in session.exec(newest.limit(limit)) if row[0]]
            cursors[column_id] = None
            continue
        rows = list(session.exec(query.order_by(col(Card.rank), col(Card.id)).limit(limit + 1)))
        rows, cursors[column_id] = split_page(
            rows, limit, lambda row: encode_cursor("rank", row[1], row[0])
        )
        page_ids[column_id] = [row[0] for row in rows if row[0] is not None]
    wanted = [card_id for ids in page_ids.values() for card_id in ids]
    loaded = {pk(card): card for card in session.exec(select(Card).where(col(Card.id).in_(wanted)))}
    return {
        column_id: ([loaded[card_id] for card_id in ids], cursors[column_id])
        for column_id, ids in page_ids.items()
    }


def board_detail(
    session: Session, *, board: Board, cards_per_column: int, done_cards: int | None = None
) -> BoardDetail:
    """The board with its columns, their counts and the first page of each column (with
    ``done_cards``, done columns hold that many of their most recently done cards)."""
    board_id = pk(board)
    counts = column_counts(session, board_id=board_id)
    board_columns = list_columns(session, board_id=board_id)
    pages: dict[int, tuple[list[Card], str | None]] = {}
    done = frozenset(pk(c) for c in board_columns if c.is_done)
    if cards_per_column:
        others = [pk(c) for c in board_columns if done_cards is None or pk(c) not in done]
        pages.update(_first_pages(session, others, cards_per_column))
    if done_cards:
        pages.update(_first_pages(session, sorted(done), done_cards, recent=done))
    columns: list[ColumnDetail] = []
    for column in board_columns:
        cards, next_cursor = pages.get(pk(column), ([], None))
        base: dict[str, Any] = ColumnPublic.model_validate(column).model_dump()
        columns.append(
            ColumnDetail(
                **base,
                card_count=counts.get(pk(column), 0),
                cards=[CardPublic.model_validate(card) for card in cards],
                next_cursor=next_cursor,
            )
        )
    return BoardDetail(**BoardPublic.model_validate(board).model_dump(), columns=columns)


def card_links(session: Session, *, card: Card, limit: int = 200) -> list[CardLinked]:
    """The cards ``card`` links to, then the cards that link to it, oldest link first."""
    found: list[CardLinked] = []
    for direction, mine, other in (
        ("out", CardLink.card_id, CardLink.target_card_id),
        ("in", CardLink.target_card_id, CardLink.card_id),
    ):
        rows = session.exec(
            select(CardLink, Card)
            .join(Card, col(Card.id) == other)
            .where(mine == pk(card))
            .order_by(col(CardLink.id))
            .limit(limit)
        )
        found.extend(
            CardLinked(
                direction=direction,
                kind=link.kind,
                card_id=pk(linked),
                title=linked.title,
                card_kind=linked.kind,
                status=linked.status,
            )
            for link, linked in rows
        )
    return found
