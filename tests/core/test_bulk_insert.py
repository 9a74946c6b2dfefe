"""Bulk inserts: every row stored as given, and the ids handed back in the rows' order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.boards.models import Board, BoardColumn
from app.core.db import Database, insert_returning_ids, insert_rows

BOARD = Board.__table__  # type: ignore[attr-defined]
COLUMN = BoardColumn.__table__  # type: ignore[attr-defined]


def test_ids_come_back_in_row_order_and_rows_as_given(db: Database) -> None:
    start = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    # More rows than one SQLite statement takes (999 parameters), in a shuffled slug order.
    slugs = [f"b-{(n * 7919) % 450:03d}" for n in range(450)]
    boards = [
        {
            "name": f"Board {slug}",
            "slug": slug,
            "description": "" if n % 3 else 'ünïcödé 🔥 "quoted" \\ back',
            "created_at": start + timedelta(seconds=n),
            "updated_at": start,
        }
        for n, slug in enumerate(slugs)
    ]
    with db.session() as session:
        session.execute(BOARD.insert(), [{**boards[0], "slug": "before", "name": "Before"}])
        ids = insert_returning_ids(session, BOARD, boards)
        assert ids == sorted(ids) and len(set(ids)) == len(boards)
        columns = [
            {
                "board_id": board_id,
                "name": f"Column {n}",
                "position": n,
                "wip_limit": None,  # a column of NULLs only
                "wip_mode": "soft",
                "is_done": n % 2 == 0,
                "created_at": start,
            }
            for n, board_id in enumerate(ids)
        ]
        insert_rows(session, COLUMN, columns)
        session.commit()
    with db.engine.connect() as conn:
        stored = {row.id: row for row in conn.execute(sa.select(BOARD))}
        placed = {row.board_id: row for row in conn.execute(sa.select(COLUMN))}
    for board_id, board in zip(ids, boards, strict=True):
        row = stored[board_id]
        assert (row.slug, row.name, row.description) == (
            board["slug"],
            board["name"],
            board["description"],
        )
        assert row.created_at == board["created_at"]
        column = placed[board_id]
        assert column.name == f"Column {ids.index(board_id)}" and column.wip_limit is None
        assert column.is_done == (ids.index(board_id) % 2 == 0)
    with db.session() as session:
        assert insert_returning_ids(session, BOARD, []) == []
