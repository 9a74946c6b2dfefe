"""The report as one self-contained HTML page: inline styles, charts as inline SVG drawn
here, a text alternative for each chart, and no script at all."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from app.reports.render import charts, text
from app.reports.schemas import WeeklyReport

# What the page may do when served: draw its own inline styles and nothing else.
POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("app.reports.render", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def html(
    report: WeeklyReport,
    *,
    link: str | None = None,
    made_at: datetime | None = None,
    definition_version: int,
) -> str:
    """Render the report as a page for a browser or an e-mail client."""
    weeks = report.trends.weeks
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        title=text.title(report),
        scope=text.scope(report),
        window=text.window(report),
        toil_verdict=text.toil_verdict(report.toil_ratio),
        stack=charts.hours_by_kind(report),
        interruptions=charts.interruptions(report),
        candidates=charts.candidates(report),
        sparks=charts.sparks(report),
        trend_range=f"{weeks[0]} to {report.week}" if weeks else report.week,
        link=link,
        made_at=text.moment(made_at) if made_at is not None else None,
        definition_version=definition_version,
        duration=text.duration,
        hours=text.hours,
        number=text.number,
        percent=text.percent,
        moment=text.moment,
    )
