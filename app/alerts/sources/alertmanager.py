"""Prometheus Alertmanager webhook payloads (version 4): one alert per entry of the group."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.alerts.exceptions import InvalidPayload
from app.alerts.fingerprint import stable_key
from app.alerts.sources.base import (
    MAX_KEY,
    MAX_TEXT,
    MAX_TITLE,
    NormalisedAlert,
    clean_map,
    clip,
    links_of,
    moment,
    not_a,
    validation_failure,
)

Labels = Annotated[dict[str, str], Field(max_length=1000)]


class AmAlert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: Labels = {}
    annotations: Labels = {}
    startsAt: datetime | None = None  # noqa: N815 - the vendor's field name
    endsAt: datetime | None = None  # noqa: N815
    generatorURL: str | None = None  # noqa: N815
    fingerprint: Annotated[str | None, Field(max_length=MAX_KEY)] = None
    # Grafana adds these; Alertmanager leaves them out.
    silenceURL: str | None = None  # noqa: N815
    dashboardURL: str | None = None  # noqa: N815
    panelURL: str | None = None  # noqa: N815
    imageURL: str | None = None  # noqa: N815
    values: dict[str, Any] | None = None
    valueString: str | None = None  # noqa: N815


class AmPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: str | None = None
    status: str | None = None  # the group's status; each alert's own one is what counts
    receiver: str | None = None
    externalURL: str | None = None  # noqa: N815
    alerts: Annotated[list[AmAlert], Field(min_length=1, max_length=10_000)]


def parse(data: Any, what: str = "Alertmanager") -> AmPayload:
    if not isinstance(data, dict):
        raise InvalidPayload(f"{not_a(what)}: the body must be a JSON object.")
    try:
        return AmPayload.model_validate(data)
    except ValidationError as exc:
        raise validation_failure(exc, what) from exc


def title_of(alert: AmAlert) -> str:
    summary = alert.annotations.get("summary") or alert.annotations.get("title")
    if summary:
        return clip(summary, MAX_TITLE)
    name = alert.labels.get("alertname", "Alert")
    where = alert.labels.get("instance") or alert.labels.get("job") or alert.labels.get("service")
    return clip(f"{name} on {where}" if where else name, MAX_TITLE)


def description_of(alert: AmAlert) -> str:
    text = alert.annotations.get("description") or alert.annotations.get("message") or ""
    return clip(text, MAX_TEXT)


def key_of(alert: AmAlert) -> str:
    # The sender's fingerprint identifies the label set already: never re-hash it.
    if alert.fingerprint:
        return alert.fingerprint
    return stable_key({"labels": alert.labels})


def normalise_alert(alert: AmAlert, *, source: str, external_url: str | None) -> NormalisedAlert:
    severity = alert.labels.get("severity") or alert.labels.get("priority")
    return NormalisedAlert(
        source=source,
        key=key_of(alert),
        status=alert.status,
        title=title_of(alert),
        severity=severity,
        description=description_of(alert),
        labels=clean_map(alert.labels),
        annotations=clean_map(alert.annotations),
        starts_at=moment(alert.startsAt),
        ends_at=moment(alert.endsAt) if alert.status == "resolved" else None,
        links=links_of(
            ("runbook", alert.annotations.get("runbook_url")),
            ("dashboard", alert.annotations.get("dashboard_url")),
            ("generator", alert.generatorURL),
            ("alertmanager", external_url),
        ),
    )


def normalise(data: Any, mapping: dict[str, Any] | None = None) -> list[NormalisedAlert]:
    """Split an Alertmanager group into its alerts, each with its own status."""
    payload = parse(data)
    return [
        normalise_alert(alert, source="alertmanager", external_url=payload.externalURL)
        for alert in payload.alerts
    ]
