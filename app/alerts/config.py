"""Settings of alert ingestion, read from the environment (prefix ``FIRELANE_ALERTS_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.config import read_settings


class AlertSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FIRELANE_ALERTS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Raw payloads are stored up to this many bytes (the rest is cut, and marked so).
    payload_max_bytes: int = Field(default=65_536, ge=1024)
    # Raw payloads older than this are deleted; the alerts and their history stay.
    payload_retention_days: int = Field(default=30, ge=1)
    # How long an ingest process trusts its copy of an integration's settings. A token
    # that was rotated or revoked is refused at once whatever this says.
    settings_cache_seconds: float = Field(default=5.0, ge=0)
    # Set by ``firelane serve --ingest-writer`` (or ``--workers N``): the HTTP processes send
    # their ingest work to the writer process listening on this Unix socket.
    writer_socket: str | None = None
    # A request waits this long for the writer's answer, then gets a 503 (senders retry).
    writer_timeout_seconds: float = Field(default=10.0, gt=0)


@lru_cache
def get_alert_settings() -> AlertSettings:
    """Return the process-wide alert settings, read once."""
    return read_settings(AlertSettings)
