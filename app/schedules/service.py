"""Schedules: define, change, pause, preview and run now; every public function owns one commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.auth.models import User
from app.boards.activity import Actor
from app.boards.cards import resolve_assignee
from app.boards.models import Board, BoardColumn
from app.core.clock import now
from app.core.db import pk
from app.core.errors import InvalidCursor
from app.core.pagination import decode_cursor, encode_cursor, split_page
from app.schedules import recurrence, runner, template
from app.schedules.exceptions import (
    OccurrenceExists,
    RecurrenceRequired,
    ScheduleNotFound,
    UnknownBoard,
    UnknownColumn,
)
from app.schedules.models import (
    OccurrenceStatus,
    OccurrenceTrigger,
    Schedule,
    ScheduleOccurrence,
)
from app.schedules.schemas import (
    PreviewRun,
    ScheduleCreate,
    SchedulePreview,
    ScheduleUpdate,
)

# Changing any of these moves the next run; the rest only changes what the cards say.
_TIMING = frozenset({"cron", "interval_minutes", "timezone", "starts_at", "ends_at", "enabled"})
_DEFINITION = frozenset({"cron", "interval_minutes", "timezone"})


def get_schedule(session: Session, schedule_id: int) -> Schedule:
    schedule = session.get(Schedule, schedule_id)
    if schedule is None:
        raise ScheduleNotFound()
    return schedule


def list_schedules(
    session: Session,
    *,
    board_id: int | None,
    enabled: bool | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Schedule], str | None]:
    """Return schedules by id, a page at a time."""
    query = select(Schedule)
    if board_id is not None:
        query = query.where(Schedule.board_id == board_id)
    if enabled is not None:
        query = query.where(Schedule.enabled == enabled)
    if cursor:
        (after,) = decode_cursor(cursor, "schedule", (int,))
        query = query.where(col(Schedule.id) > after)
    rows = list(session.exec(query.order_by(col(Schedule.id)).limit(limit + 1)))
    return split_page(rows, limit, lambda row: encode_cursor("schedule", row.id))


# --- checking ------------------------------------------------------------------------


def _check_place(session: Session, schedule: Schedule) -> None:
    if session.get(Board, schedule.board_id) is None:
        raise UnknownBoard(f"No board has the id {schedule.board_id}.")
    if schedule.column_id is not None:
        column = session.get(BoardColumn, schedule.column_id)
        if column is None or column.board_id != schedule.board_id:
            raise UnknownColumn(
                f"Board {schedule.board_id} has no column with the id {schedule.column_id}."
            )


def _check(session: Session, schedule: Schedule) -> recurrence.Recurrence:
    """Validate a schedule as it would be stored; raise the 422 that says what is wrong."""
    if (schedule.cron is None) == (schedule.interval_minutes is None):
        raise RecurrenceRequired()
    rules = runner.recurrence_of(schedule)
    template.check(schedule.title, "title")
    template.check(schedule.description, "description")
    _check_place(session, schedule)
    return rules


def _reschedule(session: Session, schedule: Schedule, rules: recurrence.Recurrence) -> None:
    """Set the next run: the first run after now and after every existing occurrence."""
    if not schedule.enabled:
        schedule.next_occurrence_at = schedule.next_run_at = None
        return
    after = now()
    if schedule.id is not None:
        last = runner.last_scheduled_for(session, schedule)
        if last is not None and last > after:
            after = last
    upcoming = rules.next_after(after)
    schedule.next_occurrence_at = upcoming
    lead = timedelta(minutes=schedule.lead_minutes)
    schedule.next_run_at = upcoming - lead if upcoming is not None else None


# --- writing -------------------------------------------------------------------------


def _new(session: Session, data: ScheduleCreate, default_timezone: str) -> Schedule:
    fields = data.model_dump(exclude={"assignee"})
    fields["timezone"] = data.timezone or default_timezone
    if data.interval_minutes is not None and data.starts_at is None:
        fields["starts_at"] = recurrence.interval_anchor(now())
    schedule = Schedule(**fields, assignee_id=resolve_assignee(session, data.assignee))
    rules = _check(session, schedule)
    recurrence.first_run(rules, now())
    return schedule


def create_schedule(session: Session, *, data: ScheduleCreate, default_timezone: str) -> Schedule:
    """Create a schedule and set its first run."""
    schedule = _new(session, data, default_timezone)
    session.add(schedule)
    session.flush()
    _reschedule(session, schedule, runner.recurrence_of(schedule))
    session.commit()
    return schedule


def _apply(session: Session, schedule: Schedule, data: ScheduleUpdate) -> set[str]:
    fields: dict[str, Any] = data.model_dump(exclude_unset=True)
    if "assignee" in fields:
        schedule.assignee_id = resolve_assignee(session, fields.pop("assignee"))
        assignee_id = schedule.assignee_id
        schedule.assignee_user = session.get(User, assignee_id) if assignee_id else None
    if fields.get("cron") is not None:
        fields.setdefault("interval_minutes", None)
    if fields.get("interval_minutes") is not None:
        fields.setdefault("cron", None)
        if schedule.interval_minutes is None and "starts_at" not in fields:
            fields["starts_at"] = recurrence.interval_anchor(now())
    if "board_id" in fields and fields["board_id"] != schedule.board_id:
        fields.setdefault("column_id", None)
    for field, value in fields.items():
        setattr(schedule, field, value)
    return set(fields)


def update_schedule(session: Session, *, schedule: Schedule, data: ScheduleUpdate) -> Schedule:
    """Change a schedule; a change of timing moves its next run."""
    with session.no_autoflush:
        changed = _apply(session, schedule, data)
        rules = _check(session, schedule)
        if changed & _DEFINITION:
            recurrence.first_run(rules, now())
    if changed & _TIMING:
        _reschedule(session, schedule, rules)
    elif "lead_minutes" in changed and schedule.next_occurrence_at is not None:
        lead = timedelta(minutes=schedule.lead_minutes)
        schedule.next_run_at = schedule.next_occurrence_at - lead
    schedule.updated_at = now()
    session.add(schedule)
    session.commit()
    return schedule


def delete_schedule(session: Session, *, schedule: Schedule) -> None:
    """Delete a schedule and its occurrences; the cards it made stay."""
    session.delete(schedule)
    session.commit()


def set_enabled(session: Session, *, schedule: Schedule, enabled: bool) -> Schedule:
    """Pause or resume; a resumed schedule does not make up for the runs of its pause."""
    if schedule.enabled != enabled:
        schedule.enabled = enabled
        _reschedule(session, schedule, runner.recurrence_of(schedule))
        schedule.updated_at = now()
        session.add(schedule)
        session.commit()
    return schedule


def run_now(session: Session, *, schedule: Schedule, actor: Actor) -> ScheduleOccurrence:
    """Make one occurrence now, outside the calendar; the overlap policy still applies."""
    locked = session.exec(
        select(Schedule)
        .where(Schedule.id == pk(schedule))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    moment = now()
    try:
        occurrence = runner.occur(
            session,
            schedule=locked,
            scheduled_for=moment,
            trigger=OccurrenceTrigger.manual,
            actor=actor,
            now=moment,
        )
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise OccurrenceExists(
            f"Schedule {schedule.id} already has an occurrence at {moment.isoformat()}."
        ) from exc
    return occurrence


# --- reading -------------------------------------------------------------------------


def _preview(
    schedule: Schedule, rules: recurrence.Recurrence, times: list[datetime]
) -> SchedulePreview:
    lead = timedelta(minutes=schedule.lead_minutes)
    runs: list[PreviewRun] = []
    for when in times:
        filled = template.values(scheduled_for=when, tz=rules.tz, schedule_name=schedule.name)
        runs.append(
            PreviewRun(
                scheduled_for=when,
                local_time=when.astimezone(rules.tz).isoformat(),
                creates_at=when - lead,
                title=template.render(schedule.title, filled, limit=300),
            )
        )
    return SchedulePreview(schedule_id=schedule.id, timezone=schedule.timezone, runs=runs)


def preview(session: Session, *, schedule: Schedule, count: int) -> SchedulePreview:
    """Return the next ``count`` runs: from the stored next run, or from now when paused."""
    rules = runner.recurrence_of(schedule)
    upcoming = schedule.next_occurrence_at
    if schedule.enabled and upcoming is not None:
        return _preview(schedule, rules, [upcoming, *rules.upcoming(upcoming, count - 1)])
    after = now()
    last = runner.last_scheduled_for(session, schedule)
    if last is not None and last > after:
        after = last
    return _preview(schedule, rules, rules.upcoming(after, count))


def preview_draft(
    session: Session, *, data: ScheduleCreate, default_timezone: str, count: int
) -> SchedulePreview:
    """Validate a schedule without saving it and return its first ``count`` runs."""
    schedule = _new(session, data, default_timezone)
    rules = runner.recurrence_of(schedule)
    return _preview(schedule, rules, rules.upcoming(now(), count))


def list_occurrences(
    session: Session,
    *,
    schedule: Schedule,
    status: OccurrenceStatus | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[ScheduleOccurrence], str | None]:
    """Return a schedule's occurrences, latest first, a page at a time."""
    query = select(ScheduleOccurrence).where(ScheduleOccurrence.schedule_id == pk(schedule))
    if status is not None:
        query = query.where(ScheduleOccurrence.status == status)
    if cursor:
        when, after = decode_cursor(cursor, "occurrence", (str, int))
        try:
            moment = datetime.fromisoformat(when)
        except ValueError as exc:
            raise InvalidCursor() from exc
        if moment.tzinfo is None:
            raise InvalidCursor()
        query = query.where(
            (col(ScheduleOccurrence.scheduled_for) < moment)
            | (
                (col(ScheduleOccurrence.scheduled_for) == moment)
                & (col(ScheduleOccurrence.id) < after)
            )
        )
    query = query.order_by(
        col(ScheduleOccurrence.scheduled_for).desc(), col(ScheduleOccurrence.id).desc()
    )
    rows = list(session.exec(query.limit(limit + 1)))
    return split_page(
        rows,
        limit,
        lambda row: encode_cursor("occurrence", row.scheduled_for.isoformat(), row.id),
    )
