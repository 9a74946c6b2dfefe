"""Emit events that no card carries, such as ``report.published``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.core import events
from app.core.clock import now


def report_published(
    session: Session, *, report: dict[str, Any], board_id: int | None = None, actor: str = "system"
) -> events.Event:
    """Emit ``report.published`` in the caller's transaction (flush-free; the caller commits).

    ``report`` should hold at least ``id``, ``week``, ``title`` and ``url`` (see docs/events.md).
    """
    event = events.Event(
        type="report.published",
        occurred_at=now(),
        board_id=board_id,
        actor=actor,
        data={"report": report},
    )
    events.emit(session, event)
    return event
