"""The weekly report: its headline figures, the week's details, and 8 weeks of trends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from app.boards.models import CardKind
from app.boards.service import get_board_by_slug
from app.core.clock import now
from app.core.db import pk
from app.reports.activity import Scope
from app.reports.figures import Headline, Options, headlines, nearest_rank
from app.reports.flow import flow, maintenance, work_mix
from app.reports.models import DEFINITION_VERSION, ReportSnapshot, scope_of
from app.reports.offenders import offenders
from app.reports.schemas import (
    CandidateOut,
    Debt,
    Durations,
    FiresOut,
    HoursOut,
    LedgerOut,
    Trends,
    WeeklyReport,
    Window,
)
from app.reports.window import Week

TREND_WEEKS = 8


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _durations(values: list[int]) -> Durations:
    return Durations(n=len(values), p50=nearest_rank(values, 50), p90=nearest_rank(values, 90))


def _fires(week: Headline) -> FiresOut:
    fires = week.fires
    return FiresOut.model_validate(
        {
            "interruptions": fires.interruptions,
            "by_bucket": fires.by_bucket,
            "mtta_seconds": _durations(fires.mtta),
            "mttr_seconds": _durations(fires.mttr),
            "self_resolved": fires.self_resolved,
            "open": fires.open,
        }
    )


def _candidates(week: Headline) -> list[CandidateOut]:
    horizon = week.options.horizon_years
    return [
        CandidateOut(
            key=each.key,
            kind=each.kind,
            name=each.name,
            occurrences_90d=each.occurrences_90d,
            interruptions_per_year=round(each.interruptions_per_year, 1),
            hours_90d=round(each.hours_90d, 2),
            hours_per_year=round(each.hours_per_year, 2),
            break_even_hours=round(each.break_even_hours(horizon), 2),
            automation_card_id=each.automation_card_id,
            payback_weeks=_r(each.payback_weeks, 1),
            worth_automating=each.worth_automating(horizon),
        )
        for each in week.candidates
    ]


def _ledger(week: Headline) -> list[LedgerOut]:
    return [
        LedgerOut(
            card_id=entry.card_id,
            candidate=entry.candidate,
            done_at=entry.done_at,
            rate_before_per_week=round(entry.rate_before_per_week, 1),
            rate_after_per_week=round(entry.rate_after_per_week, 1),
            hours_per_year_before=round(entry.hours_per_year_before, 2),
            hours_per_year_after=round(entry.hours_per_year_after, 2),
            retired_hours_per_year=round(entry.retired_hours_per_year, 2),
            status=entry.status,
        )
        for entry in week.ledger
    ]


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One week's figures in the trends, computed now or read from its stored report."""

    interruptions: int
    mtta_p50_seconds: int | None
    mttr_p50_seconds: int | None
    hours_total: float
    unplanned_ratio: float | None
    toil_ratio: float | None
    automation_debt_hours_per_year: float

    @classmethod
    def computed(cls, week: Headline) -> TrendPoint:
        return cls(
            interruptions=week.fires.interruptions,
            mtta_p50_seconds=nearest_rank(week.fires.mtta, 50),
            mttr_p50_seconds=nearest_rank(week.fires.mttr, 50),
            hours_total=round(week.hours.total, 2),
            unplanned_ratio=_r(week.hours.ratio(CardKind.fire), 3),
            toil_ratio=_r(week.hours.ratio(CardKind.fire, CardKind.maintenance), 3),
            automation_debt_hours_per_year=round(week.debt_hours_per_year, 2),
        )

    @classmethod
    def stored(cls, data: dict[str, Any]) -> TrendPoint:
        """The same figures from a stored report's JSON (rounded as they were answered)."""
        fires = data["fires"]
        return cls(
            interruptions=fires["interruptions"],
            mtta_p50_seconds=fires["mtta_seconds"]["p50"],
            mttr_p50_seconds=fires["mttr_seconds"]["p50"],
            hours_total=data["hours"]["total"],
            unplanned_ratio=data["unplanned_ratio"],
            toil_ratio=data["toil_ratio"],
            automation_debt_hours_per_year=data["automation_debt"]["hours_per_year"],
        )


