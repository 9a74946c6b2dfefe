"""The clock every service reads, swappable in tests instead of sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Protocol

from pydantic import AfterValidator, AwareDatetime


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until told to move."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now


_clock: Clock = SystemClock()


def now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return _clock.now()


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Make ``clock`` the process clock for the duration of the block."""
    global _clock
    previous, _clock = _clock, clock
    try:
        yield clock
    finally:
        _clock = previous


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# A request field that must carry a timezone; stored and answered in UTC.
AwareUTC = Annotated[AwareDatetime, AfterValidator(_to_utc)]
