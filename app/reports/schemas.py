"""The weekly report's answer. Field names are a contract (docs/report.md)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class Window(BaseModel):
    start: datetime
    end: datetime


class Buckets(BaseModel):
    business: int
    off_hours: int
    sleep: int


class Durations(BaseModel):
    n: int
    p50: int | None
    p90: int | None


class FiresOut(BaseModel):
    interruptions: int
    by_bucket: Buckets
    mtta_seconds: Durations
    mttr_seconds: Durations
    self_resolved: int
    open: int


class ByKind(BaseModel):
    fire: float
    maintenance: float
    change: float
    project: float
    automation: float


class HoursOut(BaseModel):
    total: float
    by_kind: ByKind
    basis: Literal["logged", "inferred", "mixed"] | None


class CandidateOut(BaseModel):
    key: str
    kind: Literal["alert", "schedule"]
    name: str
    occurrences_90d: int
    interruptions_per_year: float
    hours_90d: float
    hours_per_year: float
    break_even_hours: float
    automation_card_id: int | None
    payback_weeks: float | None
    worth_automating: bool | None


class Debt(BaseModel):
    hours_per_year: float
    fte: float


class LedgerOut(BaseModel):
    card_id: int
    candidate: str
    done_at: datetime
    rate_before_per_week: float
    rate_after_per_week: float
    hours_per_year_before: float
    hours_per_year_after: float
    retired_hours_per_year: float
    status: Literal["too_early", "retired", "still_burning"]


class WorkMix(BaseModel):
    created: ByCount
    done: ByCount


class ByCount(BaseModel):
    fire: int
    maintenance: int
    change: int
    project: int
    automation: int


class ScheduleOut(BaseModel):
    schedule_id: int
    name: str
    automation: str
    created: int
    done: int
    skipped: int
    missed: int
    hours: float


class Grade(BaseModel):
    manual: int
    scripted: int
    automated: int


class MaintenanceOut(BaseModel):
    created: int
    done: int
    skipped: int
    missed: int
    hours: float
    automation_grade: Grade
    schedules: list[ScheduleOut]


class OffenderOut(BaseModel):
    key: str
    name: str
    integration_id: int
    episodes: int
    hours: float
    flaps: int
    recurring: bool
    runbook: bool


class NoRunbook(BaseModel):
    key: str
    name: str
    episodes: int


class OffendersOut(BaseModel):
    by_episodes: list[OffenderOut]
    by_hours: list[OffenderOut]
    new: int = Field(description="Alert candidates whose first episode ever is in the week.")
    recurring: int = Field(description="Alert candidates of the week seen before it.")
    flapping: int = Field(description="Episodes of the week that were flaps.")
    without_runbook: list[NoRunbook]
    without_runbook_episodes: int


class WipOut(BaseModel):
    column_id: int
    board_id: int
    name: str
    cards: int
    wip_limit: int | None
    wip_mode: str
    over_limit: bool


class CycleTime(BaseModel):
    n: int
    p50: int | None
    p85: int | None


class Aging(BaseModel):
    threshold_seconds: int | None
    count: int
    card_ids: list[int]


class FlowOut(BaseModel):
    wip: list[WipOut]
    throughput: int
    cycle_time_seconds: CycleTime
    aging: Aging


class Trends(BaseModel):
    """Each headline figure for the 8 weeks before the report's, oldest first."""

    weeks: list[str]
    interruptions: list[int]
    mtta_p50_seconds: list[int | None]
    mttr_p50_seconds: list[int | None]
    hours_total: list[float]
    unplanned_ratio: list[float | None]
    toil_ratio: list[float | None]
    automation_debt_hours_per_year: list[float]


class WeeklyReport(BaseModel):
    week: str
    timezone: str
    board: str | None
    window: Window
    fires: FiresOut
    hours: HoursOut
    unplanned_ratio: float | None
    toil_ratio: float | None
    candidates: list[CandidateOut]
    automation_debt: Debt
    ledger: list[LedgerOut]
    work_mix: WorkMix
    maintenance: MaintenanceOut
    offenders: OffendersOut
    flow: FlowOut
    trends: Trends


WorkMix.model_rebuild()


# --- stored snapshots -------------------------------------------------------------------


class ReportFormat(StrEnum):
    json = "json"
    markdown = "markdown"
    html = "html"


class SnapshotRequest(BaseModel):
    """Which report to make (or make again) now."""

    week: str | None = Field(
        default=None, max_length=8, description="YYYY-Www; default the last complete week."
    )
    board: str | None = Field(
        default=None, max_length=64, description="A board's slug; default all boards."
    )


class Headline(BaseModel):
    """The figures a list or a chat message shows."""

    interruptions: int
    mtta_p50_seconds: int | None
    mttr_p50_seconds: int | None
    hours_total: float
    toil_ratio: float | None
    unplanned_ratio: float | None
    automation_debt_hours_per_year: float
    automation_debt_fte: float
    top_candidate: str | None


class SnapshotSummary(BaseModel):
    """A stored report, without its figures."""

    id: int
    week: str
    board: str | None = Field(description="The board's slug; null for all boards.")
    board_id: int | None
    made_at: datetime
    made_by: str = Field(description='"system" (the weekly job), "cli" or "user:<name>".')
    definition_version: int = Field(description="The version of docs/report.md it follows.")
    published_at: datetime | None = Field(description="When report.published was emitted.")
    email_status: Literal["pending", "sent"] | None
    headline: Headline


class SnapshotPublic(SnapshotSummary):
    """A stored report with its figures as they were computed."""

    report: WeeklyReport
