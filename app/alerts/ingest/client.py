"""The HTTP side of the writer process: send work over its socket, wait for its answer.

``RemoteCommitter`` has the group committer's ``submit``: the request waits until the
writer reports the batch holding its work committed, and gets that work's outcome. A
writer that is not running, goes away, or does not answer within ``timeout`` seconds
gets the request a 503, which senders retry: a 2xx still means on disk. (A request
that timed out may still be stored when the writer catches up; its retry then counts
as a repeat. Nothing is stored by halves: the writer commits whole batches.)
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import weakref

from app.alerts.ingest.batch import IngestWork, Outcome
from app.alerts.ingest.codec import FrameBuffer, read_answers, request_frame
from app.core.errors import Unavailable

logger = logging.getLogger("firelane.alerts.remote")


class _Sparse:
    """Log a warning at most once per ``seconds``, saying how many it held back: a writer
    that is away refuses every request, and one line per refusal floods the log."""

    def __init__(self, seconds: float = 5.0) -> None:
        self.seconds = seconds
        self._last = -seconds
        self._held = 0

    def warning(self, message: str, *args: object) -> None:
        at = time.monotonic()
        if at - self._last < self.seconds:
            self._held += 1
            return
        if self._held:
            message += f" (and {self._held} more since the last such line)"
        logger.warning(message, *args)
        self._last, self._held = at, 0


class WriterUnavailable(Unavailable):
    code = "writer_unavailable"
    message = "The alert writer is not running; retry shortly."


class WriterTimeout(Unavailable):
    code = "writer_timeout"
    message = "The alert writer did not answer in time; retry shortly."


class _Link(asyncio.Protocol):
    """One connection to the writer, shared by the requests of one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.lost = False
        self._frames = FrameBuffer()
        self.waiting: dict[int, asyncio.Future[Outcome]] = {}
        self._ids = itertools.count()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment] # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        try:
            answers = self._frames.feed(data)
        except Exception:
            logger.exception("the writer sent a frame that cannot be read")
            assert self.transport is not None
            self.transport.abort()
            return
        for message in answers:
            for request_id, outcome in read_answers(message):
                future = self.waiting.pop(request_id, None)
                if future is not None and not future.done():
                    future.set_result(outcome)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiting:
            logger.warning("the alert writer went away with %d request(s)", len(self.waiting))
        for future in self.waiting.values():
            if not future.done():
                future.set_result(WriterUnavailable("The alert writer went away; retry shortly."))
        self.waiting.clear()

    def _expire(self, request_id: int) -> None:
        future = self.waiting.pop(request_id, None)
        if future is not None and not future.done():
            future.set_result(WriterTimeout())

    async def submit(self, work: IngestWork, timeout: float) -> Outcome:
        request_id = next(self._ids)
        future: asyncio.Future[Outcome] = self.loop.create_future()
        self.waiting[request_id] = future
        assert self.transport is not None
        self.transport.write(request_frame(request_id, work))
        expiry = self.loop.call_later(timeout, self._expire, request_id)
        try:
            return await future
        finally:
            expiry.cancel()
            self.waiting.pop(request_id, None)


class RemoteCommitter:
    """Hand ingest work to the writer process at ``path``; wait until it is committed."""

    def __init__(self, path: str, *, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        # One connection per event loop (a server has one; test clients may make several).
        self._links: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Link] = (
            weakref.WeakKeyDictionary()
        )
        self._connecting: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._unreachable = _Sparse()

    async def _link(self) -> _Link:
        loop = asyncio.get_running_loop()
        link = self._links.get(loop)
        if link is not None and not link.lost:
            return link
        lock = self._connecting.setdefault(loop, asyncio.Lock())
        async with lock:
            found = self._links.get(loop)
            if found is not None and not found.lost:
                return found
            _transport, made = await asyncio.wait_for(
                loop.create_unix_connection(lambda: _Link(loop), self.path),
                timeout=self.timeout,
            )
            self._links[loop] = made
            return made

    async def submit(self, work: IngestWork) -> Outcome:
        """Send ``work`` to the writer and wait until the batch holding it is committed."""
        try:
            link = await self._link()
        except (OSError, TimeoutError) as exc:
            self._unreachable.warning("cannot reach the alert writer at %s: %s", self.path, exc)
            return WriterUnavailable()
        return await link.submit(work, self.timeout)

    def pending(self) -> int:
        """How many requests of this process wait for the writer's answer."""
        return sum(len(link.waiting) for link in list(self._links.values()))
