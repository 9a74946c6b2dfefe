"""Group commit: one writer thread stores the ingest requests that arrive together.

A durable commit costs a disk flush; paying it once per request caps the rate at the
disk's flush rate. Requests are queued instead; the writer takes everything waiting,
stores it in ONE transaction, commits, and only then answers each request. A 2xx
still means the alert is on disk, and a request never waits for more than the batch
in progress plus its own.

A batch that fails as a whole is retried (another process took the same open key or
card first: the retry reads what it committed) and, failing again, split into single
requests, so one bad request costs only its own answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.alerts import metrics
from app.alerts.exceptions import IngestFailed
from app.alerts.ingest import IngestWork, Outcome, ingest
from app.core.db import Database
from app.core.errors import AppError, Unavailable

logger = logging.getLogger("firelane.alerts.committer")

# Retries of a whole batch that lost a race to another process, before splitting it.
ATTEMPTS = 4
MAX_BATCH = 256
IDLE_SECONDS = 5.0


def run_batch(db: Database, works: Sequence[IngestWork]) -> list[Outcome]:
    """Store ``works`` in one transaction if possible, else one by one; never raises."""
    for _attempt in range(ATTEMPTS):
        try:
            with db.session() as session, metrics.timed_batch(len(works)):
                outcomes = ingest(session, works)
            metrics.count_stored(works, outcomes)
            return outcomes
        except (IntegrityError, StaleDataError):
            continue  # a concurrent writer got there first; read its result and go again
        except OperationalError as exc:
            logger.warning("store unavailable while ingesting: %s", exc.orig)
            return [Unavailable() for _ in works]
        except AppError as exc:
            if len(works) == 1:
                return [exc]
            break
        except Exception:
            if len(works) == 1:
                logger.exception("ingesting a payload failed")
                return [IngestFailed()]
            break
    else:
        if len(works) == 1:
            return [Unavailable("The alert kept colliding with concurrent writes; retry.")]
    return [run_batch(db, [work])[0] for work in works]


class WriterLock:
    """Serialise the ingest writers of several processes on one SQLite file.

    SQLite lets one writer in at a time; the others poll with growing sleeps (its busy
    handler), which wastes most of the time between two batches. An exclusive ``flock``
    beside the database file queues them in the kernel instead: the next writer starts the
    moment the previous one commits.
    """

    def __init__(self, db: Database) -> None:
        self._path: str | None = None
        url = db.engine.url
        if db.dialect == "sqlite" and url.database not in (None, "", ":memory:"):
            self._path = f"{url.database}.ingest-lock"

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        if self._path is None:
            yield
            return
        with open(self._path, "a+b") as handle:  # noqa: PTH123 - a raw descriptor for flock
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@dataclass(slots=True)
class _Job:
    work: IngestWork
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Outcome]


def _settle(pairs: list[tuple[asyncio.Future[Outcome], Outcome]]) -> None:
    for future, outcome in pairs:
        if not future.done():
            future.set_result(outcome)


class GroupCommitter:
    """Queue ingest work from request handlers; a writer thread commits it in batches."""

    def __init__(
        self,
        db: Database,
        *,
        max_batch: int = MAX_BATCH,
        runner: Callable[[Database, Sequence[IngestWork]], list[Outcome]] = run_batch,
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
            try:
                with self._writer_lock.held():
                    outcomes = self._runner(self.db, [job.work for job in batch])
            except Exception:  # run_batch never raises; a custom runner might
                logger.exception("ingest batch failed")
                outcomes = [IngestFailed() for _ in batch]
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Outcome], Outcome]]]
            by_loop = {}
            for job, outcome in zip(batch, outcomes, strict=True):
                by_loop.setdefault(job.loop, []).append((job.future, outcome))
            for loop, pairs in by_loop.items():
                # A loop closed meanwhile has nobody waiting on it.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_settle, pairs)
