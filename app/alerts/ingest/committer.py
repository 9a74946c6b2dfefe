"""The seam between receiving an alert and storing it: a ``Committer``.

The receiver hands each request's work to ``Committer.submit`` and answers with the
outcome, once the transaction holding it is committed. Two implementations:

- ``group.GroupCommitter``: a writer thread in this process (``firelane serve``);
- ``client.RemoteCommitter``: sends the work to the writer process (``writer``) over a
  Unix socket (``serve --ingest-writer``, ``--workers N``).

Either way, what arrived together is stored by ``settle_batch``: run the batch
(``run_batch``: ``batch.ingest``, one transaction) under the ``WriterLock``, then hand
every answer back to where its request waits.

A batch that fails as a whole is retried (another process took the same open key or card
first: the retry reads what it committed; or PostgreSQL broke a deadlock between two
processes' batches by failing this one) and, failing again, split into single requests,
so one bad request costs only its own answer.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from app.alerts import metrics
from app.alerts.exceptions import IngestFailed
from app.alerts.ingest.batch import IngestWork, Outcome, apply_works, ingest
from app.core import deferred
from app.core.clock import now
from app.core.db import Database
from app.core.errors import AppError, Unavailable

logger = logging.getLogger("firelane.alerts.committer")

# Retries of a whole batch that lost a race to another process, before splitting it.
ATTEMPTS = 4
MAX_BATCH = 256
# How a batch is stored: ``run_batch``, or a test's stand-in.
Runner = Callable[[Database, Sequence[IngestWork]], list[Outcome]]
Place = TypeVar("Place", bound=Hashable)  # where answers go: an event loop, a connection
Ticket = TypeVar("Ticket")  # what one answer settles there: a future, a request id
# PostgreSQL's deadlock_detected and serialization_failure: retrying is the remedy.
_RETRY_STATES = frozenset({"40P01", "40001"})


def _lost_race(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in _RETRY_STATES


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
            if _lost_race(exc):
                continue
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


class Committer(Protocol):
    """Stores ingest work and answers once it is committed (in-process, or the writer's)."""

    async def submit(self, work: IngestWork) -> Outcome: ...


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


def settle_batch(
    db: Database,
    lock: WriterLock,
    batch: Sequence[tuple[Place, Ticket, IngestWork]],
    settle: Callable[[Place, list[tuple[Ticket, Outcome]]], None],
    *,
    runner: Runner,
) -> None:
    """Store a batch's works in one go, then settle each place's answers, in order.

    ``batch`` holds where each answer goes, what it settles there, and the work;
    ``settle`` gets each place's (ticket, outcome) pairs once. Never raises: a batch
    that fails as a whole answers every work ``IngestFailed``.
    """
    works = [work for _, _, work in batch]
    try:
        with lock.held():
            outcomes = runner(db, works)
    except Exception:  # run_batch never raises; a custom runner might
        logger.exception("ingest batch failed")
        outcomes = [IngestFailed() for _ in works]
    _settle_all(batch, outcomes, settle)


def _settle_all(
    batch: Sequence[tuple[Place, Ticket, IngestWork]],
    outcomes: Sequence[Outcome],
    settle: Callable[[Place, list[tuple[Ticket, Outcome]]], None],
) -> None:
    answers: dict[Place, list[tuple[Ticket, Outcome]]] = {}
    for (place, ticket, _), outcome in zip(batch, outcomes, strict=True):
        answers.setdefault(place, []).append((ticket, outcome))
    for place, pairs in answers.items():
        settle(place, pairs)


@dataclass(slots=True)
class _Sent(Generic[Place, Ticket]):
    """A batch whose statements ran in ``session`` and whose COMMIT is sent."""

    batch: Sequence[tuple[Place, Ticket, IngestWork]]
    session: Session
    outcomes: list[Outcome]
    started: float
    answer: Future[str | None]  # None once committed (its answers then settled), or why not


class CommitAhead(Generic[Place, Ticket]):
    """On PostgreSQL, run a batch's statements while the batch before it commits.

    A small batch on PostgreSQL waits a good part of its time for its COMMIT (the writes
    queued for it by ``app.core.deferred``, the WAL flush, the round trip), and requests
    that arrive meanwhile waited for it too. Here the caller's thread runs each batch's
    statements on a connection of its own and sends its COMMIT without waiting
    (``deferred.send_commit``); a second thread waits for the answer and settles the
    batch's answers the moment it is committed (``settle`` must be safe to call from
    there), while the caller's thread goes on with the next batch. At most one COMMIT is
    in flight, the next one is sent only after it ended: batches commit in the order they
    were taken. The sessions are finished (their listeners hear the commit, their
    connections go back to the pool) in the caller's thread, by ``store`` and ``reap``
    (``wake`` tells it, from the waiting thread, that there is something to reap).

    What PostgreSQL already guarantees keeps two batches apart: a key's open alert is
    locked by the first (the second waits for its commit, then reads it), and a key that
    the first opens makes the second's INSERT wait and fail, after which the second is
    stored again by ``run_batch``, which reads the first's rows. A batch whose statements
    or COMMIT fail is stored by ``run_batch`` (retried, or split into single requests).
    """

    def __init__(
        self,
        db: Database,
        settle: Callable[[Place, list[tuple[Ticket, Outcome]]], None],
        *,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self._settle = settle
        self._wake = wake  # told, from the waiting thread, that ``reap`` has work
        self._lock = WriterLock(db)  # holds nothing on PostgreSQL: for settle_batch
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="firelane-commit")
        self._sent: _Sent[Place, Ticket] | None = None

    def store(self, batch: Sequence[tuple[Place, Ticket, IngestWork]]) -> None:
        """Run ``batch``'s statements, then send its COMMIT once the previous one ended."""
        works = [work for _, _, work in batch]
        started = time.perf_counter()
        session = self.db.write()
        try:
            outcomes = apply_works(session, works, now())
        except Exception:
            session.close()
            self.wait()  # a retry reads what the batch before it committed
            self._store_carefully(batch)
            return
        self.wait()
        try:
            sent = deferred.send_commit(session)
        except Exception:
            session.close()
            self._store_carefully(batch)
            return
        answer = self._thread.submit(self._await, sent, batch, outcomes)
        self._sent = _Sent(batch, session, outcomes, started, answer)

    def reap(self) -> None:
        """Finish the batch in flight if its COMMIT was answered (without waiting)."""
        if self._sent is not None and self._sent.answer.done():
            self.wait()

    def wait(self) -> None:
        """Wait for the COMMIT in flight, if any, and finish its batch."""
        sent, self._sent = self._sent, None
        if sent is None:
            return
        works = [work for _, _, work in sent.batch]
        error = sent.answer.result()
        if error is None:
            try:
                sent.session.commit()  # nothing left to send: its listeners hear it
            except Exception:
                logger.exception("finishing a committed ingest batch's session failed")
            finally:
                sent.session.close()
            metrics.observe_batch(len(works), time.perf_counter() - sent.started)
            metrics.count_stored(works, sent.outcomes)
            return
        with contextlib.suppress(Exception):  # a broken connection: the pool drops it
            sent.session.rollback()
        sent.session.close()
        logger.info("an ingest batch's COMMIT failed (%s); it is stored again", error)
        self._store_carefully(sent.batch)

    def close(self) -> None:
        self.wait()
        self._thread.shutdown()

    def _store_carefully(self, batch: Sequence[tuple[Place, Ticket, IngestWork]]) -> None:
        """Store a batch that failed ahead with ``run_batch`` (retried, or split), and
        settle its answers from this thread."""
        settle_batch(self.db, self._lock, batch, self._settle, runner=run_batch)

    def _await(
        self,
        sent: deferred.SentCommit,
        batch: Sequence[tuple[Place, Ticket, IngestWork]],
        outcomes: list[Outcome],
    ) -> str | None:
        error = sent.wait()
        if error is None:
            try:
                _settle_all(batch, outcomes, self._settle)
            except Exception:
                logger.exception("settling an ingest batch's answers failed")
        self._wake()
        return error
