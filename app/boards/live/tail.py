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

What a stream costs is kept apart from what an event costs. Each read of the log renders
each board's new events once, as one ``Batch`` of bytes that all of the board's streams
share; the streams of one event loop are handed their batches by one wake-up of that loop;
and while events keep coming (an alert storm), reads are at least ``coalesce_seconds``
apart, so a stream wakes and writes a few times a second however many transactions commit.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlmodel import Session, col

from app.boards.live.frames import EventRow, board_frame, card_frames, layout_versions
from app.boards.models import CardEvent
from app.core.db import Database

logger = logging.getLogger("firelane.live")

CHANNEL = "firelane_card_event"
_BATCH = 1000
_HOLE_SECONDS = 30.0
# A resume reads the log's ids in its gap, every board's: past this many, it resyncs.
_GAP = 200_000
# In the order of frames.EVENT_KEYS.
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
class Batch:
    """A board's new events from one read of the log, their frames joined once for all."""

    events: tuple[LiveEvent, ...]
    joined: bytes

    @property
    def first(self) -> int:
        return self.events[0].id

    @property
    def last(self) -> int:
        return self.events[-1].id


@dataclass(frozen=True, slots=True)
class CatchUp:
    """Read this board's events up to ``upto`` from the log (they were not handed out)."""

    upto: int


@dataclass(frozen=True, slots=True)
class Layout:
    """A board's layout (its columns) as a ``board`` frame; version -1: the board is gone."""

    version: int
    frame: bytes


Item = Batch | CatchUp | Layout


@dataclass(eq=False)
class Subscription:
    """What one stream receives; filled from the tail's thread, drained by the stream."""

    board_id: int
    start: int
    size: int
    loop: asyncio.AbstractEventLoop
    generation: int
    items: list[Item] = field(default_factory=list)
    pending: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    overflowed: bool = False

    def push(self, batch: Sequence[Item]) -> None:
        """Add items (in the stream's event loop); too far behind, it must resync."""
        self.items.extend(batch)
        self.pending += sum(len(item.events) for item in batch if isinstance(item, Batch))
        if self.pending > self.size:
            self.items.clear()
            self.overflowed = True
        self.ready.set()

    def take(self) -> list[Item]:
        batch, self.items, self.pending = self.items, [], 0
        self.ready.clear()
        return batch


def _deliver(pairs: Sequence[tuple[Subscription, list[Item]]]) -> None:
    for subscription, items in pairs:
        subscription.push(items)


@dataclass
class _Hole:
    noticed: float
    xmax: int | None


def render(session: Session, rows: Sequence[EventRow]) -> list[LiveEvent]:
    """Turn card event rows into frames (see frames.py)."""
    frames = card_frames(session, rows)
    return [LiveEvent(row[0], frame) for row, frame in zip(rows, frames, strict=True)]


def read_board(
    session: Session, *, board_id: int, after: int, upto: int, limit: int
) -> list[EventRow] | None:
    """A board's events with ``after`` < id ≤ ``upto``, or None when there are over ``limit``
    (or the gap spans over ``_GAP`` ids of all boards: reloading the board is cheaper)."""
    if upto - after > _GAP:
        return None
    query = (
        select(*_COLUMNS)
        # ``+ 0``: through the log's key, the range at hand; by the board's index, SQLite
        # read the board's whole history for every resume.
        .where(col(CardEvent.board_id) + 0 == board_id)
        .where(col(CardEvent.id) > after, col(CardEvent.id) <= upto)
        .order_by(col(CardEvent.id))
        .limit(limit + 1)
    )
    rows: list[EventRow] = list(session.connection().execute(query))
    return None if len(rows) > limit else rows


