"""The demo board's past: ten weeks of fires, chores and automation, written as they would
have happened (each at its moment, through the same services), so that the weekly report
has something to say on first start.

Alerts arrive through the ingest unit of work as Alertmanager payloads; two on-call
people look at some of them, log time on chores and finish an automation that retires
the noisiest alert three weeks ago. Random but repeatable (a fixed seed).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlmodel import Session, select

from app.alerts.ingest.batch import IngestResult, IngestWork, ingest
from app.alerts.models import Integration, IntegrationKind
from app.alerts.sources import normalise
from app.auth import service as auth_service
from app.auth.models import Role, User
from app.auth.schemas import UserCreate
from app.boards import cards
from app.boards.comments import add_comment
from app.boards.models import Board, BoardColumn, Card, CardKind, Priority
from app.boards.schemas import CommentCreate
from app.core import clock
from app.core.clock import ManualClock
from app.core.db import Database, pk
from app.schedules import service as schedules
from app.schedules.models import Schedule

WEEKS = 10
PEOPLE = ("sam", "kai")

# alertname, instances, severity, fires a week, minutes to resolve (low, high), runbook
ALERTS: tuple[tuple[str, tuple[str, ...], str, float, tuple[int, int], bool], ...] = (
    ("DiskSpaceLow", ("web-01", "web-02", "web-03"), "critical", 4.0, (20, 90), False),
    ("HostHighCpuLoad", ("db-prod-01",), "warning", 2.0, (10, 45), True),
    ("KubePodCrashLooping", ("payments-worker",), "critical", 1.0, (5, 30), True),
    ("CertificateExpiringSoon", ("api.example.com",), "warning", 0.6, (240, 600), False),
    ("PostgresReplicationLag", ("db-replica-02",), "warning", 0.8, (15, 60), True),
)


@dataclass(order=True)
class _Step:
    at: datetime
    order: int
    run: Callable[[], None]


def _payload(
    name: str, instance: str, severity: str, status: str, at: datetime, runbook: bool
) -> dict[str, Any]:
    annotations = {"summary": f"{name} on {instance}"}
    if runbook:
        annotations["runbook_url"] = f"https://runbooks.example.com/{name}"
    stamp = at.isoformat().replace("+00:00", "Z")
    return {
        "receiver": "firelane",
        "status": status,
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": name, "instance": instance, "severity": severity},
                "annotations": annotations,
                "startsAt": stamp,
                "endsAt": stamp if status == "resolved" else "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example.com:9090/graph",
                "fingerprint": f"{name}-{instance}",
            }
        ],
    }


class _History:
    def __init__(self, db: Database, board: Board, integration: Integration, end: datetime) -> None:
        self.db = db
        self.board_id = pk(board)
        self.integration_id = pk(integration)
        self.token_hash = integration.token_hash
        self.end = end
        self.random = random.Random(20261207)  # noqa: S311 - a demo, repeatable
        self.steps: list[_Step] = []
        self.cards: dict[str, int] = {}  # "name/instance" -> its latest card

    def at(self, moment: datetime, run: Callable[[], None]) -> None:
        if moment < self.end:
            self.steps.append(_Step(moment, len(self.steps), run))

    def send(self, name: str, instance: str, severity: str, status: str, runbook: bool) -> None:
        with self.db.session() as session:
            payload = _payload(name, instance, severity, status, clock.now(), runbook)
            body = json.dumps(payload)
            work = IngestWork(
                self.integration_id,
                self.token_hash,
                normalise(IntegrationKind.alertmanager, payload, None),
                body,
                size_bytes=len(body),
                content_type="application/json",
            )
            (outcome,) = ingest(session, [work])
        if isinstance(outcome, IngestResult) and outcome.cards:
            self.cards[f"{name}/{instance}"] = outcome.cards[0]

    def person(self, session: Session, name: str) -> User:
        user = auth_service.get_user_by_name(session, name)
        assert user is not None
        return user

    def look(self, who: str, key: str, minutes_logged: int, move: bool) -> None:
        card_id = self.cards.get(key)
        if card_id is None:
            return
        with self.db.session() as session:
            card = session.get(Card, card_id)
            if card is None or card.status != "open":
                return
            user = self.person(session, who)
            add_comment(session, card=card, data=CommentCreate(body="Looking."), author=user)
            fields: dict[str, Any] = {}
            if minutes_logged:
                fields["time_spent_minutes"] = card.time_spent_minutes + minutes_logged
            if fields:
                cards.change_card(session, card=card, fields=fields, actor=user)
            if move:
                doing = self.column(session, "In progress")
                if card.column_id != doing:
                    cards.place_card(session, card=card, column_id=doing, actor=user, top=True)
            session.commit()

    def column(self, session: Session, name: str) -> int:
        found = session.exec(
            select(BoardColumn.id).where(
                BoardColumn.board_id == self.board_id, BoardColumn.name == name
            )
        ).first()
        assert found is not None
        return found

    def plan_alerts(self, start: datetime, retired: str, retired_at: datetime) -> None:
        days = (self.end - start).days
        for name, instances, severity, per_week, (low, high), runbook in ALERTS:
            for day in range(days):
                rate = per_week / 7
                if name == retired and start + timedelta(days=day) >= retired_at:
                    rate /= 8  # the automation works: a rare fire still
                if self.random.random() >= rate:
                    continue
                instance = self.random.choice(instances)
                moment = start + timedelta(days=day, minutes=self.random.randrange(24 * 60))
                key = f"{name}/{instance}"
                self.at(moment, partial(self.send, name, instance, severity, "firing", runbook))
                resolve = moment + timedelta(minutes=self.random.randrange(low, high))
                if self.random.random() < 0.75:  # somebody looks, some of the time
                    look = moment + timedelta(minutes=self.random.randrange(2, 15))
                    who = self.random.choice(PEOPLE)
                    logged = self.random.choice((0, 0, 15, 30, 45))
                    self.at(look, partial(self.look, who, key, logged, move=True))
                    resolve = max(resolve, look + timedelta(minutes=5))
                self.at(resolve, partial(self.send, name, instance, severity, "resolved", runbook))

    def plan_chores(self, schedule_ids: list[int], start: datetime) -> None:
        weekly = schedule_ids[-1]
        for week in range(WEEKS):
            moment = start + timedelta(weeks=week, days=1, hours=9)
            self.at(
                moment,
                partial(
                    self.chore, weekly, self.random.choice(PEOPLE), self.random.randrange(40, 80)
                ),
            )

    def chore(self, schedule_id: int, who: str, minutes: int) -> None:
        with self.db.session() as session:
            schedule = session.get(Schedule, schedule_id)
            assert schedule is not None
            user = self.person(session, who)
            occurrence = schedules.run_now(session, schedule=schedule, actor=user)
            if occurrence.card_id is None:
                return
            card = session.get(Card, occurrence.card_id)
            assert card is not None
            cards.change_card(
                session, card=card, fields={"time_spent_minutes": minutes}, actor=user
            )
            cards.place_card(session, card=card, column_id=self.column(session, "Done"), actor=user)
            session.commit()

    def run(self) -> int:
        for step in sorted(self.steps):
            with clock.use(ManualClock(step.at)):
                step.run()
        return len(self.steps)


def seed_history(
    db: Database,
    *,
    board: Board,
    integration: Integration,
    schedule_ids: list[int],
    end: datetime,
    say: Callable[[str], None],
) -> None:
    """Write the board's last ten weeks, then the automation card that retired a fire."""
    with db.session() as session:
        for name in PEOPLE:
            if auth_service.get_user_by_name(session, name) is None:
                auth_service.create_user(session, data=UserCreate(name=name, role=Role.member))
    start = end - timedelta(weeks=WEEKS)
    retired_at = end - timedelta(weeks=3)
    history = _History(db, board, integration, end)
    key = f"alert:{pk(integration)}:DiskSpaceLow"
    history.plan_alerts(start, "DiskSpaceLow", retired_at)
    history.plan_chores(schedule_ids, start)

    def automate() -> None:
        with db.session() as session:
            user = history.person(session, "sam")
            card, _ = cards.new_card(
                session,
                board=board,
                actor=user,
                title="Automate log rotation fix on web hosts",
                description="Removes the recurring DiskSpaceLow fire.",
                kind=CardKind.automation,
                priority=Priority.high,
                labels=["automation", "disk"],
                estimate_minutes=16 * 60,
                automates=[key],
            )
            session.commit()
            history.cards["automation"] = pk(card)

    def ship() -> None:
        with db.session() as session:
            card = session.get(Card, history.cards["automation"])
            assert card is not None
            user = history.person(session, "sam")
            cards.change_card(
                session, card=card, fields={"time_spent_minutes": 14 * 60}, actor=user
            )
            cards.place_card(
                session, card=card, column_id=history.column(session, "Done"), actor=user
            )
            session.commit()

    history.at(retired_at - timedelta(days=12), automate)
    history.at(retired_at, ship)
    # Two fires still burning as the demo opens: the board's live side (nobody has looked).
    for minutes, name, instance, severity in (
        (35, "HostHighCpuLoad", "db-prod-01", "warning"),
        (6, "KubePodCrashLooping", "payments-worker", "critical"),
    ):
        fire = partial(history.send, name, instance, severity, "firing", True)
        history.at(end - timedelta(minutes=minutes), fire)
    steps = history.run()
    say(f"  history: {steps} things that happened over the last {WEEKS} weeks")
