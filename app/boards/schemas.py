"""Request and response shapes of boards, columns, cards, comments and card events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from app.boards.models import CardKind, CardStatus, Priority, WipMode
from app.core.clock import AwareUTC
from app.core.schemas import MAX_ID, Id, Patch, StrictModel

Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Label = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s,]+$")]
Labels = Annotated[list[Label], Field(max_length=20)]
Title = Annotated[str, Field(min_length=1, max_length=300)]
Description = Annotated[str, Field(max_length=100_000)]
Version = Annotated[
    int, Field(ge=1, le=MAX_ID, description="The card version you read; 409 if stale.")
]
Position = Literal["top", "bottom"]
Minutes = Annotated[int, Field(ge=0, le=10_000_000)]
CandidateKey = Annotated[
    str,
    Field(
        min_length=1,
        max_length=400,
        pattern=r"^(alert:[0-9]+:.+|schedule:[0-9]+)$",
        description='A report candidate: "alert:<integration_id>:<name>" or "schedule:<id>".',
    ),
]
Automates = Annotated[
    list[CandidateKey],
    Field(max_length=50, description="Candidate keys this automation card automates."),
]


def _unique_labels(labels: list[str] | None) -> list[str] | None:
    return None if labels is None else sorted(set(labels))


_unique_keys = _unique_labels


# --- columns -------------------------------------------------------------------------


class ColumnCreate(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    position: Annotated[int | None, Field(ge=0, le=1000)] = None
    wip_limit: Annotated[int | None, Field(ge=1, le=100_000)] = None
    wip_mode: WipMode = WipMode.soft
    is_done: bool = False


class ColumnUpdate(Patch):
    clearable = frozenset({"wip_limit"})

    name: Annotated[str | None, Field(min_length=1, max_length=80)] = None
    position: Annotated[int | None, Field(ge=0, le=1000)] = None
    wip_limit: Annotated[int | None, Field(ge=1, le=100_000)] = None
    wip_mode: WipMode | None = None
    is_done: bool | None = None


class ColumnPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    board_id: int
    name: str
    position: int
    wip_limit: int | None
    wip_mode: WipMode
    is_done: bool


# --- boards --------------------------------------------------------------------------


class BoardCreate(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=120)]
    slug: Slug
    description: Description = ""
    columns: Annotated[list[ColumnCreate] | None, Field(min_length=1, max_length=50)] = None


class BoardUpdate(Patch):
    name: Annotated[str | None, Field(min_length=1, max_length=120)] = None
    description: Description | None = None


class BoardPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    slug: str
    description: str
    created_at: datetime
    updated_at: datetime
    layout_version: int = Field(
        description="+1 on every change of the board or its columns (live boards compare it)."
    )


# --- cards ---------------------------------------------------------------------------


ChecklistText = Annotated[str, Field(min_length=1, max_length=500)]


class ChecklistItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str
    done: bool
    done_at: datetime | None
    done_by: str | None


class ChecklistItemCreate(StrictModel):
    text: ChecklistText
    version: Version


class ChecklistItemUpdate(Patch):
    """Tick or untick an item, or reword it; the card's version guards the write."""

    version: Version
    done: bool | None = None
    text: ChecklistText | None = None


class CardLinkPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    target_card_id: int
    kind: str


class CardLinked(BaseModel):
    """A card linked to this one, either way, with what a list of them shows."""

    direction: Literal["out", "in"] = Field(
        description='"out": this card links to it; "in": it links to this card.'
    )
    kind: str = Field(description='The link\'s kind, e.g. "recurrence_of" or "automates".')
    card_id: int
    title: str
    card_kind: CardKind
    status: CardStatus


class CardCreate(StrictModel):
    title: Title
    description: Description = ""
    column_id: Id | None = Field(default=None, description="Defaults to the first column.")
    position: Position = "bottom"
    kind: CardKind = CardKind.project
    priority: Priority = Priority.medium
    labels: Labels = []
    assignee: Annotated[str | None, Field(max_length=64, description="A user name.")] = None
    due_at: AwareUTC | None = None
    time_spent_minutes: Minutes = 0
    estimate_minutes: Minutes | None = Field(
        default=None, description="The build estimate of an automation card."
    )
    automates: Automates = Field(
        default=[], description="Candidate keys it automates (automation cards only)."
    )
    checklist: Annotated[list[ChecklistText], Field(max_length=100)] = []

    _labels = field_validator("labels")(_unique_labels)
    _automates = field_validator("automates")(_unique_keys)


class CardUpdate(Patch):
    """Fields left out stay as they are; ``null`` clears assignee, due date and estimate."""

    clearable = frozenset({"assignee", "due_at", "estimate_minutes"})

    version: Version
    title: Title | None = None
    description: Description | None = None
    kind: CardKind | None = None
    priority: Priority | None = None
    labels: Labels | None = None
    assignee: Annotated[str | None, Field(max_length=64)] = None
    due_at: AwareUTC | None = None
    time_spent_minutes: Minutes | None = None
    estimate_minutes: Minutes | None = None
    automates: Automates | None = None
    archived: bool | None = None

    _labels = field_validator("labels")(_unique_labels)
    _automates = field_validator("automates")(_unique_keys)


class CardMove(StrictModel):
    """Where a card goes: a column and one of after/before a card, or top/bottom."""

    version: Version
    column_id: Id | None = Field(default=None, description="Defaults to the card's column.")
    after_card_id: Id | None = None
    before_card_id: Id | None = None
    position: Position | None = None

    @model_validator(mode="after")
    def _one_intent(self) -> CardMove:
        given = [self.after_card_id, self.before_card_id, self.position]
        if sum(value is not None for value in given) > 1:
            raise ValueError("give at most one of after_card_id, before_card_id, position")
        return self


class CardPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    board_id: int
    column_id: int
    title: str
    description: str
    kind: CardKind
    priority: Priority
    labels: list[str]
    assignee_id: int | None
    assignee: str | None = Field(validation_alias=AliasChoices("assignee_name", "assignee"))
    due_at: datetime | None
    rank: str
    version: int
    status: CardStatus
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    done_at: datetime | None
    archived_at: datetime | None
    time_spent_minutes: int
    estimate_minutes: int | None
    automates: list[str]
    checklist: list[ChecklistItemPublic]
    links: list[CardLinkPublic]
    alert: dict[str, Any] | None = Field(
        default=None,
        validation_alias=AliasChoices("alert_summary", "alert"),
        description="For cards opened by alerts: fingerprint, status, occurrences and more.",
    )


class CardWritten(CardPublic):
    """A card after a write, with warnings such as a soft WIP limit passed."""

    warnings: list[str] = []


class ColumnDetail(ColumnPublic):
    card_count: int
    cards: list[CardPublic]
    next_cursor: str | None


class BoardDetail(BoardPublic):
    columns: list[ColumnDetail]


# --- comments and activity -----------------------------------------------------------


class CommentCreate(StrictModel):
    body: Annotated[str, Field(min_length=1, max_length=20_000)]


class CommentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    card_id: int
    author: str | None = Field(validation_alias=AliasChoices("author_name", "author"))
    body: str
    created_at: datetime


class CardEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    card_id: int
    board_id: int
    type: str
    actor: str
    from_column_id: int | None
    to_column_id: int | None
    changes: dict[str, Any]
    data: dict[str, Any]
    created_at: datetime
