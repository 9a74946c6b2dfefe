"""From a sender's severity word to a card priority."""

from __future__ import annotations

from app.boards.models import Priority

DEFAULT_SEVERITY_MAP: dict[str, Priority] = {
    **dict.fromkeys(
        (
            "critical",
            "crit",
            "fatal",
            "emergency",
            "emerg",
            "alert",
            "page",
            "disaster",
            "p1",
            "sev1",
            "sev-1",
            "s1",
            "urgent",
        ),
        Priority.urgent,
    ),
    **dict.fromkeys(("error", "err", "high", "major", "p2", "sev2", "sev-2", "s2"), Priority.high),
    **dict.fromkeys(
        ("warning", "warn", "medium", "average", "moderate", "p3", "sev3", "sev-3", "s3"),
        Priority.medium,
    ),
    **dict.fromkeys(
        (
            "info",
            "information",
            "informational",
            "notice",
            "low",
            "minor",
            "p4",
            "p5",
            "sev4",
            "sev5",
            "s4",
            "debug",
            "none",
            "ok",
        ),
        Priority.low,
    ),
}


def priority_for(severity: str | None, overrides: dict[str, str], default: str) -> Priority:
    """Map a severity through the integration's overrides, then the common words."""
    if severity:
        word = severity.strip().lower()
        if word in overrides:
            return Priority(overrides[word])
        if word in DEFAULT_SEVERITY_MAP:
            return DEFAULT_SEVERITY_MAP[word]
    return Priority(default)
