"""Open many cards at once, for units of work that make cards in bulk (alert storms).

``open_cards`` does for a list of cards what ``cards.new_card`` does for each in turn, with
the same result: the same rows, the same ``card.created`` events in the same order with the
same snapshots, the same rank keys, the same hard WIP limits. It costs a few statements per
batch instead of about ten per card: the boards' columns are read once; each column a card
goes to is locked, counted and ranked once (cards on top of a column without a hard WIP
limit need no lock: ``rank.TopKeys``); cards, labels, events and links go in with one
INSERT each. No ORM objects are made: each card comes back as an ``OpenedCard`` that renders
its own snapshot. Soft WIP limits give no warnings here (nobody reads them in bulk).
Flushes the session first; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlmodel import Session

from app.boards import rank
from app.boards.activity import Actor, Entry, actor_fields, card_json, write_events
from app.boards.exceptions import ColumnNotFound, WipLimitReached
from app.boards.models import CARD_ROW, BoardColumn, CardKind, CardLabel, CardLink, Priority
from app.core.clock import now
from app.core.jsontext import Document, amend
from app.core.rows import insert_returning_ids, insert_rows

_CARD = CARD_ROW.table
_LABEL = CardLabel.__table__  # type: ignore[attr-defined]
_LINK = CardLink.__table__  # type: ignore[attr-defined]
_COLUMN = BoardColumn.__table__  # type: ignore[attr-defined]

# Built once: a batch runs each of them, and building a statement costs more than running it.
# Each column with the key of its top card: what cards placed on top without the column's
# lock go above (read with the columns: a statement less per batch).
_TOP_OF_COLUMN = (
    select(_CARD.c.rank)
    .where(_CARD.c.column_id == _COLUMN.c.id, _CARD.c.archived_at.is_(None))
    .order_by(_CARD.c.rank)
    .limit(1)
    .scalar_subquery()
)
_BOARD_COLUMNS = (
    select(
        _COLUMN.c.id,
        _COLUMN.c.board_id,
        _COLUMN.c.position,
        _COLUMN.c.is_done,
        _COLUMN.c.name,
        _COLUMN.c.wip_limit,
        _COLUMN.c.wip_mode,
        _TOP_OF_COLUMN,
    )
    .where(_COLUMN.c.board_id.in_(bindparam("boards", expanding=True)))
    .order_by(_COLUMN.c.board_id, _COLUMN.c.position, _COLUMN.c.id)
)
_LOCK_COLUMN = (
    select(
        _COLUMN.c.name,
        _COLUMN.c.position,
        _COLUMN.c.wip_limit,
        _COLUMN.c.wip_mode,
        _COLUMN.c.is_done,
    )
    .where(_COLUMN.c.id == bindparam("column_id"), _COLUMN.c.board_id == bindparam("board_id"))
    .with_for_update()
)
# This process's keys for cards placed on top of a column without its lock.
TOP_KEYS = rank.TopKeys()
_IN_COLUMN = (_CARD.c.column_id == bindparam("column_id")) & _CARD.c.archived_at.is_(None)
_HELD = select(func.count()).select_from(_CARD).where(_IN_COLUMN)
_TOP_RANK = select(_CARD.c.rank).where(_IN_COLUMN).order_by(_CARD.c.rank).limit(1)
_BOTTOM_RANK = select(_CARD.c.rank).where(_IN_COLUMN).order_by(_CARD.c.rank.desc()).limit(1)


@dataclass(slots=True)
class CardSpec:
    """One card to open: what ``new_card`` takes, less what system-made cards never have."""

    board_id: int
    actor: Actor
    title: str
    column_id: int | None = None  # None: the board's first column
    description: str = ""
    kind: CardKind = CardKind.project
    priority: Priority = Priority.medium
    labels: list[str] = field(default_factory=list)
    # Links to other cards as (target card id, kind), made after the card.created event.
    links: list[tuple[int, str]] = field(default_factory=list)


@dataclass(slots=True)
class OpenedCard:
    """A card as ``open_cards`` wrote it."""

    values: dict[str, Any]
    labels: list[str]
    links: list[dict[str, Any]] = field(default_factory=list)
    # The card.created event's snapshot, kept: later snapshots differ only in links and alert.
    created: Document | None = None

    @property
    def id(self) -> int:
        card_id: int = self.values["id"]
        return card_id

    @property
    def column_id(self) -> int:
        column_id: int = self.values["column_id"]
        return column_id

    def snapshot(self, *, alert: dict[str, Any] | None = None) -> Document:
        """The card as ``CardPublic`` renders it, while nothing else has changed it.

        ``alert``: the card's ``alert`` object, made of JSON's types (times as text).
        """
        if self.created is None:
            self.created = card_json(
                self.values, labels=self.labels, assignee=None, checklist=[], links=[], alert=None
            )
        if alert is None and not self.links:
            return self.created
        # The links are made after the card.created event; the rest is as it was then.
        return amend(self.created, {"links": self.links, "alert": alert})

    def created_snapshot(self) -> Document:
        """The card as its ``card.created`` event shows it: before its links."""
        if self.created is None:
            self.snapshot()
        assert self.created is not None
        return self.created


@dataclass(slots=True)
class _Column:
    id: int
    board_id: int
    name: str
    position: int
    wip_limit: int | None
    wip_mode: str
    is_done: bool
    held: int | None = None  # cards in it (not archived), hard limits only
    edge: str | None = None  # its top card's key, as read with it (unlocked columns)
    placed: list[int] = field(default_factory=list)  # indices of the specs it takes
    unlocked: bool = False  # cards go on top of it without its lock (``TOP_KEYS``)

    def has_no_limit(self) -> bool:
        """No hard WIP limit: nothing to count before placing a card in it."""
        return self.wip_limit is None or self.wip_mode != "hard"

    def has_room(self) -> bool:
        if self.has_no_limit():
            return True
        assert self.held is not None and self.wip_limit is not None
        return self.held + 1 <= self.wip_limit

    def full(self) -> WipLimitReached:
        return WipLimitReached(
            f"Column {self.name!r} holds {self.held} card(s) and its hard WIP limit is "
            f"{self.wip_limit}.",
            column_id=self.id,
            wip_limit=self.wip_limit,
        )


class _Planner:
    """Decide each card's column in order, as ``new_card`` one after another would."""

    def __init__(self, session: Session, board_ids: list[int], *, top: bool) -> None:
        self.session = session
        self.top = top
        query = session.execute(_BOARD_COLUMNS, {"boards": board_ids})
        self.boards: dict[int, list[tuple[int, int, bool]]] = {
            board_id: [] for board_id in board_ids
        }
        # As read, unlocked: what a column on top of which cards go without its lock needs.
        self.read: dict[int, _Column] = {}
        for column_id, board_id, position, is_done, name, wip_limit, wip_mode, top_key in query:
            self.boards[board_id].append((column_id, position, is_done))
            self.read[column_id] = _Column(
                column_id, board_id, name, position, wip_limit, wip_mode, is_done, edge=top_key
            )
        self.columns: dict[int, _Column] = {}

    def first_position(self, board_id: int) -> int:
        columns = self.boards[board_id]
        return min(position for _, position, _ in columns) if columns else 0

    def _use(self, column_id: int, board_id: int) -> _Column:
        """Lock a column the first time a card goes to it, and read what placing needs.

        Cards on top of a column without a hard WIP limit need no lock (``TOP_KEYS``):
        nothing is counted, and their keys cannot collide with another transaction's.
        """
        found = self.columns.get(column_id)
        if found is not None:
            if found.board_id != board_id:
                raise ColumnNotFound()
            return found
        read = self.read.get(column_id)
        if read is not None and read.board_id == board_id and self.top and read.has_no_limit():
            read.unlocked = True
            self.columns[column_id] = read
            return read
        at = {"column_id": column_id, "board_id": board_id}
        row = self.session.execute(_LOCK_COLUMN, at).first()
        if row is None:
            raise ColumnNotFound()
        column = _Column(column_id, board_id, *row)
        if not column.has_no_limit():
            column.held = int(self.session.execute(_HELD, at).scalar_one())
        self.columns[column_id] = column
        return column

    def place(self, index: int, spec: CardSpec, *, overflow: bool) -> _Column:
        board = self.boards[spec.board_id]
        if spec.column_id is None:
            if not board:
                raise ColumnNotFound("The board has no columns.")
            target_id = board[0][0]
        else:
            target_id = spec.column_id
        column = self._use(target_id, spec.board_id)
        if not column.has_room():
            if not overflow:
                raise column.full()
            column = self._overflow(spec.board_id, target_id, refusal=column.full())
        if column.held is not None:
            column.held += 1
        column.placed.append(index)
        return column

    def _overflow(self, board_id: int, target_id: int, *, refusal: WipLimitReached) -> _Column:
        """The next open column with room after a full one (a card that must not be refused)."""
        for other_id, _, is_done in self.boards[board_id]:
            if is_done or other_id == target_id:
                continue
            other = self._use(other_id, board_id)
            if other.has_room():
                return other
        raise refusal

    def ranks(self) -> dict[int, str]:
        """Give each placed card its key: on top (the newest first) or at the bottom."""
        keys: dict[int, str] = {}
        for column in self.columns.values():
            if not column.placed:
                continue
            if column.unlocked:  # its top card's key was read with it
                issued = TOP_KEYS.issue(column.id, column.edge, len(column.placed))
                keys.update(zip(column.placed, issued, strict=True))
                continue
            query = _TOP_RANK if self.top else _BOTTOM_RANK
            edge = self.session.execute(query, {"column_id": column.id}).scalar()
            # Key by key, as new_card one after another: each new card next to the last one.
            for index in column.placed:
                edge = rank.between(None, edge) if self.top else rank.between(edge, None)
                keys[index] = edge
        return keys


