"""Settings of the live board stream, read from ``FIRELANE_STREAM_*`` (and ``.env``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StreamSettings(BaseSettings):
    """How board streams are fed; every field can be set as ``FIRELANE_STREAM_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="FIRELANE_STREAM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # A comment line this often, so that browsers (and proxies) see the stream is alive.
    heartbeat_seconds: float = Field(default=15.0, gt=0, le=300)
    # How often the tail reads the log on SQLite (PostgreSQL wakes it by NOTIFY; this is then
    # only the fallback).
    poll_seconds: float = Field(default=0.25, gt=0, le=10)
    # While events keep coming (a storm of transactions, each notifying on PostgreSQL), the
    # log is read at most this often: streams wake a few times a second, not per commit.
    coalesce_seconds: float = Field(default=0.25, ge=0, le=5)
    # A reconnect that missed more events than this gets `resync` (reload the board) instead.
    resume_limit: int = Field(default=1000, ge=1, le=100_000)
    # A stream ends after this long and the browser reconnects (its session is checked again).
    max_seconds: float = Field(default=1800.0, gt=0)
    # Events waiting for one slow browser before it is told to resync instead.
    queue_size: int = Field(default=2000, ge=10)


@lru_cache
def get_stream_settings() -> StreamSettings:
    return StreamSettings()
