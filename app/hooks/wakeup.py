"""Wake the delivery loops of this process when a commit queued deliveries."""

from __future__ import annotations

import threading
import weakref

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession

_FLAG = "firelane.hooks.wake"
_waiters: weakref.WeakSet[threading.Event] = weakref.WeakSet()


def after_commit(session: OrmSession) -> None:
    """Mark the session: once its transaction commits, the loops look at the queue."""
    session.info[_FLAG] = True


def subscribe(waiter: threading.Event) -> None:
    _waiters.add(waiter)


def unsubscribe(waiter: threading.Event) -> None:
    _waiters.discard(waiter)


def _on_commit(session: OrmSession) -> None:
    if session.in_nested_transaction() or not session.info.pop(_FLAG, False):
        return
    for waiter in list(_waiters):
        waiter.set()


def _on_rollback(session: OrmSession) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_FLAG, None)


def install() -> None:
    """Listen to commits (idempotent)."""
    if not sa_event.contains(OrmSession, "after_commit", _on_commit):
        sa_event.listen(OrmSession, "after_commit", _on_commit)
        sa_event.listen(OrmSession, "after_rollback", _on_rollback)
