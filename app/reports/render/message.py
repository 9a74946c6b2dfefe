"""The chat message of ``report.published``: the headline figures and a link, in Slack's
mrkdwn (Mattermost and Rocket.Chat read it too)."""

from __future__ import annotations

from app.reports.render import text
from app.reports.schemas import WeeklyReport


def slack_message(report: WeeklyReport, *, link: str) -> str:
    """A few lines for a channel; alert and schedule names are escaped code spans."""
    fires = report.fires
    debt = report.automation_debt
    lines = [
        f"*Weekly automation-debt report {report.week}* ({text.scope(report)}): "
        f"<{link}|open the report>",
        f"• {fires.interruptions} interruptions ({fires.by_bucket.sleep} in sleep hours); "
        f"acknowledged in {text.duration(fires.mtta_seconds.p50)}, resolved in "
        f"{text.duration(fires.mttr_seconds.p50)} (p50)",
        f"• {text.hours(report.hours.total)} of work: toil {text.percent(report.toil_ratio)} "
        f"({text.toil_verdict(report.toil_ratio)}), "
        f"unplanned {text.percent(report.unplanned_ratio)}",
        f"• Automation debt {text.number(debt.hours_per_year)} h/yr "
        f"({text.number(debt.fte, 3)} full-time people)",
    ]
    if report.candidates:
        top = report.candidates[0]
        lines.append(
            f"• Automate first: {text.slack(top.name)}, {text.number(top.hours_per_year)} h/yr, "
            f"break-even {text.number(top.break_even_hours)} h"
        )
    return "\n".join(lines)


def headline(report: WeeklyReport) -> dict[str, object]:
    """The figures a chat message or a list shows, as numbers."""
    return {
        "interruptions": report.fires.interruptions,
        "mtta_p50_seconds": report.fires.mtta_seconds.p50,
        "mttr_p50_seconds": report.fires.mttr_seconds.p50,
        "hours_total": report.hours.total,
        "toil_ratio": report.toil_ratio,
        "unplanned_ratio": report.unplanned_ratio,
        "automation_debt_hours_per_year": report.automation_debt.hours_per_year,
        "automation_debt_fte": report.automation_debt.fte,
        "top_candidate": report.candidates[0].name if report.candidates else None,
    }
