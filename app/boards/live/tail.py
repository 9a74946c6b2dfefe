"""One tail of the ``card_event`` log per server process, fanned out to its board streams.

The log is already ordered and shared by every process that writes (HTTP processes, the
ingest writer, replicas, workers), so a process follows it by id instead of hearing events
in memory: what another process commits reaches this one's browsers too, and a browser
resumes by the last id it saw. Nothing is added to the writers' transactions but, on
PostgreSQL, one NOTIFY per transaction from a statement trigger (never card snapshots).

The tail hands events out strictly in id order and only past a *watermark*: every id at or
below it has been handed out or will never appear. Ids are taken when rows are inserted, not
when they commit, so on PostgreSQL id 11 may be visible before id 10, whose transaction is
still running (or rolled back, leaving a hole for good). Rows past such a hole wait until the
hole is settled: every transaction that was running when it was noticed has ended
(``pg_current_snapshot()``), or ``_HOLE_SECONDS`` passed. On SQLite one writer at a time
takes ids and commits, so there are no holes to wait for.

A stream registers with the tail (``subscribe``), gets every event of its board past the
watermark it registered at, and reads older ones itself (``read_board``, for Last-Event-ID).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Row, func, select, text
from sqlmodel import Session, col

from app.boards.models import Card, CardEvent
from app.boards.schemas import CardPublic
from app.core.db import Database

logger = logging.getLogger("firelane.live")

CHANNEL = "firelane_card_event"
_BATCH = 1000
_HOLE_SECONDS = 30.0
_COLUMNS = tuple(
    col(column)
    for column in (
        CardEvent.id,
        CardEvent.board_id,
        CardEvent.card_id,
        CardEvent.type,
        CardEvent.actor,
        CardEvent.from_column_id,
        CardEvent.to_column_id,
        CardEvent.created_at,
    )
)


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One card event as a ready server-sent-event frame (rendered once for all streams)."""

    id: int
    frame: bytes


@dataclass(frozen=True, slots=True)
class CatchUp:
    """Read this board's events up to ``upto`` from the log (they were not handed out)."""

    upto: int


@dataclass(eq=False)
class Subscription:
    """What one stream receives; filled from the tail's thread, drained by the stream."""

    board_id: int
    start: int
    size: int
    loop: asyncio.AbstractEventLoop
    generation: int
    items: deque[LiveEvent | CatchUp] = field(default_factory=deque)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    overflowed: bool = False

    def push(self, batch: Sequence[LiveEvent | CatchUp]) -> None:
        """Add a batch (in the stream's event loop); too far behind, it must resync."""
        self.items.extend(batch)
        if len(self.items) > self.size:
            self.items.clear()
            self.overflowed = True
        self.ready.set()

    def take(self) -> list[LiveEvent | CatchUp]:
        batch = list(self.items)
        self.items.clear()
        self.ready.clear()
        return batch


@dataclass
class _Hole:
    noticed: float
    xmax: int | None


def render(session: Session, rows: Sequence[Row[Any]]) -> list[LiveEvent]:
    """Turn card event rows into frames, each with its card as it is now (null when gone)."""
    card_ids = {row.card_id for row in rows}
    cards: dict[int, Any] = {}
    if card_ids:
        for card in session.execute(select(Card).where(col(Card.id).in_(card_ids))).scalars():
            cards[card.id] = CardPublic.model_validate(card).model_dump(mode="json")
    events: list[LiveEvent] = []
    for row in rows:
        data = {
            "id": row.id,
            "type": row.type,
            "card_id": row.card_id,
            "board_id": row.board_id,
            "actor": row.actor,
            "from_column_id": row.from_column_id,
            "to_column_id": row.to_column_id,
            "created_at": row.created_at.isoformat(),
            "card": cards.get(row.card_id),
        }
        frame = b"id: %d\nevent: card\ndata: %s\n\n" % (row.id, orjson.dumps(data))
        events.append(LiveEvent(row.id, frame))
    return events


def read_board(
    session: Session, *, board_id: int, after: int, upto: int, limit: int
) -> list[Row[Any]] | None:
    """A board's events with ``after`` < id ≤ ``upto``, or None when there are over ``limit``."""
    query = (
        select(*_COLUMNS)
        .where(col(CardEvent.board_id) == board_id)
        .where(col(CardEvent.id) > after, col(CardEvent.id) <= upto)
        .order_by(col(CardEvent.id))
        .limit(limit + 1)
    )
    rows = list(session.execute(query).all())
    return None if len(rows) > limit else rows


