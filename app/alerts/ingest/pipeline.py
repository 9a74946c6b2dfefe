"""The ingest path's parts, built once per app by ``create_app`` and handed down.

The fast path gets the pipeline as it is built; FastAPI's ingest routes (reached only by
what the fast path passes on) read the same one from the app's state.
"""

from __future__ import annotations

from starlette.requests import Request

from app.alerts.config import AlertSettings
from app.alerts.ingest.client import RemoteCommitter
from app.alerts.ingest.committer import Committer
from app.alerts.ingest.group import GroupCommitter
from app.alerts.ingest.receiver import Pipeline, TargetCache
from app.core.config import Settings
from app.core.db import Database


def build_pipeline(db: Database, settings: Settings, alerts: AlertSettings) -> Pipeline:
    """The ingest pipeline: settings, integration cache and committer (the writer
    process's client when ``alerts.writer_socket`` names one, else a writer thread)."""
    targets = TargetCache(db, alerts.settings_cache_seconds, settings.secret_key)
    committer: Committer
    if alerts.writer_socket:
        committer = RemoteCommitter(alerts.writer_socket, timeout=alerts.writer_timeout_seconds)
    else:
        committer = GroupCommitter(db)
    return Pipeline(settings=alerts, targets=targets, committer=committer)


def get_pipeline(request: Request) -> Pipeline:
    """The app's ingest pipeline, as ``create_app`` built it."""
    pipeline: Pipeline = request.app.state.alert_pipeline
    return pipeline
