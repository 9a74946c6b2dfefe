"""Boards, their columns, cards, labels, comments and the activity of every card."""

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import declared_attr
from sqlmodel import JSON, Field, Relationship, SQLModel

from app.auth.models import User
from app.core.clock import now
from app.core.db import RankKey, UTCDateTime
from app.core.rows import RowShape


class CardKind(StrEnum):
    fire = "fire"
    maintenance = "maintenance"
    change = "change"
    project = "project"
    automation = "automation"


class Priority(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    urgent = "urgent"

    @property
    def level(self) -> int:
        return list(Priority).index(self)


class WipMode(StrEnum):
    soft = "soft"
    hard = "hard"


class CardStatus(StrEnum):
    open = "open"
    done = "done"
    archived = "archived"


class Board(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    slug: str = Field(max_length=64, unique=True)
    description: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    # +1 on every change of the board or its columns (name, order, WIP limits, a column
    # added or deleted): live board streams notice it and send the new layout.
    layout_version: int = Field(default=1, sa_column_kwargs={"server_default": sa.text("1")})


class BoardColumn(SQLModel, table=True):
    __tablename__ = "board_column"

    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=80)
    position: int
    wip_limit: int | None = None
    wip_mode: WipMode = Field(default=WipMode.soft, sa_type=sa.String(8))
    is_done: bool = False
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class CardLabel(SQLModel, table=True):
    __tablename__ = "card_label"
    __table_args__ = (sa.Index("ix_card_label_name_card_id", "name", "card_id"),)

    card_id: int | None = Field(
        default=None, foreign_key="card.id", ondelete="CASCADE", primary_key=True
    )
    name: str = Field(max_length=64, primary_key=True)


class ChecklistItem(SQLModel, table=True):
    """One step of a card's checklist (chores come with theirs)."""

    __tablename__ = "checklist_item"
    __table_args__ = (sa.Index("ix_checklist_item_card_id_position", "card_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    card_id: int | None = Field(default=None, foreign_key="card.id", ondelete="CASCADE")
    position: int = 0
    text: str = Field(max_length=500)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_by: str | None = Field(default=None, max_length=120)

    @property
    def done(self) -> bool:
        return self.done_at is not None


class CardLink(SQLModel, table=True):
    """A typed link from one card to another ("recurrence_of", "automates", "follows_up")."""

    __tablename__ = "card_link"
    __table_args__ = (
        sa.UniqueConstraint("card_id", "target_card_id", "kind"),
        sa.Index("ix_card_link_target_card_id", "target_card_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    card_id: int | None = Field(default=None, foreign_key="card.id", ondelete="CASCADE")
    target_card_id: int = Field(foreign_key="card.id", ondelete="CASCADE")
    kind: str = Field(max_length=40)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


class AutomationTarget(SQLModel, table=True):
    """A candidate key an automation card automates ("alert:3:HighCPU", "schedule:7")."""

    __tablename__ = "automation_target"
    __table_args__ = (sa.Index("ix_automation_target_key_card_id", "key", "card_id"),)

    card_id: int | None = Field(
        default=None, foreign_key="card.id", ondelete="CASCADE", primary_key=True
    )
    key: str = Field(max_length=400, primary_key=True)


# Summaries other domains attach to a card's JSON without boards importing them: the
# alerts domain adds an ``alert_record`` relationship to Card's mapper (app/alerts/models.py)
# and app/wiring.py registers its "alert" here; Card.alert_summary reads it.
CARD_SUMMARIES: dict[str, Callable[["Card"], dict[str, Any] | None]] = {}


class Card(SQLModel, table=True):
    __table_args__ = (
        # One key per place in a column; archived cards keep their key but hold no place.
        sa.Index(
            "uq_card_column_id_rank",
            "column_id",
            "rank",
            unique=True,
            sqlite_where=sa.text("archived_at IS NULL"),
            postgresql_where=sa.text("archived_at IS NULL"),
        ),
        sa.Index("ix_card_board_id_id", "board_id", "id"),
        # A board's done columns show their most recently done cards. Partial: the cards
        # alerts open (most inserts) are not done and never enter it.
        sa.Index(
            "ix_card_column_id_done_at",
            "column_id",
            "done_at",
            sqlite_where=sa.text("done_at IS NOT NULL AND archived_at IS NULL"),
            postgresql_where=sa.text("done_at IS NOT NULL AND archived_at IS NULL"),
        ),
        # Most cards (every fire) have nobody assigned: only assigned cards are indexed.
        sa.Index(
            "ix_card_assignee_id",
            "assignee_id",
            sqlite_where=sa.text("assignee_id IS NOT NULL"),
            postgresql_where=sa.text("assignee_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", ondelete="CASCADE")
    column_id: int = Field(foreign_key="board_column.id")
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_type=sa.Text)
    kind: CardKind = Field(default=CardKind.project, sa_type=sa.String(16))
    priority: Priority = Field(default=Priority.medium, sa_type=sa.String(16))
    assignee_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    created_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rank: str = Field(sa_type=RankKey)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    time_spent_minutes: int = 0
    # The build estimate of an automation card (the report's payback).
    estimate_minutes: int | None = None

    label_rows: list[CardLabel] = Relationship(
        sa_relationship_kwargs={
            "lazy": "selectin",
            "cascade": "all, delete-orphan",
            "order_by": "CardLabel.name",
        }
    )

    checklist: list[ChecklistItem] = Relationship(
        sa_relationship_kwargs={
            "lazy": "selectin",
            "cascade": "all, delete-orphan",
            "order_by": "(ChecklistItem.position, ChecklistItem.id)",
        }
    )

    links: list[CardLink] = Relationship(
        sa_relationship_kwargs={
            "lazy": "selectin",
            "cascade": "all, delete-orphan",
            "foreign_keys": "[CardLink.card_id]",
            "order_by": "CardLink.id",
        }
    )

    target_rows: list[AutomationTarget] = Relationship(
        sa_relationship_kwargs={
            "lazy": "selectin",
            "cascade": "all, delete-orphan",
            "order_by": "AutomationTarget.key",
        }
    )

    assignee_user: User | None = Relationship(
        sa_relationship_kwargs={"lazy": "joined", "foreign_keys": "[Card.assignee_id]"}
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        # Every UPDATE checks and bumps the version: a concurrent writer fails, never wins.
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]

    @property
    def labels(self) -> list[str]:
        return [row.name for row in self.label_rows]

    @property
    def automates(self) -> list[str]:
        return [row.key for row in self.target_rows]

    @property
    def alert_summary(self) -> dict[str, Any] | None:
        provider = CARD_SUMMARIES.get("alert")
        return provider(self) if provider is not None else None

    @property
    def assignee_name(self) -> str | None:
        return self.assignee_user.name if self.assignee_user else None

    @property
    def status(self) -> CardStatus:
        if self.archived_at is not None:
            return CardStatus.archived
        return CardStatus.done if self.done_at is not None else CardStatus.open


class Comment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="card.id", ondelete="CASCADE", index=True)
    author_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    body: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    author: User | None = Relationship(sa_relationship_kwargs={"lazy": "joined"})

    @property
    def author_name(self) -> str | None:
        return self.author.name if self.author else None


# The events that write a card's own fields and place (the report's flow and time logged).
CARD_WRITE_TYPES = ("card.created", "card.updated", "card.moved", "card.done", "card.reopened")
CARD_WRITES = "type IN (" + ", ".join(f"'{each}'" for each in CARD_WRITE_TYPES) + ")"
# What alerts did to their cards, less the repeats (most rows): the report's episodes.
ALERT_EVENT_TYPES = ("alert.fired", "alert.acknowledged", "alert.resolved", "alert.expired")
ALERT_EVENTS = "type IN (" + ", ".join(f"'{each}'" for each in ALERT_EVENT_TYPES) + ")"


class CardEvent(SQLModel, table=True):
    """One thing that happened to a card: who, what, when, from → to, which fields."""

    __tablename__ = "card_event"
    __table_args__ = (
        sa.Index("ix_card_event_card_id_id", "card_id", "id"),
        sa.Index("ix_card_event_board_id_created_at", "board_id", "created_at"),
        # The weekly report's scans of a window (app.reports): what alerts did (but
        # repeat), human actions and card writes (time logged, moves, done). Partial, so
        # the alert repeats ingestion writes by the million never enter them.
        sa.Index(
            "ix_card_event_alert_created_at",
            "created_at",
            "card_id",
            "type",
            sqlite_where=sa.text(ALERT_EVENTS),
            postgresql_where=sa.text(ALERT_EVENTS),
        ),
        sa.Index(
            "ix_card_event_human_created_at",
            "created_at",
            "card_id",
            "actor_id",
            sqlite_where=sa.text("actor_id IS NOT NULL"),
            postgresql_where=sa.text("actor_id IS NOT NULL"),
        ),
        sa.Index(
            "ix_card_event_written_created_at",
            "created_at",
            sqlite_where=sa.text(CARD_WRITES),
            postgresql_where=sa.text(CARD_WRITES),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="card.id", ondelete="CASCADE")
    board_id: int = Field(foreign_key="board.id", ondelete="CASCADE")
    type: str = Field(max_length=40)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    # Who or what acted: "user:alice", "rule:3", "alert:alertmanager", "schedule:7", "system".
    actor: str = Field(max_length=120)
    from_column_id: int | None = None
    to_column_id: int | None = None
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)


# The rows of cards and card events written in bulk (alert storms, new alerts), as dictionaries.
CARD_ROW = RowShape(Card)
EVENT_ROW = RowShape(CardEvent)
