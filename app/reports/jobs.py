"""The ``reports.weekly`` job: store and publish last week's reports, then e-mail them.

At the configured weekday and time (in the report timezone; default Monday 09:00) the
job stores last week's snapshot of every board and of all boards, emits
``report.published`` for each, and e-mails the one of all boards. It also runs at start
and every few minutes: whatever is due and not done yet (the server was down at the
time, an e-mail failed) is done then. Only the last due week is caught up, not every
week missed before it.

Safe in any number of processes: a snapshot is unique per (week, scope), publication is
claimed by the UPDATE that sets ``published_at``, an e-mail by a lease.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from app.boards.models import Board
from app.core.clock import now
from app.core.config import Settings
from app.core.db import Database, pk
from app.core.errors import AppError
from app.reports import mail, snapshots
from app.reports.config import ReportSettings
from app.reports.models import ReportSnapshot, scope_of
from app.reports.schemas import WeeklyReport
from app.reports.window import Week

logger = logging.getLogger("firelane.reports")

CATCH_UP_MINUTES = 10
EMAIL_LEASE = timedelta(minutes=10)


@dataclass
class PublishRun:
    """What one run did."""

    week: Week
    made: int = 0
    published: int = 0
    emailed: int = 0
    email_failed: int = 0
    failed: int = 0


def due_week(moment: datetime, zone: ZoneInfo, weekday: int, at: time) -> Week:
    """The week whose report is due at ``moment``: the last complete week at the latest
    publication time (``weekday`` at ``at``, local) at or before ``moment``."""
    local = moment.astimezone(zone)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    due = datetime.combine(day, at, tzinfo=zone)
    if due > moment:
        due = datetime.combine(day - timedelta(weeks=1), at, tzinfo=zone)
    return Week.last_complete(due, zone)


def _scopes(db: Database, week: Week) -> tuple[list[tuple[int | None, str | None]], set[str]]:
    """Every scope (all boards, then each board), and those already published this week."""
    with db.session(readonly=True) as session:
        boards = session.exec(select(Board.id, Board.slug).order_by(col(Board.id))).all()
        done = set(
            session.exec(
                select(ReportSnapshot.scope).where(
                    ReportSnapshot.week == str(week), col(ReportSnapshot.published_at).is_not(None)
                )
            )
        )
    return [(None, None), *boards], done


def publish_due(db: Database, settings: Settings, report_settings: ReportSettings) -> PublishRun:
    """Store and publish the due week's reports that are not yet, then send the e-mails
    waiting; each scope in its own transactions, a failure logged and left for next time."""
    options = snapshots.report_options(settings)
    week = due_week(
        now(), options.zone, report_settings.weekday_number, report_settings.report_time
    )
    run = PublishRun(week)
    scopes, done = _scopes(db, week)
    for board_id, slug in scopes:
        if scope_of(board_id) in done:
            continue
        try:
            with db.session() as session:
                made, created = snapshots.make(
                    session,
                    week=week,
                    board_slug=slug,
                    options=options,
                    actor="system",
                    replace=False,
                )
                run.made += created
                email = report_settings.email_enabled and board_id is None
                run.published += snapshots.publish(
                    session, snapshot_id=pk(made), base_url=settings.base_url, email=email
                )
        except AppError as exc:  # the board was deleted meanwhile
            run.failed += 1
            logger.warning("report %s of %s not stored: %s", week, slug or "all boards", exc)
        except Exception:
            run.failed += 1
            logger.exception("report %s of %s failed", week, slug or "all boards")
    if report_settings.email_enabled:
        send_pending(db, settings, report_settings, run)
    return run


def send_pending(
    db: Database, settings: Settings, report_settings: ReportSettings, run: PublishRun
) -> None:
    """Send every e-mail that waits, each once in this run; a failure stays pending."""
    server = report_settings.smtp
    assert server is not None, "e-mail is enabled"
    tried: set[int] = set()
    while True:
        with db.session() as session:
            row = snapshots.claim_email(session, lease=EMAIL_LEASE, passed=tried)
        if row is None:
            return
        snapshot_id = pk(row)
        tried.add(snapshot_id)
        error: str | None = None
        try:
            message = mail.compose(
                WeeklyReport.model_validate(row.data),
                report_id=snapshot_id,
                sender=report_settings.report_email_from,
                recipients=report_settings.recipients,
                link=snapshots.link(settings.base_url, snapshot_id),
                made_at=row.made_at,
                definition_version=row.definition_version,
            )
            mail.send(message, server=server, settings=report_settings)
        except mail.EmailFailed as exc:
            error = str(exc)
        except Exception as exc:  # a bug must not lose the e-mail either
            logger.exception("report e-mail %d failed", snapshot_id)
            error = f"{type(exc).__name__}: {exc}"
        with db.session() as session:
            snapshots.email_done(session, snapshot_id=snapshot_id, error=error)
        if error is None:
            run.emailed += 1
            logger.info(
                "report %s e-mailed to %d recipient(s)", row.week, len(report_settings.recipients)
            )
        else:
            run.email_failed += 1
            logger.warning(
                "report %s not e-mailed (attempt %d), retried on the job's next run: %s",
                row.week,
                row.email_attempts + 1,
                error,
            )


def publish_job(db: Database, settings: Settings, report_settings: ReportSettings) -> None:
    """Run ``publish_due`` for the scheduler and log what it did."""
    run = publish_due(db, settings, report_settings)
    if run.made or run.published or run.emailed or run.email_failed or run.failed:
        logger.info(
            "reports.weekly %s: %d stored, %d published, %d e-mailed, %d e-mail(s) failed, "
            "%d failed",
            run.week,
            run.made,
            run.published,
            run.emailed,
            run.email_failed,
            run.failed,
        )
