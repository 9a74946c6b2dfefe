"""Maintenance windows: label matchers and a time span, per integration or per board.

Matchers work like Alertmanager's: ``=`` and ``!=`` compare, ``=~`` and ``!~`` match a
regular expression against the whole value; a missing label counts as the empty string.
A window without matchers covers every alert of its integration or board.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, func, or_
from sqlmodel import Session, col, select

from app.alerts.exceptions import InvalidMaintenanceWindow, MaintenanceWindowNotFound
from app.alerts.models import AlertSignal, Integration, MaintenanceWindow
from app.alerts.schemas import MaintenanceWindowCreate, MaintenanceWindowUpdate
from app.boards.models import Board
from app.core.clock import now
from app.core.pagination import decode_cursor, encode_cursor, split_page


@lru_cache(maxsize=512)
def _pattern(expression: str) -> re.Pattern[str]:
    return re.compile(expression)


def _matches(matcher: dict[str, str], labels: dict[str, str]) -> bool:
    value = labels.get(matcher["label"], "")
    op, wanted = matcher["op"], matcher["value"]
    if op == "=":
        return value == wanted
    if op == "!=":
        return value != wanted
    hit = _pattern(wanted).fullmatch(value) is not None
    return hit if op == "=~" else not hit


def covers(window: MaintenanceWindow, labels: dict[str, str]) -> bool:
    return all(_matches(matcher, labels) for matcher in window.matchers)


def window_for(
    windows: Iterable[MaintenanceWindow], integration: Integration, labels: dict[str, str]
) -> MaintenanceWindow | None:
    """Return the first running window of this integration or its board that covers labels."""
    for window in windows:
        mine = window.integration_id == integration.id or window.board_id == integration.board_id
        if mine and covers(window, labels):
            return window
    return None


# Built once: every ingest batch runs it.
_RUNNING = (
    select(MaintenanceWindow)
    .where(
        col(MaintenanceWindow.starts_at) <= bindparam("at"),
        col(MaintenanceWindow.ends_at) > bindparam("at"),
        or_(
            col(MaintenanceWindow.integration_id).in_(bindparam("ids", expanding=True)),
            col(MaintenanceWindow.board_id).in_(bindparam("boards", expanding=True)),
        ),
    )
    .order_by(col(MaintenanceWindow.id))
)


def running_windows(
    session: Session, *, integrations: Sequence[Integration], at: datetime
) -> list[MaintenanceWindow]:
    """Load the windows running at ``at`` for these integrations and their boards."""
    if not integrations:
        return []
    ids = sorted({integration.id for integration in integrations if integration.id is not None})
    boards = sorted({integration.board_id for integration in integrations})
    scope = {"at": at, "ids": ids, "boards": boards}
    return list(session.exec(_RUNNING, params=scope))


# --- managing windows -------------------------------------------------------------------


def _check_scope(session: Session, integration_id: int | None, board_id: int | None) -> None:
    if (integration_id is None) == (board_id is None):
        raise InvalidMaintenanceWindow("Give exactly one of integration_id and board_id.")
    if integration_id is not None and session.get(Integration, integration_id) is None:
        raise InvalidMaintenanceWindow(f"No integration has the id {integration_id}.")
    if board_id is not None and session.get(Board, board_id) is None:
        raise InvalidMaintenanceWindow(f"No board has the id {board_id}.")


def create_window(
    session: Session, *, data: MaintenanceWindowCreate, actor: str
) -> MaintenanceWindow:
    """Create a maintenance window."""
    _check_scope(session, data.integration_id, data.board_id)
    window = MaintenanceWindow(
        name=data.name,
        integration_id=data.integration_id,
        board_id=data.board_id,
        matchers=[matcher.model_dump() for matcher in data.matchers],
        starts_at=data.starts_at or now(),
        ends_at=data.ends_at,
        created_by=actor,
    )
    if window.ends_at <= window.starts_at:
        raise InvalidMaintenanceWindow("ends_at must come after starts_at.")
    session.add(window)
    session.commit()
    return window


def get_window(session: Session, window_id: int) -> MaintenanceWindow:
    window = session.get(MaintenanceWindow, window_id)
    if window is None:
        raise MaintenanceWindowNotFound()
    return window


def update_window(
    session: Session, *, window: MaintenanceWindow, data: MaintenanceWindowUpdate
) -> MaintenanceWindow:
    """Rename a window, change its matchers, or move its start or end (e.g. end it now)."""
    fields = data.model_dump(exclude_unset=True)
    if "matchers" in fields and data.matchers is not None:
        window.matchers = [matcher.model_dump() for matcher in data.matchers]
    for name in ("name", "starts_at", "ends_at"):
        if fields.get(name) is not None:
            setattr(window, name, fields[name])
    if window.ends_at <= window.starts_at:
        raise InvalidMaintenanceWindow("ends_at must come after starts_at.")
    session.add(window)
    session.commit()
    return window


def delete_window(session: Session, *, window: MaintenanceWindow) -> None:
    """Delete a window; the alerts it suppressed stay stored."""
    session.delete(window)
    session.commit()


def suppressed_counts(session: Session, window_ids: Sequence[int]) -> dict[int, int]:
    """Count the alerts each window suppressed, in one query."""
    if not window_ids:
        return {}
    query = (
        select(AlertSignal.maintenance_window_id, func.count())
        .where(col(AlertSignal.maintenance_window_id).in_(window_ids))
        .group_by(col(AlertSignal.maintenance_window_id))
    )
    return {window_id: count for window_id, count in session.exec(query) if window_id is not None}


def list_windows(
    session: Session,
    *,
    integration_id: int | None,
    board_id: int | None,
    running: bool | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[MaintenanceWindow], str | None]:
    """List windows newest first, a page at a time."""
    query = select(MaintenanceWindow)
    if integration_id is not None:
        query = query.where(MaintenanceWindow.integration_id == integration_id)
    if board_id is not None:
        query = query.where(MaintenanceWindow.board_id == board_id)
    if running is not None:
        at = now()
        is_running = (col(MaintenanceWindow.starts_at) <= at) & (
            col(MaintenanceWindow.ends_at) > at
        )
        query = query.where(is_running if running else ~is_running)
    if cursor:
        (before,) = decode_cursor(cursor, "window", (int,))
        query = query.where(col(MaintenanceWindow.id) < before)
    rows = list(session.exec(query.order_by(col(MaintenanceWindow.id).desc()).limit(limit + 1)))
    return split_page(rows, limit, lambda row: encode_cursor("window", row.id))
