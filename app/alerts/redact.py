"""Secrets out of what Firelane keeps of an alert: its raw payload as stored (secrets
replaced, cut at the size limit) and the alert itself, before it becomes card data (its
labels, annotations, title and description are shown to every viewer of the card)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from app.alerts.sources.base import NormalisedAlert

REDACTED = "[redacted]"
# Field names whose values are credentials, wherever they sit in the JSON.
_SECRET_NAME = re.compile(
    r"(token|secret|passw|authorization|api[_-]?key|apikey|routing[_-]?key|integration[_-]?key|"
    r"private[_-]?key|credential|signature|session|cookie|bearer)",
    re.IGNORECASE,
)
# Firelane's own ingest tokens and API tokens, should they appear as values.
_TOKEN_VALUE = re.compile(r"\bfl[a-z]?_[A-Za-z0-9_-]{20,}")
# Credentials written in text: "Bearer <token>", "Basic <base64>", "password=<value>".
_CREDENTIAL_TEXT = re.compile(
    r"(?i)\b((?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{8,}"
    r"|\b((?:api[_-]?key|apikey|access[_-]?token|token|secret|passw(?:or)?d|pwd)\s*[=:]\s*)"
    r"[^\s,;&\"'<>]+"
)


def redact_text(text: str) -> str:
    """``text`` with our tokens and written-out credentials replaced."""
    if "fl" in text:
        text = _TOKEN_VALUE.sub(REDACTED, text)
    return _CREDENTIAL_TEXT.sub(lambda m: (m.group(1) or m.group(2)) + REDACTED, text)


def _redact_map(values: dict[str, str]) -> dict[str, str]:
    return {
        name: REDACTED if _SECRET_NAME.search(name) and value else redact_text(value)
        for name, value in values.items()
    }


def redact_alert(alert: NormalisedAlert) -> NormalisedAlert:
    """The alert with what ``GET /cards/{id}/alerts`` redacts in raw payloads redacted in
    the fields that become card data, too: no side door around the redaction."""
    return replace(
        alert,
        title=redact_text(alert.title),
        description=redact_text(alert.description),
        labels=_redact_map(alert.labels),
        annotations=_redact_map(alert.annotations),
    )


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_NAME.search(str(key)) and value[key] else _scrub(value[key])
            for key in value
        }
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


# The same words without IGNORECASE, for lowercased ASCII text: ten times faster.
_SECRET_NAME_LOWER = re.compile(_SECRET_NAME.pattern)


def _may_hold_secrets(text: str) -> bool:
    """Whether the text has a secret-like field name or one of our tokens anywhere."""
    if text.isascii():
        # For ASCII text, matching its lowercase copy is matching it ignoring case.
        named = _SECRET_NAME_LOWER.search(text.lower()) is not None
    else:
        named = _SECRET_NAME.search(text) is not None
    return (
        named
        or ("fl" in text and _TOKEN_VALUE.search(text) is not None)
        or _CREDENTIAL_TEXT.search(text) is not None
    )


def may_hold_secrets(body: bytes) -> bool:
    """Whether a raw payload may hold a secret (then it and its alerts are redacted)."""
    return _may_hold_secrets(body.decode("utf-8", errors="replace"))


def stored_body(
    raw: bytes, data: Any, limit: int, *, suspect: bool | None = None
) -> tuple[str, bool]:
    """Return the text to store for a payload and whether it was cut at ``limit`` bytes
    (``suspect``: what ``may_hold_secrets`` answered for it, if asked already)."""
    text = raw.decode("utf-8", errors="replace")
    if _may_hold_secrets(text) if suspect is None else suspect:
        text = json.dumps(_scrub(data), ensure_ascii=False, separators=(",", ":"))
    try:
        encoded = text.encode()
    except UnicodeEncodeError:  # half a surrogate pair, from a \\ud800 escape: keep it escaped
        encoded = text.encode(errors="backslashreplace")
        text = encoded.decode()
    if len(encoded) <= limit:
        return text, False
    return encoded[:limit].decode("utf-8", errors="ignore"), True
