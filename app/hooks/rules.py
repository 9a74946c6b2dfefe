"""Rules: match events, guard against loops and storms, run actions, log every run.

Events queue up during a transaction and run through the rules just before it commits.
Each run's actions happen in a SAVEPOINT: a failing action undoes that run only, is
logged, and never fails the request or job that caused the event.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from app.core import events
from app.core.clock import now
from app.core.db import pk
from app.core.errors import AppError
from app.hooks import actions, conditions
from app.hooks.models import Rule, RuleRun, RunOutcome

logger = logging.getLogger("firelane.hooks")

# Events caused by rule actions run rules again only up to this depth (user actions are 0).
MAX_DEPTH = 3
# A transaction runs at most this many rules on events that rules caused, whatever the
# fan-out of rules making cards (events people and alerts caused are not counted: one
# group-committed ingest batch may hold hundreds).
MAX_RUNS_PER_TRANSACTION = 200

_QUEUE = "firelane.hooks.queue"
_RUNS = "firelane.hooks.runs"


def enqueue(session: OrmSession, event: events.Event) -> None:
    session.info.setdefault(_QUEUE, []).append(event)


def queued_types(session: OrmSession) -> set[str]:
    """The types of the events waiting for the rules."""
    return {event.type for event in session.info.get(_QUEUE, ())}


def forget(session: OrmSession) -> None:
    session.info.pop(_QUEUE, None)
    session.info.pop(_RUNS, None)


def _rules_for(session: Session, types: Collection[str]) -> dict[str, list[Rule]]:
    query = select(Rule).where(col(Rule.is_active), col(Rule.trigger).in_(types))
    found: dict[str, list[Rule]] = {}
    for rule in session.exec(query.order_by(col(Rule.id))):
        found.setdefault(rule.trigger, []).append(rule)
    return found


def drain(session: Session, *, triggers: Collection[str], looked_up: Collection[str] = ()) -> None:
    """Run the rules for every queued event, and for the events their actions cause.

    ``looked_up`` are event types already checked for active rules, ``triggers`` those of
    them that have some; other types are looked up as events of them show up.
    """
    queue: list[events.Event] = session.info.setdefault(_QUEUE, [])
    rules = _rules_for(session, triggers) if triggers else {}
    seen: set[str] = set(looked_up) | set(triggers)
    scanned = 0  # queue[:scanned] had their types looked up
    position = 0
    while position < len(queue):
        if scanned < len(queue):
            missing = {event.type for event in queue[scanned:]} - seen
            if missing:
                rules.update(_rules_for(session, missing))
                seen |= missing
            scanned = len(queue)
        event = queue[position]
        position += 1
        for rule in rules.get(event.type, []):
            if conditions.matches(rule.conditions, event):
                _run(session, rule, event, queue)
        # A failed run drops the events it queued; none of them was reached yet.
        scanned = min(scanned, len(queue))
    forget(session)


def _same_card(card_id: int | None) -> Any:
    return RuleRun.card_id == card_id if card_id is not None else col(RuleRun.card_id).is_(None)


def _recent_runs(session: Session, rule: Rule, card_id: int | None, since: Any) -> int:
    query = (
        select(func.count())
        .select_from(RuleRun)
        .where(
            RuleRun.rule_id == rule.id,
            _same_card(card_id),
            col(RuleRun.outcome).in_([RunOutcome.ok, RunOutcome.failed]),
            col(RuleRun.created_at) >= since,
        )
    )
    return session.exec(query).one()


def _log(
    session: Session,
    rule: Rule,
    event: events.Event,
    outcome: RunOutcome,
    detail: str = "",
    results: list[dict[str, Any]] | None = None,
) -> RuleRun:
    stamp = now()
    if outcome in (RunOutcome.rate_limited, RunOutcome.loop_guard):
        # A storm leaves one row per rule and card, counting the runs it held back.
        last = session.exec(
            select(RuleRun)
            .where(RuleRun.rule_id == rule.id, _same_card(event.card_id))
            .order_by(col(RuleRun.id).desc())
            .limit(1)
        ).first()
        if last is not None and last.outcome == outcome:
            last.count += 1
            last.last_at = stamp
            session.add(last)
            return last
    run = RuleRun(
        rule_id=pk(rule),
        event_type=event.type,
        event_id=event.event_id,
        board_id=event.board_id,
        card_id=event.card_id,
        depth=event.depth,
        outcome=outcome,
        detail=detail[:1000],
        results=results or [],
        created_at=stamp,
        last_at=stamp,
    )
    session.add(run)
    session.flush()
    logger.info(
        "rule %s (%s) on %s card=%s depth=%d: %s %s",
        rule.id,
        rule.name,
        event.type,
        event.card_id,
        event.depth,
        outcome.value,
        detail,
    )
    return run


def _run(session: Session, rule: Rule, event: events.Event, queue: list[events.Event]) -> None:
    runs = session.info.get(_RUNS, 0) + (1 if event.depth > 0 else 0)
    session.info[_RUNS] = runs
    if event.depth >= MAX_DEPTH or runs > MAX_RUNS_PER_TRANSACTION:
        reason = (
            f"caused by rules {event.depth} deep (the limit is {MAX_DEPTH})"
            if event.depth >= MAX_DEPTH
            else f"over {MAX_RUNS_PER_TRANSACTION} runs caused by rules in one transaction"
        )
        _log(session, rule, event, RunOutcome.loop_guard, reason)
        return
    since = now() - timedelta(seconds=rule.rate_window_seconds)
    if _recent_runs(session, rule, event.card_id, since) >= rule.rate_limit:
        detail = f"more than {rule.rate_limit} run(s) in {rule.rate_window_seconds} s"
        _log(session, rule, event, RunOutcome.rate_limited, detail)
        return
    ctx = actions.RunContext(
        rule_id=pk(rule),
        rule_name=rule.name,
        event=event,
        actor=f"rule:{rule.id}",
        depth=event.depth + 1,
    )
    mark = len(queue)
    results: list[dict[str, Any]] = []
    step: int | None = None
    try:
        with events.savepoint(session):
            for index, action in enumerate(rule.actions):
                step = index
                result = actions.executor_for(action["type"]).run(session, action, ctx)
                results.append({"type": action["type"], **result})
            step = None
            session.flush()
    except Exception as exc:
        # Everything the run did is undone, its events included.
        del queue[mark:]
        _log(session, rule, event, RunOutcome.failed, _failure(rule, step, exc))
        return
    _log(session, rule, event, RunOutcome.ok, "", results)


def _failure(rule: Rule, step: int | None, exc: Exception) -> str:
    where = "saving" if step is None else f"action {step + 1} ({rule.actions[step]['type']})"
    if isinstance(exc, AppError | actions.ActionFailed):
        reason = str(exc)
    else:
        logger.warning("rule %s: %s failed", rule.id, where, exc_info=exc)
        reason = f"{type(exc).__name__}: {exc}"
    return f"{where} failed, nothing was changed: {reason}"
