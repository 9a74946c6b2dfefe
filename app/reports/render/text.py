"""Figures as words (durations, hours, ratios, dates) and escaping for each format."""

from __future__ import annotations

import re
import string
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.reports.schemas import WeeklyReport

# Whitespace of any kind (a newline in a title could start a Markdown block).
_SPACES = re.compile(r"\s+")
# C0/C1 control characters and the bidirectional overrides that can disguise text.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Every ASCII punctuation character with a meaning in Markdown, GFM or chat dialects
# (links, images, HTML, emphasis, code, tables, strike-through, entities, mentions);
# the rest (: / . , ; ? = % ' ") only inside those, and stay readable.
_MD_SPECIAL = frozenset(string.punctuation) - frozenset(":/.,;?=%'\"")
# Shown where a figure has no value (no episode, no hours): an en dash.
NONE = "\u2013"
BUCKET_NAMES = {"business": "business hours", "off_hours": "off hours", "sleep": "sleep hours"}


def one_line(text: str) -> str:
    """Text from users or alerts as one line, without control characters."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()


def md(text: str) -> str:
    """Escape for Markdown (CommonMark/GFM), inline: a backslash before each character
    that could make a link, an image, HTML, an entity, emphasis, code or a table cell."""
    return "".join("\\" + char if char in _MD_SPECIAL else char for char in one_line(text))


def slack(text: str) -> str:
    """Escape for Slack's mrkdwn as an inline code span: ``&``, ``<`` and ``>`` as entities
    (no link, mention or channel ping), backticks replaced (the span cannot be left)."""
    quiet = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "`" + (quiet.replace("`", "'") or " ") + "`"


def duration(seconds: int | None) -> str:
    """``45 s``, ``12 min``, ``1 h 20 min``, ``2 d 4 h``; NONE for no value."""
    if seconds is None:
        return NONE
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def hours(value: float) -> str:
    """``2.42 h``; whole numbers without decimals."""
    return f"{number(value)} h"


def number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return NONE
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".")


def percent(ratio: float | None) -> str:
    """``58.6 %``; NONE when there is no ratio (no hours)."""
    return NONE if ratio is None else f"{ratio * 100:.1f} %"


def scope(report: WeeklyReport) -> str:
    return "all boards" if report.board is None else f"board {report.board}"


def title(report: WeeklyReport) -> str:
    """The report's title; a board's slug is plain (lowercase letters, digits, dashes)."""
    return f"Weekly automation-debt report {report.week}, {scope(report)}"


def window(report: WeeklyReport) -> str:
    """``Mon 23 Mar to Sun 29 Mar 2026 (Europe/Berlin)``: the week's local days."""
    zone = ZoneInfo(report.timezone)
    first = report.window.start.astimezone(zone)
    last = (report.window.end - timedelta(seconds=1)).astimezone(zone)
    return f"{first:%a %d %b} to {last:%a %d %b %Y} ({report.timezone})"


def moment(value: datetime, zone: str = "UTC") -> str:
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def toil_verdict(ratio: float | None) -> str:
    if ratio is None:
        return "no time recorded"
    return "above the 50 % line" if ratio > 0.5 else "within the 50 % line"


SPARKS = "▁▂▃▄▅▆▇█"


def spark(values: list[float | None]) -> str:
    """A line of block characters, one per value (a space for no value)."""
    present = [value for value in values if value is not None]
    if not present:
        return " " * len(values)
    low, high = min(present), max(present)
    span = high - low
    marks = []
    for value in values:
        if value is None:
            marks.append(" ")
        elif span == 0:
            marks.append(SPARKS[0] if high == 0 else SPARKS[3])
        else:
            marks.append(SPARKS[round((value - low) / span * (len(SPARKS) - 1))])
    return "".join(marks)
