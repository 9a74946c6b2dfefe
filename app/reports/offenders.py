"""Top offenders of a window: the alert candidates that interrupted most and took the most
hours, new and recurring ones, flapping, and fires without a runbook link."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.reports.activity import Episode, alert_key
from app.reports.figures import Headline
from app.reports.sql import ALERT, alert_name

TOP = 10


@dataclass(slots=True)
class Offender:
    key: str
    name: str
    integration_id: int
    episodes: int = 0
    minutes: float = 0.0
    flaps: int = 0
    recurring: bool = False
    runbook: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "integration_id": self.integration_id,
            "episodes": self.episodes,
            "hours": round(self.minutes / 60, 2),
            "flaps": self.flaps,
            "recurring": self.recurring,
            "runbook": self.runbook,
        }


def _first_seen(session: Session, keys: set[str], integrations: set[int]) -> dict[str, Any]:
    name = alert_name()
    query = (
        sa.select(ALERT.c.integration_id, name, sa.func.min(ALERT.c.first_seen_at))
        .where(ALERT.c.integration_id.in_(sorted(integrations)))
        .group_by(ALERT.c.integration_id, name)
    )
    found: dict[str, Any] = {}
    for integration_id, alert, first in session.execute(query):
        key = alert_key(integration_id, alert)
        if key in keys:
            found[key] = first
    return found


def _runbooks(session: Session, episodes: list[Episode]) -> set[int]:
    """The cards among the episodes' whose alert has a runbook link."""
    card_ids = sorted({each.card_id for each in episodes})
    with_runbook: set[int] = set()
    for start in range(0, len(card_ids), 500):
        query = sa.select(ALERT.c.card_id, ALERT.c.links).where(
            ALERT.c.card_id.in_(card_ids[start : start + 500])
        )
        for card_id, links in session.execute(query):
            if any(isinstance(link, dict) and link.get("rel") == "runbook" for link in links or []):
                with_runbook.add(card_id)
    return with_runbook


def offenders(session: Session, week: Headline) -> dict[str, Any]:
    episodes = week.fires.episodes
    found: dict[str, Offender] = {}
    for each in episodes:
        offender = found.setdefault(each.key, Offender(each.key, each.name, each.integration_id))
        offender.episodes += 1
        offender.flaps += each.flapped
    for key, total in week.hours.by_key().items():
        if key in found:
            found[key].minutes = total
    first = _first_seen(session, set(found), {each.integration_id for each in found.values()})
    runbook_cards = _runbooks(session, episodes)
    cards_of: dict[str, set[int]] = defaultdict(set)
    for each in episodes:
        cards_of[each.key].add(each.card_id)
    for key, offender in found.items():
        offender.recurring = key in first and first[key] < week.start
        offender.runbook = bool(cards_of[key] & runbook_cards)
    ranked = sorted(found.values(), key=lambda each: each.key)
    by_episodes = sorted(ranked, key=lambda each: -each.episodes)[:TOP]
    by_hours = sorted(
        (each for each in ranked if each.minutes > 0), key=lambda each: -each.minutes
    )[:TOP]
    flapping = Counter({each.key: each.flaps for each in ranked if each.flaps})
    return {
        "by_episodes": [each.as_json() for each in by_episodes],
        "by_hours": [each.as_json() for each in by_hours],
        "new": sum(not each.recurring for each in ranked),
        "recurring": sum(each.recurring for each in ranked),
        "flapping": sum(flapping.values()),
        "without_runbook": [
            {"key": each.key, "name": each.name, "episodes": each.episodes}
            for each in sorted(ranked, key=lambda each: (-each.episodes, each.key))
            if not each.runbook
        ][:TOP],
        "without_runbook_episodes": sum(each.episodes for each in ranked if not each.runbook),
    }
