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

from app.reports.activity import (
    CardMinutes,
    Scope,
    alert_key,
    minutes_by_card,
    schedule_key,
)
from app.reports.cards import AutomationCard
from app.reports.sql import (
    ALERT,
    EVENT,
    INTEGRATION,
    OCCURRENCE,
    SCHEDULE,
    alert_name,
    is_type,
    literal,
)

LOOK_BACK = timedelta(days=90)
LEDGER_SPAN = timedelta(days=28)
MIN_OCCURRENCES = 3
_DAY = timedelta(days=1)

Status = Literal["too_early", "retired", "still_burning"]


@dataclass(frozen=True, slots=True)
class CandidateRef:
    """A candidate key taken apart: what it counts and where its cards are."""

    key: str
    kind: Literal["alert", "schedule"]
    source_id: int  # the integration or the schedule
    name: str | None  # alert name; None for schedules

    @classmethod
    def parse(cls, key: str) -> CandidateRef | None:
        kind, _, rest = key.partition(":")
        if kind == "schedule" and rest.isdigit():
            return cls(key, "schedule", int(rest), None)
        source, _, name = rest.partition(":")
        if kind == "alert" and source.isdigit() and name:
            return cls(key, "alert", int(source), name)
        return None

    def _alert_match(self) -> list[sa.ColumnElement[bool]]:
        assert self.name is not None
        return [ALERT.c.integration_id == self.source_id, alert_name() == self.name]

    def cards(self) -> sa.Select[tuple[int]]:
        """The cards of this candidate (every card its alerts or occurrences made)."""
        if self.kind == "alert":
            return sa.select(ALERT.c.card_id).where(*self._alert_match())
        return sa.select(OCCURRENCE.c.card_id).where(
            OCCURRENCE.c.schedule_id == self.source_id,
            OCCURRENCE.c.status == literal("created"),
            OCCURRENCE.c.card_id.is_not(None),
        )

    def count(self, session: Session, start: datetime, end: datetime, scope: Scope) -> int:
        """Episodes (alerts) or occurrences created (schedules) in ``[start, end)``."""
        if self.kind == "alert":
            query = (
                sa.select(sa.func.count())
                .select_from(EVENT)
                .join(ALERT, ALERT.c.card_id == EVENT.c.card_id)
                .where(
                    is_type(EVENT, "alert.fired"),
                    EVENT.c.created_at >= start,
                    EVENT.c.created_at < end,
                    *scope.events(EVENT),
                    *self._alert_match(),
                )
            )
        else:
            made = _occurrences(start, end, scope).where(OCCURRENCE.c.schedule_id == self.source_id)
            query = sa.select(sa.func.count()).select_from(made.subquery())
        return int(session.execute(query).scalar_one())

    def minutes(self, session: Session, start: datetime, end: datetime, scope: Scope) -> float:
        found = minutes_by_card(session, start=start, end=end, scope=scope, cards=self.cards())
        return sum(each.minutes for each in found.values())

    def belongs_to(self, session: Session, board_id: int) -> bool:
        table = INTEGRATION if self.kind == "alert" else SCHEDULE
        found = session.execute(
            sa.select(table.c.board_id).where(table.c.id == self.source_id)
        ).scalar_one_or_none()
        return found == board_id


def _occurrences(start: datetime, end: datetime, scope: Scope) -> sa.Select[tuple[int]]:
    query = (
        sa.select(OCCURRENCE.c.schedule_id)
        .join(SCHEDULE, SCHEDULE.c.id == OCCURRENCE.c.schedule_id)
        .where(
            OCCURRENCE.c.status == literal("created"),
            OCCURRENCE.c.created_at >= start,
            OCCURRENCE.c.created_at < end,
        )
    )
    if scope.board_id is not None:
        query = query.where(SCHEDULE.c.board_id == scope.board_id)
    return query


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


def card_keys(session: Session, card_ids: Iterable[int]) -> dict[int, str]:
    """The candidate key of each card an alert or a schedule made."""
    ids = sorted(set(card_ids))
    keys: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        alerts = sa.select(ALERT.c.card_id, ALERT.c.integration_id, alert_name()).where(
            ALERT.c.card_id.in_(chunk)
        )
        for card_id, integration_id, name in session.execute(alerts):
            keys[card_id] = alert_key(integration_id, name)
        made = sa.select(OCCURRENCE.c.card_id, OCCURRENCE.c.schedule_id).where(
            OCCURRENCE.c.card_id.in_(chunk), OCCURRENCE.c.status == literal("created")
        )
        for card_id, schedule_id in session.execute(made):
            keys[card_id] = schedule_key(schedule_id)
    return keys


