"""One normaliser per payload format, each into ``NormalisedAlert``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.alerts.models import IntegrationKind
from app.alerts.sources import alertmanager, generic, grafana, pagerduty
from app.alerts.sources.base import Link, NormalisedAlert, parse_json

Normaliser = Callable[[Any, dict[str, Any] | None], list[NormalisedAlert]]

NORMALISERS: dict[IntegrationKind, Normaliser] = {
    IntegrationKind.alertmanager: alertmanager.normalise,
    IntegrationKind.grafana: grafana.normalise,
    IntegrationKind.pagerduty: pagerduty.normalise,
    IntegrationKind.generic: generic.normalise,
}


def normalise(
    kind: IntegrationKind, data: Any, mapping: dict[str, Any] | None
) -> list[NormalisedAlert]:
    """Normalise a parsed payload of ``kind`` into alerts, or raise a 4xx domain error."""
    return NORMALISERS[kind](data, mapping)


__all__ = ["Link", "NormalisedAlert", "normalise", "parse_json"]