class Tail:
    """Follow the log in a thread of its own, started by the first stream of the process."""

    def __init__(self, db: Database, *, poll_seconds: float, coalesce_seconds: float) -> None:
        self._db = db
        self._poll = poll_seconds
        self._coalesce = coalesce_seconds
        self._postgres = db.dialect == "postgresql"
        self._lock = threading.Lock()
        self._subscriptions: dict[int, set[Subscription]] = {}
        self._watermark: int | None = None
        self._generation = 0
        self._holes: dict[int, _Hole] = {}
        self._layouts: dict[int, int] = {}  # board → the layout version last handed out
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
        handed = False
        try:
            while not self._stopping.is_set():
                with self._lock:
                    if not self._subscriptions:  # nobody watches: stop costing anything
                        self._thread = None
                        self._watermark = None
                        self._holes = {}
                        self._layouts = {}
                        return
                try:
                    handed = self._cycle()
                except Exception as exc:  # the database may be restarting: keep following
                    logger.warning("live tail: reading the card event log failed: %s", exc)
                    self._stopping.wait(1.0)
                listener = self._wait(listener, busy=handed)
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

    def _wait(self, listener: Any, *, busy: bool) -> Any:
        """Wait for a NOTIFY or the poll interval; answer the listener to use next.

        After a read that handed events out, wait ``coalesce_seconds`` and read again
        whatever the notifications say: in a storm every transaction notifies, and the
        streams would otherwise wake for each one.
        """
        if listener is None or self._holes or busy:
            self._stopping.wait(self._poll if listener is None or self._holes else self._coalesce)
            if listener is None:
                return None if not self._postgres else self._listen()
            return self._drain(listener)
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

    def _drain(self, listener: Any) -> Any:
        """Forget the notifications that came while waiting: the next read covers them."""
        try:
            for _ in listener.notifies(timeout=0):
                pass
        except Exception as exc:
            logger.warning("live tail: LISTEN connection lost (%s); reconnecting", exc)
            listener.close()
            return None
        return listener

    def _cycle(self) -> bool:
        """Read the log past the watermark, and the layouts; hand out what changed.

        Answer whether card events came (a storm: the next read waits to coalesce).
        """
        with self._lock:
            watermark = self._watermark
            generation = self._generation
            boards = set(self._subscriptions)
        if watermark is None:
            return False
        with self._db.session(readonly=True) as session:
            if self._postgres:
                # One snapshot for the log's rows and the check of their holes: READ
                # COMMITTED takes one per statement, and a hole whose transaction committed
                # between the two would be passed without its row, for good.
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            handed = self._read(session, watermark)
            watched = [row for row in handed if row[1] in boards]
            events = render(session, watched)
            # After the log: a column made before a card moved into it is seen by now.
            layouts = self._relayouts(session, boards)
        if not handed and not layouts:
            return False
        by_board: dict[int, list[LiveEvent]] = {}
        for row, event in zip(watched, events, strict=True):
            by_board.setdefault(row[1], []).append(event)
        batches = {
            board_id: Batch(tuple(items), b"".join(item.frame for item in items))
            for board_id, items in by_board.items()
        }
        top = handed[-1][0] if handed else watermark
        deliveries: dict[asyncio.AbstractEventLoop, list[tuple[Subscription, list[Item]]]] = {}
        with self._lock:
            self._watermark = top
            for board_id, streams in self._subscriptions.items():
                layout = layouts.get(board_id)
                batch = batches.get(board_id)
                for stream in streams:
                    items: list[Item] = [] if layout is None else [layout]
                    if stream.generation > generation and board_id not in boards:
                        # Registered while this batch was read, for a board it did not
                        # render: the stream reads its share itself.
                        items.append(CatchUp(top))
                    elif batch is not None:
                        items.append(batch)
                    if items:
                        deliveries.setdefault(stream.loop, []).append((stream, items))
        for loop, pairs in deliveries.items():  # one wake-up per event loop, not per stream
            try:
                loop.call_soon_threadsafe(_deliver, pairs)
            except RuntimeError:  # the loop has closed: its streams are gone
                continue
        return bool(handed)

    def _read(self, session: Session, watermark: int) -> list[EventRow]:
        """The log's rows past the watermark that can be handed out (none past a hole)."""
        query = (
            select(*_COLUMNS)
            .where(col(CardEvent.id) > watermark)
            .order_by(col(CardEvent.id))
            .limit(_BATCH)
        )
        rows: list[EventRow] = list(session.connection().execute(query))
        handed: list[EventRow] = []
        expected = watermark + 1
        for row in rows:
            if row[0] != expected and not self._settled(session, expected):
                break
            handed.append(row)
            expected = row[0] + 1
        if handed:
            self._holes = {start: hole for start, hole in self._holes.items() if start > expected}
        return handed

    def _relayouts(self, session: Session, boards: set[int]) -> dict[int, Layout]:
        """The layouts of the watched boards whose version moved since last handed out."""
        versions = layout_versions(session, boards) if boards else {}
        changed: dict[int, Layout] = {}
        for board_id in boards:
            version = versions.get(board_id, -1)
            if self._layouts.get(board_id) != version:
                changed[board_id] = Layout(*board_frame(session, board_id))
        self._layouts = {board_id: versions.get(board_id, -1) for board_id in boards}
        return changed

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
