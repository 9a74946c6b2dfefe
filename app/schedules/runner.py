"""Make occurrences: the chore card (or the skip, or the miss) and its events; flush only.

The callers own the unit of work: ``service.run_now`` for a manual run and
``jobs.tick`` for the scheduler, which claims a schedule row before calling ``run_due``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.boards.activity import Actor, record
from app.boards.cards import change_card, link_cards, new_card
from app.boards.models import Board, Card, CardKind, CardStatus
from app.core.db import pk
from app.schedules import recurrence, template
from app.schedules.models import (
    OccurrenceStatus,
    OccurrenceTrigger,
    Overlap,
    Schedule,
    ScheduleOccurrence,
)

OVERDUE_LABEL = "overdue"
# A long outage of a frequent schedule records at most this many missed rows per claim;
# the catch-up event still counts every run that was missed.
MAX_MISSED_ROWS = 1000


@dataclass
class RunOutcome:
    created: int = 0
    skipped: int = 0
    missed: int = 0
    # Of each card made: its schedule, and seconds from its due time (the run less the
    # lead) to the card.
    lags: list[tuple[int, float]] = field(default_factory=list)

    def add(self, other: RunOutcome) -> None:
        self.created += other.created
        self.skipped += other.skipped
        self.missed += other.missed
        self.lags += other.lags


def recurrence_of(schedule: Schedule) -> recurrence.Recurrence:
    """Build a stored schedule's recurrence."""
    return recurrence.build(
        cron=schedule.cron,
        interval_minutes=schedule.interval_minutes,
        timezone=schedule.timezone,
        starts_at=schedule.starts_at,
        ends_at=schedule.ends_at,
    )


def scheduler_actor(schedule: Schedule) -> str:
    return f"schedule:{pk(schedule)}"


def last_scheduled_for(session: Session, schedule: Schedule) -> datetime | None:
    """Return the time of the schedule's latest occurrence, whatever its status."""
    query = (
        select(ScheduleOccurrence.scheduled_for)
        .where(ScheduleOccurrence.schedule_id == pk(schedule))
        .order_by(col(ScheduleOccurrence.scheduled_for).desc())
        .limit(1)
    )
    return session.exec(query).first()


def _last_card(session: Session, schedule: Schedule) -> Card | None:
    """Return the card the schedule made last, if it still exists."""
    query = (
        select(ScheduleOccurrence.card_id)
        .where(
            ScheduleOccurrence.schedule_id == pk(schedule),
            ScheduleOccurrence.status == OccurrenceStatus.created,
            col(ScheduleOccurrence.card_id).is_not(None),
        )
        .order_by(col(ScheduleOccurrence.id).desc())
        .limit(1)
    )
    card_id = session.exec(query).first()
    return session.get(Card, card_id) if card_id is not None else None


def _event_data(
    schedule: Schedule, occurrence: ScheduleOccurrence, *, now: datetime, missed: int
) -> dict[str, Any]:
    late = now - (occurrence.scheduled_for - timedelta(minutes=schedule.lead_minutes))
    return {
        "schedule": schedule.summary(),
        "occurrence": {
            "id": occurrence.id,
            "scheduled_for": occurrence.scheduled_for.isoformat(),
            "status": str(occurrence.status),
            "trigger": str(occurrence.trigger),
        },
        "missed": missed,
        "late_seconds": max(0, int(late.total_seconds())),
    }


def _skip(
    session: Session,
    *,
    schedule: Schedule,
    occurrence: ScheduleOccurrence,
    open_card: Card,
    actor: Actor,
    now: datetime,
    missed: int,
) -> None:
    occurrence.status = OccurrenceStatus.skipped
    occurrence.card_id = pk(open_card)
    occurrence.reason = f"card {pk(open_card)} of an earlier run is still open (overlap: skip)"
    session.add(occurrence)
    session.flush()
    # The open card is overdue only after its own due time: with a lead as long as the
    # period, the next run comes the instant the card falls due, and it is not late yet.
    overdue = open_card.due_at is None or open_card.due_at < now
    if overdue and OVERDUE_LABEL not in open_card.labels:
        labels = [*open_card.labels, OVERDUE_LABEL]
        change_card(session, card=open_card, fields={"labels": labels}, actor=actor)
    data = _event_data(schedule, occurrence, now=now, missed=missed)
    record(session, card=open_card, type="schedule.skipped", actor=actor, data=data)


