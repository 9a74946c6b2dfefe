"""Card templates: ``{date}``-style placeholders filled from the occurrence's local time."""

from __future__ import annotations

import string
from datetime import datetime
from zoneinfo import ZoneInfo

from app.schedules.exceptions import UnknownPlaceholder

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

PLACEHOLDERS: dict[str, str] = {
    "date": "local date of the occurrence, 2026-03-10",
    "time": "local time, 09:00",
    "weekday": "local weekday, Tuesday",
    "week": "ISO week, 2026-W11",
    "month": "2026-03",
    "quarter": "2026-Q1",
    "year": "2026",
    "schedule": "the schedule's name",
}


def check(text: str, field: str) -> None:
    """Raise UnknownPlaceholder unless every ``{name}`` in ``text`` is a known placeholder."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise UnknownPlaceholder(
            f"{field}: {exc}; write '{{{{' and '}}}}' for literal braces."
        ) from exc
    known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            raise UnknownPlaceholder(
                f"{field}: {shown} is not a placeholder; use {known}.",
                placeholders=list(PLACEHOLDERS),
            )


def values(*, scheduled_for: datetime, tz: ZoneInfo, schedule_name: str) -> dict[str, str]:
    """Return the placeholder values for an occurrence at ``scheduled_for``."""
    local = scheduled_for.astimezone(tz)
    iso = local.isocalendar()
    return {
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "weekday": _WEEKDAYS[local.weekday()],
        "week": f"{iso.year}-W{iso.week:02d}",
        "month": f"{local.year:04d}-{local.month:02d}",
        "quarter": f"{local.year:04d}-Q{(local.month - 1) // 3 + 1}",
        "year": f"{local.year:04d}",
        "schedule": schedule_name,
    }


def render(text: str, filled: dict[str, str], *, limit: int) -> str:
    """Fill a checked template, cut to ``limit`` characters."""
    return text.format_map(filled)[:limit]
