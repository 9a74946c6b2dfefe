"""A board's server-sent-event stream: resume by Last-Event-ID, then live from the tail.

Frames: ``ready`` once (its id is where the stream starts, so a reconnect without any card
event in between still resumes), ``board`` right after it and whenever the board or its
columns change (data = the board as ``GET /boards/{id}`` answers it, with its
``layout_version``, and ``columns`` as ``GET /boards/{id}/columns`` answers them; ``null``
when the board is deleted; no id, so it does not move Last-Event-ID), ``card`` per card
event (its id is the ``card_event`` id; data = the event and the card's tile as it is now,
``null`` when deleted: see frames.py), ``resync`` when the browser must reload the board
(its gap is too long, or it fell too far behind), and a heartbeat (a comment line, then a
``heartbeat`` event that the page's watchdog can hear). The stream ends after
``max_seconds``; the browser reconnects.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from functools import partial

import orjson
from anyio import to_thread
from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from app.boards.live.config import StreamSettings, get_stream_settings
from app.boards.live.frames import board_frame
from app.boards.live.tail import (
    Batch,
    CatchUp,
    Layout,
    LiveEvent,
    Subscription,
    Tail,
    read_board,
    render,
)
from app.core.db import Database, get_database

HEADERS = {
    "Cache-Control": "no-cache",
    # nginx and others buffer responses unless told not to; a buffered stream is a dead one.
    "X-Accel-Buffering": "no",
}
_RESYNC = b"event: resync\ndata: {}\n\n"
# A comment for proxies and tools, and an event for the page (comments reach no script).
_HEARTBEAT = b": heartbeat\nevent: heartbeat\ndata: {}\n\n"


def parse_last_event_id(value: str | None) -> int | None:
    """The id a browser resumes from; anything that is not one makes it start afresh."""
    if value is None or not value.strip().isdigit() or len(value.strip()) > 18:
        return None
    return int(value.strip())


def _layout(db: Database, board_id: int) -> tuple[int, bytes]:
    with db.session(readonly=True) as session:
        return board_frame(session, board_id)


def _catch_up(
    db: Database, *, board_id: int, after: int, upto: int, limit: int
) -> list[LiveEvent] | None:
    with db.session(readonly=True) as session:
        rows = read_board(session, board_id=board_id, after=after, upto=upto, limit=limit)
        return None if rows is None else render(session, rows)


async def board_stream(
    tail: Tail,
    db: Database,
    settings: StreamSettings,
    *,
    board_id: int,
    last_event_id: int | None,
) -> AsyncIterator[bytes]:
    """Yield the frames of one browser's stream of a board, until it leaves or time is up."""
    loop = asyncio.get_running_loop()
    subscription: Subscription = await to_thread.run_sync(
        lambda: tail.subscribe(board_id, size=settings.queue_size, loop=loop)
    )
    try:
        start = subscription.start
        # Read after subscribing: a later change of the layout reaches the tail.
        layout, frame = await to_thread.run_sync(_layout, db, board_id)
        hello = orjson.dumps({"heartbeat_seconds": settings.heartbeat_seconds})
        yield b"retry: 2000\n"
        if last_event_id is None:
            sent = start
            yield b"id: %d\nevent: ready\ndata: %s\n\n%s" % (sent, hello, frame)
        else:
            sent = last_event_id
            yield b"event: ready\ndata: %s\n\n%s" % (hello, frame)
            if sent < start:
                subscription.push([CatchUp(start)])
        ends = time.monotonic() + settings.max_seconds
        while time.monotonic() < ends:
            try:  # (a timeout scope, not wait_for: no task per wake-up)
                async with asyncio.timeout(settings.heartbeat_seconds):
                    await subscription.ready.wait()
            except TimeoutError:
                yield _HEARTBEAT
                continue
            if subscription.overflowed:
                yield _RESYNC
                return
            # One write per wake-up, however many events it brings (an alert storm); a
            # batch goes out as the bytes every stream of the board shares.
            chunk: list[bytes] = []
            for item in subscription.take():
                if isinstance(item, Layout):
                    if item.version < 0 or item.version > layout:
                        chunk.append(item.frame)
                        layout = item.version
                    continue
                if isinstance(item, Batch) and item.first <= sent < item.last:
                    # Resumed from inside this batch (an id another process handed out):
                    # read the rest afresh, as its first events carried its cards' tiles.
                    item = CatchUp(item.last)
                if isinstance(item, CatchUp):
                    if item.upto <= sent:
                        continue
                    missed = await to_thread.run_sync(
                        partial(
                            _catch_up,
                            db,
                            board_id=board_id,
                            after=sent,
                            upto=item.upto,
                            limit=settings.resume_limit,
                        )
                    )
                    if missed is None:
                        yield b"".join(chunk) + _RESYNC
                        return
                    chunk.extend(event.frame for event in missed)
                    sent = item.upto
                elif item.first > sent:
                    chunk.append(item.joined)
                    sent = item.last
            if len(chunk) == 1:
                yield chunk[0]
            elif chunk:
                yield b"".join(chunk)
    finally:
        tail.unsubscribe(subscription)


def stream_response(request: Request, *, board_id: int, last_event_id: str | None) -> Response:
    """The streaming answer of ``GET /boards/{board_id}/stream``."""
    tail: Tail = request.app.state.live_tail
    frames = board_stream(
        tail,
        get_database(request),
        get_stream_settings(),
        board_id=board_id,
        last_event_id=parse_last_event_id(last_event_id),
    )
    return StreamingResponse(frames, media_type="text/event-stream", headers=HEADERS)
