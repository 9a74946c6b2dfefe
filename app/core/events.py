"""Domain events: the one vocabulary in which everything that happens is told.

A domain records an event with ``emit(session, event)`` inside its unit of work. Two kinds
of listener hear it:

- *in-transaction* handlers (``on_emit``) run at once with the same session, so what they
  write (outbox rows, rule effects) commits or rolls back with the event itself;
- *after-commit* listeners (``on_commit``) hear it only once the transaction is durable
  (live streams to browsers); they must not touch the database session.

Core knows no domain: domains and the wiring in ``app.jobs`` register the listeners.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession

logger = logging.getLogger("firelane.events")

_PENDING = "firelane.pending_events"


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened, as listeners and hooks see it."""

    type: str
    occurred_at: datetime
    board_id: int | None = None
    card_id: int | None = None
    actor: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    event_id: int | None = None
    # How many rule actions deep this event was caused; guards against loops.
    depth: int = 0


InTransactionHandler = Callable[[OrmSession, Event], None]
CommitListener = Callable[[Event], None]
# Whether a handler reads the whole payload of events of a type in a session's transaction.
Interest = Callable[[OrmSession, str], bool]

_in_transaction: list[InTransactionHandler] = []
_after_commit: list[CommitListener] = []
_interest: dict[InTransactionHandler, Interest] = {}


def on_emit(
    handler: InTransactionHandler, *, wants: Interest | None = None
) -> InTransactionHandler:
    """Register ``handler`` to run inside the emitting transaction.

    It hears every event. ``wants`` says for which event types (in a given transaction)
    it reads the payload's costly parts: without it, it reads all of them (``wanted``).
    """
    if handler not in _in_transaction:
        _in_transaction.append(handler)
    if wants is not None:
        _interest[handler] = wants
    else:
        _interest.pop(handler, None)
    return handler


def wanted(session: OrmSession, event_type: str) -> bool:
    """Whether anybody reads the costly parts of an event of this type emitted now.

    A producer may leave them out of the payload when nobody does (card events leave out
    the card's snapshot): rendering them is most of what emitting costs.
    """
    if _after_commit:
        return True
    for handler in _in_transaction:
        interest = _interest.get(handler)
        if interest is None or interest(session, event_type):
            return True
    return False


def on_commit(listener: CommitListener) -> CommitListener:
    """Register ``listener`` to hear events once their transaction has committed."""
    if listener not in _after_commit:
        _after_commit.append(listener)
    return listener


def remove(callback: Callable[..., None]) -> None:
    for registry in (_in_transaction, _after_commit):
        if callback in registry:
            registry.remove(callback)
    _interest.pop(callback, None)


def emit(session: OrmSession, event: Event) -> None:
    """Tell every in-transaction handler now and every commit listener after commit."""
    session.info.setdefault(_PENDING, []).append(event)
    for handler in list(_in_transaction):
        handler(session, event)


def pending(session: OrmSession) -> list[Event]:
    """Events emitted in the session's open transaction, less those of rolled-back savepoints."""
    return list(session.info.get(_PENDING, []))


@contextmanager
def savepoint(session: OrmSession) -> Iterator[None]:
    """Run a block in a SAVEPOINT; if it fails, its writes and the events it emitted are undone."""
    mark = len(session.info.setdefault(_PENDING, []))
    try:
        with session.begin_nested():
            yield
    except BaseException:
        del session.info.get(_PENDING, [])[mark:]
        raise


@sa_event.listens_for(OrmSession, "after_commit")
def _publish(session: OrmSession) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT released: nothing is durable yet
        return
    pending: list[Event] = session.info.pop(_PENDING, [])
    for item in pending:
        for listener in list(_after_commit):
            try:
                listener(item)
            except Exception:  # a listener must never break the committed request
                logger.exception("commit listener failed for %s", item.type)


@sa_event.listens_for(OrmSession, "after_rollback")
def _discard(session: OrmSession) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT rolled back: savepoint() trims its events
        return
    session.info.pop(_PENDING, None)
