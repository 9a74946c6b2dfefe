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
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Protocol, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.alerts import metrics
from app.alerts.exceptions import IngestFailed
from app.alerts.ingest.batch import IngestWork, Outcome, ingest
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
    answers: dict[Place, list[tuple[Ticket, Outcome]]] = {}
    for (place, ticket, _), outcome in zip(batch, outcomes, strict=True):
        answers.setdefault(place, []).append((ticket, outcome))
    for place, pairs in answers.items():
        settle(place, pairs)