def occur(
    session: Session,
    *,
    schedule: Schedule,
    scheduled_for: datetime,
    trigger: OccurrenceTrigger,
    actor: Actor,
    now: datetime,
    missed: int = 0,
) -> ScheduleOccurrence:
    """Make one occurrence: a card, or a skip when the last card is open and overlap is skip."""
    occurrence = ScheduleOccurrence(
        schedule_id=pk(schedule),
        scheduled_for=scheduled_for,
        trigger=trigger,
        status=OccurrenceStatus.created,
        created_at=now,
    )
    previous = _last_card(session, schedule)
    if (
        schedule.overlap == Overlap.skip
        and previous is not None
        and previous.status == CardStatus.open
    ):
        _skip(
            session,
            schedule=schedule,
            occurrence=occurrence,
            open_card=previous,
            actor=actor,
            now=now,
            missed=missed,
        )
        return occurrence
    board = session.get(Board, schedule.board_id)
    assert board is not None  # the schedule row references it, and deleting it cascades
    filled = template.values(
        scheduled_for=scheduled_for,
        tz=recurrence.zone(schedule.timezone),
        schedule_name=schedule.name,
    )
    card, _warnings = new_card(
        session,
        board=board,
        actor=actor,
        title=template.render(schedule.title, filled, limit=300),
        column_id=schedule.column_id,
        description=template.render(schedule.description, filled, limit=100_000),
        kind=CardKind.maintenance,
        priority=schedule.priority,
        labels=list(schedule.labels),
        assignee_id=schedule.assignee_id,
        due_at=scheduled_for,
        checklist=list(schedule.checklist),
        event_data={"schedule": schedule.summary()},
    )
    if previous is not None:
        link_cards(session, card=card, target=previous, kind="recurrence_of")
    occurrence.card_id = pk(card)
    session.add(occurrence)
    session.flush()
    data = _event_data(schedule, occurrence, now=now, missed=missed)
    record(session, card=card, type="schedule.occurred", actor=actor, data=data)
    return occurrence


def _missed(session: Session, schedule: Schedule, when: datetime, now: datetime, why: str) -> None:
    session.add(
        ScheduleOccurrence(
            schedule_id=pk(schedule),
            scheduled_for=when,
            trigger=OccurrenceTrigger.schedule,
            status=OccurrenceStatus.missed,
            reason=why,
            created_at=now,
        )
    )


def run_due(session: Session, *, schedule: Schedule, now: datetime) -> RunOutcome:
    """Make the schedule's due occurrences and move its next run on; flushes.

    Of several due runs (the scheduler was down) only the latest gets a card, the others
    are recorded as missed; the latest is missed too if it is older than the grace.
    """
    outcome = RunOutcome()
    rules = recurrence_of(schedule)
    lead = timedelta(minutes=schedule.lead_minutes)
    due: list[datetime] = []
    upcoming = schedule.next_occurrence_at
    while upcoming is not None and upcoming - lead <= now:
        due.append(upcoming)
        upcoming = rules.next_after(upcoming)
    if due:
        existing = set(
            session.exec(
                select(ScheduleOccurrence.scheduled_for).where(
                    ScheduleOccurrence.schedule_id == pk(schedule),
                    col(ScheduleOccurrence.scheduled_for) >= due[0],
                    col(ScheduleOccurrence.scheduled_for) <= due[-1],
                )
            )
        )
        pending = [when for when in due if when not in existing]
    else:
        pending = []
    if pending:
        *earlier, latest = pending
        why = f"the scheduler was not running; the run of {latest.isoformat()} caught up"
        for when in earlier[-MAX_MISSED_ROWS:]:
            _missed(session, schedule, when, now, why[:200])
        outcome.missed += len(earlier)
        grace = schedule.grace_minutes
        if grace is not None and now - (latest - lead) > timedelta(minutes=grace):
            _missed(session, schedule, latest, now, f"more than {grace} minutes late (grace)")
            outcome.missed += 1
        else:
            made = occur(
                session,
                schedule=schedule,
                scheduled_for=latest,
                trigger=OccurrenceTrigger.schedule,
                actor=scheduler_actor(schedule),
                now=now,
                missed=len(earlier),
            )
            if made.status == OccurrenceStatus.created:
                outcome.created += 1
                lag = max(0.0, (now - (latest - lead)).total_seconds())
                outcome.lags.append((pk(schedule), lag))
            else:
                outcome.skipped += 1
    schedule.next_occurrence_at = upcoming
    schedule.next_run_at = upcoming - lead if upcoming is not None else None
    session.add(schedule)
    session.flush()
    return outcome
