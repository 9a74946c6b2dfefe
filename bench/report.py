"""Weekly report benchmark: a year of history, one week's report timed at three sizes.

Seeds a year (2026) on one board at a fraction of the full size: 100,000 cards (fires made
by alerts, chores made by schedules, planned work), 1,000,000 alert signals with their card
events (each alert fires, repeats about nine times and resolves; one in five reopens),
people acting on a third of the cards, time logged on some, and automation cards that
automate the noisiest alerts. Rows go in with bulk INSERTs, as if written over the year.
Then it times ``GET /api/v1/reports/weekly``'s computation (the service, in process) for
the last week of the year, several times, at 25 %, 50 % and 100 % of that size: first
with no stored report ("cold": the 8 trend weeks are computed too), then with the reports
of the 8 weeks before stored, as the weekly job leaves them ("stored": their trend figures
are read from those).

Goal: <= 2 s at full size on SQLite, growing no worse than linearly.

    .venv/bin/python bench/report.py [--sizes 0.25,0.5,1] [--runs 3]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_report]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import app.main  # noqa: F401 - every domain's models
from app.alerts.models import Alert, AlertSignal, Integration, IntegrationKind
from app.auth import service as auth_service
from app.auth.models import Role
from app.auth.schemas import UserCreate
from app.boards import service as boards
from app.boards.models import AutomationTarget, Card, CardEvent
from app.boards.schemas import BoardCreate, ColumnCreate
from app.core.db import Database, pk
from app.core.migrate import upgrade
from app.core.rows import insert_rows
from app.reports import service, snapshots
from app.reports.figures import Options
from app.reports.window import Week
from app.schedules.models import Schedule, ScheduleOccurrence

YEAR = datetime(2026, 1, 1, tzinfo=UTC)
FULL_CARDS = 100_000
FULL_SIGNALS = 1_000_000
NAMES = 300  # alert names; a few are noisy
CHUNK = 20_000


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


class Seeder:
    def __init__(self, db: Database, fraction: float, seed: int = 7) -> None:
        self.db = db
        self.random = random.Random(seed)
        self.cards = int(FULL_CARDS * fraction)
        self.signals = int(FULL_SIGNALS * fraction)
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.ids: dict[str, int] = {}

    def _next(self, table: str) -> int:
        self.ids[table] = self.ids.get(table, 0) + 1
        return self.ids[table]

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)
        if len(self.rows[table]) >= CHUNK:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        models = {
            "card": Card,
            "card_event": CardEvent,
            "alert": Alert,
            "alert_signal": AlertSignal,
            "schedule_occurrence": ScheduleOccurrence,
            "automation_target": AutomationTarget,
        }
        # Parents before children: foreign keys are checked as rows go in.
        for name in (
            "card",
            "alert",
            "card_event",
            "alert_signal",
            "schedule_occurrence",
            "automation_target",
        ):
            if table is not None and name != table and name != "card" and name != "alert":
                continue
            rows = self.rows.pop(name, [])
            if rows:
                with self.db.session() as session:
                    insert_rows(session, _table(models[name]), rows)
                    session.commit()

    def event(self, card: dict[str, Any], type_: str, at: datetime, **fields: Any) -> None:
        self.add(
            "card_event",
            {
                "id": self._next("card_event"),
                "card_id": card["id"],
                "board_id": card["board_id"],
                "type": type_,
                "actor_id": fields.get("actor_id"),
                "actor": fields.get("actor", "system"),
                "from_column_id": fields.get("from_column_id"),
                "to_column_id": fields.get("to_column_id"),
                "changes": fields.get("changes", {}),
                "data": fields.get("data", {}),
                "created_at": at,
            },
        )

    def signal(
        self, integration_id: int, alert_id: int, key: str, action: str, at: datetime
    ) -> None:
        self.add(
            "alert_signal",
            {
                "id": self._next("alert_signal"),
                "integration_id": integration_id,
                "payload_id": None,
                "alert_id": alert_id,
                "maintenance_window_id": None,
                "dedup_key": key,
                "status": "resolved" if action == "resolved" else "firing",
                "action": action,
                "received_at": at,
            },
        )

    def card(
        self, board: int, column: int, kind: str, at: datetime, **fields: Any
    ) -> dict[str, Any]:
        card_id = self._next("card")
        card = {
            "id": card_id,
            "board_id": board,
            "column_id": column,
            "title": fields.get("title", f"card {card_id}"),
            "description": "",
            "kind": kind,
            "priority": "medium",
            "assignee_id": None,
            "created_by_id": None,
            "due_at": None,
            "rank": f"a{card_id:09d}",
            "version": 1,
            "created_at": at,
            "updated_at": at,
            "started_at": None,
            "done_at": fields.get("done_at"),
            "archived_at": None,
            "time_spent_minutes": fields.get("time_spent_minutes", 0),
            "estimate_minutes": fields.get("estimate_minutes"),
        }
        self.add("card", card)
        self.event(
            card,
            "card.created",
            at,
            actor=fields.get("actor", "system"),
            actor_id=fields.get("actor_id"),
            to_column_id=column,
        )
        return card

    def moment(self) -> datetime:
        return YEAR + timedelta(seconds=self.random.randrange(365 * 86400 - 7200))


def seed(url: str, fraction: float) -> None:
    upgrade(url)
    db = Database.from_url(url)
    with db.session() as session:
        users = [
            pk(auth_service.create_user(session, data=UserCreate(name=f"op{i}", role=Role.member)))
            for i in range(5)
        ]
        board = boards.create_board(
            session,
            data=BoardCreate(
                name="Ops",
                slug="ops",
                columns=[
                    ColumnCreate(name="Triage"),
                    ColumnCreate(name="Doing"),
                    ColumnCreate(name="Done", is_done=True),
                ],
            ),
        )
        board_id = pk(board)
        triage, doing, done = (pk(c) for c in boards.list_columns(session, board_id=board_id))
        integration = Integration(
            name="prom",
            kind=IntegrationKind.generic,
            board_id=board_id,
            token_hash="x" * 64,
            token_prefix="bench",  # noqa: S106 - no real token
        )
        schedules = [
            Schedule(
                name=f"chore {i}",
                board_id=board_id,
                cron="0 9 * * 1",
                timezone="UTC",
                title=f"chore {i}",
            )
            for i in range(5)
        ]
        session.add_all([integration, *schedules])
        session.commit()
        integration_id = pk(integration)
        schedule_ids = [pk(s) for s in schedules]
    seeder = Seeder(db, fraction)
    rnd = seeder.random
    alerts = int(seeder.cards * 0.9)
    chores = int(seeder.cards * 0.05)
    repeats_per_alert = max(0, seeder.signals // max(alerts, 1) - 2)
    started = time.perf_counter()
    for index in range(alerts):
        at = seeder.moment()
        # A few names are noisy: a skewed choice.
        name = f"Alert{int(rnd.paretovariate(1.2)) % NAMES}"
        card = seeder.card(board_id, triage, "fire", at, title=f"{name} on host-{index}")
        alert_id = seeder._next("alert")
        resolved = at + timedelta(minutes=rnd.randrange(1, 240))
        seeder.add(
            "alert",
            {
                "id": alert_id,
                "integration_id": integration_id,
                "dedup_key": f"k{index}",
                "card_id": card["id"],
                "source": "generic",
                "status": "resolved",
                "severity": "warning",
                "title": f"{name} on host-{index}",
                "labels": {"alertname": name, "instance": f"host-{index}"},
                "annotations": {},
                "links": [],
                "occurrences": repeats_per_alert + 1,
                "flaps": 0,
                "recurrence": 0,
                "previous_alert_id": None,
                "auto_closed": False,
                "first_seen_at": at,
                "last_seen_at": resolved,
                "starts_at": at,
                "ends_at": resolved,
                "resolved_at": resolved,
                "acknowledged_at": None,
                "expired_at": None,
                "closed_at": None,
            },
        )
        facts = {"alert": {"id": alert_id, "integration_id": integration_id}}
        episodes = [at]
        if rnd.random() < 0.2:  # it reopens later
            episodes.append(resolved + timedelta(minutes=rnd.randrange(5, 3000)))
        for begin in episodes:
            seeder.event(card, "alert.fired", begin, actor="alert:prom", data=facts)
            seeder.signal(integration_id, alert_id, f"k{index}", "fired", begin)
            end = begin + timedelta(minutes=rnd.randrange(1, 240))
            for repeat in range(repeats_per_alert // len(episodes)):
                moment = begin + (end - begin) * (repeat + 1) / (repeats_per_alert + 1)
                seeder.event(card, "alert.repeated", moment, actor="alert:prom", data=facts)
                seeder.signal(integration_id, alert_id, f"k{index}", "repeated", moment)
            if rnd.random() < 0.6:  # somebody looks
                person = rnd.choice(users)
                look = begin + timedelta(minutes=rnd.randrange(1, 30))
                for step in range(rnd.randrange(1, 4)):
                    seeder.event(
                        card,
                        "card.commented",
                        look + timedelta(minutes=7 * step),
                        actor=f"user:op{person}",
                        actor_id=person,
                        data={"comment": {"id": 0, "body": "on it"}},
                    )
            seeder.event(card, "alert.resolved", end, actor="alert:prom", data=facts)
            seeder.signal(integration_id, alert_id, f"k{index}", "resolved", end)
    for index in range(chores):
        at = seeder.moment()
        schedule_id = schedule_ids[index % len(schedule_ids)]
        card = seeder.card(board_id, triage, "maintenance", at, title=f"chore {index}")
        seeder.add(
            "schedule_occurrence",
            {
                "id": seeder._next("schedule_occurrence"),
                "schedule_id": schedule_id,
                "scheduled_for": at + timedelta(microseconds=index),
                "status": "created",
                "trigger": "schedule",
                "card_id": card["id"],
                "reason": None,
                "created_at": at,
            },
        )
        person = rnd.choice(users)
        seeder.event(
            card,
            "card.updated",
            at + timedelta(hours=1),
            actor=f"user:op{person}",
            actor_id=person,
            changes={"time_spent_minutes": [0, rnd.randrange(10, 90)]},
        )
    planned = seeder.cards - alerts - chores
    noisy = [f"alert:{integration_id}:Alert{i}" for i in range(1, 20)]
    for _ in range(planned):
        at = seeder.moment()
        person = rnd.choice(users)
        kind = rnd.choice(("project", "change", "automation"))
        card = seeder.card(
            board_id,
            doing,
            kind,
            at,
            actor=f"user:op{person}",
            actor_id=person,
            estimate_minutes=rnd.randrange(60, 4000) if kind == "automation" else None,
        )
        # About one automation a month at full size is done and retires a noisy alert.
        if kind == "automation" and rnd.random() < 12 / max(planned / 3, 1) * fraction:
            seeder.add("automation_target", {"card_id": card["id"], "key": rnd.choice(noisy)})
            finished = at + timedelta(days=rnd.randrange(1, 30))
            seeder.event(
                card,
                "card.done",
                finished,
                actor=f"user:op{person}",
                actor_id=person,
                from_column_id=doing,
                to_column_id=done,
            )
        for step in range(rnd.randrange(0, 4)):
            seeder.event(
                card,
                "card.updated",
                at + timedelta(days=step, minutes=30),
                actor=f"user:op{person}",
                actor_id=person,
                changes={"time_spent_minutes": [step * 30, step * 30 + 30]},
            )
    seeder.flush()
    # As a database a year old would be: statistics gathered, and on PostgreSQL the
    # visibility map set (autovacuum's work), so that covering indexes are read alone.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if db.dialect == "postgresql" else "ANALYZE"))
    with db.engine.begin() as conn:
        events = conn.execute(sa.text("SELECT count(*) FROM card_event")).scalar_one()
        signals = conn.execute(sa.text("SELECT count(*) FROM alert_signal")).scalar_one()
        made = conn.execute(sa.text("SELECT count(*) FROM card")).scalar_one()
    print(
        f"  seeded {made:,} cards, {signals:,} signals, {events:,} card events "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    db.dispose()


def store_weeks_before(url: str, week: Week, count: int) -> None:
    """Store the reports of the ``count`` weeks before ``week``, as the weekly job does."""
    db = Database.from_url(url)
    options = Options(timezone="UTC")
    try:
        for back in range(count, 0, -1):
            with db.session() as session:
                snapshots.make(
                    session,
                    week=week.shifted(-back),
                    board_slug=None,
                    options=options,
                    actor="bench",
                    replace=True,
                )
    finally:
        db.dispose()


def time_report(url: str, runs: int) -> list[float]:
    db = Database.from_url(url)
    options = Options(timezone="UTC")
    took = []
    try:
        for _ in range(runs):
            with db.session(readonly=True) as session:
                begin = time.perf_counter()
                report = service.weekly_report(
                    session, week=Week(2026, 52), board_slug=None, options=options
                )
                took.append(time.perf_counter() - begin)
        print(
            f"  W52: {report.fires.interruptions:,} interruptions, "
            f"{len(report.candidates)} candidates, {len(report.ledger)} ledger entries, "
            f"debt {report.automation_debt.hours_per_year:,.0f} h/year",
            flush=True,
        )
    finally:
        db.dispose()
    return took


@contextmanager
def database(base: str | None, fraction: float) -> Iterator[str]:
    if base is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/report.db"
        return
    name = f"bench_report_{int(fraction * 100)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="0.25,0.5,1")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="a PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()
    backend = "PostgreSQL" if args.database_url else "SQLite"
    results = []
    for fraction in (float(each) for each in args.sizes.split(",")):
        print(f"{backend}, {fraction:.0%} of a year's full size:", flush=True)
        with database(args.database_url, fraction) as url:
            seed(url, fraction)
            cold = time_report(url, args.runs)
            _print_runs("cold", cold)
            store_weeks_before(url, Week(2026, 52), service.TREND_WEEKS)
            stored = time_report(url, args.runs)
            _print_runs("stored", stored)
        results.append((fraction, cold, stored))
    print(
        f"\n{backend}: size -> median seconds of one weekly report (W52, all boards), cold "
        "and with the 8 weeks before stored"
    )
    for fraction, cold, stored in results:
        print(
            f"  {fraction:>5.0%}  cold {statistics.median(cold):.3f}  "
            f"stored {statistics.median(stored):.3f}"
        )


def _print_runs(name: str, took: list[float]) -> None:
    print(
        f"  report ({name}): median {statistics.median(took):.3f} s, runs "
        + ", ".join(f"{t:.3f}" for t in took),
        flush=True,
    )


if __name__ == "__main__":
    main()
