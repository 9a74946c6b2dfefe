"""Schedules of recurring chores: define (admin), run now and pause (member), read (viewer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.dependencies import Admin, Member, Viewer
from app.core.db import SessionDep
from app.core.pagination import Cursor, Limit, Page
from app.core.schemas import Id
from app.schedules import service
from app.schedules.dependencies import DefaultTimezone, ScheduleDep
from app.schedules.models import OccurrenceStatus, Schedule, ScheduleOccurrence
from app.schedules.schemas import (
    OccurrencePublic,
    ScheduleCreate,
    SchedulePreview,
    SchedulePublic,
    ScheduleUpdate,
)

router = APIRouter(prefix="/schedules", tags=["schedules"])

Count = Annotated[int, Query(ge=1, le=100, description="How many runs to list.")]


@router.get("", response_model=Page[SchedulePublic])
def list_schedules(
    session: SessionDep,
    _user: Viewer,
    board_id: Id | None = None,
    enabled: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SchedulePublic]:
    """List schedules, optionally of one board or only enabled/paused ones."""
    rows, next_cursor = service.list_schedules(
        session, board_id=board_id, enabled=enabled, limit=limit, cursor=cursor
    )
    return Page(items=[SchedulePublic.model_validate(s) for s in rows], next_cursor=next_cursor)


@router.post("", response_model=SchedulePublic, status_code=status.HTTP_201_CREATED)
def create_schedule(
    data: ScheduleCreate, session: SessionDep, _admin: Admin, default_timezone: DefaultTimezone
) -> Schedule:
    """Define a recurring chore (admin); 422 says what is wrong with cron, zone or template."""
    return service.create_schedule(session, data=data, default_timezone=default_timezone)


@router.post("/preview", response_model=SchedulePreview)
def preview_draft(
    data: ScheduleCreate,
    session: SessionDep,
    _user: Viewer,
    default_timezone: DefaultTimezone,
    count: Count = 10,
) -> SchedulePreview:
    """Check a schedule without saving it and list its first runs."""
    return service.preview_draft(session, data=data, default_timezone=default_timezone, count=count)


@router.get("/{schedule_id:int}", response_model=SchedulePublic)
def get_schedule(schedule: ScheduleDep) -> Schedule:
    """Read a schedule with its next run."""
    return schedule


@router.patch("/{schedule_id:int}", response_model=SchedulePublic)
def update_schedule(
    data: ScheduleUpdate, schedule: ScheduleDep, session: SessionDep, _admin: Admin
) -> Schedule:
    """Change a schedule (admin); a change of timing recomputes the next run."""
    return service.update_schedule(session, schedule=schedule, data=data)


@router.delete("/{schedule_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_schedule(schedule: ScheduleDep, session: SessionDep, _admin: Admin) -> None:
    """Delete a schedule and its occurrence history (admin); its cards stay."""
    service.delete_schedule(session, schedule=schedule)


@router.get("/{schedule_id:int}/preview", response_model=SchedulePreview)
def preview_schedule(
    schedule: ScheduleDep, session: SessionDep, count: Count = 10
) -> SchedulePreview:
    """List the next run times, in UTC and in the schedule's timezone."""
    return service.preview(session, schedule=schedule, count=count)


@router.post(
    "/{schedule_id:int}/run", response_model=OccurrencePublic, status_code=status.HTTP_201_CREATED
)
def run_schedule(schedule: ScheduleDep, session: SessionDep, user: Member) -> ScheduleOccurrence:
    """Make one occurrence now (member), paused or not; the overlap policy applies."""
    return service.run_now(session, schedule=schedule, actor=user)


@router.post("/{schedule_id:int}/pause", response_model=SchedulePublic)
def pause_schedule(schedule: ScheduleDep, session: SessionDep, _user: Member) -> Schedule:
    """Stop making cards until resumed (member)."""
    return service.set_enabled(session, schedule=schedule, enabled=False)


@router.post("/{schedule_id:int}/resume", response_model=SchedulePublic)
def resume_schedule(schedule: ScheduleDep, session: SessionDep, _user: Member) -> Schedule:
    """Resume from the next run after now; the runs of the pause are not made up (member)."""
    return service.set_enabled(session, schedule=schedule, enabled=True)


@router.get("/{schedule_id:int}/occurrences", response_model=Page[OccurrencePublic])
def list_occurrences(
    schedule: ScheduleDep,
    session: SessionDep,
    status: OccurrenceStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[OccurrencePublic]:
    """List a schedule's occurrences, latest first: created, skipped and missed."""
    rows, next_cursor = service.list_occurrences(
        session, schedule=schedule, status=status, limit=limit, cursor=cursor
    )
    return Page(items=[OccurrencePublic.model_validate(o) for o in rows], next_cursor=next_cursor)
