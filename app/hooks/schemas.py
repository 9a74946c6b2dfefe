"""Request and response shapes of webhooks, rules, deliveries and the event catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from app.core.schemas import Id, Patch, StrictModel
from app.hooks.catalogue import ALL, CardKindName, PriorityName, known
from app.hooks.config import get_hooks_settings
from app.hooks.models import DeliveryStatus, RunOutcome
from app.hooks.targets import ForbiddenTarget, check_host


def _http_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError as exc:  # e.g. an unclosed [ in the host
        raise ValueError(f"is not a URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError("must be an absolute http:// or https:// URL")
    try:
        check_host(host, allow_private=get_hooks_settings().allow_private)
    except ForbiddenTarget as exc:
        raise ValueError(
            f"must reach a public address: {exc} (FIRELANE_HOOKS_ALLOW_PRIVATE allows it)"
        ) from exc
    return value


def _event_names(values: list[str]) -> list[str]:
    unknown = [name for name in values if name != ALL and not known(name)]
    if unknown:
        raise ValueError(f"unknown event {unknown[0]!r}; see GET /api/v1/event-types")
    return sorted(set(values))


def _trigger(value: str) -> str:
    if not known(value):
        raise ValueError(f"unknown event {value!r}; see GET /api/v1/event-types")
    return value


Url = Annotated[str, Field(min_length=1, max_length=2048), AfterValidator(_http_url)]
EventNames = Annotated[list[str], Field(min_length=1, max_length=50), AfterValidator(_event_names)]
Secret = Annotated[str, Field(min_length=16, max_length=256)]
Label = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s,]+$")]
Template = Annotated[str, Field(max_length=20_000)]
REDACTED = "********"


# --- webhooks ------------------------------------------------------------------------


class WebhookCreate(StrictModel):
    url: Url
    events: EventNames = Field(description='Event names, or ["*"] for every event.')
    secret: Secret | None = Field(
        default=None, description="The signing secret; one is generated if you leave it out."
    )
    board_id: Id | None = Field(default=None, description="Only this board's events.")
    description: Annotated[str, Field(max_length=500)] = ""
    is_active: bool = True


class WebhookUpdate(Patch):
    clearable = frozenset({"board_id"})

    url: Url | None = None
    events: EventNames | None = None
    secret: Secret | None = Field(default=None, description="Replace the signing secret.")
    board_id: Id | None = None
    description: Annotated[str | None, Field(max_length=500)] = None
    is_active: bool | None = None


class WebhookPublic(BaseModel):
    """A webhook; its secret is shown once, when it is created or rotated."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    events: list[str]
    board_id: int | None
    description: str
    is_active: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookPublic):
    secret: str = Field(description="Store it now: Firelane never shows it again.")


# --- rules ---------------------------------------------------------------------------


class RuleConditions(StrictModel):
    """All given conditions must hold; a list matches any of its values."""

    board_id: Id | None = None
    column_id: Id | None = Field(default=None, description="The card is in this column.")
    from_column_id: Id | None = None
    to_column_id: Id | None = None
    kind: Annotated[list[CardKindName] | None, Field(min_length=1)] = None
    label: Annotated[list[Label] | None, Field(min_length=1, max_length=20)] = None
    priority: Annotated[list[PriorityName] | None, Field(min_length=1)] = None
    severity: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=32)]] | None,
        Field(min_length=1, max_length=20),
    ] = None
    min_occurrences: Annotated[int | None, Field(ge=1)] = None
    text: Annotated[
        str | None,
        Field(min_length=1, max_length=200, description="Case-insensitive, in title/body."),
    ] = None


class MoveCard(StrictModel):
    type: Literal["move_card"]
    column_id: Id
    position: Literal["top", "bottom"] = "top"


class Assign(StrictModel):
    type: Literal["assign"]
    assignee: Annotated[str | None, Field(max_length=64, description="null unassigns.")]


class AddLabel(StrictModel):
    type: Literal["add_label"]
    label: Label


class RemoveLabel(StrictModel):
    type: Literal["remove_label"]
    label: Label


class SetPriority(StrictModel):
    type: Literal["set_priority"]
    priority: PriorityName


class Comment(StrictModel):
    type: Literal["comment"]
    body: Annotated[str, Field(min_length=1, max_length=20_000)]


