"""Stored reports: one snapshot per (week, board or all boards), frozen as computed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from app.core.clock import now
from app.core.db import UTCDateTime

ALL_BOARDS = "all"

# The version of the definitions in docs/report.md: raise it when a figure's definition
# changes. A snapshot keeps the version it was computed with (and only snapshots of this
# version stand in for a week's trend figures).
DEFINITION_VERSION = 1


def scope_of(board_id: int | None) -> str:
    """The snapshot's scope key: ``all`` or ``board:<id>`` (unique with the week)."""
    return ALL_BOARDS if board_id is None else f"board:{board_id}"


class EmailStatus(StrEnum):
    """``pending`` until the SMTP server took the message; then ``sent``."""

    pending = "pending"
    sent = "sent"


class ReportSnapshot(SQLModel, table=True):
    """A week's report as it was computed (the JSON answer of GET /reports/weekly)."""

    __tablename__ = "report_snapshot"
    __table_args__ = (
        # One snapshot per week and scope, whoever makes it (two workers, a retry).
        sa.UniqueConstraint("week", "scope"),
        # The list, newest first.
        sa.Index("ix_report_snapshot_week_id", "week", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    week: str = Field(max_length=8)
    scope: str = Field(max_length=32)
    # Null for the report of all boards; a board's snapshots go with the board.
    board_id: int | None = Field(
        default=None, foreign_key="board.id", ondelete="CASCADE", index=True
    )
    data: dict[str, Any] = Field(sa_type=JSON)
    # The version of the definitions (docs/report.md) the figures were computed with.
    definition_version: int
    made_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    made_by: str = Field(max_length=120)
    # Set once, by whoever claims the publication (report.published emitted with it).
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The e-mail of a published report: pending until sent, retried by the job's runs.
    email_status: str | None = Field(default=None, max_length=16)
    email_attempts: int = 0
    email_error: str | None = Field(default=None, max_length=500)
    emailed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A sender holds the e-mail until then (another process leaves it alone meanwhile).
    email_claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
