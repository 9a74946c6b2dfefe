"""The one internal alert shape every vendor payload is normalised into."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from app.alerts.exceptions import InvalidJson, InvalidPayload

# Vendors send the zero time for "no end" (Go's time.Time{}); it means None.
_ZERO_YEAR = 1

MAX_KEY = 255
MAX_TITLE = 300
MAX_TEXT = 20_000
MAX_VALUE = 2_000
MAX_LABELS = 200


@dataclass(slots=True)
class Link:
    rel: str
    url: str

    def as_dict(self) -> dict[str, str]:
        return {"rel": self.rel, "url": self.url}


@dataclass(slots=True)
class NormalisedAlert:
    """One alert as Firelane understands it, whatever sent it."""

    source: str
    key: str
    status: str  # firing | resolved | acknowledged
    title: str
    severity: str | None = None
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    links: list[Link] = field(default_factory=list)
    # True when Firelane made the key up (PagerDuty trigger without dedup_key).
    key_generated: bool = False


# A JSON text brings a NUL or half of a surrogate pair into its strings only as an escape.
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def storable(text: str) -> str:
    """``text`` without NUL characters and with lone surrogates replaced: what both stores
    hold (PostgreSQL refuses NUL in text; neither takes text that is not UTF-8)."""
    text = text.replace("\x00", "")
    try:
        text.encode()
    except UnicodeEncodeError:
        text = text.encode(errors="replace").decode()
    return text


def _storable_map(values: dict[str, str]) -> dict[str, str]:
    return {storable(name): storable(value) for name, value in values.items()}


def storable_alerts(body: bytes, alerts: list[NormalisedAlert]) -> list[NormalisedAlert]:
    """The alerts of ``body`` with every text ``storable``: an alert is stored without its
    NULs rather than refused (a sender may retry a refusal forever, or drop the alert)."""
    if _UNSTORABLE_ESCAPE.search(body) is None:  # the usual body: nothing to do
        return alerts
    return [
        replace(
            alert,
            source=storable(alert.source),
            key=storable(alert.key),
            title=storable(alert.title),
            severity=None if alert.severity is None else storable(alert.severity),
            description=storable(alert.description),
            labels=_storable_map(alert.labels),
            annotations=_storable_map(alert.annotations),
            links=[Link(storable(link.rel), storable(link.url)) for link in alert.links],
        )
        for alert in alerts
    ]


def parse_json(body: bytes) -> Any:
    """Parse a request body, or raise InvalidJson with the parser's reason."""
    if not body.strip():
        raise InvalidJson("The body is empty; send a JSON document.")
    try:
        return json.loads(body)
    except UnicodeDecodeError as exc:
        raise InvalidJson("The body is not UTF-8 text.") from exc
    except ValueError as exc:
        raise InvalidJson(f"The body is not valid JSON ({exc}).") from exc


def not_a(what: str) -> str:
    """Begin a refusal: "Not an Alertmanager payload", "Not a Grafana payload"."""
    article = "an" if what[:1].lower() in "aeiou" else "a"
    return f"Not {article} {what} payload"


def validation_failure(exc: ValidationError, what: str) -> InvalidPayload:
    """Turn a pydantic error into a 422 that says which field is wrong and why."""
    errors = exc.errors(include_url=False, include_input=False)
    fields = [
        {"loc": ".".join(str(p) for p in err.get("loc", ())) or "body", "msg": err["msg"]}
        for err in errors[:20]
    ]
    first = fields[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return InvalidPayload(f"{not_a(what)}: {first['loc']}: {first['msg']}{more}.", fields=fields)


def clip(text: str | None, limit: int) -> str:
    if not text:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clean_map(values: dict[str, Any] | None) -> dict[str, str]:
    """Keep at most MAX_LABELS string pairs, each cut to a sane length."""
    if not values:
        return {}
    cleaned: dict[str, str] = {}
    for name in sorted(values)[:MAX_LABELS]:
        value = values[name]
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        cleaned[clip(str(name), 200)] = clip(text, MAX_VALUE)
    return cleaned


def moment(value: datetime | None) -> datetime | None:
    """Return an aware UTC datetime, or None for the vendors' zero time."""
    if value is None or value.year <= _ZERO_YEAR:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def web_link(rel: str, url: Any) -> Link | None:
    """Keep only http(s) URLs: anything else (javascript:, data:) never becomes a link."""
    if not isinstance(url, str) or not url:
        return None
    lowered = url.strip().lower()
    if not (lowered.startswith("https://") or lowered.startswith("http://")):
        return None
    return Link(rel=rel, url=clip(url.strip(), 2000))


def links_of(*pairs: tuple[str, Any]) -> list[Link]:
    links: list[Link] = []
    seen: set[str] = set()
    for rel, url in pairs:
        link = web_link(rel, url)
        if link is not None and link.url not in seen:
            seen.add(link.url)
            links.append(link)
    return links
