"""The in-process committer: a writer thread stores the ingest requests that arrive together.

A durable commit costs a disk flush; paying it once per request caps the rate at the
disk's flush rate. Requests are queued instead; the writer thread takes everything
waiting, stores it with ``committer.settle_batch`` (ONE transaction, committed before any
request is answered), and only then answers each request. A 2xx still means the alert is
on disk, and a request never waits for more than the batch in progress plus its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from dataclasses import dataclass

from app.alerts.ingest.batch import IngestWork, Outcome
from app.alerts.ingest.committer import MAX_BATCH, Runner, WriterLock, run_batch, settle_batch
from app.core.db import Database

logger = logging.getLogger("firelane.alerts.committer")

IDLE_SECONDS = 5.0


@dataclass(slots=True)
class _Job:
    work: IngestWork
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Outcome]


def _settle(pairs: list[tuple[asyncio.Future[Outcome], Outcome]]) -> None:
    for future, outcome in pairs:
        if not future.done():
            future.set_result(outcome)


def _answer(
    loop: asyncio.AbstractEventLoop, pairs: list[tuple[asyncio.Future[Outcome], Outcome]]
) -> None:
    # A loop closed meanwhile has nobody waiting on it.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(_settle, pairs)


class GroupCommitter:
    """Queue ingest work from request handlers; a writer thread commits it in batches."""

    def __init__(
        self,
        db: Database,
        *,
        max_batch: int = MAX_BATCH,
        runner: Runner = run_batch,
    ) -> None:
        self.db = db
        self.max_batch = max_batch
        self._runner = runner
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._writer_lock = WriterLock(db)

    async def submit(self, work: IngestWork) -> Outcome:
        """Queue ``work`` and wait until the batch holding it is committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._queue.put(_Job(work, loop, future))
        self._ensure_writer()
        return await future

    def _ensure_writer(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._write, name="firelane-ingest-writer", daemon=True
                )
                self._thread.start()

    def _take(self) -> list[_Job] | None:
        try:
            first = self._queue.get(timeout=IDLE_SECONDS)
        except queue.Empty:
            with self._lock:
                if self._queue.empty():
                    self._thread = None  # idle: stop; the next submit starts a writer
                    return None
            return []
        batch = [first]
        while len(batch) < self.max_batch:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _write(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            if not batch:
                continue
            settle_batch(
                self.db,
                self._writer_lock,
                [(job.loop, job.future, job.work) for job in batch],
                _answer,
                runner=self._runner,
            )
