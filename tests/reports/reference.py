"""The report's definitions (docs/report.md) in plain Python, read off the raw tables.

Deliberately naive: every figure is computed the way its definition reads, from whole
lists of rows, with no SQL beyond ``SELECT *``. The differential test compares it with
``app.reports`` on random histories.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

KINDS = ("fire", "maintenance", "change", "project", "automation")


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@dataclass
class Rows:
    events: list[dict[str, Any]]
    cards: dict[int, dict[str, Any]]
    alerts: dict[int, dict[str, Any]]  # by card id
    integrations: dict[int, dict[str, Any]]
    schedules: dict[int, dict[str, Any]]
    occurrences: list[dict[str, Any]]
    targets: dict[int, list[str]]

    @classmethod
    def load(cls, engine: sa.Engine) -> Rows:
        with engine.connect() as conn:

            def rows(table: str) -> list[dict[str, Any]]:
                found = conn.execute(sa.text(f'SELECT * FROM "{table}"')).mappings().all()
                return [dict(row) for row in found]

            events = rows("card_event")
            for each in events:
                each["created_at"] = _time(each["created_at"])
                each["changes"] = _json(each["changes"]) or {}
                each["data"] = _json(each["data"]) or {}
            events.sort(key=lambda each: (each["created_at"], each["id"]))
            cards = {row["id"]: row for row in rows("card")}
            for row in cards.values():
                for name in ("created_at", "archived_at", "started_at", "done_at"):
                    row[name] = _time(row[name])
            alerts = {}
            for row in rows("alert"):
                row["labels"] = _json(row["labels"]) or {}
                row["links"] = _json(row["links"]) or []
                alerts[row["card_id"]] = row
            occurrences = rows("schedule_occurrence")
            for row in occurrences:
                row["created_at"] = _time(row["created_at"])
            targets: dict[int, list[str]] = {}
            for row in rows("automation_target"):
                targets.setdefault(row["card_id"], []).append(row["key"])
            return cls(
                events=events,
                cards=cards,
                alerts=alerts,
                integrations={row["id"]: row for row in rows("integration")},
                schedules={row["id"]: row for row in rows("schedule")},
                occurrences=occurrences,
                targets=targets,
            )


def alert_key(alert: dict[str, Any]) -> str:
    name = alert["labels"]["alertname"] if "alertname" in alert["labels"] else alert["title"]
    return f"alert:{alert['integration_id']}:{name}"


def card_key(rows: Rows, card_id: int) -> str | None:
    if card_id in rows.alerts:
        return alert_key(rows.alerts[card_id])
    for occurrence in rows.occurrences:
        if occurrence["card_id"] == card_id and occurrence["status"] == "created":
            return f"schedule:{occurrence['schedule_id']}"
    return None


def is_human(event: dict[str, Any]) -> bool:
    return event["actor_id"] is not None


def is_resolution(event: dict[str, Any]) -> bool:
    if event["type"] in ("alert.resolved", "alert.expired", "card.done"):
        return True
    archived = event["changes"].get("archived")
    return event["type"] == "card.updated" and archived is not None and archived[1] is True


def in_scope(rows: Rows, event: dict[str, Any], board_id: int | None) -> bool:
    return board_id is None or event["board_id"] == board_id


def nearest_rank(values: list[int], p: int) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(p / 100 * len(ordered)) - 1]


def episodes(
    rows: Rows, start: datetime, end: datetime, board_id: int | None
) -> list[dict[str, Any]]:
    """Episodes started in [start, end), with their ack and resolve moments before end."""
    found = []
    for event in rows.events:
        if event["type"] != "alert.fired" or not start <= event["created_at"] < end:
            continue
        if not in_scope(rows, event, board_id):
            continue
        began = event["created_at"]
        later = [
            other
            for other in rows.events
            if other["card_id"] == event["card_id"] and began <= other["created_at"] < end
        ]
        acks = [e["created_at"] for e in later if is_human(e) or e["type"] == "alert.acknowledged"]
        resolves = [e["created_at"] for e in later if is_resolution(e)]
        found.append(
            {
                "card_id": event["card_id"],
                "start": began,
                "ack": min(acks) if acks else None,
                "resolved": min(resolves) if resolves else None,
                "key": alert_key(rows.alerts[event["card_id"]]),
            }
        )
    return found


def fires(
    rows: Rows, start: datetime, end: datetime, board_id: int | None, zone: ZoneInfo
) -> dict[str, Any]:
    found = episodes(rows, start, end, board_id)
    buckets = {"business": 0, "off_hours": 0, "sleep": 0}
    mtta, mttr = [], []
    self_resolved = still_open = 0
    for episode in found:
        local = episode["start"].astimezone(zone)
        if local.hour >= 22 or local.hour < 8:
            buckets["sleep"] += 1
        elif local.weekday() < 5 and 8 <= local.hour < 18:
            buckets["business"] += 1
        else:
            buckets["off_hours"] += 1
        ack, resolved = episode["ack"], episode["resolved"]
        if resolved is not None:
            mttr.append(round((resolved - episode["start"]).total_seconds()))
        if ack is not None and (resolved is None or ack <= resolved):
            mtta.append(round((ack - episode["start"]).total_seconds()))
        elif resolved is not None:
            self_resolved += 1
        else:
            still_open += 1
    return {
        "interruptions": len(found),
        "by_bucket": buckets,
        "mtta_seconds": {
            "n": len(mtta),
            "p50": nearest_rank(mtta, 50),
            "p90": nearest_rank(mtta, 90),
        },
        "mttr_seconds": {
            "n": len(mttr),
            "p50": nearest_rank(mttr, 50),
            "p90": nearest_rank(mttr, 90),
        },
        "self_resolved": self_resolved,
        "open": still_open,
    }


def card_minutes(
    rows: Rows, card_id: int, start: datetime, end: datetime, board_id: int | None
) -> tuple[float, str | None]:
    """(minutes, basis) of one card in [start, end)."""
    events = [
        e
        for e in rows.events
        if e["card_id"] == card_id
        and start <= e["created_at"] < end
        and in_scope(rows, e, board_id)
    ]
    logged = 0
    for event in events:
        change = event["changes"].get("time_spent_minutes")
        if event["type"] in ("card.created", "card.updated") and change is not None:
            logged += (change[1] or 0) - (change[0] or 0)
    if logged != 0:
        return float(logged), "logged"
    inferred = 0.0
    people = sorted({e["actor_id"] for e in events if is_human(e)})
    for person in people:
        moments = sorted((e["created_at"], e["id"]) for e in events if e["actor_id"] == person)
        sitting_start = sitting_end = moments[0][0]
        for moment, _ in moments[1:]:
            if moment - sitting_end < timedelta(minutes=20):
                sitting_end = moment
            else:
                inferred += (sitting_end - sitting_start).total_seconds() / 60 + 10
                sitting_start = sitting_end = moment
        inferred += (sitting_end - sitting_start).total_seconds() / 60 + 10
    return inferred, ("inferred" if inferred else None)


def kind_at(rows: Rows, card_id: int, moment: datetime) -> str:
    kind = rows.cards[card_id]["kind"]
    for event in reversed(rows.events):
        if event["card_id"] != card_id or event["created_at"] < moment:
            continue
        change = event["changes"].get("kind")
        if event["type"] == "card.updated" and change is not None:
            kind = change[0]
    return kind


def hours(rows: Rows, start: datetime, end: datetime, board_id: int | None) -> dict[str, Any]:
    by_kind = dict.fromkeys(KINDS, 0.0)
    bases = set()
    for card_id in rows.cards:
        minutes, basis = card_minutes(rows, card_id, start, end, board_id)
        if minutes:
            by_kind[kind_at(rows, card_id, end)] += minutes / 60
            bases.add(basis)
    total = sum(by_kind.values())
    basis = None if not bases else ("mixed" if len(bases) > 1 else bases.pop())
    return {"total": total, "by_kind": by_kind, "basis": basis}


def value_at(rows: Rows, card_id: int, field: str, current: Any, moment: datetime) -> Any:
    value = current
    for event in reversed(rows.events):
        if event["card_id"] != card_id or event["created_at"] < moment:
            continue
        if event["type"] == "card.updated" and field in event["changes"]:
            value = event["changes"][field][0]
    return value


def automation_cards(rows: Rows, end: datetime) -> list[dict[str, Any]]:
    found = []
    for card_id, card in sorted(rows.cards.items()):
        if card["created_at"] >= end or (
            card["archived_at"] is not None and card["archived_at"] < end
        ):
            continue
        if kind_at(rows, card_id, end) != "automation":
            continue
        automates = value_at(rows, card_id, "automates", sorted(rows.targets.get(card_id, [])), end)
        estimate = value_at(rows, card_id, "estimate_minutes", card["estimate_minutes"], end)
        done = [e for e in rows.events if e["card_id"] == card_id and e["created_at"] < end]
        done_at = None
        for event in done:
            if event["type"] == "card.done":
                done_at = event["created_at"]
            elif event["type"] == "card.reopened":
                done_at = None
        found.append(
            {
                "id": card_id,
                "automates": sorted(set(automates or [])),
                "estimate": estimate,
                "done_at": done_at,
            }
        )
    return found


def count(rows: Rows, key: str, start: datetime, end: datetime, board_id: int | None) -> int:
    if key.startswith("schedule:"):
        schedule_id = int(key.split(":")[1])
        return sum(
            1
            for o in rows.occurrences
            if o["schedule_id"] == schedule_id
            and o["status"] == "created"
            and start <= o["created_at"] < end
            and (board_id is None or rows.schedules[schedule_id]["board_id"] == board_id)
        )
    return sum(1 for episode in episodes(rows, start, end, board_id) if episode["key"] == key)


def key_minutes(
    rows: Rows, key: str, start: datetime, end: datetime, board_id: int | None
) -> float:
    return sum(
        card_minutes(rows, card_id, start, end, board_id)[0]
        for card_id in rows.cards
        if card_key(rows, card_id) == key
    )


def report(
    rows: Rows,
    *,
    start: datetime,
    end: datetime,
    board_id: int | None,
    zone: ZoneInfo,
    horizon: float = 2.0,
    fte_hours: float = 1600.0,
) -> dict[str, Any]:
    """The headline figures of [start, end), unrounded."""
    look_back = end - timedelta(days=90)
    keys = {episode["key"] for episode in episodes(rows, look_back, end, board_id)}
    keys |= {f"schedule:{o['schedule_id']}" for o in rows.occurrences}
    automation = automation_cards(rows, end)
    candidates = []
    for key in sorted(keys):
        occurrences = count(rows, key, look_back, end, board_id)
        if occurrences < 3:
            continue
        if key.startswith("schedule:"):
            name = rows.schedules[int(key.split(":")[1])]["name"]
        else:
            name = key.split(":", 2)[2]
        hours_90d = key_minutes(rows, key, look_back, end, board_id) / 60
        per_year = hours_90d * 365 / 90
        card = next((c for c in automation if key in c["automates"]), None)
        estimate = card["estimate"] if card else None
        payback = worth = None
        if estimate is not None:
            payback = None if per_year == 0 else (estimate / 60) / (per_year / 52)
            worth = False if per_year == 0 else estimate / 60 <= per_year * horizon
        candidates.append(
            {
                "key": key,
                "kind": key.split(":")[0],
                "name": name,
                "occurrences_90d": occurrences,
                "interruptions_per_year": occurrences * 365 / 90,
                "hours_90d": hours_90d,
                "hours_per_year": per_year,
                "break_even_hours": per_year * horizon,
                "automation_card_id": card["id"] if card else None,
                "payback_weeks": payback,
                "worth_automating": worth,
            }
        )
    candidates.sort(key=lambda c: (-c["hours_per_year"], c["key"]))
    ledger = []
    for card in automation:
        done = card["done_at"]
        if done is None or not look_back <= done < end:
            continue
        until = min(done + timedelta(days=28), end)
        days_after = (until - done).total_seconds() / 86400
        for key in card["automates"]:
            source = int(key.split(":")[1])
            owner = rows.schedules if key.startswith("schedule:") else rows.integrations
            if board_id is not None and (
                source not in owner or owner[source]["board_id"] != board_id
            ):
                continue
            before = count(rows, key, done - timedelta(days=28), done, board_id)
            after = count(rows, key, done, until, board_id)
            rate_before, rate_after = before * 7 / 28, after * 7 / days_after
            status = (
                "too_early"
                if days_after < 7
                else "retired"
                if rate_after <= rate_before / 2
                else "still_burning"
            )
            before_h = (
                key_minutes(rows, key, done - timedelta(days=28), done, board_id) / 60 * 365 / 28
            )
            after_h = key_minutes(rows, key, done, until, board_id) / 60 * 365 / days_after
            ledger.append(
                {
                    "card_id": card["id"],
                    "candidate": key,
                    "done_at": done,
                    "rate_before_per_week": rate_before,
                    "rate_after_per_week": rate_after,
                    "hours_per_year_before": before_h,
                    "hours_per_year_after": after_h,
                    "retired_hours_per_year": before_h - after_h,
                    "status": status,
                }
            )
    ledger.sort(key=lambda e: (e["done_at"], e["card_id"], e["candidate"]))
    retired = {e["candidate"] for e in ledger if e["status"] == "retired"}
    debt = sum(c["hours_per_year"] for c in candidates if c["key"] not in retired)
    spent = hours(rows, start, end, board_id)
    total = spent["total"]
    return {
        "fires": fires(rows, start, end, board_id, zone),
        "hours": spent,
        "unplanned_ratio": None if total == 0 else spent["by_kind"]["fire"] / total,
        "toil_ratio": None
        if total == 0
        else (spent["by_kind"]["fire"] + spent["by_kind"]["maintenance"]) / total,
        "candidates": candidates,
        "automation_debt": {"hours_per_year": debt, "fte": debt / fte_hours},
        "ledger": ledger,
    }
