"""Stored reports: make (or make again) a week's snapshot, find it, list them, and claim
its publication and its e-mail so that two processes never do either twice.

A snapshot is unique per (week, scope): whoever stores second (a second worker, a retry)
finds the first one's row (``ON CONFLICT``). Publication is claimed by the UPDATE that sets
``published_at`` where it is still null; the e-mail by a lease (``email_claimed_until``),
so that no transaction stays open while the SMTP server is talked to.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.boards.service import get_board_by_slug
from app.core.clock import now
from app.core.config import Settings
from app.core.db import pk
from app.core.pagination import decode_cursor, encode_cursor, split_page
from app.hooks.publish import report_published
from app.reports import service
from app.reports.exceptions import ReportNotFound
from app.reports.figures import Options
from app.reports.models import DEFINITION_VERSION, EmailStatus, ReportSnapshot, scope_of
from app.reports.render import message, text
from app.reports.schemas import Headline, SnapshotPublic, SnapshotSummary, WeeklyReport
from app.reports.window import Week

_TABLE: sa.Table = ReportSnapshot.__table__  # type: ignore[attr-defined]
_KEY = ["week", "scope"]


def report_options(settings: Settings) -> Options:
    """The report's timezone and prices, from the settings."""
    return Options(
        timezone=settings.report_zone_name,
        horizon_years=settings.report_horizon_years,
        hours_per_fte=settings.report_hours_per_fte,
    )


def link(base_url: str, report_id: int) -> str:
    """Where a person reads a stored report (logged in to Firelane)."""
    return f"{base_url}/api/v1/reports/{report_id}?format=html"


def _read_without_writing(session: Session) -> None:
    """End the session's transaction and read in one that takes no write lock (SQLite
    begins its writing sessions IMMEDIATE; a report takes seconds to compute)."""
    session.rollback()
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})


def find(session: Session, *, week: Week, board_id: int | None) -> ReportSnapshot | None:
    query = select(ReportSnapshot).where(
        ReportSnapshot.week == str(week), ReportSnapshot.scope == scope_of(board_id)
    )
    return session.exec(query.execution_options(populate_existing=True)).first()


def get(session: Session, report_id: int) -> ReportSnapshot:
    found = session.get(ReportSnapshot, report_id)
    if found is None:
        raise ReportNotFound()
    return found


def weekly(
    session: Session, *, week: Week | None, board_slug: str | None, options: Options
) -> tuple[WeeklyReport, ReportSnapshot | None]:
    """The stored report of the week and board if there is one, else the report computed now."""
    board = get_board_by_slug(session, board_slug) if board_slug is not None else None
    week = week or Week.last_complete(now(), options.zone)
    stored = find(session, week=week, board_id=pk(board) if board is not None else None)
    if stored is not None:
        return WeeklyReport.model_validate(stored.data), stored
    report = service.weekly_report(session, week=week, board_slug=board_slug, options=options)
    return report, None


