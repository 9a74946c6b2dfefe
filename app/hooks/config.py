"""Settings of the delivery loop, read from ``FIRELANE_HOOKS_*`` (and ``.env``)."""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.config import read_settings

DEFAULT_SCHEDULE = "0,5s,5m,30m,2h,5h,10h,10h"

_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_STEP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


def parse_schedule(text: str) -> tuple[float, ...]:
    """Parse "0,5s,5m,2h": the wait before each attempt, the first one included."""
    delays: list[float] = []
    for part in text.split(","):
        match = _STEP.match(part)
        if match is None:
            raise ValueError(f"{part.strip()!r} is not a duration such as 30s, 5m or 2h")
        delays.append(float(match.group(1)) * _UNITS[match.group(2)])
    if not delays or len(delays) > 50:
        raise ValueError("the retry schedule needs between 1 and 50 steps")
    return tuple(delays)


class HooksSettings(BaseSettings):
    """How outgoing hooks are sent; every field can be set as ``FIRELANE_HOOKS_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="FIRELANE_HOOKS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Wait before attempt 1, 2, ...; the delivery is dead after the last one.
    retry_schedule: str = DEFAULT_SCHEDULE
    # Each wait is stretched or shrunk at random by up to this fraction.
    jitter: float = 0.1
    # A receiver that has not answered within this long has failed this attempt.
    timeout_seconds: float = 10.0
    # Deliveries sent at once by one delivery loop.
    concurrency: int = 16
    # Deliveries one loop claims at a time.
    batch_size: int = 100
    # A claimed delivery returns to the queue after this long if its process died.
    lease_seconds: float = 300.0
    # How often an idle loop looks for due deliveries (a commit in its own process wakes it).
    poll_seconds: float = 1.0
    # Finished deliveries and rule runs older than this are purged (hourly).
    retention_days: int = 30
    # Longest Retry-After a receiver may ask for; longer answers are cut to this.
    max_retry_after_seconds: float = 86_400.0
    # Let webhooks and rule web requests reach loopback and private addresses (see targets).
    allow_private: bool = False

    @field_validator("retry_schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @field_validator("concurrency", "batch_size")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @property
    def delays(self) -> tuple[float, ...]:
        return parse_schedule(self.retry_schedule)

    @property
    def max_attempts(self) -> int:
        return len(self.delays)


@lru_cache
def get_hooks_settings() -> HooksSettings:
    """Return the process-wide hooks settings, read once."""
    return read_settings(HooksSettings)
