"""The headline figures of one window: fires and their response times, hours by kind,
candidates, the automation ledger and the automation debt (docs/report.md)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app.boards.models import CardKind
from app.reports import cards
from app.reports.activity import (
    Basis,
    CardMinutes,
    Episode,
    Scope,
    episodes,
    minutes_by_card,
    total_basis,
)
from app.reports.candidates import Candidate, LedgerEntry, candidates, ledger
from app.reports.window import bucket

BUCKETS = ("business", "off_hours", "sleep")


@dataclass(frozen=True, slots=True)
class Options:
    """How a report is computed: its timezone and the prices of toil."""

    timezone: str = "UTC"
    horizon_years: float = 2.0
    hours_per_fte: float = 1600.0

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def seconds(delta: timedelta) -> int:
    """A duration in whole seconds, rounded to nearest (halves to even, as Python rounds)."""
    return round(delta.total_seconds())


def nearest_rank(values: list[int], percentile: int) -> int | None:
    """The value at 1-based position ceil(p/100 x n) of the sorted values; None if none."""
    if not values:
        return None
    ordered = sorted(values)
    position = -(-percentile * len(ordered) // 100)
    return ordered[max(position, 1) - 1]


@dataclass(slots=True)
class Fires:
    episodes: list[Episode]
    by_bucket: dict[str, int]
    mtta: list[int]
    mttr: list[int]
    self_resolved: int
    open: int

    @property
    def interruptions(self) -> int:
        return len(self.episodes)


def fires(episodes_: list[Episode], zone: ZoneInfo) -> Fires:
    by_bucket: Counter[str] = Counter(bucket(each.started_at, zone) for each in episodes_)
    mtta: list[int] = []
    mttr: list[int] = []
    self_resolved = still_open = 0
    for each in episodes_:
        acked, resolved = each.acknowledged_at, each.resolved_at
        if resolved is not None:
            mttr.append(seconds(resolved - each.started_at))
        if acked is not None and (resolved is None or acked <= resolved):
            mtta.append(seconds(acked - each.started_at))
        elif resolved is not None:
            self_resolved += 1
        else:
            still_open += 1
    return Fires(
        episodes=episodes_,
        by_bucket={name: by_bucket.get(name, 0) for name in BUCKETS},
        mtta=mtta,
        mttr=mttr,
        self_resolved=self_resolved,
        open=still_open,
    )


@dataclass(slots=True)
class Hours:
    minutes: dict[int, CardMinutes]
    kinds: dict[int, str]
    by_kind: dict[str, float] = field(default_factory=dict)
    basis: Basis | None = None

    @property
    def total(self) -> float:
        return sum(self.by_kind.values())

    def ratio(self, *kinds: CardKind) -> float | None:
        total = self.total
        if total == 0:
            return None
        return sum(self.by_kind[kind.value] for kind in kinds) / total


def hours(session: Session, *, start: datetime, end: datetime, scope: Scope) -> Hours:
    minutes = minutes_by_card(session, start=start, end=end, scope=scope)
    kinds = cards.kinds_at(session, minutes, end)
    by_kind = {kind.value: 0.0 for kind in CardKind}
    for card_id, each in minutes.items():
        by_kind[kinds[card_id]] += each.minutes / 60
    return Hours(minutes, kinds, by_kind, total_basis(minutes.values()))


@dataclass(slots=True)
class Headline:
    """What a week's report and each week of its trends share."""

    start: datetime
    end: datetime
    fires: Fires
    hours: Hours
    candidates: list[Candidate]
    ledger: list[LedgerEntry]
    options: Options

    @property
    def retired(self) -> set[str]:
        return {entry.candidate for entry in self.ledger if entry.status == "retired"}

    @property
    def debt_hours_per_year(self) -> float:
        retired = self.retired
        return sum(each.hours_per_year for each in self.candidates if each.key not in retired)

    @property
    def debt_fte(self) -> float:
        return self.debt_hours_per_year / self.options.hours_per_fte


def headline(
    session: Session, *, start: datetime, end: datetime, scope: Scope, options: Options
) -> Headline:
    """The headline figures of ``[start, end)``, as of ``end``."""
    automation = cards.automation_cards(session, end)
    return Headline(
        start=start,
        end=end,
        fires=fires(episodes(session, start=start, end=end, as_of=end, scope=scope), options.zone),
        hours=hours(session, start=start, end=end, scope=scope),
        candidates=candidates(session, end=end, scope=scope, automation=automation),
        ledger=ledger(session, end=end, scope=scope, automation=automation),
        options=options,
    )
