"""The headline figures of one window: fires and their response times, hours by kind,
candidates, the automation ledger and the automation debt (docs/report.md)."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app.boards.models import CardKind
from app.reports import cards
from app.reports.activity import (
    Basis,
    Episode,
    Minutes,
    Scope,
    Span,
    counts,
    episodes,
    minutes,
    total_basis,
)
from app.reports.candidates import (
    Candidate,
    LedgerEntry,
    candidates,
    ledger,
    look_back,
    minutes_by_key,
    plan_ledger,
    retired,
)
from app.reports.sql import MINUTE_US
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
    """The minutes of a window: by kind (at the window's end) and by candidate key."""

    groups: list[Minutes]
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

    def by_key(self) -> dict[str, float]:
        return minutes_by_key(self.groups)


def hours(groups: list[Minutes], end: datetime, kinds: cards.KindChanges) -> Hours:
    micros = {kind.value: 0 for kind in CardKind}
    for group in groups:
        kind = group.kind
        if group.card_id is not None:
            kind = kinds.kind_at(group.card_id, kind, end)
        micros[kind] += group.micros
    by_kind = {kind: total / MINUTE_US / 60 for kind, total in micros.items()}
    return Hours(groups, by_kind, total_basis(groups))


@dataclass(slots=True)
class Headline:
    """What a week's report and each week of its trends share."""

    start: datetime
    end: datetime
    fires: Fires
    hours: Hours
    candidates: list[Candidate]
    # The ledger with its figures: the report's week only (a trend week's debt needs only
    # which candidates are retired, and that needs no minutes).
    ledger: list[LedgerEntry]
    retired: set[str]
    options: Options

    @property
    def debt_hours_per_year(self) -> float:
        retired = self.retired
        return sum(each.hours_per_year for each in self.candidates if each.key not in retired)

    @property
    def debt_fte(self) -> float:
        return self.debt_hours_per_year / self.options.hours_per_fte


def _as_of(found: list[Episode], start: datetime, end: datetime) -> list[Episode]:
    """The episodes started in ``[start, end)`` as of ``end``: an acknowledgement or a
    resolution at or after ``end`` had not happened yet (the first one is then too late).
    ``found`` is ordered by start."""
    first = bisect_left(found, start, key=lambda each: each.started_at)
    last = bisect_left(found, end, key=lambda each: each.started_at)
    kept: list[Episode] = []
    for each in found[first:last]:
        acked, resolved = each.acknowledged_at, each.resolved_at
        if (acked is not None and acked >= end) or (resolved is not None and resolved >= end):
            each = replace(
                each,
                acknowledged_at=acked if acked is not None and acked < end else None,
                resolved_at=resolved if resolved is not None and resolved < end else None,
            )
        kept.append(each)
    return kept


def headlines(
    session: Session, windows: list[Span], *, scope: Scope, options: Options
) -> list[Headline]:
    """The headline figures of each window, each as of the window's end.

    First what every window needs (its automation cards and ledger entries, hence its
    spans), then the minutes and counts of all spans in a few queries, then the figures.
    The last window is the report's week: the minutes of the ledger's spans are read for
    it alone.
    """
    kinds = cards.KindChanges.of_kinds(session, min(end for _, end in windows))
    automation = cards.automation_cards(session, [end for _, end in windows], kinds)
    planned = {
        end: plan_ledger(session, end=end, scope=scope, automation=automation[end])
        for _, end in windows
    }
    week_end = windows[-1][1]
    looks = {look_back(end) for _, end in windows}
    entries = {span for entry in planned[week_end] for span in (entry.before, entry.after)}
    took = minutes(
        session, sorted(set(windows) | looks | entries), scope, apart=sorted(kinds.changes)
    )
    # The weeks' own counts are their episodes: candidates and the ledger need the rest.
    every_entry = {
        span for _, end in windows for entry in planned[end] for span in (entry.before, entry.after)
    }
    counted = counts(session, sorted(looks | every_entry), scope)
    by_key = {span: minutes_by_key(groups) for span, groups in took.items()}
    # Every window's episodes in one read, as of the last end; each window then forgets
    # what came after its own end.
    started = episodes(
        session,
        start=min(start for start, _ in windows),
        end=max(end for _, end in windows),
        as_of=max(end for _, end in windows),
        scope=scope,
    )
    return [
        Headline(
            start=start,
            end=end,
            fires=fires(_as_of(started, start, end), options.zone),
            hours=hours(took[(start, end)], end, kinds),
            candidates=candidates(
                end=end,
                counts=counted,
                minutes=by_key[look_back(end)],
                automation=automation[end],
            ),
            ledger=ledger(planned[end], counted, by_key) if end == week_end else [],
            retired=retired(planned[end], counted),
            options=options,
        )
        for start, end in windows
    ]
