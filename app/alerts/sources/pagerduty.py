"""PagerDuty Events API v2: trigger, acknowledge and resolve by ``dedup_key``.

A trigger without a ``dedup_key`` gets one made up and answered, as PagerDuty does; an
acknowledge or resolve must name the key it is about.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.alerts.exceptions import InvalidPayload
from app.alerts.sources.base import (
    MAX_KEY,
    MAX_TEXT,
    MAX_TITLE,
    NormalisedAlert,
    clean_map,
    clip,
    links_of,
    moment,
    validation_failure,
)

_STATUS = {"trigger": "firing", "acknowledge": "acknowledged", "resolve": "resolved"}


class PdDetails(BaseModel):
    model_config = ConfigDict(extra="ignore")

    summary: Annotated[str, Field(min_length=1, max_length=1024)]
    source: Annotated[str, Field(min_length=1, max_length=255)]
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: datetime | None = None
    component: str | None = None
    group: str | None = None
    class_: str | None = Field(default=None, alias="class")
    custom_details: dict[str, Any] | str | None = None


class PdLink(BaseModel):
    model_config = ConfigDict(extra="ignore")

    href: str
    text: str | None = None


class PdImage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    src: str
    href: str | None = None


class PdEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    routing_key: str | None = None
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: Annotated[str | None, Field(max_length=MAX_KEY)] = None
    payload: PdDetails | None = None
    client: str | None = None
    client_url: str | None = None
    links: Annotated[list[PdLink], Field(max_length=50)] = []
    images: Annotated[list[PdImage], Field(max_length=50)] = []

    @model_validator(mode="after")
    def _complete(self) -> PdEvent:
        if self.event_action == "trigger" and self.payload is None:
            raise ValueError("a trigger needs payload.summary, payload.source, payload.severity")
        if self.event_action != "trigger" and not self.dedup_key:
            raise ValueError(f"{self.event_action} needs the dedup_key of the alert")
        return self


def parse(data: Any) -> PdEvent:
    if not isinstance(data, dict):
        raise InvalidPayload("Not a PagerDuty Events v2 payload: the body must be a JSON object.")
    try:
        return PdEvent.model_validate(data)
    except ValidationError as exc:
        raise validation_failure(exc, "PagerDuty Events v2") from exc


def _labels(details: PdDetails | None) -> dict[str, Any]:
    if details is None:
        return {}
    labels: dict[str, Any] = {"source": details.source}
    for name in ("component", "group"):
        if getattr(details, name):
            labels[name] = getattr(details, name)
    if details.class_:
        labels["class"] = details.class_
    return labels


def normalise(data: Any, mapping: dict[str, Any] | None = None) -> list[NormalisedAlert]:
    """Turn one Events v2 event into an alert; make up a dedup_key for a bare trigger."""
    event = parse(data)
    details = event.payload
    generated = event.dedup_key is None
    key = event.dedup_key or uuid.uuid4().hex
    custom = details.custom_details if details else None
    annotations = custom if isinstance(custom, dict) else ({"details": custom} if custom else {})
    links = links_of(
        *((link.text or "link", link.href) for link in event.links),
        *(("image", image.src) for image in event.images),
        ("client", event.client_url),
    )
    return [
        NormalisedAlert(
            source="pagerduty",
            key=key,
            status=_STATUS[event.event_action],
            title=clip(details.summary if details else f"{event.event_action} {key}", MAX_TITLE),
            severity=details.severity if details else None,
            description=clip(details.summary if details else "", MAX_TEXT),
            labels=clean_map(_labels(details)),
            annotations=clean_map(annotations),
            starts_at=moment(details.timestamp) if details else None,
            links=links,
            key_generated=generated,
        )
    ]
