"""The boards' metrics: open cards by board, column and kind, as the database holds them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.boards.models import Board, BoardColumn, Card


def state(session: Session, _now: datetime) -> Iterator[GaugeMetricFamily]:
    """Open cards (neither done nor archived) by board slug, column name and kind."""
    query = (
        select(Board.slug, BoardColumn.name, Card.kind, func.count())
        .join(BoardColumn, col(BoardColumn.id) == Card.column_id)
        .join(Board, col(Board.id) == Card.board_id)
        .where(col(Card.done_at).is_(None), col(Card.archived_at).is_(None))
        .group_by(Board.slug, BoardColumn.name, Card.kind)
    )
    family = GaugeMetricFamily(
        "firelane_cards_open",
        "Open cards (neither done nor archived) by board, column and kind.",
        labels=["board", "column", "kind"],
    )
    for board, column, kind, count in session.exec(query):
        family.add_metric([board, column, str(kind)], count)
    yield family