def _trends(weeks: list[Week], points: list[TrendPoint]) -> Trends:
    return Trends(
        weeks=[str(each) for each in weeks],
        interruptions=[each.interruptions for each in points],
        mtta_p50_seconds=[each.mtta_p50_seconds for each in points],
        mttr_p50_seconds=[each.mttr_p50_seconds for each in points],
        hours_total=[each.hours_total for each in points],
        unplanned_ratio=[each.unplanned_ratio for each in points],
        toil_ratio=[each.toil_ratio for each in points],
        automation_debt_hours_per_year=[each.automation_debt_hours_per_year for each in points],
    )


def stored_weeks(
    session: Session, weeks: list[Week], *, board_id: int | None, options: Options
) -> dict[Week, TrendPoint]:
    """The trend figures of the weeks whose stored report can stand in for computing them:
    of this scope, computed with today's definitions in the same timezone, and made after
    the week ended (the weekly job stores every week's; the figures of a week are as of its
    end, so they are the same computed again unless history was since deleted)."""
    query = select(ReportSnapshot).where(
        col(ReportSnapshot.week).in_([str(each) for each in weeks]),
        ReportSnapshot.scope == scope_of(board_id),
        ReportSnapshot.definition_version == DEFINITION_VERSION,
    )
    ends: dict[str, tuple[Week, datetime]] = {
        str(each): (each, each.window(options.zone)[1]) for each in weeks
    }
    found: dict[Week, TrendPoint] = {}
    for row in session.exec(query):
        week, end = ends[row.week]
        if row.data.get("timezone") == options.timezone and row.made_at >= end:
            found[week] = TrendPoint.stored(row.data)
    return found


def _one_snapshot(session: Session) -> None:
    """Read every query of the report from one snapshot of the database (SQLite's reading
    transactions already are; PostgreSQL's READ COMMITTED would see commits in between)."""
    if session.get_bind().dialect.name == "postgresql":
        session.rollback()  # the request's authentication read in a transaction of its own
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def weekly_report(
    session: Session, *, week: Week | None, board_slug: str | None, options: Options
) -> WeeklyReport:
    """Compute one week's report (by default the last complete week) as of the week's end;
    for one board's cards, alerts and schedules, or for all boards."""
    _one_snapshot(session)
    board = get_board_by_slug(session, board_slug) if board_slug is not None else None
    week = week or Week.last_complete(now(), options.zone)
    scope = Scope(board_id=pk(board) if board is not None else None)
    before = [week.shifted(-back) for back in range(TREND_WEEKS, 0, -1)]
    stored = stored_weeks(session, before, board_id=scope.board_id, options=options)
    computing = [each for each in before if each not in stored] + [week]
    *computed, figures = headlines(
        session, [each.window(options.zone) for each in computing], scope=scope, options=options
    )
    points = stored | {
        each: TrendPoint.computed(headline)
        for each, headline in zip(computing, computed, strict=False)
    }
    start, end = figures.start, figures.end
    hours = figures.hours
    return WeeklyReport.model_validate(
        {
            "week": str(week),
            "timezone": options.timezone,
            "board": board.slug if board is not None else None,
            "window": Window(start=start.astimezone(UTC), end=end.astimezone(UTC)),
            "fires": _fires(figures),
            "hours": HoursOut.model_validate(
                {
                    "total": round(hours.total, 2),
                    "by_kind": {kind: round(value, 2) for kind, value in hours.by_kind.items()},
                    "basis": hours.basis,
                }
            ),
            "unplanned_ratio": _r(hours.ratio(CardKind.fire), 3),
            "toil_ratio": _r(hours.ratio(CardKind.fire, CardKind.maintenance), 3),
            "candidates": _candidates(figures),
            "automation_debt": Debt(
                hours_per_year=round(figures.debt_hours_per_year, 2),
                fte=round(figures.debt_fte, 3),
            ),
            "ledger": _ledger(figures),
            "work_mix": work_mix(session, figures, scope),
            "maintenance": maintenance(session, figures, scope),
            "offenders": offenders(session, figures),
            "flow": flow(session, figures, scope),
            "trends": _trends(before, [points[each] for each in before]),
        }
    )
