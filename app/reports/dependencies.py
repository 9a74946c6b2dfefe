"""Load stored reports by path id, and the report's options from the settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Viewer
from app.core.config import SettingsDep
from app.core.db import SessionDep
from app.core.schemas import Id
from app.reports import snapshots
from app.reports.figures import Options
from app.reports.models import ReportSnapshot


def get_report_or_404(report_id: Id, session: SessionDep, _user: Viewer) -> ReportSnapshot:
    return snapshots.get(session, report_id)


def get_options(settings: SettingsDep) -> Options:
    """The report's timezone and prices (FIRELANE_REPORT_*)."""
    return snapshots.report_options(settings)


def get_base_url(settings: SettingsDep) -> str:
    return settings.base_url


ReportDep = Annotated[ReportSnapshot, Depends(get_report_or_404)]
OptionsDep = Annotated[Options, Depends(get_options)]
BaseUrl = Annotated[str, Depends(get_base_url)]
