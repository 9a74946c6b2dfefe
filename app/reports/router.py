"""The weekly automation-debt report: computed on request, stored every week, rendered."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse, JSONResponse

from app.auth.dependencies import Admin, Viewer
from app.boards.service import get_board_by_slug
from app.core.db import SessionDep, pk
from app.core.pagination import Cursor, Limit, Page
from app.reports import snapshots
from app.reports.dependencies import BaseUrl, OptionsDep, ReportDep
from app.reports.models import DEFINITION_VERSION, ReportSnapshot
from app.reports.render.html import POLICY, html
from app.reports.render.markdown import markdown
from app.reports.schemas import (
    ReportFormat,
    SnapshotPublic,
    SnapshotRequest,
    SnapshotSummary,
    WeeklyReport,
)
from app.reports.window import Week

router = APIRouter(tags=["reports"])

FormatQuery = Annotated[
    ReportFormat,
    Query(alias="format", description="json, markdown (chat, tickets) or html (one page)."),
]
# The renderings beside the JSON answer, in the OpenAPI.
RENDERINGS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/markdown": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
        },
        "description": "The report as JSON, Markdown or one HTML page (format=).",
    }
}


def _rendered(
    report: WeeklyReport,
    rendering: ReportFormat,
    *,
    stored: ReportSnapshot | None,
    base_url: str,
) -> Response:
    made_at = stored.made_at if stored is not None else None
    version = stored.definition_version if stored is not None else DEFINITION_VERSION
    link = snapshots.link(base_url, pk(stored)) if stored is not None else None
    headers = {}
    if stored is not None:
        headers["X-Firelane-Report-Id"] = str(stored.id)
    if rendering is ReportFormat.html:
        page = html(report, link=link, made_at=made_at, definition_version=version)
        return HTMLResponse(page, headers={**headers, "Content-Security-Policy": POLICY})
    page = markdown(report, link=link, made_at=made_at, definition_version=version)
    return Response(page, media_type="text/markdown; charset=utf-8", headers=headers)


@router.get("/reports", response_model=Page[SnapshotSummary])
def list_reports(
    session: SessionDep,
    _user: Viewer,
    board: Annotated[
        str | None, Query(max_length=64, description="Only this board's reports (a slug).")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SnapshotSummary]:
    """List stored weekly reports, newest week first (any role)."""
    board_id = get_board_by_slug(session, board).id if board is not None else None
    rows, next_cursor = snapshots.list_snapshots(
        session, board_id=board_id, limit=limit, cursor=cursor
    )
    return Page(items=[snapshots.summary(row) for row in rows], next_cursor=next_cursor)


@router.get("/reports/weekly", response_model=WeeklyReport, responses=RENDERINGS)
def weekly_report(
    session: SessionDep,
    _user: Viewer,
    options: OptionsDep,
    base_url: BaseUrl,
    week: Annotated[
        str | None,
        Query(max_length=8, description="YYYY-Www; default the last complete week."),
    ] = None,
    board: Annotated[
        str | None, Query(max_length=64, description="A board's slug; default all boards.")
    ] = None,
    rendering: FormatQuery = ReportFormat.json,
) -> Response:
    """A week's automation-debt report (docs/report.md): the stored one if the week has
    one (X-Firelane-Report-Id says which), else computed now as of the week's end."""
    report, stored = snapshots.weekly(
        session,
        week=Week.parse(week) if week is not None else None,
        board_slug=board,
        options=options,
    )
    if rendering is ReportFormat.json:
        headers = {"X-Firelane-Report-Id": str(stored.id)} if stored is not None else None
        return JSONResponse(report.model_dump(mode="json"), headers=headers)
    return _rendered(report, rendering, stored=stored, base_url=base_url)


@router.post(
    "/reports/weekly",
    response_model=SnapshotPublic,
    status_code=201,
    responses={200: {"model": SnapshotPublic, "description": "The week's report, made again."}},
)
def make_report(
    data: SnapshotRequest,
    response: Response,
    session: SessionDep,
    user: Admin,
    options: OptionsDep,
) -> SnapshotPublic:
    """Compute a week's report now and store it, over the stored one if any (admin): 201
    when the week had none, 200 when it was made again."""
    made, created = snapshots.make(
        session,
        week=Week.parse(data.week) if data.week is not None else None,
        board_slug=data.board,
        options=options,
        actor=f"user:{user.name}",
        replace=True,
    )
    if not created:
        response.status_code = 200
    return snapshots.public(made)


@router.get("/reports/{report_id}", response_model=SnapshotPublic, responses=RENDERINGS)
def get_report(
    stored: ReportDep, base_url: BaseUrl, rendering: FormatQuery = ReportFormat.json
) -> Response:
    """Read a stored report: its figures as they were computed, or rendered (any role)."""
    if rendering is ReportFormat.json:
        return JSONResponse(snapshots.public(stored).model_dump(mode="json"))
    report = WeeklyReport.model_validate(stored.data)
    return _rendered(report, rendering, stored=stored, base_url=base_url)
