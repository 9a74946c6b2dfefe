"""Load integrations and windows by path id; the ingest pipeline's per-app parts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from app.alerts import maintenance, service
from app.alerts.committer import GroupCommitter
from app.alerts.config import get_alert_settings
from app.alerts.models import Integration, MaintenanceWindow
from app.alerts.receiver import Committer, Pipeline, TargetCache
from app.alerts.remote import RemoteCommitter
from app.auth.dependencies import Admin, Viewer
from app.core.config import SettingsDep, app_settings
from app.core.db import SessionDep, get_database
from app.core.schemas import Id

_lock = threading.Lock()

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


def _state(request: Request, name: str, make: Callable[[], object]) -> object:
    state = request.app.state
    found = getattr(state, name, None)
    if found is None:
        with _lock:
            found = getattr(state, name, None)
            if found is None:
                found = make()
                setattr(state, name, found)
    return found


def _pipeline(request: Request) -> Pipeline:
    db = get_database(request)
    settings = get_alert_settings()
    key = app_settings(request).secret_key
    targets = TargetCache(db, settings.settings_cache_seconds, key)
    committer: Committer
    if settings.writer_socket:
        committer = RemoteCommitter(settings.writer_socket, timeout=settings.writer_timeout_seconds)
    else:
        committer = GroupCommitter(db)
    return Pipeline(settings=settings, targets=targets, committer=committer)


def get_pipeline(request: Request) -> Pipeline:
    """The app's ingest pipeline: settings, integration cache, group committer."""
    found = getattr(request.app.state, "alert_pipeline", None)
    if found is None:
        found = _state(request, "alert_pipeline", lambda: _pipeline(request))
    assert isinstance(found, Pipeline)
    return found
