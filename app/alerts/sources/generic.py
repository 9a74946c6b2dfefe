"""Generic JSON: a small documented schema, or any JSON through a dotted-path field mapping.

The minimal schema (one object, a list of them, or ``{"alerts": [...]}``)::

    {"title": "Disk full on web-3",          required
     "status": "firing",                     firing | resolved | acknowledged (default firing)
     "key": "web-3/disk",                    optional dedup key
     "severity": "critical",
     "description": "…", "labels": {"host": "web-3"}, "annotations": {},
     "links": [{"url": "https://…", "rel": "runbook"}], "starts_at": "…", "ends_at": "…"}

An integration's ``field_mapping`` names, per field, the dotted path where the sender keeps
it (``{"title": "check.output", "key": "check.id", "alerts": "events"}``); ``status_values``
translates the sender's words (``{"OK": "resolved"}``); ``key_fields`` lists the paths
hashed into a key when the payload brings none (default: title and labels).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.alerts.exceptions import InvalidPayload
from app.alerts.fingerprint import lookup, stable_key
from app.alerts.sources.base import (
    MAX_KEY,
    MAX_TEXT,
    MAX_TITLE,
    Link,
    NormalisedAlert,
    clean_map,
    clip,
    links_of,
    moment,
    validation_failure,
)

FIELDS = (
    "title",
    "status",
    "key",
    "severity",
    "description",
    "labels",
    "annotations",
    "links",
    "starts_at",
    "ends_at",
)
MAPPING_KEYS = frozenset({*FIELDS, "alerts", "key_fields", "status_values"})
MAX_ALERTS = 1000

STATUS_WORDS = {
    "firing": "firing",
    "fire": "firing",
    "alerting": "firing",
    "alert": "firing",
    "problem": "firing",
    "triggered": "firing",
    "trigger": "firing",
    "open": "firing",
    "critical": "firing",
    "resolved": "resolved",
    "resolve": "resolved",
    "ok": "resolved",
    "recovered": "resolved",
    "closed": "resolved",
    "acknowledged": "acknowledged",
    "acknowledge": "acknowledged",
    "ack": "acknowledged",
}

Scalar = str | int | float | bool | None


class GenericLink(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str
    rel: str | None = None
    text: str | None = None


class GenericAlert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Annotated[str, Field(min_length=1, max_length=10_000)]
    status: str = "firing"
    key: Annotated[str | None, Field(max_length=MAX_KEY)] = None
    severity: Annotated[str | None, Field(max_length=64)] = None
    description: Annotated[str, Field(max_length=200_000)] = ""
    labels: Annotated[dict[str, Scalar], Field(max_length=1000)] = {}
    annotations: Annotated[dict[str, Any], Field(max_length=1000)] = {}
    links: Annotated[list[GenericLink | str], Field(max_length=50)] = []
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @field_validator("key", "severity", mode="before")
    @classmethod
    def _scalar_text(cls, value: Any) -> Any:
        return (
            str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )


def _status(value: Any, words: dict[str, str]) -> str:
    text = str(value).strip()
    translated = words.get(text) or STATUS_WORDS.get(text.lower())
    if translated is None:
        raise InvalidPayload(
            f"Unknown status {clip(text, 60)!r}: use firing, resolved or acknowledged, "
            "or map the sender's words with field_mapping.status_values."
        )
    return translated


def _items(data: Any, mapping: dict[str, Any]) -> list[Any]:
    if "alerts" in mapping:
        found = lookup(data, mapping["alerts"])
        if not isinstance(found, list):
            raise InvalidPayload(f"field_mapping.alerts: {mapping['alerts']!r} is not a list here.")
        items = found
    elif isinstance(data, list):
        items = data
    elif isinstance(data, dict) and isinstance(data.get("alerts"), list):
        items = data["alerts"]
    else:
        items = [data]
    if not items:
        raise InvalidPayload("The payload holds no alert.")
    if len(items) > MAX_ALERTS:
        raise InvalidPayload(f"The payload holds {len(items)} alerts; at most {MAX_ALERTS}.")
    return items


def _fields(item: Any, mapping: dict[str, Any], index: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InvalidPayload(f"alerts.{index}: each alert must be a JSON object.")
    fields: dict[str, Any] = {}
    for name in FIELDS:
        path = mapping.get(name)
        value = lookup(item, path) if path else item.get(name)
        if value is not None:
            fields[name] = value
    if "title" not in fields:
        where = f"the path {mapping['title']!r}" if "title" in mapping else "the field 'title'"
        raise InvalidPayload(f"alerts.{index}: no title found at {where}.")
    return fields


def _links(links: list[GenericLink | str]) -> list[Link]:
    pairs = [
        ("link", link) if isinstance(link, str) else (link.rel or link.text or "link", link.url)
        for link in links
    ]
    return links_of(*pairs)


def _one(item: Any, mapping: dict[str, Any], index: int) -> NormalisedAlert:
    fields = _fields(item, mapping, index)
    if "status" in fields:
        fields["status"] = _status(fields["status"], mapping.get("status_values") or {})
    try:
        alert = GenericAlert.model_validate(fields)
    except ValidationError as exc:
        raise validation_failure(exc, f"generic alert (alerts.{index})") from exc
    labels = clean_map(alert.labels)
    title = clip(alert.title, MAX_TITLE)
    key = alert.key
    if not key:
        key_fields = mapping.get("key_fields")
        if key_fields:
            key = stable_key({path: lookup(item, path) for path in sorted(key_fields)})
        else:
            key = stable_key({"title": title, "labels": labels})
    return NormalisedAlert(
        source="generic",
        key=key,
        status=alert.status,
        title=title,
        severity=alert.severity,
        description=clip(alert.description, MAX_TEXT),
        labels=labels,
        annotations=clean_map(alert.annotations),
        starts_at=moment(alert.starts_at),
        ends_at=moment(alert.ends_at),
        links=_links(alert.links),
    )


def normalise(data: Any, mapping: dict[str, Any] | None = None) -> list[NormalisedAlert]:
    """Read alerts in the minimal schema, through the integration's field mapping if any."""
    mapping = mapping or {}
    return [_one(item, mapping, index) for index, item in enumerate(_items(data, mapping))]
