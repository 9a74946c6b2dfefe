"""Bulk inserts: every row stored as given, and the ids handed back in the rows' order."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa

from app.boards.models import Board, BoardColumn, Card, CardEvent
from app.core.db import Database
from app.core.rows import insert_returning_ids, insert_rows, reserve_ids

BOARD = Board.__table__  # type: ignore[attr-defined]
COLUMN = BoardColumn.__table__  # type: ignore[attr-defined]
EVENT = CardEvent.__table__  # type: ignore[attr-defined]


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


def test_bulk_rows_store_times_and_json_as_the_orm_does(db: Database) -> None:
    """Times compare as text on SQLite: bulk rows must store exactly what the ORM stores."""
    start = datetime(2026, 3, 29, 1, 30, 0, tzinfo=UTC)  # microsecond 0, then not
    other = datetime(2026, 3, 29, 3, 30, 0, 123, tzinfo=timezone(timedelta(hours=2)))
    documents = [
        {"title": 'Disk full on wéb-3 🔥 "quoted"', "labels": {"severity": "critical"}},
        {},
        {"n": [1, 2.5, None, True]},
    ]
    with db.session() as session:
        board_id = insert_returning_ids(
            session,
            BOARD,
            [
                {
                    "name": "B",
                    "slug": "b",
                    "description": "",
                    "created_at": start,
                    "updated_at": other,
                }
            ],
        )[0]
        column_id = insert_returning_ids(
            session,
            COLUMN,
            [
                {
                    "board_id": board_id,
                    "name": "C",
                    "position": 0,
                    "wip_mode": "soft",
                    "is_done": False,
                    "created_at": start,
                }
            ],
        )[0]
        card = Card(board_id=board_id, column_id=column_id, title="t", rank="a0")
        session.add(card)
        session.flush()
        rows = [
            {
                "card_id": card.id,
                "board_id": board_id,
                "type": "t",
                "actor": "system",
                "changes": document,
                "data": document,
                "created_at": at,
            }
            for document, at in zip(documents, [start, other, start], strict=True)
        ]
        insert_rows(session, EVENT, rows)
        for row in rows:
            session.add(CardEvent(**row))
        session.commit()
    with db.engine.connect() as conn:
        raw = conn.execute(
            sa.text("SELECT CAST(created_at AS TEXT), data, changes FROM card_event ORDER BY id")
        ).all()
        parsed = conn.execute(sa.select(EVENT.c.created_at, EVENT.c.data)).all()
    bulk, orm = raw[:3], raw[3:]
    # Same stored text for times (SQLite compares them as text); equal JSON documents.
    assert [r[0] for r in bulk] == [r[0] for r in orm]

    def document(value: object) -> object:  # JSON text on SQLite, parsed on PostgreSQL
        return json.loads(value) if isinstance(value, str) else value

    assert [document(r[1]) for r in bulk] == [document(r[1]) for r in orm] == documents
    assert [row.created_at for row in parsed[:3]] == [start, other, start]
    assert [row.data for row in parsed[:3]] == documents


def test_reserved_ids_are_taken_in_row_order_and_the_rows_stored_with_them(
    db: Database,
) -> None:
    """``reserve_ids`` draws several tables' ids with one statement; the INSERTs after it
    take them (on PostgreSQL queued: nothing is sent until the commit) and store the rows
    under them. More rows than were reserved: the INSERT draws its own, as without."""
    sent: list[str] = []

    def record(*args: object) -> None:
        sent.append(str(args[2]))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    start = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    boards = [
        {"name": f"R{n}", "slug": f"r-{n}", "description": "", "created_at": start}
        | {"updated_at": start}
        for n in range(3)
    ]
    try:
        with db.session() as session:
            session.execute(sa.select(sa.literal(1)))
            sent.clear()
            reserve_ids(session, [(BOARD, 2), (COLUMN, 1), (EVENT, 0)])
            reserved = len(sent)
            first = insert_returning_ids(session, BOARD, boards[:2])
            column = {"board_id": first[0], "name": "C", "position": 0, "wip_limit": None}
            column |= {"wip_mode": "soft", "is_done": False, "created_at": start}
            (column_id,) = insert_returning_ids(session, COLUMN, [column])
            if db.dialect == "postgresql":
                assert reserved == 1 and len(sent) == 1  # the INSERTs wait for the commit
            else:
                assert reserved == 0  # SQLite draws nothing ahead
            (third,) = insert_returning_ids(session, BOARD, boards[2:])  # none left: drawn
            session.commit()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert first == sorted(first) and third > first[-1]
    with db.engine.connect() as conn:
        slugs = dict(conn.execute(sa.select(BOARD.c.id, BOARD.c.slug)).all())
        columns = conn.execute(sa.select(COLUMN.c.id, COLUMN.c.board_id)).all()
    assert slugs == {first[0]: "r-0", first[1]: "r-1", third: "r-2"}
    assert [tuple(row) for row in columns] == [(column_id, first[0])]
