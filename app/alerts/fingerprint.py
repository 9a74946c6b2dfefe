"""Stable dedup keys for payloads that bring none, and dotted-path lookups into JSON."""

from __future__ import annotations

import hashlib
import json
from typing import Any

_MISSING = object()


def stable_key(values: dict[str, Any]) -> str:
    """Hash values into a key that does not depend on the order of keys in the JSON."""
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def lookup(data: Any, path: str) -> Any:
    """Follow a dotted path (``alert.labels.host``, ``items.0.id``); None when it leads nowhere."""
    current = data
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part, _MISSING)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
        if current is _MISSING:
            return None
    return current
