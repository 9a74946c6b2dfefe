"""Comments on cards: each is a card event too."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.auth.models import User
from app.boards.activity import record
from app.boards.models import Card, Comment
from app.boards.schemas import CommentCreate
from app.core.db import pk
from app.core.pagination import decode_cursor, encode_cursor, split_page


def add_comment(session: Session, *, card: Card, data: CommentCreate, author: User) -> Comment:
    """Comment on a card; the comment is a card event too."""
    comment = Comment(card_id=pk(card), author_id=author.id, body=data.body)
    session.add(comment)
    session.flush()
    record(
        session,
        card=card,
        type="card.commented",
        actor=author,
        data={"comment": {"id": comment.id, "body": comment.body}},
    )
    session.commit()
    return comment


def list_comments(
    session: Session, *, card: Card, limit: int, cursor: str | None
) -> tuple[list[Comment], str | None]:
    """Return a card's comments oldest first, a page at a time."""
    query = select(Comment).where(Comment.card_id == card.id)
    if cursor:
        (after,) = decode_cursor(cursor, "comment", (int,))
        query = query.where(col(Comment.id) > after)
    rows = list(session.exec(query.order_by(col(Comment.id)).limit(limit + 1)))
    return split_page(rows, limit, lambda row: encode_cursor("comment", row.id))
