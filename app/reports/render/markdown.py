"""The report as Markdown (chat, tickets) and as plain text (the e-mail's text part): the
same sections, with every user- or alert-supplied name escaped for Markdown, or left as
one plain line in the text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.reports.render import charts, text
from app.reports.schemas import WeeklyReport


@dataclass(frozen=True)
class _Style:
    escape: Callable[[str], str]
    markdown: bool

    def heading(self, title: str, level: int = 2) -> list[str]:
        if self.markdown:
            return ["", "#" * level + " " + title, ""]
        return ["", title, "=" * len(title) if level == 1 else "-" * len(title), ""]

    def bold(self, words: str) -> str:
        return f"**{words}**" if self.markdown else words

    def table(self, head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
        if self.markdown:
            lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            return lines + ["| " + " | ".join(row) + " |" for row in rows]
        widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
        return [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in [head, *rows]
        ]


MARKDOWN = _Style(escape=text.md, markdown=True)
PLAIN = _Style(escape=text.one_line, markdown=False)


def _headline(report: WeeklyReport, style: _Style) -> list[str]:
    fires = report.fires
    buckets = ", ".join(
        f"{count} in {text.BUCKET_NAMES[name]}"
        for name, count in fires.by_bucket.model_dump().items()
    )
    kinds = ", ".join(
        f"{kind} {text.number(value)}" for kind, value in report.hours.by_kind.model_dump().items()
    )
    basis = f" ({report.hours.basis})" if report.hours.basis else ""
    debt = report.automation_debt
    return [
        f"- {style.bold('Interruptions:')} {fires.interruptions} ({buckets})",
        f"- {style.bold('Time to acknowledge:')} p50 {text.duration(fires.mtta_seconds.p50)}, "
        f"p90 {text.duration(fires.mtta_seconds.p90)} (n = {fires.mtta_seconds.n}); "
        f"{style.bold('to resolve:')} p50 {text.duration(fires.mttr_seconds.p50)}, "
        f"p90 {text.duration(fires.mttr_seconds.p90)} (n = {fires.mttr_seconds.n}); "
        f"self-resolved {fires.self_resolved}, open {fires.open}",
        f"- {style.bold('Hours:')} {text.hours(report.hours.total)}{basis}: {kinds}",
        f"- {style.bold('Toil:')} {text.percent(report.toil_ratio)}, "
        f"{text.toil_verdict(report.toil_ratio)}; unplanned {text.percent(report.unplanned_ratio)}",
        f"- {style.bold('Automation debt:')} {text.number(debt.hours_per_year)} hours a year "
        f"({text.number(debt.fte, 3)} full-time people)",
    ]


def _candidates(report: WeeklyReport, style: _Style) -> list[str]:
    if not report.candidates:
        return ["No candidate: nothing fired or recurred three times in 90 days."]
    rows = []
    for rank, each in enumerate(report.candidates[:10], start=1):
        if each.automation_card_id is None:
            card = "no card"
        elif each.worth_automating is None:
            card = f"#{each.automation_card_id}, no estimate"
        elif each.worth_automating:
            weeks = text.number(each.payback_weeks, 1)
            card = f"#{each.automation_card_id}, pays back in {weeks} weeks"
        else:
            card = f"#{each.automation_card_id}, costs more than it saves"
        rows.append(
            [
                str(rank),
                style.escape(each.name),
                each.kind,
                text.number(each.interruptions_per_year, 1),
                text.number(each.hours_per_year),
                text.number(each.break_even_hours),
                card,
            ]
        )
    head = ["#", "Candidate", "Kind", "Interruptions/yr", "Hours/yr", "Break-even h", "Automation"]
    return style.table(head, rows)


def _trends(report: WeeklyReport, style: _Style) -> list[str]:
    rows = [
        [each.name, text.spark(each.values), " → ".join(each.shown[-3:])]
        for each in charts.series(report)
    ]
    first = report.trends.weeks[0] if report.trends.weeks else report.week
    return [
        f"{first} to {report.week}, oldest first:",
        "",
        *style.table(["Figure", "Weeks", "Last three"], rows),
    ]


def _ledger(report: WeeklyReport, style: _Style) -> list[str]:
    if not report.ledger:
        return ["No automation card was done in the 90 days before the week's end."]
    rows = [
        [
            f"#{entry.card_id}",
            style.escape(entry.candidate),
            text.moment(entry.done_at),
            f"{text.number(entry.rate_before_per_week, 1)} → "
            f"{text.number(entry.rate_after_per_week, 1)}",
            text.number(entry.retired_hours_per_year),
            entry.status.replace("_", " "),
        ]
        for entry in report.ledger
    ]
    head = ["Card", "Candidate", "Done", "Per week before → after", "Hours/yr retired", "Status"]
    return style.table(head, rows)


def _offenders(report: WeeklyReport, style: _Style) -> list[str]:
    found = report.offenders
    if not found.by_episodes:
        return ["No alert fired this week."]
    rows = [
        [
            style.escape(each.name),
            str(each.episodes),
            text.number(each.hours),
            str(each.flaps),
            "yes" if each.recurring else "new",
            "yes" if each.runbook else "none",
        ]
        for each in found.by_episodes
    ]
    table = style.table(["Alert", "Episodes", "Hours", "Flaps", "Seen before", "Runbook"], rows)
    return [
        *table,
        "",
        f"{found.new} new and {found.recurring} recurring alerts; {found.flapping} flapping "
        f"episodes; {found.without_runbook_episodes} episodes of alerts without a runbook.",
    ]


def _maintenance_and_flow(report: WeeklyReport, style: _Style) -> list[str]:
    chores = report.maintenance
    grade = chores.automation_grade
    flow = report.flow
    cycle = flow.cycle_time_seconds
    over = [style.escape(column.name) for column in flow.wip if column.over_limit]
    return [
        f"- Chores: {chores.created} created, {chores.done} done, {chores.skipped} skipped, "
        f"{chores.missed} missed; {text.hours(chores.hours)} ({grade.manual} manual, "
        f"{grade.scripted} scripted, {grade.automated} automated)",
        f"- Throughput {flow.throughput}; cycle time p50 {text.duration(cycle.p50)}, "
        f"p85 {text.duration(cycle.p85)} (n = {cycle.n}); {flow.aging.count} cards under way "
        "longer than p85",
        f"- Columns over their WIP limit: {', '.join(over) if over else 'none'}",
    ]


def _render(
    report: WeeklyReport,
    style: _Style,
    *,
    link: str | None,
    made_at: datetime | None,
    definition_version: int,
) -> str:
    lines = [*style.heading(text.title(report), 1)[1:], text.window(report)]
    if link:
        lines += ["", f"[Open the report]({link})" if style.markdown else f"Online: {link}"]
    lines += style.heading("Headline") + _headline(report, style)
    lines += style.heading("What to automate first") + _candidates(report, style)
    lines += style.heading("Trends") + _trends(report, style)
    lines += style.heading("Did the automation pay off?") + _ledger(report, style)
    lines += style.heading("What kept burning") + _offenders(report, style)
    lines += style.heading("Maintenance and flow") + _maintenance_and_flow(report, style)
    made = f"Made {text.moment(made_at)}" if made_at else "Computed on request"
    lines += ["", f"{made}; definitions version {definition_version}."]
    return "\n".join(lines) + "\n"


def markdown(
    report: WeeklyReport,
    *,
    link: str | None = None,
    made_at: datetime | None = None,
    definition_version: int,
) -> str:
    """Render the report as Markdown; names from users and alerts cannot add markup."""
    return _render(
        report, MARKDOWN, link=link, made_at=made_at, definition_version=definition_version
    )


def plain(
    report: WeeklyReport,
    *,
    link: str | None = None,
    made_at: datetime | None = None,
    definition_version: int,
) -> str:
    """Render the report as plain text (the text part of its e-mail)."""
    return _render(report, PLAIN, link=link, made_at=made_at, definition_version=definition_version)
