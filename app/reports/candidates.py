"""What could be automated (candidates: alerts by name, schedules), what its toil costs a
year, and the ledger that shows whether automating it paid off."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session

from app.reports.activity import Counts, Minutes, Scope, Span
from app.reports.cards import AutomationCard
from app.reports.sql import INTEGRATION, MINUTE_US, SCHEDULE

LOOK_BACK = timedelta(days=90)
LEDGER_SPAN = timedelta(days=28)
MIN_OCCURRENCES = 3
_DAY = timedelta(days=1)

Status = Literal["too_early", "retired", "still_burning"]


def look_back(end: datetime) -> Span:
    return end - LOOK_BACK, end


def minutes_by_key(groups: Iterable[Minutes]) -> dict[str, float]:
    """The minutes each candidate's cards took (in one span)."""
    micros: dict[str, int] = defaultdict(int)
    for group in groups:
        if group.key is not None:
            micros[group.key] += group.micros
    return {key: total / MINUTE_US for key, total in micros.items()}


@dataclass(slots=True)
class Candidate:
    key: str
    kind: Literal["alert", "schedule"]
    name: str
    occurrences_90d: int
    minutes_90d: float = 0.0
    automation_card_id: int | None = None
    estimate_minutes: int | None = None

    @property
    def hours_90d(self) -> float:
        return self.minutes_90d / 60

    @property
    def hours_per_year(self) -> float:
        return self.hours_90d * 365 / 90

    @property
    def interruptions_per_year(self) -> float:
        return self.occurrences_90d * 365 / 90

    def break_even_hours(self, horizon_years: float) -> float:
        return self.hours_per_year * horizon_years

    @property
    def payback_weeks(self) -> float | None:
        if self.estimate_minutes is None or self.hours_per_year == 0:
            return None
        return (self.estimate_minutes / 60) / (self.hours_per_year / 52)

    def worth_automating(self, horizon_years: float) -> bool | None:
        if self.estimate_minutes is None:
            return None
        if self.hours_per_year == 0:
            return False
        return self.estimate_minutes / 60 <= self.break_even_hours(horizon_years)


def candidates(
    *,
    end: datetime,
    counts: Counts,
    minutes: dict[str, float],
    automation: list[AutomationCard],
) -> list[Candidate]:
    """Candidates with at least three episodes or occurrences in the 90 days before ``end``,
    ranked by hours per year (most first), then key. ``minutes``: each key's minutes in
    those 90 days."""
    span = look_back(end)
    found: dict[str, Candidate] = {}
    for key in counts.by_key:
        occurrences = counts.of(key, span)
        if occurrences >= MIN_OCCURRENCES:
            kind: Literal["alert", "schedule"] = "alert" if key.startswith("alert:") else "schedule"
            found[key] = Candidate(key, kind, counts.names[key], occurrences, minutes.get(key, 0.0))
    for card in sorted(automation, key=lambda each: each.id, reverse=True):
        for key in card.automates:  # the lowest card id wins: it is set last
            if key in found:
                found[key].automation_card_id = card.id
                found[key].estimate_minutes = card.estimate_minutes
    return sorted(found.values(), key=lambda each: (-each.hours_per_year, each.key))


@dataclass(frozen=True, slots=True)
class Planned:
    """A ledger entry before its figures: which card, which candidate, which spans."""

    card_id: int
    candidate: str
    done_at: datetime
    until: datetime

    @property
    def before(self) -> Span:
        return self.done_at - LEDGER_SPAN, self.done_at

    @property
    def after(self) -> Span:
        return self.done_at, self.until


def owner(key: str) -> tuple[sa.Table, int] | None:
    """The table and id of what a candidate key counts (its integration or schedule)."""
    kind, _, rest = key.partition(":")
    if kind == "schedule" and rest.isdigit():
        return SCHEDULE, int(rest)
    source, _, name = rest.partition(":")
    if kind == "alert" and source.isdigit() and name:
        return INTEGRATION, int(source)
    return None


def boards_of(session: Session, keys: Iterable[str]) -> dict[str, int | None]:
    """The board each candidate key belongs to (its integration's or schedule's)."""
    found: dict[str, int | None] = {}
    for key in set(keys):
        source = owner(key)
        if source is None:
            found[key] = None
            continue
        table, source_id = source
        found[key] = session.execute(
            sa.select(table.c.board_id).where(table.c.id == source_id)
        ).scalar_one_or_none()
    return found


def plan_ledger(
    session: Session, *, end: datetime, scope: Scope, automation: list[AutomationCard]
) -> list[Planned]:
    """The entries of the ledger at ``end``: each automation card done in the 90 days
    before, each candidate it automates (with a board, the board's candidates)."""
    planned = [
        Planned(card.id, key, card.done_at, min(card.done_at + LEDGER_SPAN, end))
        for card in automation
        if card.done_at is not None and end - LOOK_BACK <= card.done_at < end
        for key in card.automates
        if owner(key) is not None
    ]
    if scope.board_id is not None:
        boards = boards_of(session, [each.candidate for each in planned])
        planned = [each for each in planned if boards[each.candidate] == scope.board_id]
    return sorted(planned, key=lambda each: (each.done_at, each.card_id, each.candidate))


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    card_id: int
    candidate: str
    done_at: datetime
    before: int
    after: int
    days_after: float
    minutes_before: float
    minutes_after: float

    @property
    def rate_before_per_week(self) -> float:
        return per_week(self.before, LEDGER_SPAN.days)

    @property
    def rate_after_per_week(self) -> float:
        return per_week(self.after, self.days_after)

    @property
    def hours_per_year_before(self) -> float:
        return self.minutes_before / 60 * 365 / LEDGER_SPAN.days

    @property
    def hours_per_year_after(self) -> float:
        return self.minutes_after / 60 * 365 / self.days_after

    @property
    def retired_hours_per_year(self) -> float:
        return self.hours_per_year_before - self.hours_per_year_after

    @property
    def status(self) -> Status:
        return status(self.before, self.after, self.days_after)


def per_week(count: int, days: float) -> float:
    return count * 7 / days


def status(before: int, after: int, days_after: float) -> Status:
    """A ledger entry's status: from its episodes (or occurrences) alone."""
    if days_after < 7:
        return "too_early"
    if per_week(after, days_after) <= per_week(before, LEDGER_SPAN.days) / 2:
        return "retired"
    return "still_burning"


def retired(planned: list[Planned], counts: Counts) -> set[str]:
    """The candidates the ledger says automation retired: its statuses need only the
    counts, not the minutes (so the trend weeks' debt costs no minutes)."""
    return {
        each.candidate
        for each in planned
        if status(
            counts.of(each.candidate, each.before),
            counts.of(each.candidate, each.after),
            (each.until - each.done_at) / _DAY,
        )
        == "retired"
    }


def ledger(
    planned: list[Planned], counts: Counts, minutes: dict[Span, dict[str, float]]
) -> list[LedgerEntry]:
    """The ledger's figures; ``minutes``: each span's minutes by key."""
    return [
        LedgerEntry(
            card_id=each.card_id,
            candidate=each.candidate,
            done_at=each.done_at,
            before=counts.of(each.candidate, each.before),
            after=counts.of(each.candidate, each.after),
            days_after=(each.until - each.done_at) / _DAY,
            minutes_before=minutes[each.before].get(each.candidate, 0.0),
            minutes_after=minutes[each.after].get(each.candidate, 0.0),
        )
        for each in planned
    ]