def open_cards(
    session: Session,
    specs: Sequence[CardSpec],
    *,
    top: bool = False,
    overflow: bool = False,
    created: list[Entry] | None = None,
) -> list[OpenedCard]:
    """Insert cards and their ``card.created`` events, in order; flushes, the caller commits.

    ``created``: the ``card.created`` events are appended to it instead of written, for
    the caller to write with ``write_events`` before any other event of these cards
    (with its own, in one INSERT).

    ``overflow``: a card whose column's hard WIP limit is reached goes to the next open
    (not done) column of its board with room, in board order; if none has room, the first
    column's ``WipLimitReached`` is raised. Without it, that error is raised at once.
    Nothing is written when an error is raised.
    """
    if not specs:
        return []
    session.flush()  # moves and archives of this transaction count before ranking
    planner = _Planner(session, sorted({spec.board_id for spec in specs}), top=top)
    columns = [planner.place(index, spec, overflow=overflow) for index, spec in enumerate(specs)]
    keys = planner.ranks()
    firsts = {board_id: planner.first_position(board_id) for board_id in planner.boards}
    rows: list[dict[str, Any]] = []
    for index, (spec, column) in enumerate(zip(specs, columns, strict=True)):
        stamp = now()
        rows.append(
            CARD_ROW.row(
                board_id=spec.board_id,
                column_id=column.id,
                title=spec.title,
                description=spec.description,
                kind=CardKind(spec.kind).value,
                priority=Priority(spec.priority).value,
                created_by_id=actor_fields(spec.actor)[1],
                rank=keys[index],
                created_at=stamp,
                updated_at=stamp,
                started_at=stamp if column.position != firsts[spec.board_id] else None,
                done_at=stamp if column.is_done else None,
            )
        )
    opened: list[OpenedCard] = []
    for row, card_id, spec in zip(
        rows, insert_returning_ids(session, _CARD, rows), specs, strict=True
    ):
        row["id"] = card_id
        opened.append(OpenedCard(values=row, labels=sorted(set(spec.labels))))
    labels = [{"card_id": card.id, "name": name} for card in opened for name in card.labels]
    insert_rows(session, _LABEL, labels)
    entries = [
        Entry(
            card_id=card.id,
            board_id=spec.board_id,
            type="card.created",
            actor=spec.actor,
            card=card.created_snapshot,
            to_column_id=card.column_id,
        )
        for card, spec in zip(opened, specs, strict=True)
    ]
    if created is None:
        write_events(session, entries)
    else:
        created += entries
    links: list[dict[str, Any]] = []
    for card, spec in zip(opened, specs, strict=True):
        for target_card_id, kind in spec.links:
            if any(
                link["target_card_id"] == target_card_id and link["kind"] == kind
                for link in card.links
            ):
                continue
            card.links.append({"target_card_id": target_card_id, "kind": kind})
            links.append(
                {
                    "card_id": card.id,
                    "target_card_id": target_card_id,
                    "kind": kind,
                    "created_at": now(),
                }
            )
    insert_rows(session, _LINK, links)
    return opened
