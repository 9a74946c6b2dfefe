"""Raw payloads as stored: secrets replaced, and cut at the size limit."""

from __future__ import annotations

import json
import re
from typing import Any

REDACTED = "[redacted]"
# Field names whose values are credentials, wherever they sit in the JSON.
_SECRET_NAME = re.compile(
    r"(token|secret|passw|authorization|api[_-]?key|apikey|routing[_-]?key|integration[_-]?key|"
    r"private[_-]?key|credential|signature|session|cookie)",
    re.IGNORECASE,
)
# Firelane's own ingest tokens and API tokens, should they appear as values.
_TOKEN_VALUE = re.compile(r"\bfl[a-z]?_[A-Za-z0-9_-]{20,}")


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_NAME.search(str(key)) and value[key] else _scrub(value[key])
            for key in value
        }
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, str) and _TOKEN_VALUE.search(value):
        return _TOKEN_VALUE.sub(REDACTED, value)
    return value


def stored_body(raw: bytes, data: Any, limit: int) -> tuple[str, bool]:
    """Return the text to store for a payload and whether it was cut at ``limit`` bytes."""
    text = raw.decode("utf-8", errors="replace")
    if _SECRET_NAME.search(text) or _TOKEN_VALUE.search(text):
        text = json.dumps(_scrub(data), ensure_ascii=False, separators=(",", ":"))
    encoded = text.encode()
    if len(encoded) <= limit:
        return text, False
    return encoded[:limit].decode("utf-8", errors="ignore"), True
