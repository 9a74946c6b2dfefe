"""Request and response shapes of schedules, their previews and occurrences."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.boards.models import Priority
from app.boards.schemas import ChecklistText, Description, Labels, Title
from app.core.clock import AwareUTC
from app.core.schemas import Id, Patch, StrictModel
from app.schedules.models import Automation, OccurrenceStatus, OccurrenceTrigger, Overlap

Name = Annotated[str, Field(min_length=1, max_length=120)]
Cron = Annotated[
    str,
    Field(
        min_length=1,
        max_length=120,
        description="Crontab 'minute hour day-of-month month day-of-week' (0 or 7 = Sunday), "
        "a macro (@daily, @weekly, ...), 'tue#2' for the second Tuesday, 'L' for the last day.",
        examples=["0 9 * * 1-5", "30 2 * * *", "0 10 * * tue#2"],
    ),
]
IntervalMinutes = Annotated[
    int, Field(ge=5, le=527_040, description="Elapsed minutes between runs (5 to 366 days).")
]
Timezone = Annotated[
    str, Field(min_length=1, max_length=64, description="IANA timezone, e.g. Europe/Berlin.")
]
LeadMinutes = Annotated[
    int, Field(ge=0, le=44_640, description="Create the card this long before it is due.")
]
GraceMinutes = Annotated[
    int,
    Field(
        ge=5,
        le=527_040,
        description="A catch-up run older than this is recorded as missed; null: no limit.",
    ),
]
Estimate = Annotated[int, Field(ge=0, le=100_000, description="Hands-on minutes per run.")]
Checklist = Annotated[list[ChecklistText], Field(max_length=100)]
Assignee = Annotated[str, Field(min_length=1, max_length=64, description="A user name.")]


def _unique_labels(labels: list[str] | None) -> list[str] | None:
    return None if labels is None else sorted(set(labels))


class ScheduleCreate(StrictModel):
    """A schedule: exactly one of ``cron`` and ``interval_minutes``."""

    name: Name
    board_id: Id
    column_id: Id | None = Field(default=None, description="Defaults to the first column.")
    cron: Cron | None = None
    interval_minutes: IntervalMinutes | None = None
    timezone: Timezone | None = Field(default=None, description="Defaults to FIRELANE_TIMEZONE.")
    starts_at: AwareUTC | None = None
    ends_at: AwareUTC | None = None
    enabled: bool = True
    lead_minutes: LeadMinutes = 0
    grace_minutes: GraceMinutes | None = None
    overlap: Overlap = Overlap.skip
    automation: Automation = Automation.manual
    title: Title = Field(description="Card title; placeholders such as {date} and {week}.")
    description: Description = ""
    checklist: Checklist = []
    labels: Labels = []
    priority: Priority = Priority.medium
    assignee: Assignee | None = None
    estimate_minutes: Estimate | None = None

    _labels = field_validator("labels")(_unique_labels)


# Fields a PATCH may set to null: null means "none" (or, for column_id, the first column).
CLEARABLE = frozenset(
    {
        "column_id",
        "cron",
        "interval_minutes",
        "starts_at",
        "ends_at",
        "grace_minutes",
        "assignee",
        "estimate_minutes",
    }
)


class ScheduleUpdate(Patch):
    """Fields left out stay; setting ``cron`` clears ``interval_minutes`` and vice versa."""

    clearable = CLEARABLE

    name: Name | None = None
    board_id: Id | None = None
    column_id: Id | None = None
    cron: Cron | None = None
    interval_minutes: IntervalMinutes | None = None
    timezone: Timezone | None = None
    starts_at: AwareUTC | None = None
    ends_at: AwareUTC | None = None
    enabled: bool | None = None
    lead_minutes: LeadMinutes | None = None
    grace_minutes: GraceMinutes | None = None
    overlap: Overlap | None = None
    automation: Automation | None = None
    title: Title | None = None
    description: Description | None = None
    checklist: Checklist | None = None
    labels: Labels | None = None
    priority: Priority | None = None
    assignee: Assignee | None = None
    estimate_minutes: Estimate | None = None

    _labels = field_validator("labels")(_unique_labels)


class SchedulePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    board_id: int
    column_id: int | None
    cron: str | None
    interval_minutes: int | None
    timezone: str
    starts_at: datetime | None
    ends_at: datetime | None
    enabled: bool
    lead_minutes: int
    grace_minutes: int | None
    overlap: Overlap
    automation: Automation
    title: str
    description: str
    checklist: list[str]
    labels: list[str]
    priority: Priority
    assignee: str | None
    estimate_minutes: int | None
    next_occurrence_at: datetime | None = Field(
        description="When the next chore is due (its card's due_at); null once ended."
    )
    next_run_at: datetime | None = Field(
        description="When the scheduler makes that card: next_occurrence_at minus the lead."
    )
    created_at: datetime
    updated_at: datetime


class PreviewRun(BaseModel):
    scheduled_for: datetime = Field(description="The occurrence time in UTC (the card's due_at).")
    local_time: str = Field(description="The same moment in the schedule's timezone.")
    creates_at: datetime = Field(description="When the card is made (minus the lead).")
    title: str


class SchedulePreview(BaseModel):
    schedule_id: int | None
    timezone: str
    runs: list[PreviewRun]


class OccurrencePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    schedule_id: int
    scheduled_for: datetime
    status: OccurrenceStatus
    trigger: OccurrenceTrigger
    card_id: int | None
    reason: str | None
    created_at: datetime
