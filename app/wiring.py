"""Every registration of one domain into another, in one place (beside ``app.jobs``).

Imports point one way (core ← auth ← hooks ← boards ← {alerts, schedules} ← reports), so a
lower layer that must reach a higher one keeps a registry the higher one fills. All of
them are filled here, and nowhere else:

- ``core.events`` and the ORM session: hooks' outbox hears every event and commit (rules,
  webhook deliveries, the delivery loop's wake-up);
- ``hooks.actions`` and ``hooks.fanout``: boards' card actions for rules, its recorder of
  rule web requests' outcomes, and its renderer of card events for webhooks;
- ``boards.models.CARD_SUMMARIES``: alerts' ``alert`` object of a card's JSON (it reads the
  ``alert_record`` relationship that app/alerts/models.py adds to Card's mapper; the
  comment there says why);
- ``boards.live.frames.TILE_FACTS``: alerts' facts on live boards' card tiles.

``create_app``, the worker and the CLI call ``wire``; ``create_app`` and ``start_jobs`` call
``check_wired``, so a process that forgot fails at start instead of quietly sending no
webhook or showing no alert. Periodic jobs are registered by ``app.jobs``.
"""

from __future__ import annotations

from app.alerts import queries as alert_queries
from app.alerts.models import alert_summary
from app.boards import automation
from app.boards.live.frames import TILE_FACTS
from app.boards.models import CARD_SUMMARIES
from app.hooks import actions, fanout, outbox

# The card actions boards gives rules (hooks' own web_request is always there).
_CARD_ACTIONS = frozenset(
    {
        "move_card",
        "assign",
        "add_label",
        "remove_label",
        "set_priority",
        "comment",
        "create_linked_card",
    }
)


def wire() -> None:
    """Connect every domain's registrations (idempotent)."""
    outbox.install()  # webhook deliveries and rules hear every event
    automation.install()  # rules' card actions, web-request outcomes, card events' renderer
    CARD_SUMMARIES["alert"] = alert_summary  # a card's JSON shows its alert
    TILE_FACTS["alert"] = alert_queries.tile_facts  # fire cards on live boards


def missing() -> list[str]:
    """The registrations not in place in this process (none once ``wire`` ran)."""
    found = {
        "hooks.outbox hears events": outbox.installed(),
        "hooks.actions has the card actions": actions.available() >= _CARD_ACTIONS,
        "hooks.actions records web-request outcomes": actions.has_outcome_listeners(),
        "hooks.fanout renders card events": fanout.renders_card_events(),
        "boards.CARD_SUMMARIES has alert": "alert" in CARD_SUMMARIES,
        "boards.live.TILE_FACTS has alert": "alert" in TILE_FACTS,
    }
    return [name for name, present in found.items() if not present]


def check_wired() -> None:
    """Raise RuntimeError if ``wire`` has not run in this process."""
    absent = missing()
    if absent:
        raise RuntimeError(f"app.wiring.wire() has not run: missing {', '.join(absent)}")