class Tail:
    """Follow the log in a thread of its own, started by the first stream of the process."""

    def __init__(self, db: Database, *, poll_seconds: float) -> None:
        self._db = db
        self._poll = poll_seconds
        self._postgres = db.dialect == "postgresql"
        self._lock = threading.Lock()
        self._subscriptions: dict[int, set[Subscription]] = {}
        self._watermark: int | None = None
        self._generation = 0
        self._holes: dict[int, _Hole] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def watermark(self) -> int | None:
        return self._watermark

    def subscribe(
        self, board_id: int, *, size: int, loop: asyncio.AbstractEventLoop
    ) -> Subscription:
        """Register a stream fed in ``loop`` (blocking: call it from a worker thread)."""
        with self._lock:
            if self._watermark is None:
                with self._db.session(readonly=True) as session:
                    top = session.execute(select(func.max(CardEvent.id))).scalar()
                self._watermark = int(top or 0)
            self._generation += 1
            subscription = Subscription(board_id, self._watermark, size, loop, self._generation)
            self._subscriptions.setdefault(board_id, set()).add(subscription)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="firelane-live", daemon=True)
                self._thread.start()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            streams = self._subscriptions.get(subscription.board_id)
            if streams is not None:
                streams.discard(subscription)
                if not streams:
                    del self._subscriptions[subscription.board_id]

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- the thread ------------------------------------------------------------------

    def _run(self) -> None:
        listener = self._listen() if self._postgres else None
        try:
            while not self._stopping.is_set():
                with self._lock:
                    if not self._subscriptions:  # nobody watches: stop costing anything
                        self._thread = None
                        self._watermark = None
                        self._holes = {}
                        return
                try:
                    self._cycle()
                except Exception as exc:  # the database may be restarting: keep following
                    logger.warning("live tail: reading the card event log failed: %s", exc)
                    self._stopping.wait(1.0)
                listener = self._wait(listener)
        finally:
            if listener is not None:
                listener.close()

    def _listen(self) -> Any:
        import psycopg

        url = self._db.engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        try:
            connection = psycopg.connect(conninfo, autocommit=True)
            connection.execute(f"LISTEN {CHANNEL}")
        except Exception as exc:
            logger.warning("live tail: LISTEN failed (%s); polling until it works", exc)
            return None
        return connection

    def _wait(self, listener: Any) -> Any:
        """Wait for a NOTIFY or the poll interval; answer the listener to use next."""
        if listener is None or self._holes:
            self._stopping.wait(self._poll)
            return listener if listener is not None or not self._postgres else self._listen()
        try:
            # Woken by the first NOTIFY; the timeout is a fallback and lets stop() be heard.
            for _ in listener.notifies(timeout=1.0, stop_after=1):
                pass
        except Exception as exc:
            logger.warning("live tail: LISTEN connection lost (%s); reconnecting", exc)
            listener.close()
            self._stopping.wait(1.0)
            return None
        return listener

    def _cycle(self) -> None:
        with self._lock:
            watermark = self._watermark
            generation = self._generation
            boards = set(self._subscriptions)
        if watermark is None:
            return
        with self._db.session(readonly=True) as session:
            query = (
                select(*_COLUMNS)
                .where(col(CardEvent.id) > watermark)
                .order_by(col(CardEvent.id))
                .limit(_BATCH)
            )
            rows = list(session.execute(query).all())
            handed: list[Row[Any]] = []
            expected = watermark + 1
            for row in rows:
                if row.id != expected and not self._settled(session, expected):
                    break
                handed.append(row)
                expected = row.id + 1
            if not handed:
                return
            self._holes = {start: hole for start, hole in self._holes.items() if start > expected}
            frames = render(session, [row for row in handed if row.board_id in boards])
        by_board: dict[int, list[LiveEvent]] = {}
        board_of = {row.id: row.board_id for row in handed}
        for event in frames:
            by_board.setdefault(board_of[event.id], []).append(event)
        top = handed[-1].id
        with self._lock:
            self._watermark = top
            for board_id, streams in self._subscriptions.items():
                batch: list[LiveEvent | CatchUp] = list(by_board.get(board_id, ()))
                for stream in streams:
                    if stream.generation > generation:
                        # Registered while this batch was read: it reads the batch itself.
                        stream.loop.call_soon_threadsafe(stream.push, [CatchUp(top)])
                    elif batch:
                        stream.loop.call_soon_threadsafe(stream.push, batch)

    def _settled(self, session: Session, start: int) -> bool:
        """Whether the ids from ``start`` up to the next visible row will never appear."""
        if not self._postgres:
            return True
        hole = self._holes.get(start)
        if hole is None:
            xmax = session.execute(text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text"))
            self._holes[start] = _Hole(time.monotonic(), int(xmax.scalar_one()))
            return False
        if time.monotonic() - hole.noticed > _HOLE_SECONDS:
            logger.warning("live tail: card event %d never committed; passing it", start)
            return True
        xmin = session.execute(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text"))
        return hole.xmax is not None and int(xmin.scalar_one()) >= hole.xmax
