"""Webhook subscriptions, rules, the outbox (events and deliveries) and their logs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from app.core.clock import now
from app.core.db import UTCDateTime

# The one condition the delivery queue's partial index and its claims share, literally.
PENDING = sa.text("status = 'pending'")
# Likewise for the outbox events whose deliveries are still to be written (see fanout).
FAN_OUT = sa.text("recipients IS NOT NULL")


class DeliveryStatus(StrEnum):
    """``pending`` waits for its first or next attempt; the other three are final."""

    pending = "pending"
    delivered = "delivered"
    failed = "failed"  # the receiver refused it (a 4xx other than 408/429): not retried
    dead = "dead"  # every attempt of the retry schedule failed


class RunOutcome(StrEnum):
    ok = "ok"
    failed = "failed"
    rate_limited = "rate_limited"
    loop_guard = "loop_guard"


class Webhook(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2048)
    # Event names, or ["*"] for every event.
    events: list[str] = Field(default_factory=list, sa_type=JSON)
    board_id: int | None = Field(default=None, description="Only this board's events, if set.")
    description: str = Field(default="", max_length=500)
    # The signing secret, encrypted with a key derived from FIRELANE_SECRET_KEY.
    secret_sealed: str = Field(sa_type=sa.Text)
    is_active: bool = True
    created_by: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class Rule(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_rule_trigger_is_active", "trigger", "is_active"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    description: str = Field(default="", max_length=1000)
    trigger: str = Field(max_length=64)
    conditions: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # Each action as stored: web requests keep their headers and secret sealed.
    actions: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    is_active: bool = True
    # At most rate_limit runs per card (or per rule, for events without a card) per window.
    rate_limit: int = 5
    rate_window_seconds: int = 3600
    created_by: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class RuleRun(SQLModel, table=True):
    """One time a rule's trigger and conditions matched, and what came of it."""

    __tablename__ = "rule_run"
    __table_args__ = (
        sa.Index("ix_rule_run_rule_id_card_id_created_at", "rule_id", "card_id", "created_at"),
        sa.Index("ix_rule_run_rule_id_id", "rule_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="rule.id", ondelete="CASCADE")
    event_type: str = Field(max_length=64)
    event_id: int | None = None
    board_id: int | None = None
    card_id: int | None = None
    depth: int = 0
    outcome: RunOutcome = Field(sa_type=sa.String(16))
    detail: str = Field(default="", max_length=1000)
    results: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # Rate-limited runs in a row for the same card share one row: how many it stands for.
    count: int = 1
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    last_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class HookBatch(SQLModel, table=True):
    """The card events of one transaction that webhooks hear, until the fan-out reads them.

    A transaction that emits card events writes one row, however many events and webhooks:
    each event's ``card_event`` id, rule depth and recipients (the webhooks subscribed to
    it in that transaction). The fan-out turns it into one ``hook_event`` per event, its
    envelope rendered from the ``card_event`` row and the card as it is then (``fanout``).
    """

    __tablename__ = "hook_batch"

    id: int | None = Field(default=None, primary_key=True)
    # How many events it holds.
    size: int
    # [[card_event_id, depth, n], ...] in the events' order: n indexes ``recipients``.
    events: str = Field(sa_type=sa.Text)
    # The distinct recipient lists of its events, as a JSON list of lists of webhook ids.
    recipients: str = Field(sa_type=sa.Text)


class HookEvent(SQLModel, table=True):
    """An event as webhooks get it: the envelope's JSON, written once for every subscriber."""

    __tablename__ = "hook_event"
    # Holds only the events whose deliveries are still to be written: a handful.
    __table_args__ = (
        sa.Index("ix_hook_event_fan_out", "id", sqlite_where=FAN_OUT, postgresql_where=FAN_OUT),
    )

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36)
    type: str = Field(max_length=64)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    board_id: int | None = None
    card_id: int | None = None
    # The card event it tells, for a card event (no foreign key: the outbox keeps events
    # whose board is gone until their deliveries are sent).
    card_event_id: int | None = None
    body: str = Field(sa_type=sa.Text)
    # The ids of the webhooks subscribed to it in its transaction, as a JSON list,
    # until its deliveries are written (then null).
    recipients: str | None = Field(default=None, sa_type=sa.Text)
    # How many rule actions deep the event was caused; its deliveries carry it.
    depth: int = 0


class Delivery(SQLModel, table=True):
    """One request to send: an event to a webhook, or a rule's web request."""

    # Every index costs each event's insert: the queue index holds pending rows only.
    __table_args__ = (
        sa.Index(
            "ix_delivery_pending_next_attempt_at",
            "next_attempt_at",
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        ),
        sa.Index("ix_delivery_webhook_id_id", "webhook_id", "id"),
        sa.Index(
            "ix_delivery_rule_id_id",
            "rule_id",
            "id",
            sqlite_where=sa.text("rule_id IS NOT NULL"),
            postgresql_where=sa.text("rule_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # X-Firelane-Delivery: the receiver's idempotency key, the same on every attempt.
    uuid: str = Field(max_length=36)
    webhook_id: int | None = Field(default=None, foreign_key="webhook.id", ondelete="CASCADE")
    rule_id: int | None = Field(default=None, foreign_key="rule.id", ondelete="SET NULL")
    hook_event_id: int | None = Field(
        default=None, foreign_key="hook_event.id", ondelete="CASCADE", index=True
    )
    event_type: str = Field(max_length=64)
    board_id: int | None = None
    card_id: int | None = None
    # The depth of the rule action that queued it; its outcome event carries it on.
    depth: int = 0
    # Rule web requests carry their own request; webhooks use their URL and the event's body.
    url: str | None = Field(default=None, max_length=2048)
    method: str = Field(default="POST", max_length=8)
    content_type: str = Field(default="application/json", max_length=100)
    body: str | None = Field(default=None, sa_type=sa.Text)
    sealed: str | None = Field(default=None, sa_type=sa.Text)
    status: DeliveryStatus = Field(default=DeliveryStatus.pending, sa_type=sa.String(16))
    attempts: int = 0
    # Attempts since the last (re)delivery: the step of the retry schedule.
    step: int = 0
    next_attempt_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claim_token: str | None = Field(default=None, max_length=36)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeliveryAttempt(SQLModel, table=True):
    """One try at sending a delivery: the delivery log."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (sa.Index("ix_delivery_attempt_delivery_id_id", "delivery_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", ondelete="CASCADE")
    number: int
    started_at: datetime = Field(sa_type=UTCDateTime)
    duration_ms: int = 0
    status_code: int | None = None
    # delivered, retry, failed, dead; "stale" if another process had taken the row meanwhile.
    outcome: str = Field(max_length=16)
    error: str | None = Field(default=None, max_length=500)
    # The first KB of the answer, as text.
    response_excerpt: str = Field(default="", sa_type=sa.Text)
