"""The versioned catalogue of events that rules and webhooks hear, one payload schema each.

``docs/events.md`` is generated from it (``python -m app.hooks.docs``) and a test keeps
the two equal. The shapes are written out here, not imported from the domains
that produce them (hooks imports no domain); tests check they match the producers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from app.core.events import Event
from app.core.jsontext import dumps

CATALOGUE_VERSION = 4

CardKindName = Literal["fire", "maintenance", "change", "project", "automation"]
PriorityName = Literal["low", "medium", "high", "urgent"]
CARD_KINDS: tuple[str, ...] = get_args(CardKindName)
PRIORITIES: tuple[str, ...] = get_args(PriorityName)


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class ChecklistItemSnapshot(_Shape):
    id: int
    text: str
    done: bool
    done_at: datetime | None
    done_by: str | None


class CardLinkSnapshot(_Shape):
    target_card_id: int
    kind: str = Field(description='"automates", "recurrence_of", "follows_up", ...')


class CardSnapshot(_Shape):
    """The card (the same shape as GET /cards/{id}) as it is when the event's deliveries are
    written, moments after the event: a later change may already show (two quick moves
    both show the second column). What the event itself did is in its other fields
    (`changes`, `from_column_id`, `to_column_id`, `alert`, ...), as it happened. Rules read
    the card as the event left it."""

    id: int
    board_id: int
    column_id: int
    title: str
    description: str
    kind: CardKindName
    priority: PriorityName
    labels: list[str]
    assignee_id: int | None
    assignee: str | None
    due_at: datetime | None
    rank: str
    version: int
    status: Literal["open", "done", "archived"]
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    done_at: datetime | None
    archived_at: datetime | None
    time_spent_minutes: int
    estimate_minutes: int | None = Field(description="The build estimate of an automation card.")
    automates: list[str] = Field(
        description='Candidate keys an automation card automates ("alert:3:HighCPU", ...).'
    )
    checklist: list[ChecklistItemSnapshot]
    links: list[CardLinkSnapshot]
    alert: dict[str, Any] | None = Field(
        description="Cards opened by alerts: fingerprint, status, severity, occurrences, ..."
    )


class CardData(_Shape):
    """What every card event carries."""

    card: CardSnapshot
    changes: dict[str, list[Any]] = Field(
        description="Changed fields as [old, new]; empty unless the event changed fields."
    )
    from_column_id: int | None
    to_column_id: int | None


class CommentSnapshot(_Shape):
    id: int
    body: str


class CommentedData(CardData):
    comment: CommentSnapshot


class AlertSnapshot(_Shape):
    """The alert behind a fire card; rules read ``severity`` and ``occurrences`` here."""

    id: int | None = None
    integration_id: int | None = None
    dedup_key: str | None = Field(default=None, description="The fingerprint of the alert.")
    status: str | None = Field(default=None, description="firing, resolved, expired, ...")
    severity: str | None = None
    occurrences: int | None = Field(default=None, description="Times it fired on this card.")
    flaps: int | None = None
    recurrence: int | None = Field(default=None, description="Cards this key opened before.")
    reopened: bool | None = Field(default=None, description="alert.fired on a resolved alert.")
    recurrence_of_card_id: int | None = Field(
        default=None, description="alert.fired for a key whose last card was closed."
    )


class AlertData(CardData):
    alert: AlertSnapshot


class ScheduleSnapshot(_Shape):
    id: int | None = None
    name: str | None = None
    automation: str | None = Field(default=None, description="manual, scripted or automated.")
    estimate_minutes: int | None = Field(default=None, description="Hands-on time per run.")
    overlap: str | None = Field(default=None, description="skip or stack.")


class OccurrenceSnapshot(_Shape):
    id: int | None = None
    scheduled_for: datetime | None = None
    status: str | None = Field(default=None, description="created, skipped or missed.")
    trigger: str | None = Field(default=None, description="What made it (schedule, run now).")


class ScheduleData(CardData):
    """For schedule.skipped, ``card`` is the previous chore card, still open."""

    schedule: ScheduleSnapshot
    occurrence: OccurrenceSnapshot | None = None
    missed: int | None = Field(default=None, description="Occurrences missed during downtime.")
    late_seconds: int | None = None


class ReportHeadline(_Shape):
    interruptions: int | None = None
    mtta_p50_seconds: int | None = None
    mttr_p50_seconds: int | None = None
    hours_total: float | None = None
    toil_ratio: float | None = None
    unplanned_ratio: float | None = None
    automation_debt_hours_per_year: float | None = None
    automation_debt_fte: float | None = None
    top_candidate: str | None = Field(
        default=None, description="The first candidate's name (from an alert: not escaped)."
    )


class ReportSnapshot(_Shape):
    id: int | None = Field(default=None, description="GET /api/v1/reports/{id}.")
    week: str | None = Field(default=None, description='ISO week, e.g. "2026-W48".')
    board_id: int | None = Field(default=None, description="Null for the report of all boards.")
    board: str | None = Field(default=None, description="The board's slug; null for all.")
    title: str | None = None
    url: str | None = Field(default=None, description="The report as a page (log in to read).")
    made_at: datetime | None = None
    definition_version: int | None = Field(
        default=None, description="The version of the report's definitions (docs/report.md)."
    )
    headline: ReportHeadline | None = None
    text: str | None = Field(
        default=None,
        description="A chat message (Slack mrkdwn, names escaped); a rule's Slack preset "
        "without `text` sends it as it is.",
    )


class ReportData(_Shape):
    report: ReportSnapshot


class WebRequestData(CardData):
    rule_id: int | None
    delivery_id: str = Field(description="The X-Firelane-Delivery of the request.")
    status: Literal["delivered", "failed", "dead"]
    status_code: int | None
    attempts: int
    error: str | None


@dataclass(frozen=True)
class EventType:
    name: str
    version: int
    data: type[BaseModel]
    when: str
    card: bool = True


EVENT_TYPES: tuple[EventType, ...] = (
    EventType(
        "card.created",
        1,
        CardData,
        "A card was created (by a person, an alert, a schedule or a rule).",
    ),
    EventType(
        "card.updated",
        1,
        CardData,
        "Fields of a card changed; `changes` holds [old, new] per field.",
    ),
    EventType(
        "card.moved",
        1,
        CardData,
        "A card moved, within its column or to another one.",
    ),
    EventType(
        "card.done",
        1,
        CardData,
        "A card reached a done column (follows its card.moved).",
    ),
    EventType(
        "card.reopened",
        1,
        CardData,
        "A done card left the done columns (follows its card.moved).",
    ),
    EventType(
        "card.commented",
        1,
        CommentedData,
        "Someone, or a rule, commented on a card.",
    ),
    EventType(
        "alert.fired",
        1,
        AlertData,
        "An alert fired: a new fire card, or a resolved one firing again.",
    ),
    EventType(
        "alert.repeated",
        1,
        AlertData,
        "An open alert fired again; `occurrences` went up.",
    ),
    EventType(
        "alert.resolved",
        1,
        AlertData,
        "The alert's source resolved it.",
    ),
    EventType(
        "alert.expired",
        1,
        AlertData,
        "The alert was not refreshed within its stale timeout.",
    ),
    EventType(
        "schedule.occurred",
        1,
        ScheduleData,
        "A schedule put its chore card on the board.",
    ),
    EventType(
        "schedule.skipped",
        1,
        ScheduleData,
        "An occurrence was skipped: the last chore card is still open.",
    ),
    EventType(
        "report.published",
        1,
        ReportData,
        "The weekly automation-debt report was published.",
        card=False,
    ),
    EventType(
        "rule.web_request",
        1,
        WebRequestData,
        "A rule's web request finished: delivered, failed or dead.",
    ),
)

BY_NAME: dict[str, EventType] = {event.name: event for event in EVENT_TYPES}
NAMES: tuple[str, ...] = tuple(BY_NAME)
ALL = "*"


def known(name: str) -> bool:
    return name in BY_NAME


def version_of(name: str) -> int:
    """Return the payload version of an event; 1 for names outside the catalogue."""
    event = BY_NAME.get(name)
    return event.version if event else 1


class Envelope(BaseModel):
    """The JSON body of every webhook delivery."""

    id: str = Field(description="A UUID per event; the same for every webhook that gets it.")
    event: str = Field(description="The event name, also sent as X-Firelane-Event.")
    version: int = Field(description="The version of this event's payload schema.")
    occurred_at: datetime
    board_id: int | None
    card_id: int | None
    actor: str | None = Field(description='"user:alice", "rule:3", "alert:alertmanager", ...')
    event_id: int | None = Field(description="The card event's id (GET /cards/{id}/events).")
    data: dict[str, Any]


_LOW_BITS = (1 << 48) - 1


def random_uuids(count: int) -> list[str]:
    """``count`` distinct version 4 UUIDs, as ``str(uuid.uuid4())`` writes them.

    One random UUID per call, the rest counted on from it in its last 48 bits (its first
    74 random bits shared): unique within the call by counting, across calls as random
    UUIDs are, for a fraction of the cost of drawing and formatting each (a test checks
    the shape).
    """
    if not count:
        return []
    first = uuid.uuid4()
    prefix = str(first)[:24]
    low = first.int & _LOW_BITS
    return [f"{prefix}{(low + n) & _LOW_BITS:012x}" for n in range(count)]


def envelope_json(event: Event, event_uuid: str) -> str:
    """Serialise an event as the JSON body every webhook gets."""
    body = {
        "id": event_uuid,
        "event": event.type,
        "version": version_of(event.type),
        "occurred_at": event.occurred_at,
        "board_id": event.board_id,
        "card_id": event.card_id,
        "actor": event.actor,
        "event_id": event.event_id,
        "data": event.data,
    }
    return dumps(body).decode()