def minutes_by_key(minutes: dict[int, CardMinutes], keys: dict[int, str]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for card_id, each in minutes.items():
        key = keys.get(card_id)
        if key is not None:
            totals[key] += each.minutes
    return totals


def candidates(
    session: Session,
    *,
    end: datetime,
    scope: Scope,
    automation: list[AutomationCard],
) -> list[Candidate]:
    """Candidates with at least three episodes or occurrences in the 90 days before ``end``,
    ranked by hours per year (most first), then key."""
    start = end - LOOK_BACK
    found: dict[str, Candidate] = {}
    name = alert_name()
    fired = (
        sa.select(ALERT.c.integration_id, name, sa.func.count())
        .select_from(EVENT)
        .join(ALERT, ALERT.c.card_id == EVENT.c.card_id)
        .where(
            is_type(EVENT, "alert.fired"),
            EVENT.c.created_at >= start,
            EVENT.c.created_at < end,
            *scope.events(EVENT),
        )
        .group_by(ALERT.c.integration_id, name)
        .having(sa.func.count() >= MIN_OCCURRENCES)
    )
    for integration_id, alert, count in session.execute(fired):
        key = alert_key(integration_id, alert)
        found[key] = Candidate(key, "alert", alert, count)
    made = _occurrences(start, end, scope).subquery()
    occurrences = (
        sa.select(made.c.schedule_id, SCHEDULE.c.name, sa.func.count())
        .join(SCHEDULE, SCHEDULE.c.id == made.c.schedule_id)
        .group_by(made.c.schedule_id, SCHEDULE.c.name)
        .having(sa.func.count() >= MIN_OCCURRENCES)
    )
    for schedule_id, schedule, count in session.execute(occurrences):
        key = schedule_key(schedule_id)
        found[key] = Candidate(key, "schedule", schedule, count)
    if not found:
        return []
    minutes = minutes_by_card(session, start=start, end=end, scope=scope)
    for key, total in minutes_by_key(minutes, card_keys(session, minutes)).items():
        if key in found:
            found[key].minutes_90d = total
    for card in sorted(automation, key=lambda each: each.id, reverse=True):
        for key in card.automates:  # the lowest card id wins: it is set last
            if key in found:
                found[key].automation_card_id = card.id
                found[key].estimate_minutes = card.estimate_minutes
    return sorted(found.values(), key=lambda each: (-each.hours_per_year, each.key))


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
        return self.before * 7 / LEDGER_SPAN.days

    @property
    def rate_after_per_week(self) -> float:
        return self.after * 7 / self.days_after

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
        if self.days_after < 7:
            return "too_early"
        if self.rate_after_per_week <= self.rate_before_per_week / 2:
            return "retired"
        return "still_burning"


def ledger(
    session: Session, *, end: datetime, scope: Scope, automation: list[AutomationCard]
) -> list[LedgerEntry]:
    """For each automation card done in the 90 days before ``end``, each candidate it
    automates: the rate before and after it was done."""
    entries: list[LedgerEntry] = []
    for card in automation:
        if card.done_at is None or not end - LOOK_BACK <= card.done_at < end:
            continue
        done = card.done_at
        until = min(done + LEDGER_SPAN, end)
        for key in card.automates:
            ref = CandidateRef.parse(key)
            if ref is None:
                continue
            if scope.board_id is not None and not ref.belongs_to(session, scope.board_id):
                continue
            entries.append(
                LedgerEntry(
                    card_id=card.id,
                    candidate=key,
                    done_at=done,
                    before=ref.count(session, done - LEDGER_SPAN, done, scope),
                    after=ref.count(session, done, until, scope),
                    days_after=(until - done) / _DAY,
                    minutes_before=ref.minutes(session, done - LEDGER_SPAN, done, scope),
                    minutes_after=ref.minutes(session, done, until, scope),
                )
            )
    return sorted(entries, key=lambda each: (each.done_at, each.card_id, each.candidate))
