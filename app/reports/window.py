"""Report weeks: ISO weeks in the report's timezone, their UTC windows, and the buckets a
moment of the day falls in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from app.reports.exceptions import InvalidWeek

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")

Bucket = Literal["business", "off_hours", "sleep"]


@dataclass(frozen=True, order=True, slots=True)
class Week:
    """An ISO week: Monday to Monday."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week:
        """Read ``YYYY-Www``; anything else, or a week the year does not have, is 422."""
        match = _WEEK.match(text)
        if match is None:
            raise InvalidWeek(f"{text!r} is not an ISO week such as 2026-W49.")
        year, number = int(match[1]), int(match[2])
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError as exc:
            raise InvalidWeek(f"{year} has no week {number}.") from exc
        return cls(year, number)

    @classmethod
    def of(cls, day: date) -> Week:
        year, number, _ = day.isocalendar()
        return cls(year, number)

    @classmethod
    def last_complete(cls, moment: datetime, zone: ZoneInfo) -> Week:
        """The last week that has ended at ``moment`` in ``zone``."""
        return cls.of(moment.astimezone(zone).date()).shifted(-1)

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    def shifted(self, weeks: int) -> Week:
        return Week.of(self.monday + timedelta(weeks=weeks))

    def window(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Monday 00:00 to the next Monday 00:00 local time, half-open (167 to 169 hours
        when the clocks change), as aware datetimes."""
        start = datetime.combine(self.monday, time(0), tzinfo=zone)
        end = datetime.combine(self.monday + timedelta(weeks=1), time(0), tzinfo=zone)
        return start, end


def bucket(moment: datetime, zone: ZoneInfo) -> Bucket:
    """``business`` Monday-Friday 08:00-18:00, ``sleep`` 22:00-08:00 any day, else
    ``off_hours``; by the local time of ``moment``."""
    local = moment.astimezone(zone)
    hour = local.hour
    if hour >= 22 or hour < 8:
        return "sleep"
    if local.weekday() < 5 and hour < 18:
        return "business"
    return "off_hours"
