"""Schedules of recurring chores and the occurrences they made."""

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, Relationship, SQLModel

from app.auth.models import User
from app.boards.models import Priority
from app.core.clock import now
from app.core.db import UTCDateTime


class Overlap(StrEnum):
    """What happens when a run comes round and the last chore card is still open."""

    skip = "skip"  # record a skipped occurrence and flag the open card overdue
    stack = "stack"  # always create another card


class Automation(StrEnum):
    """How far the chore is automated: the report prices manual and scripted toil."""

    manual = "manual"
    scripted = "scripted"
    automated = "automated"


class OccurrenceStatus(StrEnum):
    created = "created"  # a card was made
    skipped = "skipped"  # the last card was still open (overlap "skip")
    missed = "missed"  # the scheduler was down, or the run was older than the grace


class OccurrenceTrigger(StrEnum):
    schedule = "schedule"  # the scheduler, on time or catching up
    manual = "manual"  # POST /schedules/{id}/run


class Schedule(SQLModel, table=True):
    """A chore that comes back: when, where its card goes, and what the card says."""

    __table_args__ = (
        # The scheduler's claim query: enabled schedules whose next run has come.
        sa.Index("ix_schedule_enabled_next_run_at", "enabled", "next_run_at"),
        sa.CheckConstraint(
            "(cron IS NULL) <> (interval_minutes IS NULL)", name="cron_xor_interval"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    board_id: int = Field(foreign_key="board.id", ondelete="CASCADE", index=True)
    # None: the board's first column (also what a deleted column falls back to).
    column_id: int | None = Field(default=None, foreign_key="board_column.id", ondelete="SET NULL")

    # Recurrence: exactly one of a cron expression and an interval.
    cron: str | None = Field(default=None, max_length=120)
    interval_minutes: int | None = None
    timezone: str = Field(max_length=64)
    starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    enabled: bool = True
    lead_minutes: int = 0
    grace_minutes: int | None = None
    overlap: Overlap = Field(default=Overlap.skip, sa_type=sa.String(8))
    automation: Automation = Field(default=Automation.manual, sa_type=sa.String(16))

    # The card template.
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_type=sa.Text)
    checklist: list[str] = Field(default_factory=list, sa_type=JSON)
    labels: list[str] = Field(default_factory=list, sa_type=JSON)
    priority: Priority = Field(default=Priority.medium, sa_type=sa.String(16))
    assignee_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    estimate_minutes: int | None = None

    # The truth the scheduler works from: the next occurrence (the card's due time) and
    # when its card is made (that time minus the lead). None once the schedule has ended.
    next_occurrence_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    assignee_user: User | None = Relationship(
        sa_relationship_kwargs={"lazy": "selectin", "foreign_keys": "[Schedule.assignee_id]"}
    )

    @property
    def assignee(self) -> str | None:
        return self.assignee_user.name if self.assignee_user else None

    def summary(self) -> dict[str, Any]:
        """The schedule as events about its cards carry it."""
        return {
            "id": self.id,
            "name": self.name,
            "automation": str(self.automation),
            "estimate_minutes": self.estimate_minutes,
            "overlap": str(self.overlap),
        }


class ScheduleOccurrence(SQLModel, table=True):
    """One run of a schedule: unique per (schedule, scheduled_for), whoever ran it."""

    __tablename__ = "schedule_occurrence"
    __table_args__ = (
        sa.UniqueConstraint("schedule_id", "scheduled_for"),
        sa.Index("ix_schedule_occurrence_card_id", "card_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="schedule.id", ondelete="CASCADE")
    # The occurrence time: the card's due_at (for a manual run, the moment it was asked for).
    scheduled_for: datetime = Field(sa_type=UTCDateTime)
    status: OccurrenceStatus = Field(sa_type=sa.String(8))
    trigger: OccurrenceTrigger = Field(sa_type=sa.String(8))
    # The card made (created) or found still open (skipped); None when missed.
    card_id: int | None = Field(default=None, foreign_key="card.id", ondelete="SET NULL")
    reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
