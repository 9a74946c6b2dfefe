"""When a schedule runs: crontab or interval, in an IANA timezone, on APScheduler's triggers.

Accepted cron syntax: the standard five crontab fields ``minute hour day-of-month month
day-of-week`` with their standard meanings (day-of-week 0 or 7 is Sunday; names such as
``mon-fri`` and ``jan`` work), the macros ``@hourly @daily @weekly @monthly @yearly``, and
two calendar rules:

- ``DOW#N`` in the day-of-week field: the Nth such weekday of the month (``tue#2`` is the
  second Tuesday, ``fri#L`` the last Friday); several may be listed (``mon#1,mon#3``);
- ``L`` in the day-of-month field: the last day of the month.

APScheduler 3 numbers weekdays from Monday = 0, not crontab's Sunday = 0; the day-of-week
field is rewritten to weekday names so that ``1-5`` means Monday to Friday as in crontab.
A cron that restricts both day-of-month and day-of-week is refused: crontab ORs the two,
APScheduler ANDs them, and a chore must not depend on which reading was meant.

Daylight saving, for cron schedules (they follow the wall clock of their timezone):
a wall time that does not exist on the spring-forward day runs once, shifted forward by the
gap (02:30 becomes 03:30); a wall time that happens twice on the fall-back day runs once, at
its first occurrence, unless the hour field is ``*`` (then every real hour runs). Interval
schedules count elapsed time and ignore daylight saving.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.schedules.exceptions import (
    InvalidCron,
    InvalidWindow,
    NeverRuns,
    RecurrenceRequired,
    UnknownTimezone,
)

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

# Crontab numbering: Sunday is 0 (and 7).
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_ORDINALS = {"1": "1st", "2": "2nd", "3": "3rd", "4": "4th", "5": "5th", "l": "last"}
_NTH = re.compile(r"^([a-z]{3}|[0-7])#([1-5]|l|last)$")
_PLAIN = re.compile(r"^(\*|[a-z]{3}|[0-7])(?:-([a-z]{3}|[0-7]))?(?:/(\d{1,2}))?$")
_MICROSECOND = timedelta(microseconds=1)


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """Return the IANA timezone ``name``, or raise UnknownTimezone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise UnknownTimezone(
            f"{name!r} is not an IANA timezone (examples: 'UTC', 'Europe/Berlin')."
        ) from exc


def _day_number(token: str, field: str) -> int:
    if token.isdigit():
        return int(token) % 7
    if token in _DAYS:
        return _DAYS.index(token)
    raise InvalidCron(f"{field}: {token!r} is not a weekday (0-7 or sun, mon, ... sat).")


def _plain_days(token: str) -> set[int]:
    match = _PLAIN.match(token)
    if match is None:
        raise InvalidCron(f"day-of-week: {token!r} is not a weekday, range or step.")
    first, last, step_text = match.groups()
    step = int(step_text) if step_text else 1
    if step < 1:
        raise InvalidCron("day-of-week: a step must be at least 1.")
    if first == "*":
        if last is not None:
            raise InvalidCron(f"day-of-week: {token!r} is not a range.")
        return set(range(0, 7, step))
    start = _day_number(first, "day-of-week")
    if last is None:
        return {start} if step_text is None else set(range(start, 7, step))
    # Ranges keep crontab's own numbers, so that 5-7 (Friday to Sunday) works.
    low = int(first) if first.isdigit() else start
    # A range may end on Sunday by name as well as by 7 ("fri-sun", "5-7").
    high = 7 if last == "sun" else int(last) if last.isdigit() else _day_number(last, "day-of-week")
    if high < low:
        raise InvalidCron(f"day-of-week: the range {token!r} runs backwards.")
    return {day % 7 for day in range(low, high + 1, step)}


def _translate_days(dom: str, dow: str) -> tuple[str, str]:
    """Map crontab's day fields to APScheduler's ``day`` and ``day_of_week`` fields."""
    tokens = [token.strip() for token in dow.lower().split(",")]
    if any("#" in token for token in tokens):
        if dom != "*":
            raise InvalidCron("A Nth-weekday rule (e.g. tue#2) needs '*' as day-of-month.")
        rules = []
        for token in tokens:
            match = _NTH.match(token)
            if match is None:
                raise InvalidCron(
                    f"day-of-week: {token!r} is not a Nth-weekday rule; write e.g. 'tue#2' "
                    "(second Tuesday) or 'fri#L' (last Friday), and do not mix it with "
                    "plain weekdays."
                )
            day, nth = match.groups()
            rules.append(f"{_ORDINALS[nth[0]]} {_DAYS[_day_number(day, 'day-of-week')]}")
        return ",".join(rules), "*"
    if dow == "*":
        return ",".join("last" if part.lower() == "l" else part for part in dom.split(",")), "*"
    days: set[int] = set()
    for token in tokens:
        days |= _plain_days(token)
    if dom != "*":
        raise InvalidCron(
            "The cron restricts both day-of-month and day-of-week, which crontab reads as "
            "'either' and others as 'both'; restrict only one of them (use e.g. 'tue#2' for "
            "'the second Tuesday')."
        )
    if days == set(range(7)):
        return "*", "*"
    # APScheduler's week starts on Monday; list names in that order.
    ordered = sorted(days, key=lambda day: (day - 1) % 7)
    return "*", ",".join(_DAYS[day] for day in ordered)


