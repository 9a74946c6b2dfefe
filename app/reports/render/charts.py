"""The report's charts as shapes to draw in SVG (the template draws them), each with the
sentence that says what it shows (its text alternative)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.reports.render import text
from app.reports.schemas import WeeklyReport

WIDTH = 700
LABEL = 170  # the left column of bar charts, for names
BAR = 300  # the longest bar
ROW = 26
COLOURS = {
    "fire": "#c92a2a",
    "maintenance": "#e8590c",
    "change": "#1971c2",
    "project": "#2f9e44",
    "automation": "#6741d9",
}
BUCKET_COLOURS = {"business": "#1971c2", "off_hours": "#e8590c", "sleep": "#862e9c"}


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    width: float
    colour: str
    value: str
    # A vertical mark on the bar's row (the candidates' break-even), if any.
    mark_x: float | None = None


@dataclass(frozen=True)
class BarChart:
    title: str
    summary: str
    bars: list[Bar]
    height: int
    width: int = WIDTH
    label_width: int = LABEL
    scale_note: str = ""


@dataclass(frozen=True)
class Segment:
    kind: str
    x: float
    width: float
    colour: str
    hours: str


@dataclass(frozen=True)
class StackChart:
    title: str
    summary: str
    segments: list[Segment]
    line_x: float
    total: str
    width: int = WIDTH
    bar: int = BAR + LABEL


@dataclass(frozen=True)
class Spark:
    name: str
    current: str
    summary: str
    # Runs of consecutive weeks with a value, as SVG polyline points; a week without one
    # (a ratio with no hours) breaks the line.
    lines: list[str] = field(default_factory=list)
    last: tuple[float, float] | None = None


def _scaled(value: float, top: float, length: float = BAR) -> float:
    return 0.0 if top <= 0 else round(value / top * length, 1)


def interruptions(report: WeeklyReport) -> BarChart:
    buckets = report.fires.by_bucket.model_dump()
    top = max(buckets.values(), default=0)
    bars = [
        Bar(
            label=text.BUCKET_NAMES[name],
            y=index * ROW,
            width=_scaled(count, top),
            colour=BUCKET_COLOURS[name],
            value=str(count),
        )
        for index, (name, count) in enumerate(buckets.items())
    ]
    parts = ", ".join(f"{count} in {text.BUCKET_NAMES[name]}" for name, count in buckets.items())
    summary = f"{report.fires.interruptions} interruptions: {parts}."
    return BarChart("Interruptions by time of day", summary, bars, height=len(bars) * ROW)


def hours_by_kind(report: WeeklyReport) -> StackChart:
    total = report.hours.total
    by_kind = report.hours.by_kind.model_dump()
    length = BAR + LABEL
    segments = []
    x = 0.0
    for kind, value in by_kind.items():
        width = _scaled(value, total, length) if total > 0 else 0.0
        segments.append(Segment(kind, x, width, COLOURS[kind], text.hours(value)))
        x += width
    parts = ", ".join(f"{kind} {text.hours(value)}" for kind, value in by_kind.items())
    if total > 0:
        summary = (
            f"{text.hours(total)} in all: {parts}. Toil (fire and maintenance) is "
            f"{text.percent(report.toil_ratio)}, {text.toil_verdict(report.toil_ratio)}."
        )
    else:
        summary = "No time was recorded this week."
    return StackChart(
        "Hours by kind of work",
        summary,
        segments,
        line_x=length / 2,
        total=text.hours(total),
    )


def candidates(report: WeeklyReport, limit: int = 10) -> BarChart:
    shown = report.candidates[:limit]
    top = max((each.break_even_hours for each in shown), default=0.0)
    bars = []
    sentences = []
    for index, each in enumerate(shown):
        name = text.one_line(each.name)
        bars.append(
            Bar(
                label=name,
                y=index * ROW,
                width=_scaled(each.hours_per_year, top),
                colour=COLOURS["fire" if each.kind == "alert" else "maintenance"],
                value=f"{text.number(each.hours_per_year)} h/yr · "
                f"break-even {text.number(each.break_even_hours)} h",
                mark_x=_scaled(each.break_even_hours, top),
            )
        )
        sentences.append(
            f"{index + 1}. {name}: {text.number(each.hours_per_year)} hours a year, "
            f"break-even {text.number(each.break_even_hours)} hours"
        )
    if shown:
        summary = "Candidates ranked by hours a year: " + "; ".join(sentences) + "."
    else:
        summary = "No candidate: nothing fired or recurred three times in 90 days."
    return BarChart(
        "What to automate first",
        summary,
        bars,
        height=len(bars) * ROW,
        scale_note="Bar: hours of toil a year. Mark: break-even, the hours automating it may cost.",
    )


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]
    shown: list[str]


def series(report: WeeklyReport) -> list[Series]:
    """The headline figures of the 8 weeks before and of this week, oldest first."""
    trends = report.trends
    rows: list[tuple[str, list[float | None], float | None, Callable[[Any], str]]] = [
        ("Interruptions", list(trends.interruptions), report.fires.interruptions, str),
        ("MTTA p50", list(trends.mtta_p50_seconds), report.fires.mtta_seconds.p50, text.duration),
        ("MTTR p50", list(trends.mttr_p50_seconds), report.fires.mttr_seconds.p50, text.duration),
        ("Hours", list(trends.hours_total), report.hours.total, text.hours),
        ("Unplanned", list(trends.unplanned_ratio), report.unplanned_ratio, text.percent),
        ("Toil", list(trends.toil_ratio), report.toil_ratio, text.percent),
        (
            "Automation debt (h/yr)",
            list(trends.automation_debt_hours_per_year),
            report.automation_debt.hours_per_year,
            text.number,
        ),
    ]
    found = []
    for name, before, now, show in rows:
        values = [*before, now]
        shown = [text.NONE if value is None else show(value) for value in values]
        found.append(Series(name, values, shown))
    return found


SPARK_W, SPARK_H = 120, 28


def sparks(report: WeeklyReport) -> list[Spark]:
    weeks = [*report.trends.weeks, report.week]
    drawn = []
    for each in series(report):
        present = [value for value in each.values if value is not None]
        low, high = (min(present), max(present)) if present else (0.0, 0.0)
        step = SPARK_W / max(len(each.values) - 1, 1)
        lines: list[str] = []
        run: list[str] = []
        last = None
        for index, value in enumerate(each.values):
            if value is None:
                if run:
                    lines.append(" ".join(run))
                run = []
                continue
            y = SPARK_H / 2 if high == low else (high - value) / (high - low) * (SPARK_H - 4) + 2
            point = (round(index * step, 1), round(y, 1))
            run.append(f"{point[0]},{point[1]}")
            last = point if index == len(each.values) - 1 else last
        if run:
            lines.append(" ".join(run))
        pairs = ", ".join(f"{week} {shown}" for week, shown in zip(weeks, each.shown, strict=True))
        drawn.append(
            Spark(
                name=each.name,
                current=each.shown[-1],
                summary=f"{each.name}, oldest first: {pairs}.",
                lines=lines,
                last=last,
            )
        )
    return drawn
