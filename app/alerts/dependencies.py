"""Load integrations and windows by path id."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPBearer

from app.alerts import maintenance, service
from app.alerts.models import Integration, MaintenanceWindow
from app.auth.dependencies import Admin, Viewer
from app.core.config import SettingsDep
from app.core.db import SessionDep
from app.core.schemas import Id

# Names the ingest endpoints' credential in the OpenAPI document (the docs' "Authorize");
# the receiver reads the token itself, from this header, Basic auth or ``?token=``.
INTEGRATION_TOKEN = HTTPBearer(
    auto_error=False,
    scheme_name="integrationToken",
    description="An integration's token (answered when it is created or rotated).",
)


def get_integration_or_404(integration_id: Id, session: SessionDep, _admin: Admin) -> Integration:
    return service.get_integration(session, integration_id)


IntegrationDep = Annotated[Integration, Depends(get_integration_or_404)]


def get_window_or_404(window_id: Id, session: SessionDep, _user: Viewer) -> MaintenanceWindow:
    return maintenance.get_window(session, window_id)


WindowDep = Annotated[MaintenanceWindow, Depends(get_window_or_404)]


def base_url(settings: SettingsDep) -> str:
    return settings.base_url


BaseUrl = Annotated[str, Depends(base_url)]