def cron_fields(expression: str) -> list[str]:
    """Split a crontab expression (or macro) into its five fields."""
    text = " ".join(expression.split())
    fields = MACROS.get(text.lower(), text).split(" ")
    if len(fields) != 5:
        raise InvalidCron(
            f"A cron has 5 fields (minute hour day-of-month month day-of-week); "
            f"{expression!r} has {len(fields)}."
        )
    return fields


def cron_trigger(expression: str, tz: ZoneInfo) -> CronTrigger:
    """Build the CronTrigger for a crontab expression, or raise InvalidCron with the reason."""
    minute, hour, dom, month, dow = cron_fields(expression)
    day, day_of_week = _translate_days(dom, dow)
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=day_of_week,
            second=0,
            timezone=tz,
        )
    except (ValueError, TypeError) as exc:
        raise InvalidCron(f"Invalid cron {expression!r}: {exc}.") from exc


@dataclass(frozen=True)
class Recurrence:
    """A schedule's run times: cron or interval, timezone and window."""

    trigger: Any
    tz: ZoneInfo
    starts_at: datetime | None
    ends_at: datetime | None
    # Cron whose hour field is "*": the repeated fall-back hour runs too.
    every_hour: bool = False

    def _skip_repeat(self, fire: datetime) -> bool:
        """Tell whether ``fire`` is the second pass of a wall time repeated at fall-back."""
        if self.every_hour or not isinstance(self.trigger, CronTrigger) or fire.fold != 1:
            return False
        return fire.replace(fold=0).utcoffset() != fire.utcoffset()

    def next_after(self, after: datetime) -> datetime | None:
        """Return the first run time strictly after ``after`` (UTC), or None when none is left."""
        # Arithmetic in UTC: adding to a local time would drop its fold and step backwards.
        probe = after.astimezone(UTC)
        if self.starts_at is not None and probe < self.starts_at:
            probe = self.starts_at.astimezone(UTC) - _MICROSECOND
        while True:
            fire = self.trigger.get_next_fire_time(None, probe + _MICROSECOND)
            if fire is None:
                return None
            if not self._skip_repeat(fire):
                break
            probe = fire.astimezone(UTC)
        fire_utc: datetime = fire.astimezone(UTC)
        if self.ends_at is not None and fire_utc > self.ends_at:
            return None
        return fire_utc

    def upcoming(self, after: datetime, count: int) -> list[datetime]:
        """Return up to ``count`` run times strictly after ``after``."""
        times: list[datetime] = []
        current: datetime | None = after
        while current is not None and len(times) < count:
            current = self.next_after(current)
            if current is not None:
                times.append(current)
        return times


def interval_anchor(moment: datetime) -> datetime:
    """Return ``moment`` cut to the minute: interval runs fall on whole minutes."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def build(
    *,
    cron: str | None,
    interval_minutes: int | None,
    timezone: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> Recurrence:
    """Validate a recurrence and build it; raise a 422 error naming what is wrong."""
    tz = zone(timezone)
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise InvalidWindow("ends_at must be after starts_at.")
    if cron is not None:
        trigger: Any = cron_trigger(cron, tz)
        every_hour = cron_fields(cron)[1] in ("*", "*/1")
        return Recurrence(trigger, tz, starts_at, ends_at, every_hour=every_hour)
    if interval_minutes is None or starts_at is None:
        raise RecurrenceRequired()
    anchor = interval_anchor(starts_at)
    trigger = IntervalTrigger(minutes=interval_minutes, start_date=anchor, timezone=tz)
    return Recurrence(trigger, tz, anchor, ends_at)


def first_run(recurrence: Recurrence, after: datetime) -> datetime:
    """Return the first run after ``after``; a recurrence that never runs is a 422."""
    fire = recurrence.next_after(after)
    if fire is None:
        raise NeverRuns("The schedule has no run time left (check the cron and ends_at).")
    return fire