def _upsert(session: Session, values: dict[str, Any], *, replace: bool) -> bool:
    """Store the snapshot; answer whether a row was written (not so when another process
    stored the week's first, without ``replace``)."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_TABLE)
    statement = insert.values(**values)
    if replace:
        changed = ("data", "definition_version", "made_at", "made_by")
        statement = statement.on_conflict_do_update(
            index_elements=_KEY, set_={name: statement.excluded[name] for name in changed}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=_KEY)
    return session.execute(statement.returning(_TABLE.c.id)).first() is not None


def make(
    session: Session,
    *,
    week: Week | None,
    board_slug: str | None,
    options: Options,
    actor: str,
    replace: bool,
) -> tuple[ReportSnapshot, bool]:
    """Compute a week's report and store it; with ``replace``, over a stored one (its
    publication stays), else keep a stored one. Answer the snapshot and whether the week
    had none before. The figures are read first, then written in a short transaction."""
    _read_without_writing(session)
    board = get_board_by_slug(session, board_slug) if board_slug is not None else None
    board_id = pk(board) if board is not None else None
    week = week or Week.last_complete(now(), options.zone)
    stored = find(session, week=week, board_id=board_id)
    if stored is not None and not replace:
        session.commit()  # ends the reading transaction; the row stays loaded
        return stored, False
    report = service.weekly_report(session, week=week, board_slug=board_slug, options=options)
    session.rollback()
    values = {
        "week": str(week),
        "scope": scope_of(board_id),
        "board_id": board_id,
        "data": report.model_dump(mode="json"),
        "definition_version": DEFINITION_VERSION,
        "made_at": now(),
        "made_by": actor,
        "email_attempts": 0,
    }
    written = _upsert(session, values, replace=replace)
    session.commit()
    made = find(session, week=week, board_id=board_id)
    assert made is not None, "stored in the transaction just committed"
    session.commit()
    return made, written and stored is None


def list_snapshots(
    session: Session, *, board_id: int | None, limit: int, cursor: str | None
) -> tuple[list[ReportSnapshot], str | None]:
    """Stored reports, newest week first (then the newest made), a page at a time."""
    query = select(ReportSnapshot)
    if board_id is not None:
        query = query.where(ReportSnapshot.board_id == board_id)
    if cursor is not None:
        week, last_id = decode_cursor(cursor, "reports", (str, int))
        query = query.where(
            sa.or_(
                col(ReportSnapshot.week) < week,
                sa.and_(ReportSnapshot.week == week, col(ReportSnapshot.id) < last_id),
            )
        )
    query = query.order_by(col(ReportSnapshot.week).desc(), col(ReportSnapshot.id).desc())
    rows = list(session.exec(query.limit(limit + 1)))
    return split_page(rows, limit, lambda row: encode_cursor("reports", row.week, pk(row)))


def summary(row: ReportSnapshot) -> SnapshotSummary:
    report = WeeklyReport.model_validate(row.data)
    return SnapshotSummary(
        id=pk(row),
        week=row.week,
        board=report.board,
        board_id=row.board_id,
        made_at=row.made_at,
        made_by=row.made_by,
        definition_version=row.definition_version,
        published_at=row.published_at,
        email_status=EmailStatus(row.email_status) if row.email_status else None,
        headline=Headline.model_validate(message.headline(report)),
    )


def public(row: ReportSnapshot) -> SnapshotPublic:
    return SnapshotPublic(**summary(row).model_dump(), report=WeeklyReport.model_validate(row.data))


def publish(session: Session, *, snapshot_id: int, base_url: str, email: bool) -> bool:
    """Claim the snapshot's publication and emit ``report.published`` (rules and webhooks
    deliver it); with ``email``, its e-mail waits to be sent. One commit; False when it
    was already published (by another process, or before)."""
    moment = now()
    claimed = session.execute(
        sa.update(_TABLE)
        .where(_TABLE.c.id == snapshot_id, _TABLE.c.published_at.is_(None))
        .values(published_at=moment, email_status=EmailStatus.pending if email else None)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return False
    row = get(session, snapshot_id)
    session.refresh(row)
    report = WeeklyReport.model_validate(row.data)
    url = link(base_url, snapshot_id)
    report_published(
        session,
        report={
            "id": snapshot_id,
            "week": row.week,
            "board_id": row.board_id,
            "board": report.board,
            "title": text.title(report),
            "url": url,
            "made_at": row.made_at.isoformat(),
            "definition_version": row.definition_version,
            "headline": message.headline(report),
            "text": message.slack_message(report, link=url),
        },
        board_id=row.board_id,
    )
    session.commit()
    return True


def claim_email(
    session: Session, *, lease: timedelta, passed: Collection[int] = ()
) -> ReportSnapshot | None:
    """Take the oldest pending e-mail that nobody holds (and not one of ``passed``) for
    ``lease``; one commit."""
    moment = now()
    free = sa.or_(_TABLE.c.email_claimed_until.is_(None), _TABLE.c.email_claimed_until < moment)
    pending = sa.and_(_TABLE.c.email_status == EmailStatus.pending, free)
    query = sa.select(_TABLE.c.id).where(pending)
    if passed:
        query = query.where(_TABLE.c.id.not_in(passed))
    for (snapshot_id,) in session.execute(query.order_by(_TABLE.c.id).limit(10)).all():
        taken = session.execute(
            sa.update(_TABLE)
            .where(_TABLE.c.id == snapshot_id, pending)
            .values(email_claimed_until=moment + lease)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            session.commit()
            row = get(session, snapshot_id)
            session.refresh(row)
            return row
    session.rollback()
    return None


def email_done(session: Session, *, snapshot_id: int, error: str | None) -> None:
    """Record a sending: sent, or failed with ``error`` (pending again for the next run)."""
    values: dict[str, Any] = {
        "email_claimed_until": None,
        "email_attempts": _TABLE.c.email_attempts + 1,
    }
    if error is None:
        values.update(email_status=EmailStatus.sent, emailed_at=now(), email_error=None)
    else:
        values.update(email_error=error[:500])
    session.execute(sa.update(_TABLE).where(_TABLE.c.id == snapshot_id).values(**values))
    session.commit()