class CreateLinkedCard(StrictModel):
    type: Literal["create_linked_card"]
    title: Annotated[str, Field(min_length=1, max_length=300)] = "Automate: {title}"
    description: Template = ""
    kind: CardKindName = "automation"
    priority: PriorityName | None = None
    labels: Annotated[list[Label], Field(max_length=20)] = []
    board_id: Id | None = Field(default=None, description="Defaults to the event's board.")
    column_id: Id | None = Field(default=None, description="Defaults to the first column.")
    link_kind: Annotated[str, Field(min_length=1, max_length=40)] = "automates"
    once: bool = Field(
        default=True, description="Skip if a card already links to this one with link_kind."
    )


class WebRequest(StrictModel):
    type: Literal["web_request"]
    url: Url
    method: Literal["POST", "PUT", "PATCH", "GET", "DELETE"] = "POST"
    headers: Annotated[dict[str, str], Field(max_length=20)] = Field(
        default={}, description=f"Stored encrypted; answered as {REDACTED!r}."
    )
    secret: Secret | None = Field(default=None, description="Sign with this secret too.")
    preset: Literal["slack"] | None = Field(
        default=None, description='"slack": the body is {"text": <text>}, values escaped.'
    )
    text: Template | None = None
    body: Any = Field(default=None, description="A JSON template; strings are templates.")

    @field_validator("headers")
    @classmethod
    def _plain_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not name or any(c in name for c in " :\r\n") or "\r" in text or "\n" in text:
                raise ValueError(f"header {name!r} is not a valid HTTP header")
        return value


Action = Annotated[
    MoveCard
    | Assign
    | AddLabel
    | RemoveLabel
    | SetPriority
    | Comment
    | CreateLinkedCard
    | WebRequest,
    Field(discriminator="type"),
]


class RuleCreate(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=120)]
    description: Annotated[str, Field(max_length=1000)] = ""
    trigger: str = Field(description="An event name from GET /api/v1/event-types.")
    conditions: RuleConditions = RuleConditions()
    actions: Annotated[list[Action], Field(min_length=1, max_length=10)]
    is_active: bool = True
    rate_limit: Annotated[int, Field(ge=1, le=10_000)] = 5
    rate_window_seconds: Annotated[int, Field(ge=1, le=7 * 86_400)] = 3600

    @field_validator("trigger")
    @classmethod
    def _known_trigger(cls, value: str) -> str:
        return _trigger(value)


class RuleUpdate(Patch):
    """Fields left out stay; ``actions`` replaces the list (a header sent as
    ``"********"`` keeps its stored value)."""

    name: Annotated[str | None, Field(min_length=1, max_length=120)] = None
    description: Annotated[str | None, Field(max_length=1000)] = None
    trigger: str | None = None
    conditions: RuleConditions | None = None
    actions: Annotated[list[Action] | None, Field(min_length=1, max_length=10)] = None
    is_active: bool | None = None
    rate_limit: Annotated[int | None, Field(ge=1, le=10_000)] = None
    rate_window_seconds: Annotated[int | None, Field(ge=1, le=7 * 86_400)] = None

    @field_validator("trigger")
    @classmethod
    def _known_trigger(cls, value: str | None) -> str | None:
        return None if value is None else _trigger(value)


class RulePublic(BaseModel):
    id: int
    name: str
    description: str
    trigger: str
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    is_active: bool
    rate_limit: int
    rate_window_seconds: int
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class RuleRunPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rule_id: int
    event_type: str
    event_id: int | None
    board_id: int | None
    card_id: int | None
    depth: int
    outcome: RunOutcome
    detail: str
    results: list[dict[str, Any]]
    count: int
    created_at: datetime
    last_at: datetime


# --- deliveries ----------------------------------------------------------------------


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    uuid: str
    webhook_id: int | None
    rule_id: int | None
    event_type: str
    board_id: int | None
    card_id: int | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = Field(description="When a pending delivery is tried next.")
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None


class DeliveryDetail(DeliveryPublic):
    url: str | None
    method: str
    body: str


class AttemptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    outcome: str
    error: str | None
    response_excerpt: str


class EventTypePublic(BaseModel):
    name: str
    version: int
    when: str
    about_a_card: bool
    data_schema: dict[str, Any]
