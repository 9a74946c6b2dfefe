"""Request and response shapes of integrations, ingestion and maintenance windows."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.alerts.models import IntegrationKind
from app.alerts.sources.generic import FIELDS, MAPPING_KEYS
from app.boards.models import Priority
from app.core.clock import AwareUTC
from app.core.schemas import Id, Patch, StrictModel

Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\s].*$")]
Seconds = Annotated[int, Field(ge=60, le=30 * 86_400)]
Path = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^.\s][^\s]*$")]
Secret = Annotated[str, Field(min_length=16, max_length=256)]
RatePerMinute = Annotated[int, Field(ge=1, le=1_000_000)]
Status = Literal["firing", "resolved", "acknowledged"]


class FieldMapping(StrictModel):
    """Where a generic sender keeps each field, as dotted paths into its JSON."""

    title: Path | None = None
    status: Path | None = None
    key: Path | None = None
    severity: Path | None = None
    description: Path | None = None
    labels: Path | None = None
    annotations: Path | None = None
    links: Path | None = None
    starts_at: Path | None = None
    ends_at: Path | None = None
    alerts: Path | None = Field(default=None, description="Path to the list of alerts.")
    key_fields: Annotated[list[Path] | None, Field(min_length=1, max_length=20)] = None
    status_values: Annotated[dict[str, Status] | None, Field(max_length=50)] = None


assert set(FieldMapping.model_fields) == MAPPING_KEYS and set(FIELDS) <= MAPPING_KEYS


def _lower_keys(value: dict[str, Priority] | None) -> dict[str, Priority] | None:
    return None if value is None else {key.strip().lower(): p for key, p in value.items()}


SeverityMap = Annotated[dict[Annotated[str, Field(max_length=64)], Priority], Field(max_length=50)]


class IntegrationCreate(StrictModel):
    name: Name
    kind: IntegrationKind
    board_id: Id
    column_id: Id | None = Field(default=None, description="Default: the board's first column.")
    resolve_column_id: Id | None = Field(
        default=None, description="Move a card here when its alert resolves; default: stay."
    )
    severity_map: SeverityMap = {}
    default_priority: Priority = Priority.medium
    stale_timeout_seconds: Seconds | None = Field(
        default=None, description="Expire alerts not refreshed for this long; default: never."
    )
    flap_window_seconds: Annotated[int, Field(ge=0, le=30 * 86_400)] = 3600
    field_mapping: FieldMapping | None = None
    hmac_secret: Secret | None = None
    max_body_bytes: Annotated[int | None, Field(ge=1024)] = None
    heartbeat_interval_seconds: Seconds | None = None
    rate_limit_per_minute: RatePerMinute | None = Field(
        default=None,
        description="Ingest requests a minute; past it 429 with Retry-After. Default: none.",
    )
    enabled: bool = True

    _severity = field_validator("severity_map")(_lower_keys)


class IntegrationUpdate(Patch):
    """Fields left out stay as they are; ``null`` clears the optional ones."""

    clearable = frozenset(
        {
            "column_id",
            "resolve_column_id",
            "stale_timeout_seconds",
            "field_mapping",
            "hmac_secret",
            "max_body_bytes",
            "heartbeat_interval_seconds",
            "rate_limit_per_minute",
        }
    )

    name: Name | None = None
    board_id: Id | None = None
    column_id: Id | None = None
    resolve_column_id: Id | None = None
    severity_map: SeverityMap | None = None
    default_priority: Priority | None = None
    stale_timeout_seconds: Seconds | None = None
    flap_window_seconds: Annotated[int | None, Field(ge=0, le=30 * 86_400)] = None
    field_mapping: FieldMapping | None = None
    hmac_secret: Secret | None = None
    max_body_bytes: Annotated[int | None, Field(ge=1024)] = None
    heartbeat_interval_seconds: Seconds | None = None
    rate_limit_per_minute: RatePerMinute | None = None
    enabled: bool | None = None

    _severity = field_validator("severity_map")(_lower_keys)


class IntegrationPublic(BaseModel):
    id: int
    name: str
    kind: IntegrationKind
    board_id: int
    column_id: int | None
    resolve_column_id: int | None
    severity_map: dict[str, str]
    default_priority: str
    stale_timeout_seconds: int | None
    flap_window_seconds: int
    field_mapping: dict[str, Any]
    has_hmac_secret: bool
    max_body_bytes: int | None
    heartbeat_interval_seconds: int | None
    rate_limit_per_minute: int | None
    heartbeat_last_at: datetime | None
    enabled: bool
    token_prefix: str
    ingest_url: str
    heartbeat_url: str
    created_at: datetime
    updated_at: datetime


class IntegrationWithToken(IntegrationPublic):
    token: str = Field(description="Shown once: store it in the sender's configuration now.")


# --- ingestion --------------------------------------------------------------------------


class IngestAccepted(BaseModel):
    accepted: int = Field(description="Alerts read from the payload.")
    cards: list[int] = Field(description="Cards the alerts opened or updated.")
    suppressed: int = Field(0, description="Alerts held back by a maintenance window.")
    ignored: int = Field(0, description="Resolves or acks for nothing open.")


class PagerDutyAccepted(IngestAccepted):
    status: str = "success"
    message: str = "Event processed"
    dedup_key: str


class HeartbeatAccepted(BaseModel):
    received_at: datetime
    next_expected_by: datetime | None
    resolved_card_id: Id | None = None


class AlertPayloadPublic(BaseModel):
    id: int
    received_at: datetime
    content_type: str
    size_bytes: int
    truncated: bool
    alert_count: int
    body: Any = Field(description="The JSON received, secrets redacted; text if it was cut.")


class AlertSignalPublic(BaseModel):
    id: int
    alert_id: int | None
    integration_id: int
    dedup_key: str
    status: str
    action: str
    maintenance_window_id: int | None
    received_at: datetime
    payload: AlertPayloadPublic | None = Field(
        description="null once the raw payload passed its retention."
    )


# --- maintenance windows ----------------------------------------------------------------


class Matcher(StrictModel):
    label: Annotated[str, Field(min_length=1, max_length=200)]
    op: Literal["=", "!=", "=~", "!~"] = "="
    value: Annotated[str, Field(max_length=500)]

    @field_validator("value")
    @classmethod
    def _valid_pattern(cls, value: str, info: Any) -> str:
        if info.data.get("op") in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from exc
        return value


class MaintenanceWindowCreate(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    integration_id: Id | None = None
    board_id: Id | None = None
    matchers: Annotated[list[Matcher], Field(max_length=50)] = []
    starts_at: AwareUTC | None = Field(default=None, description="Default: now.")
    ends_at: AwareUTC


class MaintenanceWindowUpdate(Patch):
    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    matchers: Annotated[list[Matcher] | None, Field(max_length=50)] = None
    starts_at: AwareUTC | None = None
    ends_at: AwareUTC | None = None


class MaintenanceWindowPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    integration_id: int | None
    board_id: int | None
    matchers: list[dict[str, str]]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    created_at: datetime
    suppressed: int = Field(0, description="Alerts this window held back so far.")
