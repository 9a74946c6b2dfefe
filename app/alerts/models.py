"""Integrations, the alerts they raise, the raw payloads received and maintenance windows.

An ``Alert`` row is the life of one dedup key on one card. While it is *current*
(``closed_at IS NULL``) every signal with its key lands on its card; the database holds
at most one current row per (integration, key). When a person closed the card and the
key fires again, the row is closed and a new one starts on a new card, linked to the
old card as its recurrence.
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import relationship
from sqlmodel import JSON, Field, SQLModel

from app.boards.models import Card
from app.core.clock import now
from app.core.db import UTCDateTime
from app.core.jsontext import enum_value, time_text
from app.core.rows import RowShape


class IntegrationKind(StrEnum):
    alertmanager = "alertmanager"
    grafana = "grafana"
    pagerduty = "pagerduty"
    generic = "generic"


class AlertStatus(StrEnum):
    firing = "firing"
    acknowledged = "acknowledged"
    resolved = "resolved"
    expired = "expired"


class SignalAction(StrEnum):
    """What a received alert did: the history the automation-debt report counts."""

    fired = "fired"  # opened a new card
    recurred = "recurred"  # opened a new card, linked to the one a person closed
    reopened = "reopened"  # fired again on its resolved, still open card
    repeated = "repeated"  # fired again while firing
    resolved = "resolved"
    acknowledged = "acknowledged"
    suppressed = "suppressed"  # inside a maintenance window: stored, counted, no card
    ignored = "ignored"  # a resolve or ack for nothing open, or a repeated resolve


class Integration(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    kind: IntegrationKind = Field(sa_type=sa.String(16))
    board_id: int = Field(foreign_key="board.id", ondelete="CASCADE", index=True)
    # None: the board's first column.
    column_id: int | None = Field(default=None, foreign_key="board_column.id", ondelete="SET NULL")
    # Where a resolved alert's card moves by itself; None leaves it where it is.
    resolve_column_id: int | None = Field(
        default=None, foreign_key="board_column.id", ondelete="SET NULL"
    )
    severity_map: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    default_priority: str = Field(default="medium", max_length=16)
    stale_timeout_seconds: int | None = None
    flap_window_seconds: int = 3600
    field_mapping: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # Sealed (encrypted under FIRELANE_SECRET_KEY): it must be readable to check signatures.
    hmac_secret: str | None = Field(default=None, max_length=1024)
    max_body_bytes: int | None = None
    # Alerts per minute this integration may send (each process counts its own); None: no limit.
    rate_limit_per_minute: int | None = None
    heartbeat_interval_seconds: int | None = None
    heartbeat_last_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    token_hash: str = Field(max_length=64, unique=True)
    token_prefix: str = Field(max_length=16)
    enabled: bool = True
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    @property
    def actor(self) -> str:
        return f"alert:{self.name}"


class Alert(SQLModel, table=True):
    __table_args__ = (
        # The rule "one open card per (integration, key)", kept by the database itself.
        # The key leads, and no other index starts with the integration: PostgreSQL then
        # looks keys up through it even before it has statistics on the table (an index led
        # by the integration, it read all of the integration's alerts for each batch).
        sa.Index(
            "uq_alert_dedup_key_integration_id_current",
            "dedup_key",
            "integration_id",
            unique=True,
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        ),
        sa.Index("ix_alert_status_last_seen_at", "status", "last_seen_at"),
        # Only recurrences have a previous alert.
        sa.Index(
            "ix_alert_previous_alert_id",
            "previous_alert_id",
            sqlite_where=sa.text("previous_alert_id IS NOT NULL"),
            postgresql_where=sa.text("previous_alert_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = Field(foreign_key="integration.id", ondelete="CASCADE")
    dedup_key: str = Field(max_length=255)
    card_id: int = Field(foreign_key="card.id", ondelete="CASCADE", unique=True)
    source: str = Field(max_length=16)
    status: AlertStatus = Field(default=AlertStatus.firing, sa_type=sa.String(16))
    severity: str | None = Field(default=None, max_length=64)
    title: str = Field(max_length=300)
    labels: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    annotations: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    links: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON)
    occurrences: int = 1
    flaps: int = 0
    # How many cards this key had before this one (0 on its first card).
    recurrence: int = 0
    previous_alert_id: int | None = Field(default=None, foreign_key="alert.id", ondelete="SET NULL")
    # Set when the card went to the resolve column by itself (not by a person).
    auto_closed: bool = False
    first_seen_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def is_active(self) -> bool:
        return self.status in (AlertStatus.firing, AlertStatus.acknowledged)


class AlertPayload(SQLModel, table=True):
    """One received request body, secrets redacted and cut at the size limit."""

    __tablename__ = "alert_payload"
    __table_args__ = (sa.Index("ix_alert_payload_integration_id_id", "integration_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = Field(foreign_key="integration.id", ondelete="CASCADE")
    received_at: datetime = Field(default_factory=now, sa_type=UTCDateTime, index=True)
    content_type: str = Field(default="", max_length=100)
    size_bytes: int = 0
    truncated: bool = False
    alert_count: int = 0
    body: str = Field(default="", sa_type=sa.Text)


class AlertSignal(SQLModel, table=True):
    """One alert of a payload and what it did; stays when the payload is purged."""

    __tablename__ = "alert_signal"
    __table_args__ = (
        sa.Index("ix_alert_signal_alert_id_id", "alert_id", "id"),
        sa.Index("ix_alert_signal_integration_id_received_at", "integration_id", "received_at"),
        # Only signals a maintenance window suppressed have one.
        sa.Index(
            "ix_alert_signal_maintenance_window_id",
            "maintenance_window_id",
            sqlite_where=sa.text("maintenance_window_id IS NOT NULL"),
            postgresql_where=sa.text("maintenance_window_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = Field(foreign_key="integration.id", ondelete="CASCADE")
    payload_id: int | None = Field(
        default=None, foreign_key="alert_payload.id", ondelete="SET NULL", index=True
    )
    alert_id: int | None = Field(default=None, foreign_key="alert.id", ondelete="CASCADE")
    maintenance_window_id: int | None = Field(
        default=None, foreign_key="maintenance_window.id", ondelete="SET NULL"
    )
    dedup_key: str = Field(max_length=255)
    status: str = Field(max_length=16)
    action: SignalAction = Field(sa_type=sa.String(16))
    received_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class MaintenanceWindow(SQLModel, table=True):
    """While it runs, matching alerts are stored and counted but open or reopen no card."""

    __tablename__ = "maintenance_window"
    __table_args__ = (sa.Index("ix_maintenance_window_ends_at", "ends_at"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    integration_id: int | None = Field(
        default=None, foreign_key="integration.id", ondelete="CASCADE", index=True
    )
    board_id: int | None = Field(default=None, foreign_key="board.id", ondelete="CASCADE")
    matchers: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


# The rows of alerts and signals written in bulk (new alerts, every signal), as dictionaries.
ALERT_ROW = RowShape(Alert)
SIGNAL_ROW = RowShape(AlertSignal)


# Mapper patching from another domain, on purpose: boards may not import alerts (the
# layers in pyproject.toml), yet a card's JSON shows its alert. So this view-only
# relationship loads each card's alert in one extra query per list (no N+1), and boards
# reads it through CARD_SUMMARIES (filled by app/wiring.py) without knowing the Alert
# class; the registry is explained beside CARD_SUMMARIES in app/boards/models.py.
sa.inspect(Card).add_property(
    "alert_record",
    relationship(
        Alert,
        primaryjoin="Card.id == foreign(Alert.card_id)",
        viewonly=True,
        uselist=False,
        lazy="selectin",
    ),
)


# The card JSON's ``alert`` object: its keys and the alert columns they show.
_SUMMARY = (
    ("fingerprint", "dedup_key"),
    ("status", "status"),
    ("integration_id", "integration_id"),
    ("source", "source"),
    ("severity", "severity"),
    ("occurrences", "occurrences"),
    ("flaps", "flaps"),
    ("recurrence", "recurrence"),
    ("first_seen_at", "first_seen_at"),
    ("last_seen_at", "last_seen_at"),
    ("starts_at", "starts_at"),
    ("resolved_at", "resolved_at"),
    ("acknowledged_at", "acknowledged_at"),
    ("expired_at", "expired_at"),
    ("labels", "labels"),
    ("annotations", "annotations"),
    ("links", "links"),
)


def summary_of(values: Callable[[str], Any]) -> dict[str, Any]:
    """The ``alert`` object of a card's JSON, from a getter of the alert's column values."""
    return {name: values(column) for name, column in _SUMMARY}


def summary_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """``summary_of`` an alert's column values, made of JSON's types (as ``jsonable`` answers).

    Written out key by key (``summary_of``'s keys, in its order; a test compares the two):
    this runs for every new alert someone listens to. Labels, annotations and links are
    JSON documents already.
    """
    return {
        "fingerprint": row["dedup_key"],
        "status": enum_value(row["status"]),
        "integration_id": row["integration_id"],
        "source": row["source"],
        "severity": row["severity"],
        "occurrences": row["occurrences"],
        "flaps": row["flaps"],
        "recurrence": row["recurrence"],
        "first_seen_at": time_text(row["first_seen_at"]),
        "last_seen_at": time_text(row["last_seen_at"]),
        "starts_at": time_text(row["starts_at"]),
        "resolved_at": time_text(row["resolved_at"]),
        "acknowledged_at": time_text(row["acknowledged_at"]),
        "expired_at": time_text(row["expired_at"]),
        "labels": row["labels"],
        "annotations": row["annotations"],
        "links": row["links"],
    }


def alert_summary(card: Card) -> dict[str, Any] | None:
    """The ``alert`` object of a card's JSON, or None for cards no alert opened."""
    alert: Alert | None = getattr(card, "alert_record", None)
    if alert is None:
        return None
    return summary_of(partial(getattr, alert))
