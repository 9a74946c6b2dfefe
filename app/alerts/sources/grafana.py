"""Grafana (unified alerting) webhook payloads: Alertmanager's shape with Grafana's links.

Grafana raises two special alerts when a rule cannot be evaluated: ``DatasourceNoData``
(the query returned nothing) and ``DatasourceError`` (the query failed). They carry the
rule's name in ``rulename`` and become cards that say so.
"""

from __future__ import annotations

from typing import Any

from app.alerts.sources import alertmanager
from app.alerts.sources.base import MAX_TEXT, MAX_TITLE, NormalisedAlert, clip, links_of

_SPECIAL = {
    "DatasourceNoData": ("No data", "nodata"),
    "DatasourceError": ("Datasource error", "error"),
}


def _values_text(alert: alertmanager.AmAlert) -> str:
    if alert.valueString:
        return f"Values: {clip(alert.valueString, 2000)}"
    if alert.values:
        pairs = ", ".join(f"{name}={value}" for name, value in sorted(alert.values.items()))
        return f"Values: {clip(pairs, 2000)}"
    return ""


def _normalise_one(alert: alertmanager.AmAlert, external_url: str | None) -> NormalisedAlert:
    result = alertmanager.normalise_alert(alert, source="grafana", external_url=None)
    special = _SPECIAL.get(alert.labels.get("alertname", ""))
    if special is not None:
        prefix, condition = special
        rule = alert.labels.get("rulename") or alert.annotations.get("summary") or "a rule"
        result.title = clip(f"{prefix}: {rule}", MAX_TITLE)
        result.labels["grafana_condition"] = condition
        error = alert.annotations.get("Error") or alert.annotations.get("error")
        if error:
            result.description = clip(f"{error}\n\n{result.description}".strip(), MAX_TEXT)
        result.severity = result.severity or ("critical" if condition == "error" else "warning")
    values = _values_text(alert)
    if values:
        result.description = clip(f"{result.description}\n\n{values}".strip(), MAX_TEXT)
    result.links = links_of(
        ("runbook", alert.annotations.get("runbook_url")),
        ("dashboard", alert.dashboardURL),
        ("panel", alert.panelURL),
        ("silence", alert.silenceURL),
        ("image", alert.imageURL),
        ("generator", alert.generatorURL),
        ("grafana", external_url),
    )
    return result


def normalise(data: Any, mapping: dict[str, Any] | None = None) -> list[NormalisedAlert]:
    """Split a Grafana notification into its alerts, each with its own status."""
    payload = alertmanager.parse(data, "Grafana")
    return [_normalise_one(alert, payload.externalURL) for alert in payload.alerts]
