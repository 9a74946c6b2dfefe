"""The frames of board streams: each card event with the card's *tile*, rendered once a process,
and the board's layout (its columns) when it changes.

A tile is what the board shows of a card (its place, title, kind, priority, labels,
assignee, due date, checklist progress, and for fires the alert's status, severity,
occurrences, flaps and start): enough for every open board to update without asking for
the card again, about a quarter of the card's full JSON. The card page, which shows
everything, asks for its one card when an event names it.

Tiles are read with a few plain queries per batch of events (never per stream, no ORM
objects: on the session's connection): the card rows, their labels, their checklist
counts, and the facts other domains add (``TILE_FACTS``: the alerts domain adds
``alert``; boards imports no domain). The cards are named by their ids, as one parameter
(``app.core.db.among``: SQLAlchemy's ``in_`` rendered a placeholder per id, more than the
queries cost), planned for the batch at hand on PostgreSQL (``unprepared``). A subquery
of the log's range of ids would do without the list, but PostgreSQL planned it as a scan
of the whole label table, and SQLite went through the board's index of the whole log.

A tile is read once per batch, as it is at the read, so a card's first event in a batch
carries it and the card's later events in the same batch leave ``card`` out (an alert
storm brings a new card's ``card.created`` and ``alert.fired`` together): a board applies
the tile with the first, and a later event without ``card`` changes nothing it shows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.auth.models import User
from app.boards.models import Board, Card, CardLabel, CardStatus, ChecklistItem
from app.boards.schemas import BoardPublic, ColumnPublic
from app.boards.service import list_columns
from app.core.db import among, unprepared
from app.core.jsontext import dumps

# name → (session, sorted card ids) → {card id: value}; a card left out gets None.
TileFacts = Callable[[Session, Sequence[int]], dict[int, Any]]
TILE_FACTS: dict[str, TileFacts] = {}

# The tile's keys and the columns they show (rows are read by position: a row's
# attribute lookups cost more than the rest of a tile).
_TILE = (
    ("id", Card.id),
    ("board_id", Card.board_id),
    ("column_id", Card.column_id),
    ("title", Card.title),
    ("kind", Card.kind),
    ("priority", Card.priority),
    ("assignee_id", Card.assignee_id),
    ("assignee", User.name),
    ("due_at", Card.due_at),
    ("rank", Card.rank),
    ("version", Card.version),
    ("done_at", Card.done_at),
    ("archived_at", Card.archived_at),
)
_TILE_KEYS = tuple(key for key, _ in _TILE)
# A row of a query, read by position (a card event's, in the order of EVENT_KEYS).
EventRow = Sequence[Any]
# A card event's keys in a frame, in the order of the tail's query (tail._COLUMNS).
EVENT_KEYS = (
    "id", "board_id", "card_id", "type", "actor", "from_column_id", "to_column_id", "created_at",
)  # fmt: skip
_OPEN, _DONE, _ARCHIVED = CardStatus.open.value, CardStatus.done.value, CardStatus.archived.value


def tiles(session: Session, card_ids: Collection[int]) -> dict[int, dict[str, Any]]:
    """The tiles of these cards (a card that is gone has none)."""
    if not card_ids:
        return {}
    with unprepared(session):
        return _tiles(session, sorted(card_ids))


def _tiles(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    query = (
        select(*(col(column) for _, column in _TILE))
        .outerjoin(User, col(User.id) == col(Card.assignee_id))
        .where(among(session, col(Card.id), ids))
    )
    found: dict[int, dict[str, Any]] = {}
    for row in session.connection().execute(query):
        tile = dict(zip(_TILE_KEYS, row, strict=True))
        archived = tile.pop("archived_at")
        done = tile["done_at"] is not None
        tile["status"] = _ARCHIVED if archived is not None else _DONE if done else _OPEN
        tile["labels"] = []
        tile["checklist_done"] = tile["checklist_total"] = 0
        found[tile["id"]] = tile
    if not found:
        return found
    labels = (
        select(col(CardLabel.card_id), col(CardLabel.name))
        .where(among(session, col(CardLabel.card_id), ids))
        .order_by(col(CardLabel.name))
    )
    named: list[EventRow] = list(session.connection().execute(labels))
    for card_id, name in named:
        if card_id in found:  # on PostgreSQL each statement sees the latest commits
            found[card_id]["labels"].append(name)
    checklist = (
        select(
            col(ChecklistItem.card_id),
            func.count().label("total"),
            func.count(col(ChecklistItem.done_at)).label("done"),
        )
        .where(among(session, col(ChecklistItem.card_id), ids))
        .group_by(col(ChecklistItem.card_id))
    )
    counted: list[EventRow] = list(session.connection().execute(checklist))
    for card_id, total, ticked in counted:
        if card_id in found:
            found[card_id]["checklist_done"] = ticked
            found[card_id]["checklist_total"] = total
    for name, facts in TILE_FACTS.items():
        values = facts(session, ids)
        for card_id, tile in found.items():
            tile[name] = values.get(card_id)
    return found


def card_frame(row: EventRow, tile: bytes | None, *, carries: bool = True) -> bytes:
    """One card event's frame: its id is the event's, its data the event and the tile.

    ``tile`` is the tile's JSON, or None when the card is gone; without ``carries`` the
    data has no ``card`` (an earlier event of the batch carried it).
    """
    data = dict(zip(EVENT_KEYS, row, strict=True))
    if carries:
        data["card"] = None if tile is None else orjson.Fragment(tile)
    return b"id: %d\nevent: card\ndata: %s\n\n" % (data["id"], dumps(data))


def card_frames(session: Session, rows: Sequence[EventRow]) -> list[bytes]:
    """The frames of these card event rows, in their order. Each card's tile is read and
    written once: its first event carries it."""
    found = tiles(session, {row[2] for row in rows})
    carried: set[int] = set()
    frames: list[bytes] = []
    for row in rows:
        card_id = row[2]  # EVENT_KEYS
        if card_id in carried:
            frames.append(card_frame(row, None, carries=False))
            continue
        carried.add(card_id)
        tile = found.get(card_id)
        frames.append(card_frame(row, None if tile is None else dumps(tile)))
    return frames


# A board's layout: its fields and its columns, as GET /boards/{id} and /columns answer them.
# Its frame has no id: a reconnect gets the current layout first, whatever it missed.
BOARD_GONE = b"event: board\ndata: null\n\n"


def layout_versions(session: Session, board_ids: Collection[int]) -> dict[int, int]:
    """The layout version of each of these boards that still exists."""
    query = select(col(Board.id), col(Board.layout_version)).where(
        col(Board.id).in_(sorted(board_ids))
    )
    rows: list[EventRow] = list(session.connection().execute(query))
    return {board_id: version for board_id, version in rows}  # noqa: C416 - rows, not pairs


def board_frame(session: Session, board_id: int) -> tuple[int, bytes]:
    """The layout of a board as a ``board`` frame, with its version (-1: the board is gone)."""
    board = session.get(Board, board_id)
    if board is None:
        return -1, BOARD_GONE
    columns = list_columns(session, board_id=board_id)
    data = BoardPublic.model_validate(board).model_dump(mode="json")
    data["columns"] = [ColumnPublic.model_validate(c).model_dump(mode="json") for c in columns]
    return board.layout_version, b"event: board\ndata: %s\n\n" % dumps(data)
