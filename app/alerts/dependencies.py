"""Load integrations and windows by path id; the ingest pipeline's per-app parts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from app.alerts import maintenance, service
from app.alerts.committer import GroupCommitter
from app.alerts.config import AlertSettings, get_alert_settings
from app.alerts.models import Integration, MaintenanceWindow
from app.alerts.receiver import TargetCache
from app.auth.dependencies import Admin, Viewer
from app.core.config import Settings
from app.core.db import SessionDep, get_database

_lock = threading.Lock()


def get_integration_or_404(integration_id: int, session: SessionDep, _admin: Admin) -> Integration:
    return service.get_integration(session, integration_id)


IntegrationDep = Annotated[Integration, Depends(get_integration_or_404)]


def get_window_or_404(window_id: int, session: SessionDep, _user: Viewer) -> MaintenanceWindow:
    return maintenance.get_window(session, window_id)


WindowDep = Annotated[MaintenanceWindow, Depends(get_window_or_404)]


def base_url(request: Request) -> str:
    url: str = request.app.state.settings.base_url
    return url


BaseUrl = Annotated[str, Depends(base_url)]


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(app_settings)]


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


async def get_committer(request: Request) -> GroupCommitter:
    """The app's group committer (one writer thread per process)."""
    db = get_database(request)
    found = _state(request, "alert_committer", lambda: GroupCommitter(db))
    assert isinstance(found, GroupCommitter)
    return found


async def get_targets(request: Request) -> TargetCache:
    """The app's cache of integration settings for the ingest path."""
    db = get_database(request)
    ttl = get_alert_settings().settings_cache_seconds
    key = app_settings(request).secret_key
    found = _state(request, "alert_targets", lambda: TargetCache(db, ttl, key))
    assert isinstance(found, TargetCache)
    return found


async def alert_settings() -> AlertSettings:
    return get_alert_settings()


CommitterDep = Annotated[GroupCommitter, Depends(get_committer)]
TargetsDep = Annotated[TargetCache, Depends(get_targets)]
AlertSettingsDep = Annotated[AlertSettings, Depends(alert_settings)]
