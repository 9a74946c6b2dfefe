"""The weekly automation-debt report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.auth.dependencies import Viewer
from app.core.config import Settings
from app.core.db import SessionDep
from app.reports import service
from app.reports.figures import Options
from app.reports.schemas import WeeklyReport
from app.reports.window import Week

router = APIRouter(tags=["reports"])


def report_options(settings: Settings) -> Options:
    """The report's timezone and prices, from the settings."""
    return Options(
        timezone=settings.report_zone_name,
        horizon_years=settings.report_horizon_years,
        hours_per_fte=settings.report_hours_per_fte,
    )


@router.get("/reports/weekly", response_model=WeeklyReport)
def weekly_report(
    request: Request,
    session: SessionDep,
    _user: Viewer,
    week: Annotated[
        str | None,
        Query(max_length=8, description="YYYY-Www; default the last complete week."),
    ] = None,
    board: Annotated[
        str | None, Query(max_length=64, description="A board's slug; default all boards.")
    ] = None,
) -> WeeklyReport:
    """Compute a week's automation-debt report (docs/report.md), as of the week's end."""
    return service.weekly_report(
        session,
        week=Week.parse(week) if week is not None else None,
        board_slug=board,
        options=report_options(request.app.state.settings),
    )
